//! Sign-in attempts, limited per account and address, per address alone (someone trying many
//! accounts) and per account across addresses (someone rotating addresses): attempts inside a
//! window count until they succeed; past a limit, sign-in is refused until the oldest attempt
//! leaves the window.
//!
//! An attempt is counted when it is let through, before its password is checked, so parallel
//! requests cannot all pass one check. Keys are the parsed login (anything else counts as one
//! "unknown" account) and the address (IPv6 by its /64, what one host is usually given), the
//! tables are capped, and only the keys a request touches are pruned (plus a sweep a minute):
//! what an attacker sends cannot grow them without bound. Kept in memory: a restart forgets
//! them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an attempt counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts for one account from one address within the window.
pub const PER_ACCOUNT: usize = 5;
/// Attempts from one address within the window, whatever the accounts.
pub const PER_ADDRESS: usize = 20;
/// Attempts for one account within the window, whatever the addresses.
pub const PER_ACCOUNT_ANYWHERE: usize = 50;
/// Keys kept at most in each table; when full, new keys are refused rather than added.
const MAX_KEYS: usize = 100_000;
/// How often stale keys are swept from the whole tables.
const SWEEP: Duration = Duration::from_secs(60);

/// Where attempts come from, as counted: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin(u128);

impl From<IpAddr> for Origin {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Origin(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => Origin((u128::from(v6) >> 64) | (1 << 127)),
        }
    }
}

/// Why an attempt is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many attempts: taken again after this long.
    Wait(Duration),
    /// The tables are full (an attack from very many addresses): try again later.
    Busy,
}

pub struct SignInLimiter {
    state: Mutex<State>,
}

struct State {
    by_pair: HashMap<(String, Origin), Vec<Instant>>,
    by_origin: HashMap<Origin, Vec<Instant>>,
    by_account: HashMap<String, Vec<Instant>>,
    swept: Instant,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            state: Mutex::new(State {
                by_pair: HashMap::new(),
                by_origin: HashMap::new(),
                by_account: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }
}

/// The attempts of one key still inside the window; `Some(wait)` if they reach `limit`.
fn over(times: Option<&mut Vec<Instant>>, limit: usize, now: Instant) -> Option<Duration> {
    let times = times?;
    times.retain(|t| now.duration_since(*t) < WINDOW);
    (times.len() >= limit).then(|| WINDOW.saturating_sub(now - times[times.len() - limit]))
}

impl SignInLimiter {
    /// Lets an attempt for `account` from `origin` through and counts it, or refuses it.
    /// `account` is the parsed login, or `"?"` for anything that is no login.
    pub fn attempt(&self, account: &str, origin: Origin, now: Instant) -> Result<(), Refused> {
        let mut s = self.state.lock().expect("poisoned");
        if now.duration_since(s.swept) > SWEEP {
            s.sweep(now);
        }
        let pair = (account.to_string(), origin);
        let wait = [
            over(s.by_pair.get_mut(&pair), PER_ACCOUNT, now),
            over(s.by_origin.get_mut(&origin), PER_ADDRESS, now),
            over(s.by_account.get_mut(account), PER_ACCOUNT_ANYWHERE, now),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(Refused::Wait(wait.max(Duration::from_secs(1))));
        }
        let full = |len: usize, has: bool| !has && len >= MAX_KEYS;
        if full(s.by_pair.len(), s.by_pair.contains_key(&pair))
            || full(s.by_origin.len(), s.by_origin.contains_key(&origin))
            || full(s.by_account.len(), s.by_account.contains_key(account))
        {
            return Err(Refused::Busy);
        }
        s.by_pair.entry(pair).or_default().push(now);
        s.by_origin.entry(origin).or_default().push(now);
        s.by_account
            .entry(account.to_string())
            .or_default()
            .push(now);
        Ok(())
    }

    /// A good sign-in: the account's attempts from that origin no longer count.
    pub fn succeeded(&self, account: &str, origin: Origin) {
        let mut s = self.state.lock().expect("poisoned");
        s.by_pair.remove(&(account.to_string(), origin));
    }
}

impl State {
    fn sweep(&mut self, now: Instant) {
        let keep = |times: &mut Vec<Instant>| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            !times.is_empty()
        };
        self.by_pair.retain(|_, t| keep(t));
        self.by_origin.retain(|_, t| keep(t));
        self.by_account.retain(|_, t| keep(t));
        self.swept = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(ip: &str) -> Origin {
        ip.parse::<IpAddr>().unwrap().into()
    }

    #[test]
    fn attempts_past_the_limit_are_refused_until_the_window_moves_on() {
        let limiter = SignInLimiter::default();
        let (here, there) = (origin("192.0.2.1"), origin("192.0.2.2"));
        let t0 = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(limiter.attempt("alice", here, t0).is_ok(), "attempt {i}");
        }
        let Err(Refused::Wait(wait)) = limiter.attempt("alice", here, t0) else {
            panic!("the sixth attempt is refused");
        };
        assert!(wait > Duration::from_secs(14 * 60) && wait <= WINDOW);
        // Another account, and the same account from elsewhere, are not held up.
        assert!(limiter.attempt("bob", here, t0).is_ok());
        assert!(limiter.attempt("alice", there, t0).is_ok());
        // After the window, taken again.
        assert!(limiter.attempt("alice", here, t0 + WINDOW).is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_refused() {
        let limiter = SignInLimiter::default();
        let here = origin("192.0.2.1");
        let t0 = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.attempt(&format!("user{i}"), here, t0).unwrap();
        }
        assert!(limiter.attempt("someone-new", here, t0).is_err());
    }

    #[test]
    fn one_account_tried_from_many_addresses_is_refused() {
        let limiter = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..PER_ACCOUNT_ANYWHERE {
            let from = origin(&format!("198.51.{}.{}", i / 200, i % 200 + 1));
            limiter.attempt("alice", from, t0).unwrap();
        }
        assert!(limiter.attempt("alice", origin("203.0.113.9"), t0).is_err());
    }

    #[test]
    fn one_ipv6_host_is_one_origin() {
        let limiter = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..PER_ACCOUNT {
            limiter
                .attempt("alice", origin(&format!("2001:db8::{i:x}")), t0)
                .unwrap();
        }
        assert!(
            limiter
                .attempt("alice", origin("2001:db8::ffff"), t0)
                .is_err()
        );
        assert!(
            limiter
                .attempt("alice", origin("2001:db8:0:1::1"), t0)
                .is_ok()
        );
        assert_eq!(origin("::ffff:192.0.2.1"), origin("192.0.2.1"));
    }

    #[test]
    fn a_good_sign_in_clears_the_account_from_that_address() {
        let limiter = SignInLimiter::default();
        let here = origin("192.0.2.1");
        let t0 = Instant::now();
        for _ in 0..PER_ACCOUNT {
            limiter.attempt("alice", here, t0).unwrap();
        }
        limiter.succeeded("alice", here);
        assert!(limiter.attempt("alice", here, t0).is_ok());
    }
}

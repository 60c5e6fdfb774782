//! Sign-in attempts, limited per account and address (and per address alone, against someone
//! trying many accounts): failures inside a window count; past the limit, sign-in is refused
//! until the oldest failure leaves the window. Kept in memory: a restart forgets them, which
//! costs an attacker a restart they cannot cause.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures for one account from one address within the window.
pub const PER_ACCOUNT: usize = 5;
/// Failures from one address within the window, whatever the accounts.
pub const PER_ADDRESS: usize = 20;

#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    by_account: HashMap<(String, IpAddr), Vec<Instant>>,
    by_address: HashMap<IpAddr, Vec<Instant>>,
}

impl SignInLimiter {
    /// `Err(wait)` if a sign-in for `login` from `address` is refused now, with how long until
    /// it is taken again.
    pub fn check(&self, login: &str, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut f = self.failures.lock().expect("poisoned");
        f.forget_before(now);
        let account = f.by_account.get(&(login.to_string(), address));
        let wait = |times: &Vec<Instant>, limit: usize| {
            (times.len() >= limit).then(|| WINDOW.saturating_sub(now - times[times.len() - limit]))
        };
        let by_account = account.and_then(|t| wait(t, PER_ACCOUNT));
        let by_address = f
            .by_address
            .get(&address)
            .and_then(|t| wait(t, PER_ADDRESS));
        match by_account.max(by_address) {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    pub fn failed(&self, login: &str, address: IpAddr, now: Instant) {
        let mut f = self.failures.lock().expect("poisoned");
        f.by_account
            .entry((login.to_string(), address))
            .or_default()
            .push(now);
        f.by_address.entry(address).or_default().push(now);
    }

    /// A good sign-in clears the account's failures from that address.
    pub fn succeeded(&self, login: &str, address: IpAddr) {
        let mut f = self.failures.lock().expect("poisoned");
        f.by_account.remove(&(login.to_string(), address));
    }
}

impl Failures {
    fn forget_before(&mut self, now: Instant) {
        let keep = |times: &mut Vec<Instant>| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            !times.is_empty()
        };
        self.by_account.retain(|_, t| keep(t));
        self.by_address.retain(|_, t| keep(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_limit_are_refused_until_the_window_moves_on() {
        let limiter = SignInLimiter::default();
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let there: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(limiter.check("alice", here, t0).is_ok(), "attempt {i}");
            limiter.failed("alice", here, t0);
        }
        let wait = limiter.check("alice", here, t0).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60) && wait <= WINDOW);
        // Another account, and the same account from elsewhere, are not held up.
        assert!(limiter.check("bob", here, t0).is_ok());
        assert!(limiter.check("alice", there, t0).is_ok());
        // After the window, taken again.
        assert!(limiter.check("alice", here, t0 + WINDOW).is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_refused() {
        let limiter = SignInLimiter::default();
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}"), here, t0);
        }
        assert!(limiter.check("someone-new", here, t0).is_err());
    }

    #[test]
    fn a_good_sign_in_clears_the_account() {
        let limiter = SignInLimiter::default();
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..PER_ACCOUNT {
            limiter.failed("alice", here, t0);
        }
        limiter.succeeded("alice", here);
        assert!(limiter.check("alice", here, t0).is_ok());
    }
}

//! Abuse limits the core applies to every platform: a per-user message rate with a polite
//! "slow down", and a cap on live tickets per user. (Message and file sizes are capped where
//! they are read: [`super::engine::MAX_MESSAGE_CHARS`], [`super::ticket::MAX_ATTACHMENT_BYTES`].)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Messages a user may send per minute, on average; 0: no rate limit (the local terminal
    /// and `chat --jsonl`, whose user is the operator).
    pub messages_per_minute: u32,
    /// Messages a user may send at once before the rate applies.
    pub burst: u32,
    /// Live (open, claimed, awaiting) tickets a user may have.
    pub max_open_tickets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            messages_per_minute: 30,
            burst: 10,
            max_open_tickets: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Over the rate: tell the user once.
    SlowDown,
    /// Still over the rate after being told: ignore quietly.
    Drop,
}

struct Bucket {
    tokens: f64,
    last: Instant,
    warned: bool,
}

/// A token bucket per user, in memory (a restart forgives everyone).
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn check(&self, limits: &Limits, user: &str, now: Instant) -> Verdict {
        if limits.messages_per_minute == 0 {
            return Verdict::Allow;
        }
        let per_second = f64::from(limits.messages_per_minute) / 60.0;
        let burst = f64::from(limits.burst.max(1));
        let mut buckets = self.buckets.lock().expect("poisoned");
        if buckets.len() > 100_000 {
            // Full buckets carry no state worth keeping.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(user.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
            warned: false,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * per_second).min(burst);
        bucket.last = now;
        // Only a quiet spell (the bucket full again) earns a new warning: a flood that lets one
        // message through now and then is not told to slow down again and again.
        if bucket.tokens >= burst {
            bucket.warned = false;
        }
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Verdict::Allow
        } else if !bucket.warned {
            bucket.warned = true;
            Verdict::SlowDown
        } else {
            Verdict::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate_then_forgiveness() {
        let limits = Limits {
            messages_per_minute: 60,
            burst: 3,
            max_open_tickets: 3,
        };
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.check(&limits, "u", t0), Verdict::Allow);
        }
        assert_eq!(rl.check(&limits, "u", t0), Verdict::SlowDown);
        assert_eq!(rl.check(&limits, "u", t0), Verdict::Drop);
        assert_eq!(rl.check(&limits, "other", t0), Verdict::Allow, "per user");
        assert_eq!(
            rl.check(&limits, "u", t0 + Duration::from_millis(1100)),
            Verdict::Allow,
            "one a second comes back"
        );
        assert_eq!(
            rl.check(&limits, "u", t0 + Duration::from_millis(1150)),
            Verdict::Drop,
            "still flooding: no second warning"
        );
        assert_eq!(
            rl.check(&limits, "u", t0 + Duration::from_secs(10)),
            Verdict::Allow,
            "a quiet spell forgives"
        );
        for _ in 0..2 {
            rl.check(&limits, "u", t0 + Duration::from_secs(10));
        }
        assert_eq!(
            rl.check(&limits, "u", t0 + Duration::from_secs(10)),
            Verdict::SlowDown,
            "and a new flood is told once more"
        );
    }
}

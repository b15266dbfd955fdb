//! How often heartbeats are taken, in memory: a page reports about twice a
//! minute, so anything much faster is a bug or an attack, refused before any
//! database work with a bare 429. Per instance; the write-skip in
//! `domain::presence` bounds what gets through several instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: `burst` reports at once, one more every `refill`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    burst: f64,
    refill: Duration,
}

impl Rule {
    /// Takes one token at `now`; `Err` holds the wait until one is back.
    fn take(&self, bucket: &mut Bucket, now: Instant) -> Result<(), Duration> {
        let earned = now.duration_since(bucket.at).as_secs_f64() / self.refill.as_secs_f64();
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.refill.mul_f64(1.0 - bucket.tokens))
        }
    }

    fn full(&self, bucket: &Bucket, now: Instant) -> bool {
        bucket.tokens + now.duration_since(bucket.at).as_secs_f64() / self.refill.as_secs_f64()
            >= self.burst
    }
}

/// Keys: (organization, account, tab) and (organization, account) with an empty tab.
type Key = (i64, i64, String);

pub struct ReportLimiter {
    per_tab: Rule,
    per_member: Rule,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

/// Buckets kept before the full ones (nobody reporting fast) are forgotten.
const FORGET_ABOVE: usize = 10_000;

impl ReportLimiter {
    /// A tab may report 5 times at once and once per tenth of the heartbeat
    /// after that (at least a second); a member's tabs together 30 at once and
    /// one a second.
    pub fn new(heartbeat: Duration) -> Self {
        Self {
            per_tab: Rule {
                burst: 5.0,
                refill: (heartbeat / 10).max(Duration::from_secs(1)),
            },
            per_member: Rule {
                burst: 30.0,
                refill: Duration::from_secs(1),
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a report from this tab, or says how long to wait (whole seconds).
    pub fn check(&self, org: i64, account: i64, tab: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > FORGET_ABOVE {
            let (tab_rule, member_rule) = (self.per_tab, self.per_member);
            buckets.retain(|key, b| {
                let rule = if key.2.is_empty() {
                    member_rule
                } else {
                    tab_rule
                };
                !rule.full(b, now)
            });
        }
        let fresh = |rule: &Rule| Bucket {
            tokens: rule.burst,
            at: now,
        };
        let wait = |d: Duration| (d.as_secs_f64().ceil() as u64).max(1);
        let tab_bucket = buckets
            .entry((org, account, tab.to_owned()))
            .or_insert_with(|| fresh(&self.per_tab));
        self.per_tab.take(tab_bucket, now).map_err(wait)?;
        let member_bucket = buckets
            .entry((org, account, String::new()))
            .or_insert_with(|| fresh(&self.per_member));
        self.per_member.take(member_bucket, now).map_err(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_gets_a_small_burst_then_one_report_per_period() {
        let limiter = ReportLimiter::new(Duration::from_secs(30));
        for _ in 0..5 {
            assert_eq!(limiter.check(1, 2, "tab-aaaa"), Ok(()));
        }
        assert_eq!(limiter.check(1, 2, "tab-aaaa"), Err(3));
        // Another tab, and the same tab elsewhere, have their own.
        assert_eq!(limiter.check(1, 2, "tab-bbbb"), Ok(()));
        assert_eq!(limiter.check(9, 2, "tab-aaaa"), Ok(()));
    }

    #[test]
    fn many_tabs_of_one_member_share_a_budget() {
        let limiter = ReportLimiter::new(Duration::from_secs(30));
        let accepted = (0..100)
            .filter(|n| limiter.check(1, 2, &format!("tab-{n:04}")).is_ok())
            .count();
        assert_eq!(accepted, 30);
    }
}

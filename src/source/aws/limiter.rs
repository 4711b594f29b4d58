//! Client-side pacing of CloudTrail LookupEvents: at most one call per interval per account and region, whichever
//! profile makes it, waiting (never failing) when called sooner.
//!
//! LookupEvents allows "two per second, per account, per Region" (FACTS.md §7), a limit shared by every caller in
//! that account and region. Two profiles of pipewatch in one account and region (two roles, say) therefore share
//! one [`RateLimiter`], handed out by [`Limiters`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior};

/// CloudTrail's LookupEvents limit: 2 requests per second per account and region.
pub(super) const LOOKUP_INTERVAL: Duration = Duration::from_millis(500);

/// Spaces calls at least `interval` apart.
#[derive(Debug)]
pub struct RateLimiter {
    /// `Delay`: after a quiet spell the next tick comes at once and the one after it a whole interval later, so two
    /// ticks are never closer than the interval (a burst never "catches up" on missed ticks).
    ticks: tokio::sync::Mutex<Interval>,
}

impl RateLimiter {
    /// A limiter allowing one call per `interval`. Needs a tokio runtime (the interval's timer).
    pub fn new(interval: Duration) -> Self {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self { ticks: tokio::sync::Mutex::new(ticks) }
    }

    /// Waits until the next call is allowed. Callers queue in order; a caller that gives up waiting (its future is
    /// dropped) gives its turn to the next.
    pub async fn wait(&self) {
        self.ticks.lock().await.tick().await;
    }
}

/// One [`RateLimiter`] per (account, region), shared by every profile of the source.
#[derive(Debug, Default)]
pub struct Limiters {
    by_key: Mutex<HashMap<(String, String), Arc<RateLimiter>>>,
}

impl Limiters {
    /// The limiter of `account` in `region`, made on first use.
    pub fn of(&self, account: &str, region: &str) -> Arc<RateLimiter> {
        let mut by_key = self.by_key.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            by_key
                .entry((account.to_string(), region.to_string()))
                .or_insert_with(|| Arc::new(RateLimiter::new(LOOKUP_INTERVAL))),
        )
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_interval() {
        let l = RateLimiter::new(Duration::from_millis(500));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..4 {
            l.wait().await;
            at.push(Instant::now() - start);
        }
        assert_eq!(at, [0, 500, 1000, 1500].map(Duration::from_millis));
        // After a quiet spell the next call goes at once, and the one after it a whole interval later.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before = Instant::now();
        l.wait().await;
        assert_eq!(Instant::now(), before);
        l.wait().await;
        assert_eq!(Instant::now() - before, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn profiles_in_one_account_and_region_share_a_limiter() {
        let limiters = Limiters::default();
        let (a, b) = (limiters.of("111111111111", "ap-northeast-1"), limiters.of("111111111111", "ap-northeast-1"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &limiters.of("111111111111", "us-east-1")));
        assert!(!Arc::ptr_eq(&a, &limiters.of("222222222222", "ap-northeast-1")));

        // Two callers taking turns on the shared limiter: together, one call per interval.
        let start = Instant::now();
        let caller = |l: Arc<RateLimiter>| async move {
            let mut at = Vec::new();
            for _ in 0..3 {
                l.wait().await;
                at.push(Instant::now() - start);
            }
            at
        };
        let (x, y) = tokio::join!(caller(a), caller(b));
        let mut all: Vec<Duration> = x.into_iter().chain(y).collect();
        all.sort();
        assert_eq!(all, [0, 500, 1000, 1500, 2000, 2500].map(Duration::from_millis));
    }
}

//! A minimal client-side rate limiter: at most one call per interval, waiting (never failing) when called sooner.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces calls at least `interval` apart (CloudTrail LookupEvents allows 2 per second per account and region).
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter allowing one call per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self { interval, next: Mutex::new(None) }
    }

    /// Waits until the next call is allowed and books the slot after it.
    pub async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
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
        // After a quiet spell the next call goes at once.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before = Instant::now();
        l.wait().await;
        assert_eq!(Instant::now(), before);
    }
}

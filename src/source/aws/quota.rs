//! The request quota of an account in a region: a token bucket per API, shared by every profile polling that account
//! and region, so that pipewatch as a whole stays under the API's rate however many profiles (two roles, say) read
//! the same account.
//!
//! AWS applies its API rate limits per account and region, whichever callers share them, and throttles with a
//! token bucket (a sustained rate and a burst). It publishes the rate of CloudTrail LookupEvents only (2 per second,
//! paced separately by `limiter`); for ECR, CodePipeline, EventBridge, STS, IAM and CloudWatch it publishes none
//! (AWS-NOTES). [`API_RATE`] is the quota pipewatch gives itself for each of those, per account, region and API.
//! A caller over quota waits for its turn (never fails), and the SDK's standard retry still covers a throttle from
//! other callers in the account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// A sustained rate and a burst, in requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// The quota of one API in one account and region: 8 requests a second with bursts of 8. A poll of one profile
/// makes at most one request per pipeline or repository of one API at once, so a profile of up to 8 pipelines never
/// waits; two profiles sharing an account wait a fraction of a second. `scripts/bench-org.sh` runs awsim at 10 per
/// second per API (a fifth above this) and counts its throttling errors.
pub(super) const API_RATE: Rate = Rate { per_second: 8.0, burst: 8.0 };

/// One API's token bucket. Tokens may go negative: each caller reserves the next token and sleeps until it is due,
/// so waiting callers go in order and never together.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The quotas of every API of one account in one region.
#[derive(Debug)]
pub(super) struct AccountQuota {
    rate: Rate,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

impl AccountQuota {
    pub fn new(rate: Rate) -> Self {
        Self { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Waits until a request of `api` fits the quota, and spends it.
    pub async fn take(&self, api: &'static str) {
        let wait = self.reserve(api, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves the next token of `api` at `now`: how long until it is due.
    fn reserve(&self, api: &'static str, now: Instant) -> Duration {
        let Rate { per_second, burst } = self.rate;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(api).or_insert(Bucket { tokens: burst, at: now });
        let refilled = (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second).min(burst);
        *b = Bucket { tokens: refilled - 1.0, at: now };
        if b.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-b.tokens / per_second) }
    }
}

impl Default for AccountQuota {
    fn default() -> Self {
        Self::new(API_RATE)
    }
}

/// One [`AccountQuota`] per (account, region), shared by the profiles of the source.
#[derive(Debug, Default)]
pub(super) struct Quotas {
    by_key: Mutex<HashMap<(String, String), Arc<AccountQuota>>>,
}

impl Quotas {
    /// The quota of `account` in `region`, made on first use.
    pub fn of(&self, account: &str, region: &str) -> Arc<AccountQuota> {
        let mut by_key = self.by_key.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(by_key.entry((account.to_string(), region.to_string())).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_and_the_rest_at_the_rate_in_order() {
        let quota = AccountQuota::new(Rate { per_second: 4.0, burst: 2.0 });
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            quota.take("codepipeline:ListPipelineExecutions").await;
            at.push(Instant::now() - start);
        }
        assert_eq!(at, [0, 0, 250, 500, 750].map(Duration::from_millis));
        // Another API has its own bucket.
        let before = Instant::now();
        quota.take("ecr:DescribeImages").await;
        assert_eq!(Instant::now(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_quota_and_never_exceed_it() {
        let quotas = Quotas::default();
        let (a, b) = (quotas.of("111111111111", "eu-west-1"), quotas.of("111111111111", "eu-west-1"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &quotas.of("111111111111", "us-east-1")));
        assert!(!Arc::ptr_eq(&a, &quotas.of("222222222222", "eu-west-1")));
        let start = Instant::now();
        let caller = |quota: Arc<AccountQuota>| async move {
            let mut at = Vec::new();
            for _ in 0..10 {
                quota.take("ecr:DescribeImages").await;
                at.push(Instant::now() - start);
            }
            at
        };
        let (x, y) = tokio::join!(caller(a), caller(b));
        let mut all: Vec<Duration> = x.into_iter().chain(y).collect();
        all.sort();
        // 8 at once, then one every 125 ms: in any second, at most the burst plus the rate.
        assert_eq!(all[..8], [Duration::ZERO; 8]);
        let rest: Vec<u64> = all[8..].iter().map(|d| d.as_millis() as u64).collect();
        assert_eq!(rest, (1..=12).map(|k| k * 125).collect::<Vec<_>>());
    }
}

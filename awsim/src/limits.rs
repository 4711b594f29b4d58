//! Request limits and the request log: a token bucket per (account, region, API) — AWS's limits apply per account
//! and region, whichever callers share them — and a record of every request.
//!
//! Published rate: CloudTrail LookupEvents, "The rate of lookup requests is limited to two per second, per account,
//! per Region. If this limit is exceeded, a throttling error occurs." ([LookupEvents](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html), FACTS.md §7).
//! Other APIs publish no per-API rate (AWS-NOTES): they are unlimited unless a test sets one.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

/// A sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub fn new(per_second: f64, burst: f64) -> Self {
        Rate { per_second, burst }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Timestamp,
}

/// Token buckets keyed by (account, region, `service:Operation`), on the world's clock.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    buckets: HashMap<(String, String, String), Bucket>,
}

impl Buckets {
    /// Takes one token; false when the bucket is empty (the request is throttled).
    pub fn take(&mut self, key: (String, String, String), rate: Rate, now: Timestamp) -> bool {
        let b = self.buckets.entry(key).or_insert(Bucket { tokens: rate.burst, at: now });
        let elapsed = now.duration_since(b.at).max(SignedDuration::ZERO).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate.per_second).min(rate.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn clear(&mut self) {
        self.buckets.clear();
    }
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub at: Timestamp,
    /// The caller's account (from its access key); empty when the request named none.
    pub account: String,
    /// From the SigV4 credential scope.
    pub region: String,
    /// `ecr`, `codepipeline`, `events`, `cloudtrail`, `sts`, `iam`, `monitoring`, `organizations`.
    pub service: String,
    pub operation: String,
    pub caller_arn: String,
    /// The error code answered (`ThrottlingException`, ...), none on success.
    pub error: Option<String>,
}

impl RequestRecord {
    /// `service:Operation`, as IAM names actions.
    pub fn api(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    pub fn throttled(&self) -> bool {
        self.error.as_deref().is_some_and(|e| e.starts_with("Throttl"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_its_rate() {
        let mut b = Buckets::default();
        let t0: Timestamp = "2026-11-20T09:00:00Z".parse().unwrap();
        let key = || ("1".to_string(), "r".to_string(), "cloudtrail:LookupEvents".to_string());
        let rate = Rate::new(2.0, 2.0);
        assert!(b.take(key(), rate, t0));
        assert!(b.take(key(), rate, t0));
        assert!(!b.take(key(), rate, t0), "a third request in the same instant is throttled");
        assert!(b.take(key(), rate, t0 + SignedDuration::from_millis(500)));
        assert!(!b.take(key(), rate, t0 + SignedDuration::from_millis(500)));
        assert!(b.take(("2".into(), "r".into(), "cloudtrail:LookupEvents".into()), rate, t0), "per account");
    }
}

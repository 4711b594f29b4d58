//! What a profile remembers between polls, so a steady-state poll costs few API calls: the caller identity,
//! pipeline definitions by version, executions already seen, CloudTrail records already read, rules, and what each
//! image index lists.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::limiter::RateLimiter;
use crate::model::{Execution, Identity, IndexEntry, PutImageRecord, TriggerRule, WatchedSource};
use crate::oci::ParseError;

/// CloudTrail's LookupEvents limit: 2 requests per second per account and region.
pub(super) const LOOKUP_INTERVAL: Duration = Duration::from_millis(500);

/// A pipeline definition as read by GetPipeline, kept until ListPipelines reports another version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Definition {
    pub version: Option<i32>,
    pub sources: Vec<WatchedSource>,
    pub arn: Option<String>,
}

/// CloudTrail records read so far and how far the read reached.
#[derive(Debug, Default)]
pub(super) struct TrailCache {
    pub records: BTreeMap<String, PutImageRecord>,
    pub read_until: Option<Timestamp>,
}

/// Per-profile memory across polls.
#[derive(Debug)]
pub(super) struct ProfileMemory {
    pub identity: Mutex<Option<(Instant, Identity)>>,
    pub definitions: Mutex<HashMap<String, Definition>>,
    pub executions: Mutex<HashMap<String, Vec<Execution>>>,
    pub trail: Mutex<TrailCache>,
    /// Paces LookupEvents calls.
    pub limiter: RateLimiter,
    pub rules: Mutex<HashMap<String, (Instant, Vec<TriggerRule>)>>,
    /// What each image index lists (or why its manifest is not an index), by digest: a manifest never changes, so
    /// it is read once for the life of the process.
    pub indexes: Mutex<HashMap<String, Result<Vec<IndexEntry>, ParseError>>>,
    /// AssumeRole calls made by this profile's credential provider (the SDK caches the session).
    pub assume_role_calls: Arc<AtomicU32>,
}

impl Default for ProfileMemory {
    fn default() -> Self {
        Self {
            identity: Mutex::new(None),
            definitions: Mutex::new(HashMap::new()),
            executions: Mutex::new(HashMap::new()),
            trail: Mutex::new(TrailCache::default()),
            limiter: RateLimiter::new(LOOKUP_INTERVAL),
            rules: Mutex::new(HashMap::new()),
            indexes: Mutex::new(HashMap::new()),
            assume_role_calls: Arc::new(AtomicU32::new(0)),
        }
    }
}

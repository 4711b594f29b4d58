//! What a profile remembers between polls, so a steady-state poll costs few API calls: the caller identity,
//! pipeline definitions by version, executions already seen, CloudTrail records already read, rules (with their
//! targets), what each image index lists, and what the trigger diagnosis read past the rules.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::limiter::RateLimiter;
use crate::model::{
    Execution, FailedInvocations, Identity, IndexEntry, Lookup, PutImageRecord, ReplicationRule, TrailState,
    TriggerRule, WatchedSource,
};
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

/// One read kept for a while, with the warnings it gave.
#[derive(Debug, Clone)]
pub(super) struct Kept<T> {
    pub at: Instant,
    pub value: T,
    pub warnings: Vec<String>,
}

impl<T: Clone> Kept<T> {
    /// The value and its warnings while younger than `ttl` (and, for reads that depend on what was asked, asked for
    /// the same `key`).
    pub fn fresh(this: &Option<(String, Kept<T>)>, key: &str, ttl: Duration) -> Option<(T, Vec<String>)> {
        let (k, kept) = this.as_ref()?;
        (k == key && kept.at.elapsed() < ttl).then(|| (kept.value.clone(), kept.warnings.clone()))
    }
}

/// What the trigger diagnosis read past the rules, each with what it was read for.
#[derive(Debug, Default)]
pub(super) struct TriggerMemory {
    pub other_rules: Option<(String, Kept<Lookup<Vec<TriggerRule>>>)>,
    pub trails: Option<(String, Kept<Lookup<Vec<TrailState>>>)>,
    /// Keyed by the rules read.
    pub failed_invocations: Option<(String, Kept<Lookup<FailedInvocations>>)>,
    pub replication: Option<(String, Kept<Lookup<Vec<ReplicationRule>>>)>,
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
    /// Targets' roles, trails, metrics and replication, for the trigger diagnosis.
    pub triggers: Mutex<TriggerMemory>,
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
            triggers: Mutex::new(TriggerMemory::default()),
            indexes: Mutex::new(HashMap::new()),
            assume_role_calls: Arc::new(AtomicU32::new(0)),
        }
    }
}

//! What a profile remembers between polls, so a steady-state poll costs few API calls: the caller identity,
//! pipeline definitions by version, executions already seen, CloudTrail records and which windows of time were read,
//! rules (with their targets), what each image index lists, and what the trigger diagnosis read past the rules.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::model::{
    Execution, FailedInvocations, Identity, IndexEntry, Lookup, PutImageRecord, ReplicationRule, TimeWindow,
    TrailState, TriggerRule, WatchedSource, Windows,
};
use crate::oci::ParseError;

/// A pipeline definition as read by GetPipeline, kept until ListPipelines reports another version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Definition {
    pub version: Option<i32>,
    pub sources: Vec<WatchedSource>,
    pub arn: Option<String>,
}

/// A LookupEvents read of one window that has not reached its last page: where to go on from. The token "must be
/// passed in with the same parameters that were specified in the original call" (FACTS.md §7), so the window stays
/// the one the read started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartialRead {
    pub window: TimeWindow,
    /// When the read's first page was asked for: the read is complete only if that was after the delivery delay.
    pub started: Timestamp,
    /// The `NextToken` of the last page read.
    pub token: String,
}

/// CloudTrail records read so far, and how far each stretch of time was read.
#[derive(Debug, Default)]
pub(super) struct TrailCache {
    /// By event id.
    pub records: BTreeMap<String, PutImageRecord>,
    /// Read to the last page after the delivery delay had passed: nothing more will come.
    pub complete: Windows,
    /// Read to the last page, but records may still arrive: `(window, when its read started)`.
    pub provisional: Vec<(TimeWindow, Timestamp)>,
    /// Reads cut short (time, page cap, throttling), resumed by the next poll that still needs them.
    pub partial: Vec<PartialRead>,
}

impl TrailCache {
    /// Forgets everything before `since` (out of the lookback).
    pub fn forget_before(&mut self, since: Timestamp) {
        self.records.retain(|_, r| r.event_time >= since);
        self.complete.retain_since(since);
        self.provisional.retain(|(w, _)| w.end >= since);
        self.partial.retain(|r| r.window.end >= since);
    }
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

/// Per-profile memory across polls (of one region of the profile: only the identity and the AssumeRole count are
/// the account's, shared by its regions).
#[derive(Debug, Default)]
pub(super) struct ProfileMemory {
    pub identity: Arc<Mutex<Option<(Instant, Identity)>>>,
    pub definitions: Mutex<HashMap<String, Definition>>,
    pub executions: Mutex<HashMap<String, Vec<Execution>>>,
    pub trail: Mutex<TrailCache>,
    pub rules: Mutex<HashMap<String, (Instant, Vec<TriggerRule>)>>,
    /// Targets' roles, trails, metrics and replication, for the trigger diagnosis.
    pub triggers: Mutex<TriggerMemory>,
    /// What each image index lists (or why its manifest is not an index), by digest: a manifest never changes, so
    /// it is read once for the life of the process.
    pub indexes: Mutex<HashMap<String, Result<Vec<IndexEntry>, ParseError>>>,
    /// AssumeRole calls made by this profile's credential provider (the SDK caches the session).
    pub assume_role_calls: Arc<AtomicU32>,
}

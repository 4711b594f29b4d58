//! Domain types: what pipewatch knows about one account, free of any SDK type.
//!
//! The AWS layer and the demo source both produce these; correlation, reports and the TUI only read them.

mod image;
mod poll_error;
mod triggers;
mod window;

use jiff::Timestamp;

pub use image::{
    Artifact, ArtifactKind, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Image, ImagePush, IndexEntry, IndexManifest,
    OCI_INDEX, OCI_MANIFEST, PlatformManifest, is_index_media_type,
};
pub use poll_error::{ErrorKind, PollError};
pub use triggers::{FailedInvocations, ReplicationRule, RolePermission, RuleTarget, SelectorCheck, TrailState};
pub use window::{TimeWindow, Windows};

/// Who the profile's credentials resolve to (STS GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 12-digit account id.
    pub account: String,
    /// Caller ARN, e.g. `arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch`.
    pub arn: String,
    /// Caller user id, e.g. `AROA…:pipewatch`.
    pub user_id: String,
}

/// One ECR source action of a pipeline: the (repository, tag) it watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedSource {
    /// Name of the source action (matches `Revision::action`).
    pub action: String,
    /// ECR repository in the pipeline's own account.
    pub repository: String,
    /// Watched tag (`latest` when the action names none).
    pub tag: String,
}

/// Outcome of a pipeline execution as CodePipeline reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExecStatus {
    InProgress,
    Stopping,
    Stopped,
    Succeeded,
    Superseded,
    Failed,
    Cancelled,
    /// A status this version does not know yet.
    Other(String),
}

impl ExecStatus {
    /// Parses the API's spelling; unknown values are kept verbatim.
    pub fn parse(s: &str) -> Self {
        match s {
            "InProgress" => Self::InProgress,
            "Stopping" => Self::Stopping,
            "Stopped" => Self::Stopped,
            "Succeeded" => Self::Succeeded,
            "Superseded" => Self::Superseded,
            "Failed" => Self::Failed,
            "Cancelled" => Self::Cancelled,
            other => Self::Other(other.to_string()),
        }
    }

    /// The API's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress => "InProgress",
            Self::Stopping => "Stopping",
            Self::Stopped => "Stopped",
            Self::Succeeded => "Succeeded",
            Self::Superseded => "Superseded",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Other(s) => s,
        }
    }
}

/// One source revision an execution ran with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Source action name.
    pub action: String,
    /// For an ECR source, the image digest.
    pub revision_id: String,
    /// Free text written by whoever produced the revision (may hold anything).
    pub summary: Option<String>,
}

/// One pipeline execution (ListPipelineExecutions summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub id: String,
    pub status: ExecStatus,
    /// Trigger type, e.g. `CloudWatchEvent`, `StartPipelineExecution`.
    pub trigger: String,
    /// Trigger detail: the rule ARN for CloudWatchEvent, the caller ARN for StartPipelineExecution.
    pub trigger_detail: Option<String>,
    pub started_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub revisions: Vec<Revision>,
    /// Status summary text, when the API gives one.
    pub status_summary: Option<String>,
}

/// A pipeline with its ECR sources and its recent executions (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub name: String,
    pub sources: Vec<WatchedSource>,
    pub executions: Vec<Execution>,
}

/// Everything one poll of one profile produced. Parts that failed are empty and explained in `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSnapshot {
    pub identity: Option<Identity>,
    pub pipelines: Vec<Pipeline>,
    /// The images of the watched repositories pushed in the lookback window, as the registry lists them.
    pub images: Vec<Image>,
    /// What the image indexes among `images` list (those that could be read).
    pub indexes: Vec<IndexManifest>,
    /// Failures that make the profile count as failed (identity, pipelines, images).
    pub errors: Vec<PollError>,
    /// Problems that do not (e.g. an extra repository that does not exist).
    pub warnings: Vec<String>,
    /// What CloudTrail and EventBridge say, to explain untriggered pushes.
    pub diagnostics: Diagnostics,
    /// What the poll cost (API calls, phase times), for `--stats`.
    pub stats: PollStats,
    /// Pipelines of `pipelines` whose data is the last good one, because a call for them failed this time.
    pub stale_pipelines: Vec<StalePipeline>,
}

/// A pipeline shown with the data of an earlier poll, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePipeline {
    pub pipeline: String,
    /// For people: which call failed and how (e.g. `codepipeline:ListPipelineExecutions: ThrottlingException`).
    pub reason: String,
}

/// What one poll of one profile cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Calls per API (`service:Operation`), sorted by name.
    pub calls: Vec<(String, u32)>,
    /// Wall time of each phase, in the order they finished.
    pub phases: Vec<(String, std::time::Duration)>,
}

impl PollStats {
    /// Adds the calls and phases of `other` (the explain step of the same poll).
    pub fn absorb(&mut self, other: PollStats) {
        for (api, n) in other.calls {
            match self.calls.binary_search_by(|(a, _)| a.as_str().cmp(&api)) {
                Ok(i) => self.calls[i].1 += n,
                Err(i) => self.calls.insert(i, (api, n)),
            }
        }
        self.phases.extend(other.phases);
    }
}

impl ProfileSnapshot {
    /// A snapshot holding only an error (credentials refused, timeout, …).
    pub fn failed(error: PollError) -> Self {
        Self { errors: vec![error], ..Self::default() }
    }

    /// The profile's errors as one line (one cause shared by several calls said once), or `None` when it polled
    /// cleanly.
    pub fn error_line(&self) -> Option<String> {
        (!self.errors.is_empty()).then(|| poll_error::lines(&self.errors).join("; "))
    }
}

/// Who made a push, from the repository account's CloudTrail `PutImage` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pusher {
    /// The caller's ARN (absent for `AWSAccount` identities, which only name the account).
    pub arn: Option<String>,
    /// The caller's account.
    pub account: String,
    /// `userIdentity.type`: `AssumedRole`, `IAMUser`, `AWSAccount`, …
    pub identity_type: String,
    /// `userIdentity.principalId` (for an `AWSAccount` identity, the only name of the caller in the record).
    pub principal_id: Option<String>,
    /// The caller's account is not the repository's: ECR emits no event in the repository account.
    pub cross_account: bool,
}

/// One CloudTrail `PutImage` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutImageRecord {
    pub event_id: String,
    pub event_time: Timestamp,
    pub repository: String,
    /// The tag the push carried (kept even after the tag moved to a newer image).
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The account that owns the repository (`recipientAccountId`).
    pub recipient_account: Option<String>,
    pub pusher: Pusher,
}

/// An EventBridge rule that targets a pipeline (or, in [`Diagnostics::other_rules`], an ECR rule that may).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerRule {
    pub name: String,
    /// `ENABLED`, `DISABLED`, …
    pub state: String,
    /// The event pattern JSON, when the rule has one.
    pub pattern: Option<String>,
    /// The rule's ARN (`arn:<partition>:events:<region>:<account>:rule/[<bus>/]<name>`), when DescribeRule gave it.
    pub arn: Option<String>,
    /// The event bus the rule is on (`default` unless a custom bus), when DescribeRule named it.
    pub event_bus: Option<String>,
    /// The rule's targets (`events:ListTargetsByRule`), each with whether its role may start the pipeline.
    pub targets: Lookup<Vec<RuleTarget>>,
}

impl TriggerRule {
    /// Whether the rule fires at all.
    pub fn enabled(&self) -> bool {
        self.state.starts_with("ENABLED")
    }
}

/// The result of an optional lookup: done, or skipped with the reason (disabled, access denied, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// The lookup was not made; the reason says why.
    Skipped(String),
    /// The lookup succeeded.
    Done(T),
}

impl<T> Default for Lookup<T> {
    fn default() -> Self {
        Self::Skipped("not checked".into())
    }
}

impl<T> Lookup<T> {
    /// The value when the lookup was made.
    pub fn done(&self) -> Option<&T> {
        match self {
            Self::Done(t) => Some(t),
            Self::Skipped(_) => None,
        }
    }
}

/// CloudTrail records, EventBridge rules and what lies past them, of one profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// `PutImage` records of the lookback window, and the moment up to which CloudTrail was read.
    pub put_images: Lookup<CloudTrailRead>,
    /// Rules targeting each pipeline (by pipeline name), for pipelines with an ECR source, with their targets.
    pub rules: Lookup<Vec<(String, Vec<TriggerRule>)>>,
    /// The ECR rules of the default bus that target none of those pipelines (`events:ListRules`), with their
    /// targets: read when a pipeline has no enabled rule, to find a rule that matches its pushes but starts another
    /// pipeline.
    pub other_rules: Lookup<Vec<TriggerRule>>,
    /// The trails that apply in the profile's region, read when a rule matches CloudTrail-delivered events
    /// ("AWS API Call via CloudTrail"), which need "a CloudTrail trail with logging enabled".
    pub trails: Lookup<Vec<TrailState>>,
    /// `FailedInvocations` of the rules in `rules`.
    pub failed_invocations: Lookup<FailedInvocations>,
    /// The registry's replication rules (`ecr:DescribeRegistry`): which repositories it copies to which registries.
    /// Another profile's pushes are recognised as replicated from here with them.
    pub replication: Lookup<Vec<ReplicationRule>>,
}

/// What the CloudTrail reads of a profile found and covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTrailRead {
    pub records: Vec<PutImageRecord>,
    /// When the read was made (the poll's start): no read reached later than this.
    pub read_until: Timestamp,
    /// The stretches of time read to their last page, each after CloudTrail's delivery delay had passed for all of
    /// it: a push whose window lies inside has every record it will ever have among `records`. Anywhere else a
    /// missing record proves nothing.
    pub complete: Windows,
}

impl CloudTrailRead {
    /// Whether the read covered all of `w` completely.
    pub fn covers(&self, w: &TimeWindow) -> bool {
        self.complete.covers(w)
    }
}

/// A profile as shown to people: its configured name and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileMeta {
    pub name: String,
    pub region: String,
}

//! Domain types: what pipewatch knows about one account, free of any SDK type.
//!
//! The AWS layer and the demo source both produce these; correlation, reports and the TUI only read them.

use jiff::Timestamp;

/// Who the profile's credentials resolve to (STS GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// 12-digit account id.
    pub account: String,
    /// Caller ARN, e.g. `arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch`.
    pub arn: String,
    /// Caller user id, e.g. `AROA…:pipewatch`.
    pub user_id: String,
}

/// One ECR source action of a pipeline: the (repository, tag) it watches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WatchedSource {
    /// Name of the source action (matches `Revision::action`).
    #[serde(skip)]
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

impl serde::Serialize for ExecStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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

/// One image in an ECR repository: a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePush {
    pub repository: String,
    pub digest: String,
    /// Tags the image holds now (empty when its tag moved to a newer image).
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
}

/// Everything one poll of one profile produced. Parts that failed are empty and explained in `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSnapshot {
    pub identity: Option<Identity>,
    pub pipelines: Vec<Pipeline>,
    pub pushes: Vec<ImagePush>,
    /// Failures that make the profile count as failed (identity, pipelines, images).
    pub errors: Vec<String>,
    /// Problems that do not (e.g. an extra repository that does not exist).
    pub warnings: Vec<String>,
}

impl ProfileSnapshot {
    /// A snapshot holding only an error (credentials refused, timeout, …).
    pub fn failed(error: impl Into<String>) -> Self {
        Self { errors: vec![error.into()], ..Self::default() }
    }

    /// The profile's errors as one line, or `None` when it polled cleanly.
    pub fn error_line(&self) -> Option<String> {
        (!self.errors.is_empty()).then(|| self.errors.join("; "))
    }
}

/// A profile as shown to people: its configured name and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileMeta {
    pub name: String,
    pub region: String,
}

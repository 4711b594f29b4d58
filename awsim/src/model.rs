//! The resources of the world as plain data: what the AWS APIs return is rendered from these.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

/// One manifest stored in an ECR repository (ECR lists each manifest of a push as its own image:
/// [ImageDetail](https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html)).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    /// The manifest's exact bytes (`BatchGetImage`'s `imageManifest`); `digest` is their SHA-256.
    pub manifest: String,
    pub media_type: String,
    pub artifact_media_type: Option<String>,
    pub subject: Option<String>,
    pub size: i64,
}

/// A tag pointing at a digest from an instant on: a repository keeps the history, so a run can resolve a tag as
/// of its own start time.
#[derive(Debug, Clone, PartialEq)]
pub struct TagMove {
    pub tag: String,
    pub digest: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Repository {
    pub name: String,
    pub images: Vec<Image>,
    pub tag_history: Vec<TagMove>,
}

impl Repository {
    /// The digest `tag` pointed at, as of `at`.
    pub fn tag_at(&self, tag: &str, at: Timestamp) -> Option<&str> {
        self.tag_history.iter().filter(|m| m.tag == tag && m.at <= at).max_by_key(|m| m.at).map(|m| m.digest.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineType {
    V1,
    V2,
}

/// [How pipeline executions work](https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html)
/// (FACTS.md §8): SUPERSEDED is the default; QUEUED and PARALLEL need V2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionMode {
    Superseded,
    Queued,
    Parallel,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::Superseded => "SUPERSEDED",
            ExecutionMode::Queued => "QUEUED",
            ExecutionMode::Parallel => "PARALLEL",
        }
    }
}

/// A source action of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// ECR source: `RepositoryName`, `ImageTag` (absent means `latest`, [ECR source action reference](https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECR.html)).
    Ecr {
        action: String,
        repository: String,
        tag: Option<String>,
    },
    CodeCommit {
        action: String,
        repository: String,
        branch: String,
    },
    /// A CodeStar connection (GitHub, ...).
    Connection {
        action: String,
        connection_arn: String,
        repository: String,
        branch: String,
    },
}

impl Source {
    pub fn action(&self) -> &str {
        match self {
            Source::Ecr { action, .. } | Source::CodeCommit { action, .. } | Source::Connection { action, .. } => {
                action
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub name: String,
    pub pipeline_type: PipelineType,
    pub mode: ExecutionMode,
    pub version: i32,
    pub sources: Vec<Source>,
    /// A manual approval stage between build and deploy.
    pub approval: bool,
    /// Oldest first.
    pub executions: Vec<Execution>,
    pub created: Timestamp,
}

impl Pipeline {
    /// A V1 pipeline in SUPERSEDED mode with no sources yet.
    pub fn v1(name: &str) -> Self {
        Pipeline {
            name: name.into(),
            pipeline_type: PipelineType::V1,
            mode: ExecutionMode::Superseded,
            version: 1,
            sources: Vec::new(),
            approval: false,
            executions: Vec::new(),
            created: Timestamp::UNIX_EPOCH,
        }
    }

    /// A V2 pipeline in `mode`.
    pub fn v2(name: &str, mode: ExecutionMode) -> Self {
        Pipeline { pipeline_type: PipelineType::V2, mode, ..Pipeline::v1(name) }
    }

    /// Adds an ECR source action (`tag` `None`: the configuration names no `ImageTag`, i.e. `latest`).
    pub fn ecr(mut self, action: &str, repository: &str, tag: Option<&str>) -> Self {
        self.sources.push(Source::Ecr {
            action: action.into(),
            repository: repository.into(),
            tag: tag.map(str::to_string),
        });
        self
    }

    pub fn source(mut self, source: Source) -> Self {
        self.sources.push(source);
        self
    }

    pub fn with_approval(mut self) -> Self {
        self.approval = true;
        self
    }
}

/// [PipelineExecutionSummary](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineExecutionSummary.html) `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecStatus {
    Cancelled,
    InProgress,
    Stopped,
    Stopping,
    Succeeded,
    Superseded,
    Failed,
}

impl ExecStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecStatus::Cancelled => "Cancelled",
            ExecStatus::InProgress => "InProgress",
            ExecStatus::Stopped => "Stopped",
            ExecStatus::Stopping => "Stopping",
            ExecStatus::Succeeded => "Succeeded",
            ExecStatus::Superseded => "Superseded",
            ExecStatus::Failed => "Failed",
        }
    }
}

/// [ExecutionTrigger](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ExecutionTrigger.html) `triggerType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerType {
    CreatePipeline,
    StartPipelineExecution,
    PollForSourceChanges,
    Webhook,
    CloudWatchEvent,
    PutActionRevision,
    WebhookV2,
}

impl TriggerType {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerType::CreatePipeline => "CreatePipeline",
            TriggerType::StartPipelineExecution => "StartPipelineExecution",
            TriggerType::PollForSourceChanges => "PollForSourceChanges",
            TriggerType::Webhook => "Webhook",
            TriggerType::CloudWatchEvent => "CloudWatchEvent",
            TriggerType::PutActionRevision => "PutActionRevision",
            TriggerType::WebhookV2 => "WebhookV2",
        }
    }
}

/// A source revision of a run. An ECR revision may be resolved lazily: the digest the tag holds when the source
/// action runs (see [`crate::EventStartRevision`]).
#[derive(Debug, Clone, PartialEq)]
pub enum RevisionId {
    Fixed(String),
    TagAt { repository: String, tag: String, at: Timestamp },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub action: String,
    pub id: RevisionId,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub id: String,
    pub status: ExecStatus,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub trigger: TriggerType,
    pub trigger_detail: Option<String>,
    pub revisions: Vec<Revision>,
    pub mode: ExecutionMode,
}

/// [DescribeRule](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html) `State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    Enabled,
    Disabled,
    EnabledWithAllCloudTrailManagementEvents,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
            RuleState::EnabledWithAllCloudTrailManagementEvents => "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        }
    }
}

/// [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub arn: String,
    pub role_arn: Option<String>,
    /// `InputPathsMap` and `InputTemplate`.
    pub input_transformer: Option<(BTreeMap<String, String>, String)>,
}

impl Target {
    pub fn new(id: &str, arn: &str, role_arn: Option<&str>) -> Self {
        Target { id: id.into(), arn: arn.into(), role_arn: role_arn.map(str::to_string), input_transformer: None }
    }

    /// The documented source override: `revisionValue` from `$.detail.image-digest`, sent as `IMAGE_DIGEST` for
    /// `action` ([Create an EventBridge rule for an Amazon ECR source (console)](https://docs.aws.amazon.com/codepipeline/latest/userguide/create-cwe-ecr-source-console.html), FACTS.md §1).
    pub fn with_digest_override(mut self, action: &str) -> Self {
        let paths = BTreeMap::from([("revisionValue".to_string(), "$.detail.image-digest".to_string())]);
        let template = format!(
            r#"{{"sourceRevisions": [{{"actionName": "{action}", "revisionType": "IMAGE_DIGEST", "revisionValue": "<revisionValue>"}}]}}"#
        );
        self.input_transformer = Some((paths, template));
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    /// `default` or a custom bus's name.
    pub bus: String,
    /// The event pattern, as JSON text.
    pub pattern: String,
    pub state: RuleState,
    pub description: Option<String>,
    pub targets: Vec<Target>,
}

impl Rule {
    pub fn new(name: &str, pattern: Value) -> Self {
        Rule {
            name: name.into(),
            bus: "default".into(),
            pattern: pattern.to_string(),
            state: RuleState::Enabled,
            description: None,
            targets: Vec::new(),
        }
    }

    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    pub fn state(mut self, state: RuleState) -> Self {
        self.state = state;
        self
    }

    pub fn on_bus(mut self, bus: &str) -> Self {
        self.bus = bus.into();
        self
    }

    /// `arn:aws:events:region:account:rule/[event-bus-name/]rule-name` (FACTS.md §10): the bus appears for a
    /// custom bus only.
    pub fn arn(&self, account: &str, region: &str) -> String {
        if self.bus == "default" {
            format!("arn:aws:events:{region}:{account}:rule/{}", self.name)
        } else {
            format!("arn:aws:events:{region}:{account}:rule/{}/{}", self.bus, self.name)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of an identity policy: actions and resources may hold `*` wildcards.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: String,
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub arn: String,
    pub statements: Vec<Statement>,
}

impl Role {
    pub fn new(arn: &str) -> Self {
        Role { arn: arn.into(), statements: Vec::new() }
    }

    pub fn allow(mut self, action: &str, resource: &str) -> Self {
        let sid = format!("allow-{}", self.statements.len());
        self.statements.push(Statement {
            sid,
            effect: Effect::Allow,
            actions: vec![action.into()],
            resources: vec![resource.into()],
        });
        self
    }

    pub fn deny(mut self, action: &str, resource: &str) -> Self {
        let sid = format!("deny-{}", self.statements.len());
        self.statements.push(Statement {
            sid,
            effect: Effect::Deny,
            actions: vec![action.into()],
            resources: vec![resource.into()],
        });
        self
    }
}

/// `ReadWriteType` of a basic event selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadWrite {
    ReadOnly,
    WriteOnly,
    All,
}

/// What a trail logs ([GetEventSelectors](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selectors {
    Basic {
        read_write: ReadWrite,
        management: bool,
    },
    /// Advanced selectors on `eventCategory = Management`, with `readOnly` equal to this value when set.
    AdvancedManagement {
        read_only: Option<bool>,
    },
}

impl Selectors {
    /// Whether a write management event (`PutImage`) is logged (FACTS.md §6).
    pub fn logs_write_management(self) -> bool {
        match self {
            Selectors::Basic { read_write, management } => management && read_write != ReadWrite::ReadOnly,
            Selectors::AdvancedManagement { read_only } => read_only != Some(true),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trail {
    pub name: String,
    /// The account that owns the trail (an organization trail: the management account).
    pub account: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    pub logging: bool,
    pub selectors: Selectors,
}

impl Trail {
    /// A trail logging all management events.
    pub fn new(name: &str, account: &str, home_region: &str) -> Self {
        Trail {
            name: name.into(),
            account: account.into(),
            home_region: home_region.into(),
            multi_region: false,
            organization: false,
            logging: true,
            selectors: Selectors::Basic { read_write: ReadWrite::All, management: true },
        }
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:cloudtrail:{}:{}:trail/{}", self.home_region, self.account, self.name)
    }
}

/// One CloudTrail event in an account's event history (what LookupEvents returns).
#[derive(Debug, Clone, PartialEq)]
pub struct TrailRecord {
    pub event_id: String,
    pub event_name: String,
    pub event_time: Timestamp,
    pub event_source: String,
    pub access_key_id: Option<String>,
    pub username: Option<String>,
    pub resources: Vec<(String, String)>,
    /// The record (`CloudTrailEvent`, sent as a JSON string).
    pub record: Value,
}

/// An event that reached a bus, and what its rules did with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub account: String,
    pub region: String,
    pub bus: String,
    pub event: Value,
    pub invocations: Vec<Invocation>,
}

/// What invoking one target of a matching rule did.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub rule_arn: String,
    pub target_arn: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A pipeline run was started.
    Started { pipeline: String, execution_id: String },
    /// The invocation failed permanently (a `FailedInvocations` datapoint): why.
    Failed(String),
    /// A target of another kind: delivered, no effect here.
    Delivered,
}

/// An account of the organization (Organizations `ListAccounts`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`.
    pub status: String,
}

/// One rule of a registry's replication configuration ([ReplicationRule](https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationRule.html)):
/// the registries (account, region) its repositories are copied to, and the repository-name prefixes it applies to
/// (`PREFIX_MATCH` filters; none means every repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationRule {
    pub destinations: Vec<(String, String)>,
    pub prefixes: Vec<String>,
}

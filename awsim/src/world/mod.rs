//! The world: accounts × regions and their resources, shared by the server and the tests (which change it between
//! pipewatch runs), with the settings that decide what the documentation leaves open.

mod deliver;
mod iam;
mod push;
mod runs;
#[cfg(test)]
mod tests;
mod trail;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

pub(crate) use iam::{Decision, evaluate};
pub use push::{PushResult, PushSpec, ReplicateSpec};
pub(crate) use runs::{Start as RunStart, resolve, start as start_run};
pub(crate) use trail::in_organization;

use crate::clock::Clock;
use crate::identity::{Principal, parse_role_arn};
use crate::limits::{Buckets, Rate, RequestRecord};
use crate::model::*;

/// What happens around a push made with another account's identity, which the documentation leaves open
/// (FACTS.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossAccountPush {
    /// Whether ECR's native "ECR Image Action" event reaches the repository account's bus. **Not documented.**
    /// Default `false`: the project's field report (2019) saw no event and no run in the repository's account
    /// (`tests/fixtures/cloudtrail-cross-account.json`).
    pub native_event_in_repository_account: bool,
    /// Whether the CloudTrail-delivered event ("AWS API Call via CloudTrail") reaches the resource owner too (the
    /// API caller always receives it where a trail logs). Default `true`: "resource owners in addition to API
    /// callers can monitor cross-account API calls through EventBridge" (2021 change, [Events from AWS services](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html));
    /// for `PutImage` specifically this is unknown.
    pub cloudtrail_event_to_resource_owner: bool,
}

/// Which digest a rule-started run records for an ECR source **without** the documented input-transformer
/// override. Unknown (FACTS.md §1): StartPipelineExecution "begins processing the latest commit to the source
/// location", while the ECR action's output names "the image that triggered the pipeline execution".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStartRevision {
    /// The digest the watched tag holds when the run starts (the StartPipelineExecution reading; default, because an
    /// EventBridge target starts a pipeline with that API and nothing passes it the event's digest).
    TagAtStart,
    /// The digest of the push whose event started the run (the "image that triggered" reading).
    PushedDigest,
}

/// The world's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Who the base credentials (any access key the world did not issue) act as. Default: IAM user `awsim` in
    /// 123456789012 (moto's default account).
    pub base_identity: Principal,
    /// How long after the call a CloudTrail record becomes visible to LookupEvents. Unknown for LookupEvents
    /// (FACTS.md §7: log files "within an average of about 5 minutes"); default zero, set it to test delays.
    pub cloudtrail_delay: SignedDuration,
    /// How long after an event a rule-started run starts (not documented; default 1 s).
    pub rule_start_delay: SignedDuration,
    pub cross_account_push: CrossAccountPush,
    pub event_start_revision: EventStartRevision,
    /// Whether replication writes a `PutImage` record (AWSService identity) in the destination. Unknown (FACTS.md
    /// §4); default `false`.
    pub replication_put_image_record: bool,
    /// The status of a newly started run.
    pub new_run_status: ExecStatus,
    /// Added to every answer of the server.
    pub latency: std::time::Duration,
    /// Rates per `service:Operation` (IAM action names, e.g. `cloudtrail:LookupEvents`), per account and region.
    pub rates: BTreeMap<String, Rate>,
    /// The rate of every API not in `rates` (none: unlimited).
    pub default_rate: Option<Rate>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_identity: Principal::iam_user("123456789012", "awsim"),
            cloudtrail_delay: SignedDuration::ZERO,
            rule_start_delay: SignedDuration::from_secs(1),
            cross_account_push: CrossAccountPush {
                native_event_in_repository_account: false,
                cloudtrail_event_to_resource_owner: true,
            },
            event_start_revision: EventStartRevision::TagAtStart,
            replication_put_image_record: false,
            new_run_status: ExecStatus::InProgress,
            latency: std::time::Duration::ZERO,
            // "limited to two per second, per account, per Region" (LookupEvents API reference, FACTS.md §7).
            rates: BTreeMap::from([("cloudtrail:LookupEvents".to_string(), Rate::new(2.0, 2.0))]),
            default_rate: None,
        }
    }
}

/// A request the world cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldError {
    NoRepository(String),
    NoPipeline(String),
    NoImage(String),
    NoExecution(String),
}

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorldError::NoRepository(r) => write!(f, "no repository {r} (add it with World::add_repository)"),
            WorldError::NoPipeline(p) => write!(f, "no pipeline {p}"),
            WorldError::NoImage(i) => write!(f, "no image {i}"),
            WorldError::NoExecution(e) => write!(f, "no execution {e}"),
        }
    }
}

impl std::error::Error for WorldError {}

#[derive(Debug, Default)]
pub(crate) struct RegionState {
    pub repositories: BTreeMap<String, Repository>,
    pub pipelines: BTreeMap<String, Pipeline>,
    pub rules: Vec<Rule>,
    /// The CloudTrail event history, in write order.
    pub trail: Vec<TrailRecord>,
    /// `FailedInvocations` datapoints: (bus, rule, time).
    pub failed_invocations: Vec<(String, String, Timestamp)>,
    /// The current commit of non-ECR sources, by repository.
    pub heads: BTreeMap<String, String>,
    /// The registry's replication configuration, as DescribeRegistry answers it.
    pub replication: Vec<ReplicationRule>,
}

#[derive(Debug, Default)]
pub(crate) struct Account {
    pub roles: BTreeMap<String, Role>,
    pub regions: BTreeMap<String, RegionState>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub settings: Settings,
    pub clock: Clock,
    pub accounts: BTreeMap<String, Account>,
    pub trails: Vec<Trail>,
    /// The management account and the member accounts.
    pub organization: Option<(String, Vec<OrgAccount>)>,
    /// Access keys the world issued (AssumeRole) and whom they act as.
    pub credentials: HashMap<String, Principal>,
    pub log: Vec<RequestRecord>,
    pub buckets: Buckets,
    pub deliveries: Vec<Delivery>,
    pub rng: fastrand::Rng,
}

impl State {
    pub fn region(&mut self, account: &str, region: &str) -> &mut RegionState {
        self.accounts.entry(account.into()).or_default().regions.entry(region.into()).or_default()
    }

    pub fn region_ref(&self, account: &str, region: &str) -> Option<&RegionState> {
        self.accounts.get(account)?.regions.get(region)
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A random UUID (version 4 layout), from the world's seeded generator.
    pub fn uuid(&mut self) -> String {
        let hex: String = (0..32).map(|_| char::from(b"0123456789abcdef"[self.rng.usize(..16)])).collect();
        format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
    }

    pub fn role(&self, arn: &str) -> Option<&Role> {
        let (account, _) = parse_role_arn(arn)?;
        self.accounts.get(&account)?.roles.get(arn)
    }
}

/// The shared, mutable world. Cloning shares it.
#[derive(Debug, Clone)]
pub struct World {
    pub(crate) inner: Arc<Mutex<State>>,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

/// `arn:aws:codepipeline:region:account:pipeline-name` (FACTS.md §10).
pub fn pipeline_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:codepipeline:{region}:{account}:{name}")
}

/// `arn:aws:ecr:region:account:repository/name`.
pub fn repository_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:ecr:{region}:{account}:repository/{name}")
}

impl World {
    pub fn new() -> Self {
        World::with_seed(0x5eed)
    }

    /// A world whose generated ids (event ids, execution ids) follow `seed`.
    pub fn with_seed(seed: u64) -> Self {
        let state = State {
            settings: Settings::default(),
            clock: Clock::System,
            accounts: BTreeMap::new(),
            trails: Vec::new(),
            organization: None,
            credentials: HashMap::new(),
            log: Vec::new(),
            buckets: Buckets::default(),
            deliveries: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
        };
        World { inner: Arc::new(Mutex::new(state)) }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn settings(&self) -> Settings {
        self.lock().settings.clone()
    }

    pub fn configure(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut self.lock().settings);
    }

    pub fn now(&self) -> Timestamp {
        self.lock().now()
    }

    /// Stops the clock at `t` (delays and rate limits then move only with [`World::advance`]).
    pub fn set_now(&self, t: Timestamp) {
        self.lock().clock = Clock::Fixed(t);
    }

    pub fn advance(&self, by: SignedDuration) {
        self.lock().clock.advance(by);
    }

    pub fn use_system_clock(&self) {
        self.lock().clock = Clock::System;
    }

    pub fn add_repository(&self, account: &str, region: &str, name: &str) {
        let mut st = self.lock();
        let repos = &mut st.region(account, region).repositories;
        repos.entry(name.into()).or_insert_with(|| Repository { name: name.into(), ..Repository::default() });
    }

    /// Adds (or replaces) a pipeline; its creation time is now unless set.
    pub fn add_pipeline(&self, account: &str, region: &str, mut pipeline: Pipeline) {
        let mut st = self.lock();
        if pipeline.created == Timestamp::UNIX_EPOCH {
            pipeline.created = st.now();
        }
        st.region(account, region).pipelines.insert(pipeline.name.clone(), pipeline);
    }

    /// Adds (or replaces, by bus and name) a rule with its targets.
    pub fn add_rule(&self, account: &str, region: &str, rule: Rule) {
        let mut st = self.lock();
        let rules = &mut st.region(account, region).rules;
        rules.retain(|r| !(r.name == rule.name && r.bus == rule.bus));
        rules.push(rule);
    }

    /// Changes a rule's state (e.g. disables it).
    pub fn set_rule_state(&self, account: &str, region: &str, rule: &str, state: RuleState) {
        let mut st = self.lock();
        for r in st.region(account, region).rules.iter_mut().filter(|r| r.name == rule) {
            r.state = state;
        }
    }

    /// Adds (or replaces) a role in the account its ARN names.
    pub fn add_role(&self, role: Role) {
        let Some((account, _)) = parse_role_arn(&role.arn) else { return };
        self.lock().accounts.entry(account).or_default().roles.insert(role.arn.clone(), role);
    }

    pub fn add_trail(&self, trail: Trail) {
        let mut st = self.lock();
        st.trails.retain(|t| t.arn() != trail.arn());
        st.trails.push(trail);
    }

    /// Makes `management` the management account of an organization of `accounts` (which should include it).
    pub fn set_organization(&self, management: &str, accounts: Vec<OrgAccount>) {
        self.lock().organization = Some((management.into(), accounts));
    }

    /// Sets the registry's replication configuration (what `PutReplicationConfiguration` stores). The world does not
    /// replicate on its own: [`World::replicate`] copies an image, this is what DescribeRegistry reports.
    pub fn set_replication(&self, account: &str, region: &str, rules: Vec<ReplicationRule>) {
        self.lock().region(account, region).replication = rules;
    }

    /// Sets the current commit of a CodeCommit or connection source's repository.
    pub fn set_source_head(&self, account: &str, region: &str, repository: &str, commit: &str) {
        self.lock().region(account, region).heads.insert(repository.into(), commit.into());
    }

    /// What the CodePipeline console creates for an ECR source (FACTS.md §10, [Amazon ECR source actions and
    /// EventBridge resources](https://docs.aws.amazon.com/codepipeline/latest/userguide/create-cwe-ecr-source.html)):
    /// the pipeline (V1, source action `Source`), the repository if missing, a role trusted by EventBridge allowed
    /// `codepipeline:StartPipelineExecution` on the pipeline, and an enabled rule on the default bus with the
    /// native pattern (`ECR Image Action`, `PUSH`, `SUCCESS`, repository, tag) targeting the pipeline with that
    /// role. Returns the rule's name.
    pub fn console_pipeline(&self, account: &str, region: &str, name: &str, repo: &str, tag: Option<&str>) -> String {
        self.add_repository(account, region, repo);
        self.add_pipeline(account, region, Pipeline::v1(name).ecr("Source", repo, tag));
        let arn = pipeline_arn(account, region, name);
        let role = format!("arn:aws:iam::{account}:role/service-role/cwe-role-{region}-{name}");
        self.add_role(Role::new(&role).allow("codepipeline:StartPipelineExecution", &arn));
        let tag = tag.unwrap_or("latest");
        let rule = format!("{name}-ecr-{tag}");
        let pattern = json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
            "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [repo], "image-tag": [tag]}});
        self.add_rule(
            account,
            region,
            Rule::new(&rule, pattern).target(Target::new(&format!("codepipeline-{name}"), &arn, Some(&role))),
        );
        rule
    }

    /// The images of a repository (empty when it does not exist).
    pub fn images(&self, account: &str, region: &str, repo: &str) -> Vec<Image> {
        let st = self.lock();
        st.region_ref(account, region)
            .and_then(|r| r.repositories.get(repo))
            .map(|r| r.images.clone())
            .unwrap_or_default()
    }

    /// Every event that reached a bus, and what its rules did.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// The CloudTrail event history of an account and region (also the records not yet visible), oldest first.
    pub fn trail_records(&self, account: &str, region: &str) -> Vec<TrailRecord> {
        self.lock().region_ref(account, region).map(|r| r.trail.clone()).unwrap_or_default()
    }

    /// The `FailedInvocations` datapoints of a rule.
    pub fn failed_invocations(&self, account: &str, region: &str, rule: &str) -> usize {
        let st = self.lock();
        st.region_ref(account, region).map_or(0, |r| r.failed_invocations.iter().filter(|f| f.1 == rule).count())
    }

    /// Every request the server answered, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().log.clone()
    }

    /// Forgets the request log and refills every token bucket.
    pub fn clear_requests(&self) {
        let mut st = self.lock();
        st.log.clear();
        st.buckets.clear();
    }
}

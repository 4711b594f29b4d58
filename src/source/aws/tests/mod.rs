//! Tests of the AWS source through the real SDK clients, with `aws-smithy-mocks` answering for AWS: what moto cannot
//! produce (executions whose source revisions carry the image digest, throttling, AccessDenied, CloudTrail, paging
//! that stops at the lookback), and the `Debug` output of everything that holds credentials. The core reads are
//! tested on their own (`core_reads`); what explains pushes, and what a profile remembers, through the poller
//! (`enrichment`, `trail_reads`, `economy`).

mod core_reads;
mod corpus;
mod credentials;
mod doctor;
mod economy;
mod enrichment;
mod indexes;
mod quota;
mod trail_reads;
mod triggers;

use std::time::Duration;

use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesOutput;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ExecutionTrigger, PipelineDeclaration,
    PipelineExecutionStatus, PipelineExecutionSummary, PipelineSummary, SourceRevision, StageDeclaration, TriggerType,
};
use aws_sdk_ecr::operation::describe_images::DescribeImagesOutput;
use aws_sdk_ecr::types::ImageDetail;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::retry::RetryConfig;
use jiff::Timestamp;
use tokio::sync::Semaphore;

use super::AwsSource;
use super::clients::{ExplainClients, ProfileClients};
use super::memory::ProfileMemory;
use super::orchestrate::poll_clients;
use super::profile_poll::Scope;
use super::quota::AccountQuota;
use crate::analysis::Analysis;
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::source::PollRequest;

const NOW: i64 = 1_764_000_000;
const DIGEST: &str = "sha256:acd3ca9941a85e8ed16515bfc5328e4e2f8c128caa72959a58a127b7801ee01f";

fn dt(offset: i64) -> DateTime {
    DateTime::from_secs(NOW + offset)
}

/// The grace period of every test poll.
const GRACE: Duration = Duration::from_secs(300);
/// The poll timeout of the tests that go through the poller (long enough for the CloudTrail page cap at 2 pages a
/// second).
const TIMEOUT: Duration = Duration::from_secs(30);

fn request() -> PollRequest {
    PollRequest { now: Timestamp::from_second(NOW).unwrap(), lookback: Duration::from_secs(24 * 3600), grace: GRACE }
}

/// `request()`, `secs` later.
fn later(secs: i64) -> PollRequest {
    PollRequest { now: Timestamp::from_second(NOW + secs).unwrap(), ..request() }
}

fn retry() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))
}

fn identity_ok() -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("111111111111")
            .arn("arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch")
            .user_id("AROAEXAMPLE:pipewatch")
            .build()
    })
}

fn list_pipelines() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipelines).then_output(|| {
        ListPipelinesOutput::builder().pipelines(PipelineSummary::builder().name("web-deploy").build()).build()
    })
}

/// `web-deploy`, watching `web` (no tag named: `latest`), without metadata (so without its ARN).
fn get_pipeline() -> Rule {
    mock!(aws_sdk_codepipeline::Client::get_pipeline).match_requests(|r| r.name() == Some("web-deploy")).then_output(
        || {
            let source = ActionDeclaration::builder()
                .name("Image")
                .action_type_id(
                    ActionTypeId::builder()
                        .category(ActionCategory::Source)
                        .owner(ActionOwner::Aws)
                        .provider("ECR")
                        .version("1")
                        .build()
                        .unwrap(),
                )
                .configuration("RepositoryName", "web")
                .build()
                .unwrap();
            let stage = StageDeclaration::builder().name("Source").actions(source).build().unwrap();
            let decl = PipelineDeclaration::builder()
                .name("web-deploy")
                .role_arn("arn:aws:iam::111111111111:role/cp")
                .stages(stage)
                .build()
                .unwrap();
            GetPipelineOutput::builder().pipeline(decl).build()
        },
    )
}

fn summary(id: &str, start: i64, digest: Option<&str>) -> PipelineExecutionSummary {
    let mut b = PipelineExecutionSummary::builder()
        .pipeline_execution_id(id)
        .status(PipelineExecutionStatus::Succeeded)
        .start_time(dt(start))
        .trigger(
            ExecutionTrigger::builder()
                .trigger_type(TriggerType::CloudWatchEvent)
                .trigger_detail("arn:aws:events:ap-northeast-1:111111111111:rule/web")
                .build(),
        );
    if let Some(d) = digest {
        b = b.source_revisions(SourceRevision::builder().action_name("Image").revision_id(d).build().unwrap());
    }
    b.build()
}

/// `web` holds an hour-old image tagged `latest` and a 3-day-old untagged one.
fn images() -> Rule {
    mock!(aws_sdk_ecr::Client::describe_images).match_requests(|r| r.repository_name() == Some("web")).then_output(
        || {
            DescribeImagesOutput::builder()
                .image_details(
                    ImageDetail::builder()
                        .repository_name("web")
                        .image_digest(DIGEST)
                        .image_tags("latest")
                        .image_pushed_at(dt(-3600))
                        .build(),
                )
                .image_details(
                    ImageDetail::builder()
                        .repository_name("web")
                        .image_digest("sha256:0ld")
                        .image_pushed_at(dt(-3 * 86_400))
                        .build(),
                )
                .build()
        },
    )
}

fn no_runs() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build())
}

fn clients(sts: &[&Rule], cp: &[&Rule], ecr: &[&Rule]) -> ProfileClients {
    clients_with(sts, cp, ecr, &[], &[])
}

fn clients_with(sts: &[&Rule], cp: &[&Rule], ecr: &[&Rule], trail: &[&Rule], events: &[&Rule]) -> ProfileClients {
    clients_all(sts, cp, ecr, trail, events, &[], &[])
}

/// Every client, each answering with its rules first and then, for the trigger diagnosis's reads the test does not
/// name, an empty answer (no target, no other rule, no trail, no replication, no datapoint, a role allowed).
fn clients_all(
    sts: &[&Rule],
    cp: &[&Rule],
    ecr: &[&Rule],
    trail: &[&Rule],
    events: &[&Rule],
    iam: &[&Rule],
    cloudwatch: &[&Rule],
) -> ProfileClients {
    let quiet = quiet();
    let with = |rules: &[&Rule], extra: &[Rule]| -> Vec<Rule> {
        rules.iter().map(|r| (*r).clone()).chain(extra.iter().cloned()).collect()
    };
    let ecr = with(ecr, &quiet.ecr);
    let trail = with(trail, &quiet.cloudtrail);
    let events = with(events, &quiet.events);
    let iam = with(iam, &quiet.iam);
    let cloudwatch = with(cloudwatch, &quiet.cloudwatch);
    let explain = ExplainClients {
        cloudtrail: mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, &trail, |c| c.retry_config(retry())),
        events: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &events, |c| c.retry_config(retry())),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, &iam, |c| c.retry_config(retry())),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &cloudwatch, |c| c.retry_config(retry())),
    };
    ProfileClients::ready(
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts, |c| c.retry_config(retry())),
        mock_client!(aws_sdk_ecr, RuleMode::MatchAny, &ecr, |c| c.retry_config(retry())),
        mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, cp, |c| c.retry_config(retry())),
        explain,
    )
}

/// Empty answers to the trigger diagnosis's reads.
struct Quiet {
    ecr: Vec<Rule>,
    cloudtrail: Vec<Rule>,
    events: Vec<Rule>,
    iam: Vec<Rule>,
    cloudwatch: Vec<Rule>,
}

fn quiet() -> Quiet {
    use aws_sdk_iam::types::{EvaluationResult, PolicyEvaluationDecisionType};
    Quiet {
        ecr: vec![
            mock!(aws_sdk_ecr::Client::describe_registry)
                .then_output(|| aws_sdk_ecr::operation::describe_registry::DescribeRegistryOutput::builder().build()),
        ],
        cloudtrail: vec![
            mock!(aws_sdk_cloudtrail::Client::describe_trails).then_output(|| {
                aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput::builder().build()
            }),
        ],
        events: vec![
            mock!(aws_sdk_eventbridge::Client::list_targets_by_rule).then_output(|| {
                let target = aws_sdk_eventbridge::types::Target::builder()
                    .id("codepipeline-web-deploy")
                    .arn("arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy")
                    .role_arn("arn:aws:iam::111111111111:role/cwe-role-web-deploy")
                    .build()
                    .unwrap();
                aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput::builder()
                    .targets(target)
                    .build()
            }),
            mock!(aws_sdk_eventbridge::Client::list_rules)
                .then_output(|| aws_sdk_eventbridge::operation::list_rules::ListRulesOutput::builder().build()),
        ],
        iam: vec![mock!(aws_sdk_iam::Client::simulate_principal_policy).then_output(|| {
            aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput::builder()
                .evaluation_results(
                    EvaluationResult::builder()
                        .eval_action_name("codepipeline:StartPipelineExecution")
                        .eval_decision(PolicyEvaluationDecisionType::Allowed)
                        .build()
                        .unwrap(),
                )
                .build()
        })],
        cloudwatch: vec![
            mock!(aws_sdk_cloudwatch::Client::get_metric_data)
                .then_output(|| aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput::builder().build()),
        ],
    }
}

/// The core reads only: CloudTrail and EventBridge switched off.
fn core() -> Scope {
    Scope { cloudtrail: false, eventbridge: false, ..Scope::default() }
}

/// The core read of one poll, with a fresh memory.
async fn poll(c: &ProfileClients, scope: &Scope) -> ProfileSnapshot {
    poll_clients(c, scope, &ProfileMemory::default(), request(), &Semaphore::new(8), &AccountQuota::default()).await
}

/// An [`AwsSource`] over `c` (one profile), polled through the poller as the front ends poll it: the core read,
/// then the explain step when something needs explaining. The source keeps its memory between polls.
fn source(c: ProfileClients, scope: Scope) -> AwsSource {
    AwsSource::with_clients(vec![(c, scope)])
}

/// One whole poll of profile 0 of `source` at `req`.
async fn poll_at(source: &AwsSource, req: PollRequest) -> ProfileSnapshot {
    crate::poller::poll_within(source, 0, req, TIMEOUT).await
}

/// What people are shown for the snapshot (the statuses and findings of its pushes, the exit code).
fn build_report(snap: &ProfileSnapshot) -> Analysis {
    report_at(snap, request())
}

/// [`build_report`] at the moment of `req`.
fn report_at(snap: &ProfileSnapshot, req: PollRequest) -> Analysis {
    let meta = [ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() }];
    Analysis::new(&meta, &[snap], req.now, GRACE)
}

/// A LookupEvents event holding the `PutImage` record of `digest` pushed as `web:latest` by `account`, `offset`
/// seconds from `NOW`.
fn trail_event(id: &str, account: &str, digest: &str, offset: i64) -> aws_sdk_cloudtrail::types::Event {
    let when = Timestamp::from_second(NOW + offset).unwrap();
    let record = serde_json::json!({
        "eventVersion": "1.08", "eventName": "PutImage", "eventSource": "ecr.amazonaws.com",
        "eventTime": when.to_string(), "eventID": id, "recipientAccountId": "111111111111",
        "userIdentity": {"type": "AWSAccount", "accountId": account, "principalId": "AIDAEXAMPLE"},
        "requestParameters": {"repositoryName": "web", "imageTag": "latest", "registryId": "111111111111"},
        "responseElements": {"image": {"repositoryName": "web",
            "imageId": {"imageDigest": digest, "imageTag": "latest"}}}
    });
    aws_sdk_cloudtrail::types::Event::builder()
        .event_id(id)
        .event_name("PutImage")
        .cloud_trail_event(record.to_string())
        .build()
}

fn lookup_page(
    events: Vec<aws_sdk_cloudtrail::types::Event>,
    next: Option<&str>,
) -> aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput {
    aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput::builder()
        .set_events(Some(events))
        .set_next_token(next.map(str::to_string))
        .build()
}

/// The rule the console makes for web-deploy: enabled, matching web:latest.
fn rules_for_web() -> (Rule, Rule) {
    use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
    use aws_sdk_eventbridge::operation::list_rule_names_by_target::ListRuleNamesByTargetOutput;
    let names = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .then_output(|| ListRuleNamesByTargetOutput::builder().rule_names("web-rule").build());
    let describe = mock!(aws_sdk_eventbridge::Client::describe_rule).then_output(|| {
        DescribeRuleOutput::builder()
            .name("web-rule")
            .state(aws_sdk_eventbridge::types::RuleState::Enabled)
            .event_pattern(
                r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],
                "result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#,
            )
            .build()
    });
    (names, describe)
}

/// The calls a poll made, by API.
fn calls(snap: &ProfileSnapshot) -> Vec<(&str, u32)> {
    snap.stats.calls.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// The LookupEvents requests a mock saw, as (start, end, token, when), for assertions on windows and pacing.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(i64, i64, Option<String>, tokio::time::Instant)>>>;

/// Records each LookupEvents request into `seen` (a rule's matcher may run more than once per request: callers
/// compare distinct requests).
fn recorder(
    seen: &Seen,
) -> impl Fn(&aws_sdk_cloudtrail::operation::lookup_events::LookupEventsInput) -> bool + Send + Sync + use<> {
    let seen = std::sync::Arc::clone(seen);
    move |r| {
        let secs = |t: Option<&DateTime>| t.map_or(0, |t| t.secs() - NOW);
        let entry =
            (secs(r.start_time()), secs(r.end_time()), r.next_token().map(str::to_string), tokio::time::Instant::now());
        let mut v = seen.lock().unwrap();
        if v.last() != Some(&entry) {
            v.push(entry);
        }
        true
    }
}

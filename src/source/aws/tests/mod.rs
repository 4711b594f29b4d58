//! Tests of the AWS source through the real SDK clients, with `aws-smithy-mocks` answering for AWS: what moto cannot
//! produce (executions whose source revisions carry the image digest, throttling, AccessDenied, CloudTrail, paging
//! that stops at the lookback), and the `Debug` output of everything that holds credentials.

mod core_reads;
mod corpus;
mod credentials;
mod enrichment;
mod indexes;
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

use super::clients::ProfileClients;
use super::memory::ProfileMemory;
use super::orchestrate::poll_clients;
use super::profile_poll::Scope;
use crate::analysis::Analysis;
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::source::PollRequest;

const NOW: i64 = 1_764_000_000;
const DIGEST: &str = "sha256:acd3ca9941a85e8ed16515bfc5328e4e2f8c128caa72959a58a127b7801ee01f";

fn dt(offset: i64) -> DateTime {
    DateTime::from_secs(NOW + offset)
}

fn request() -> PollRequest {
    PollRequest { now: Timestamp::from_second(NOW).unwrap(), lookback: Duration::from_secs(24 * 3600) }
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
    ProfileClients {
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts, |c| c.retry_config(retry())),
        codepipeline: mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, cp, |c| c.retry_config(retry())),
        ecr: mock_client!(aws_sdk_ecr, RuleMode::MatchAny, &ecr, |c| c.retry_config(retry())),
        cloudtrail: mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, &trail, |c| c.retry_config(retry())),
        events: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &events, |c| c.retry_config(retry())),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, &iam, |c| c.retry_config(retry())),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &cloudwatch, |c| c.retry_config(retry())),
    }
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

/// One poll with a fresh memory.
async fn poll(c: &ProfileClients, scope: &Scope) -> ProfileSnapshot {
    poll_clients(c, scope, &ProfileMemory::default(), request(), &Semaphore::new(8)).await
}

/// One poll of `c` with the profile's `memory`, at `req`.
async fn poll_at(c: &ProfileClients, scope: &Scope, memory: &ProfileMemory, req: PollRequest) -> ProfileSnapshot {
    poll_clients(c, scope, memory, req, &Semaphore::new(8)).await
}

/// What people are shown for the snapshot (the statuses and findings of its pushes, the exit code).
fn build_report(snap: &ProfileSnapshot) -> Analysis {
    let meta = [ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() }];
    Analysis::new(&meta, &[snap], request().now, Duration::from_secs(300))
}

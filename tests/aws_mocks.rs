//! SDK-level tests of the AWS source with `aws-smithy-mocks`, for what moto cannot produce: executions whose
//! source revisions carry the image digest, throttling, AccessDenied, paging that stops at the lookback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::operation::list_rule_names_by_target::{
    ListRuleNamesByTargetError, ListRuleNamesByTargetOutput,
};
use aws_sdk_eventbridge::types::RuleState;

use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::operation::list_pipeline_executions::{
    ListPipelineExecutionsError, ListPipelineExecutionsOutput,
};
use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesOutput;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ExecutionTrigger, PipelineDeclaration,
    PipelineExecutionStatus, PipelineExecutionSummary, PipelineSummary, SourceRevision, StageDeclaration, TriggerType,
};
use aws_sdk_ecr::operation::describe_images::{DescribeImagesError, DescribeImagesOutput};
use aws_sdk_ecr::types::ImageDetail;
use aws_sdk_sts::operation::get_caller_identity::{GetCallerIdentityError, GetCallerIdentityOutput};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use jiff::Timestamp;
use tokio::sync::Semaphore;

use pipewatch::analysis::Analysis;
use pipewatch::analysis::correlate::{MatchedBy, PushStatus};
use pipewatch::model::ProfileMeta;
use pipewatch::source::PollRequest;
use pipewatch::source::aws::{ProfileClients, ProfileState, Scope, poll_clients};

const NOW: i64 = 1_764_000_000;
const DIGEST: &str = "sha256:acd3ca9941a85e8ed16515bfc5328e4e2f8c128caa72959a58a127b7801ee01f";

fn dt(offset: i64) -> DateTime {
    DateTime::from_secs(NOW + offset)
}

fn request() -> PollRequest {
    PollRequest { now: Timestamp::from_second(NOW).unwrap(), lookback: Duration::from_secs(24 * 3600) }
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

fn clients(sts: &[&Rule], cp: &[&Rule], ecr: &[&Rule]) -> ProfileClients {
    clients_with(sts, cp, ecr, &[], &[])
}

fn clients_with(sts: &[&Rule], cp: &[&Rule], ecr: &[&Rule], trail: &[&Rule], events: &[&Rule]) -> ProfileClients {
    ProfileClients {
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts, |c| c.retry_config(retry())),
        codepipeline: mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, cp, |c| c.retry_config(retry())),
        ecr: mock_client!(aws_sdk_ecr, RuleMode::MatchAny, ecr, |c| c.retry_config(retry())),
        cloudtrail: mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, trail, |c| c.retry_config(retry())),
        events: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, events, |c| c.retry_config(retry())),
    }
}

/// The core reads only: CloudTrail and EventBridge switched off.
fn core() -> Scope {
    Scope { cloudtrail: false, eventbridge: false, ..Scope::default() }
}

async fn poll(c: &ProfileClients, scope: &Scope) -> pipewatch::model::ProfileSnapshot {
    poll_clients(c, scope, &ProfileState::default(), request(), &Semaphore::new(8)).await
}

fn build_report(snap: &pipewatch::model::ProfileSnapshot) -> Analysis {
    let meta = [ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() }];
    Analysis::new(&meta, &[snap], request().now, Duration::from_secs(300))
}

#[tokio::test]
async fn execution_carrying_the_digest_matches_by_digest() {
    let execs = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_output(|| {
        ListPipelineExecutionsOutput::builder()
            .pipeline_execution_summaries(summary("exec-1", -3000, Some(DIGEST)))
            .build()
    });
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &execs], &[&im]);
    let snap = poll(&c, &core()).await;

    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(snap.identity.as_ref().unwrap().account, "111111111111");
    let p = &snap.pipelines[0];
    assert_eq!(p.sources[0].repository, "web");
    assert_eq!(p.sources[0].tag, "latest", "ImageTag defaults to latest");
    assert_eq!(p.sources[0].action, "Image");
    assert_eq!(snap.pushes.len(), 1, "the 3-day-old image is outside the lookback");

    let report = build_report(&snap);
    let push = &report.pushes[0];
    assert_eq!(push.status, PushStatus::Triggered);
    let ex = push.execution.as_ref().unwrap();
    assert_eq!((ex.pipeline.as_str(), ex.id.as_str(), ex.matched_by), ("web-deploy", "exec-1", MatchedBy::Digest));
    assert_eq!(report.pipelines[0].executions[0].trigger, "CloudWatchEvent");
}

#[tokio::test]
async fn access_denied_on_identity_keeps_the_other_apis() {
    let denied = mock!(aws_sdk_sts::Client::get_caller_identity).then_error(|| {
        GetCallerIdentityError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform sts:GetCallerIdentity")
                .build(),
        )
    });
    let execs = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let (lp, gp, im) = (list_pipelines(), get_pipeline(), images());
    let c = clients(&[&denied], &[&lp, &gp, &execs], &[&im]);
    let snap = poll(&c, &core()).await;

    assert!(snap.identity.is_none());
    assert_eq!(
        snap.errors,
        vec!["sts:GetCallerIdentity: AccessDenied: not authorized to perform sts:GetCallerIdentity".to_string()]
    );
    assert_eq!(snap.pipelines.len(), 1);
    assert_eq!(snap.pushes.len(), 1);
    let report = build_report(&snap);
    assert_eq!(pipewatch::exit::of(&report), 3);
    // Watched, an hour old, no run: untriggered even while the profile is marked failed.
    assert_eq!(report.pushes[0].status, PushStatus::Untriggered);
}

#[tokio::test]
async fn throttling_is_retried_then_reported_per_api() {
    let throttled = || {
        ListPipelineExecutionsError::generic(
            ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
        )
    };
    // Throttled once, then fine: the retry hides it.
    let flaky = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .sequence()
        .error(throttled)
        .output(|| {
            ListPipelineExecutionsOutput::builder().pipeline_execution_summaries(summary("e", -3590, None)).build()
        })
        .build();
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &flaky], &[&im]);
    let snap = poll(&c, &core()).await;
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(flaky.num_calls(), 2);
    assert_eq!(snap.pipelines[0].executions[0].id, "e");

    // Throttled past every retry: that API's error is reported, identity and images survive.
    let always =
        mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).sequence().error(throttled).repeatedly().build();
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &always], &[&im]);
    let snap = poll(&c, &core()).await;
    assert_eq!(always.num_calls(), 3, "max attempts");
    assert_eq!(
        snap.errors,
        vec!["codepipeline:ListPipelineExecutions web-deploy: ThrottlingException: Rate exceeded".to_string()]
    );
    assert!(snap.identity.is_some());
    // Without its executions the pipeline is left out, and so are the pushes only it watches: a push is never
    // flagged on missing data.
    assert!(snap.pipelines.is_empty());
    assert!(snap.pushes.is_empty());
}

#[tokio::test]
async fn execution_paging_stops_at_the_lookback() {
    let page1 = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary("new", -60, None))
                .next_token("p2")
                .build()
        });
    let page2 = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|r| r.next_token() == Some("p2"))
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary("day-old", -86_000, None))
                .pipeline_execution_summaries(summary("too-old", -90_000, None))
                .next_token("p3")
                .build()
        });
    let page3 = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|r| r.next_token() == Some("p3"))
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &page1, &page2, &page3], &[&im]);
    let snap = poll(&c, &core()).await;
    let ids: Vec<_> = snap.pipelines[0].executions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["new", "day-old"]);
    assert_eq!((page1.num_calls(), page2.num_calls(), page3.num_calls()), (1, 1, 0));
}

#[tokio::test]
async fn missing_extra_repository_is_a_warning_and_pipeline_filter_applies() {
    let missing = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.repository_name() == Some("tools"))
        .then_error(|| {
            DescribeImagesError::RepositoryNotFoundException(
                aws_sdk_ecr::types::error::RepositoryNotFoundException::builder().message("no such repository").build(),
            )
        });
    let execs = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &execs], &[&im, &missing]);
    let scope = Scope {
        pipelines: Some(vec!["web-deploy".into(), "gone".into()]),
        repositories: vec!["tools".into()],
        ..core()
    };
    let snap = poll(&c, &scope).await;
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(
        snap.warnings,
        vec![
            "pipeline `gone` (listed in `pipelines`) not found".to_string(),
            "ECR repository `tools` not found in this account and region".to_string(),
        ]
    );
    assert_eq!(snap.pipelines.len(), 1);
}

// --- CloudTrail attribution and EventBridge rules -------------------------------------------------------------

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

fn lookup_page(events: Vec<aws_sdk_cloudtrail::types::Event>, next: Option<&str>) -> LookupEventsOutput {
    LookupEventsOutput::builder().set_events(Some(events)).set_next_token(next.map(str::to_string)).build()
}

fn rules_for_web() -> (Rule, Rule) {
    let names = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .then_output(|| ListRuleNamesByTargetOutput::builder().rule_names("web-rule").build());
    let describe = mock!(aws_sdk_eventbridge::Client::describe_rule).then_output(|| {
        DescribeRuleOutput::builder()
            .name("web-rule")
            .state(RuleState::Enabled)
            .event_pattern(
                r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],
                "result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#,
            )
            .build()
    });
    (names, describe)
}

fn no_runs() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build())
}

#[tokio::test(start_paused = true)]
async fn cloudtrail_pages_are_rate_limited_and_attribute_the_cross_account_push() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let page1 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(tokio::time::Instant::now());
            r.next_token().is_none()
        })
        .then_output(|| lookup_page(vec![trail_event("e2", "222222222222", DIGEST, -3600)], Some("t2")));
    let seen = Arc::clone(&calls);
    let page2 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(tokio::time::Instant::now());
            r.next_token() == Some("t2")
        })
        .then_output(|| lookup_page(vec![trail_event("e1", "111111111111", "sha256:older", -7200)], Some("t3")));
    let page3 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token() == Some("t3"))
        .then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&page1, &page2, &page3], &[&names, &describe]);
    let state = ProfileState::default();
    let snap = poll_clients(&c, &Scope::default(), &state, request(), &Semaphore::new(8)).await;

    assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
    assert_eq!((page1.num_calls(), page2.num_calls(), page3.num_calls()), (1, 1, 1));
    // LookupEvents allows 2 requests per second per account and region: calls are at least 500 ms apart.
    // (The match closures run once per rule check, so only successive distinct instants count.)
    let mut at = calls.lock().unwrap().clone();
    at.dedup();
    assert!(at.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(500)), "{at:?}");
    assert!(at.len() >= 3, "{at:?}");

    let report = build_report(&snap);
    let push = &report.pushes[0];
    assert_eq!(push.status, PushStatus::Untriggered);
    let pusher = push.pusher.as_ref().unwrap();
    assert_eq!(
        (pusher.account.as_str(), pusher.identity_type.as_str(), pusher.cross_account),
        ("222222222222", "AWSAccount", true)
    );
    let codes: Vec<_> = push.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["cross_account_push"]);
}

#[tokio::test(start_paused = true)]
async fn cloudtrail_reads_are_incremental_between_polls() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&starts);
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.start_time().map(|t| t.secs()));
            true
        })
        .then_output(|| lookup_page(vec![trail_event("e1", "111111111111", DIGEST, -3600)], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&lookup], &[&names, &describe]);
    let state = ProfileState::default();
    poll_clients(&c, &Scope::default(), &state, request(), &Semaphore::new(8)).await;
    let later = PollRequest { now: Timestamp::from_second(NOW + 60).unwrap(), ..request() };
    let snap = poll_clients(&c, &Scope::default(), &state, later, &Semaphore::new(8)).await;

    let starts: Vec<_> = starts.lock().unwrap().iter().flatten().copied().collect();
    let first = *starts.first().unwrap();
    let last = *starts.last().unwrap();
    assert_eq!(first, NOW - 24 * 3600, "the first read covers the lookback");
    assert_eq!(last, NOW - 15 * 60, "the next read starts 15 minutes before the last one ended");
    // The same record read twice is kept once.
    let read = snap.diagnostics.put_images.done().unwrap();
    assert_eq!(read.records.len(), 1);
    // Rules were read once and then served from the cache.
    assert_eq!((names.num_calls(), describe.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn cloudtrail_and_eventbridge_failures_are_warnings_not_profile_failures() {
    let denied = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("not authorized to LookupEvents").build(),
        )
    });
    let throttled = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .sequence()
        .error(|| {
            ListRuleNamesByTargetError::generic(
                ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
            )
        })
        .repeatedly()
        .build();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&denied], &[&throttled]);
    let snap = poll_clients(&c, &Scope::default(), &ProfileState::default(), request(), &Semaphore::new(8)).await;

    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(
        snap.warnings,
        vec![
            "pushes not attributed: cloudtrail:LookupEvents failed: AccessDeniedException: not authorized to \
             LookupEvents (needs cloudtrail:LookupEvents)"
                .to_string(),
            "trigger rules not checked: events:ListRuleNamesByTarget: ThrottlingException: Rate exceeded (needs \
             events:ListRuleNamesByTarget and events:DescribeRule)"
                .to_string(),
        ]
    );
    let report = build_report(&snap);
    assert_eq!(pipewatch::exit::of(&report), 1, "enrichment failures do not make the profile fail");
    let f = &report.pushes[0].findings[0];
    assert_eq!(f.code.as_str(), "unknown");
    assert!(f.message.contains("could not check CloudTrail (cloudtrail:LookupEvents failed"), "{}", f.message);
}

fn calls(snap: &pipewatch::model::ProfileSnapshot) -> Vec<(&str, u32)> {
    snap.stats.calls.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

#[tokio::test(start_paused = true)]
async fn steady_state_poll_reuses_identity_definitions_executions_and_rules() {
    let version = Arc::new(Mutex::new(1));
    let v = Arc::clone(&version);
    let list = mock!(aws_sdk_codepipeline::Client::list_pipelines).then_compute_output(move |_| {
        let summary = PipelineSummary::builder().name("web-deploy").version(*v.lock().unwrap()).build();
        ListPipelinesOutput::builder().pipelines(summary).build()
    });
    let page = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary("e2", -60, None))
                .pipeline_execution_summaries(summary("e1", -600, None))
                .next_token("older")
                .build()
        });
    let older = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|r| r.next_token() == Some("older"))
        .then_output(|| {
            ListPipelineExecutionsOutput::builder().pipeline_execution_summaries(summary("e0", -1200, None)).build()
        });
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, gp, im) = (identity_ok(), get_pipeline(), images());
    let c = clients_with(&[&id], &[&list, &gp, &page, &older], &[&im], &[&lookup], &[&names, &describe]);
    let state = ProfileState::default();

    let first = poll_clients(&c, &Scope::default(), &state, request(), &Semaphore::new(8)).await;
    assert_eq!(
        calls(&first),
        [
            ("cloudtrail:LookupEvents", 1),
            ("codepipeline:GetPipeline", 1),
            ("codepipeline:ListPipelineExecutions", 2),
            ("codepipeline:ListPipelines", 1),
            ("ecr:DescribeImages", 1),
            ("events:DescribeRule", 1),
            ("events:ListRuleNamesByTarget", 1),
            ("sts:GetCallerIdentity", 1),
        ]
    );
    assert!(first.stats.phases.iter().any(|(p, _)| p == "total"));

    // A minute later: one call per pipeline and repository page, plus one per profile (ListPipelines, LookupEvents).
    let later = PollRequest { now: Timestamp::from_second(NOW + 60).unwrap(), ..request() };
    let second = poll_clients(&c, &Scope::default(), &state, later, &Semaphore::new(8)).await;
    assert_eq!(
        calls(&second),
        [
            ("cloudtrail:LookupEvents", 1),
            ("codepipeline:ListPipelineExecutions", 1),
            ("codepipeline:ListPipelines", 1),
            ("ecr:DescribeImages", 1),
        ]
    );
    let ids: Vec<_> = second.pipelines[0].executions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e2", "e1", "e0"], "the older page is remembered, not re-read");
    assert_eq!(second.identity, first.identity);

    // A new pipeline version is read again.
    *version.lock().unwrap() = 2;
    let third = poll_clients(&c, &Scope::default(), &state, later, &Semaphore::new(8)).await;
    assert!(calls(&third).contains(&("codepipeline:GetPipeline", 1)), "{:?}", calls(&third));
}

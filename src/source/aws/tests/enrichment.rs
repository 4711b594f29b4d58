//! CloudTrail attribution, EventBridge rules, and what a profile remembers between polls.

use std::sync::{Arc, Mutex};

use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::operation::list_rule_names_by_target::{
    ListRuleNamesByTargetError, ListRuleNamesByTargetOutput,
};
use aws_sdk_eventbridge::types::RuleState;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::correlate::PushStatus;

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
    let snap = poll_at(&c, &Scope::default(), &ProfileMemory::default(), request()).await;

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
async fn cloudtrail_reads_stop_at_the_page_cap_with_a_note() {
    let endless = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_compute_output(|r| {
        let n: u32 = r.next_token().map_or(0, |t| t.parse().unwrap());
        let event = trail_event(&format!("e{n}"), "111111111111", &format!("sha256:{n}"), -60 - i64::from(n));
        lookup_page(vec![event], Some(&(n + 1).to_string()))
    });
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&endless], &[&names, &describe]);
    let snap = poll_at(&c, &Scope::default(), &ProfileMemory::default(), request()).await;

    assert_eq!(endless.num_calls(), 20, "the page cap");
    assert_eq!(snap.diagnostics.put_images.done().unwrap().records.len(), 20);
    let since = Timestamp::from_second(NOW - 24 * 3600).unwrap();
    assert_eq!(
        snap.warnings,
        [format!("CloudTrail: more than 1000 PutImage events since {since}; only the newest were read")]
    );
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
    let memory = ProfileMemory::default();
    poll_at(&c, &Scope::default(), &memory, request()).await;
    let snap = poll_at(&c, &Scope::default(), &memory, later(60)).await;

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
    let snap = poll_at(&c, &Scope::default(), &ProfileMemory::default(), request()).await;

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
    assert_eq!(crate::exit::of(&report), 1, "enrichment failures do not make the profile fail");
    let f = &report.pushes[0].findings[0];
    assert_eq!(f.code.as_str(), "unknown");
    assert!(f.message.contains("could not check CloudTrail (cloudtrail:LookupEvents failed"), "{}", f.message);
}

/// Rules are looked up by the pipeline's ARN; without GetPipeline's metadata the ARN is built in the profile's
/// partition: the role's, else the caller's, else the region's.
#[tokio::test]
async fn rules_are_looked_up_by_an_arn_in_the_profiles_partition() {
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&targets);
    let names = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.target_arn().unwrap_or_default().to_string());
            true
        })
        .then_output(|| ListRuleNamesByTargetOutput::builder().build());
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[], &[&names]);
    let region = c.region();
    for (partition, want) in [(Some("aws-cn"), "aws-cn"), (None, "aws")] {
        let scope = Scope { cloudtrail: false, partition: partition.map(str::to_string), ..Scope::default() };
        let snap = poll(&c, &scope).await;
        assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
        assert_eq!(
            targets.lock().unwrap().pop().as_deref(),
            Some(format!("arn:{want}:codepipeline:{region}:111111111111:web-deploy").as_str())
        );
    }
}

fn calls(snap: &ProfileSnapshot) -> Vec<(&str, u32)> {
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
    let memory = ProfileMemory::default();

    let first = poll_at(&c, &Scope::default(), &memory, request()).await;
    assert_eq!(
        calls(&first),
        [
            ("cloudtrail:LookupEvents", 1),
            ("cloudwatch:GetMetricData", 1),
            ("codepipeline:GetPipeline", 1),
            ("codepipeline:ListPipelineExecutions", 2),
            ("codepipeline:ListPipelines", 1),
            ("ecr:DescribeImages", 1),
            ("ecr:DescribeRegistry", 1),
            ("events:DescribeRule", 1),
            ("events:ListRuleNamesByTarget", 1),
            ("events:ListTargetsByRule", 1),
            ("iam:SimulatePrincipalPolicy", 1),
            ("sts:GetCallerIdentity", 1),
        ]
    );
    assert!(first.stats.phases.iter().any(|(p, _)| p == "total"));

    // A minute later: one call per pipeline and repository page, plus one per profile (ListPipelines, LookupEvents);
    // rules with their targets and roles, metrics and the registry's replication are remembered.
    let second = poll_at(&c, &Scope::default(), &memory, later(60)).await;
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
    assert_eq!(older.num_calls(), 1);

    // A new pipeline version is read again.
    *version.lock().unwrap() = 2;
    let third = poll_at(&c, &Scope::default(), &memory, later(60)).await;
    assert!(calls(&third).contains(&("codepipeline:GetPipeline", 1)), "{:?}", calls(&third));
}

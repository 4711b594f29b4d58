//! The explain step through the poller: CloudTrail attribution, EventBridge rules, their failures, and when neither
//! is read at all.

use std::sync::{Arc, Mutex};

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_eventbridge::operation::list_rule_names_by_target::{
    ListRuleNamesByTargetError, ListRuleNamesByTargetOutput,
};
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::correlate::PushStatus;
use crate::model::Lookup;

/// web-deploy's run of the push, carrying its digest.
fn the_run() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_output(|| {
        ListPipelineExecutionsOutput::builder()
            .pipeline_execution_summaries(summary("exec-1", -3590, Some(DIGEST)))
            .build()
    })
}

#[tokio::test(start_paused = true)]
async fn a_healthy_profile_makes_no_cloudtrail_or_eventbridge_call() {
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, run) = (identity_ok(), list_pipelines(), get_pipeline(), images(), the_run());
    let c = clients_with(&[&id], &[&lp, &gp, &run], &[&im], &[&lookup], &[&names, &describe]);
    let source = source(c, Scope::default());
    for secs in [0, 30, 60] {
        let snap = poll_at(&source, later(secs)).await;
        assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
        assert_eq!(report_at(&snap, later(secs)).pushes[0].status, PushStatus::Triggered);
        assert_eq!(snap.diagnostics.put_images, Lookup::Skipped("not read: every push is accounted for".into()));
    }
    assert_eq!((lookup.num_calls(), names.num_calls(), describe.num_calls()), (0, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn the_window_around_an_untriggered_push_attributes_it_to_another_account() {
    let seen = Seen::default();
    let page1 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests({
            let rec = recorder(&seen);
            move |r| rec(r) && r.next_token().is_none()
        })
        .then_output(|| lookup_page(vec![trail_event("e2", "222222222222", DIGEST, -3599)], Some("t2")));
    let page2 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests({
            let rec = recorder(&seen);
            move |r| rec(r) && r.next_token() == Some("t2")
        })
        .then_output(|| lookup_page(vec![trail_event("e1", "111111111111", "sha256:older", -3700)], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&page1, &page2], &[&names, &describe]);
    let snap = poll_at(&source(c, Scope::default()), request()).await;

    assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
    // Pushed an hour ago: the five minutes on either side, and nothing else of the lookback.
    let windows: Vec<_> = seen.lock().unwrap().iter().map(|(s, e, t, _)| (*s, *e, t.clone())).collect();
    assert_eq!(windows, [(-3900, -3300, None), (-3900, -3300, Some("t2".to_string()))]);
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
    let phases: Vec<&str> = snap.stats.phases.iter().map(|(p, _)| p.as_str()).collect();
    assert!(phases.contains(&"explain") && phases.contains(&"cloudtrail") && phases.contains(&"core"), "{phases:?}");
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
    let snap = poll_at(&source(c, Scope::default()), request()).await;

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
#[tokio::test(start_paused = true)]
async fn rules_are_looked_up_by_an_arn_in_the_profiles_partition() {
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&targets);
    let names = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.target_arn().unwrap_or_default().to_string());
            true
        })
        .then_output(|| ListRuleNamesByTargetOutput::builder().build());
    for (partition, want) in [(Some("aws-cn"), "aws-cn"), (None, "aws")] {
        let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
        let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[], &[&names]);
        let region = c.region();
        let scope = Scope { cloudtrail: false, partition: partition.map(str::to_string), ..Scope::default() };
        let snap = poll_at(&source(c, scope), request()).await;
        assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
        assert_eq!(
            targets.lock().unwrap().pop().as_deref(),
            Some(format!("arn:{want}:codepipeline:{region}:111111111111:web-deploy").as_str())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn switched_off_lookups_are_not_called_even_when_a_push_needs_explaining() {
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&lookup], &[&names, &describe]);
    let snap = poll_at(&source(c, core()), request()).await;
    assert_eq!(snap.warnings, Vec::<String>::new());
    assert_eq!(snap.diagnostics.put_images, Lookup::Skipped("switched off with `cloudtrail = false`".into()));
    assert_eq!(snap.diagnostics.rules, Lookup::Skipped("switched off with `eventbridge = false`".into()));
    assert_eq!((lookup.num_calls(), names.num_calls(), describe.num_calls()), (0, 0, 0));
}

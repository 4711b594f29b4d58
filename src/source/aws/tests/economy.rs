//! Economy: what a profile remembers between polls, runs listed only for pipelines that can start a push's run,
//! and a pipeline whose call failed keeping its last good data, marked stale.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_codepipeline::operation::list_pipeline_executions::{
    ListPipelineExecutionsError, ListPipelineExecutionsOutput,
};
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::correlate::PushStatus;

/// ListPipelines answering web-deploy at `version`.
fn versioned(version: &Arc<Mutex<i32>>) -> Rule {
    let v = Arc::clone(version);
    mock!(aws_sdk_codepipeline::Client::list_pipelines).then_compute_output(move |_| {
        let summary = PipelineSummary::builder().name("web-deploy").version(*v.lock().unwrap()).build();
        ListPipelinesOutput::builder().pipelines(summary).build()
    })
}

/// web-deploy's runs over two pages: the newest two, then the push's own run (carrying its digest).
fn two_pages() -> (Rule, Rule) {
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
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary("e0", -3590, Some(DIGEST)))
                .build()
        });
    (page, older)
}

#[tokio::test(start_paused = true)]
async fn steady_state_poll_reuses_identity_definitions_and_executions() {
    let version = Arc::new(Mutex::new(1));
    let list = versioned(&version);
    let (page, older) = two_pages();
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, gp, im) = (identity_ok(), get_pipeline(), images());
    let c = clients_with(&[&id], &[&list, &gp, &page, &older], &[&im], &[&lookup], &[&names, &describe]);
    let source = source(c, Scope::default());

    // Every push is accounted for: no CloudTrail, EventBridge, IAM or CloudWatch call; the registry's replication
    // (which other profiles' pushes may need) is read with the images.
    let first = poll_at(&source, request()).await;
    assert_eq!(report_at(&first, request()).pushes[0].status, PushStatus::Triggered);
    assert_eq!(
        calls(&first),
        [
            ("codepipeline:GetPipeline", 1),
            ("codepipeline:ListPipelineExecutions", 2),
            ("codepipeline:ListPipelines", 1),
            ("ecr:DescribeImages", 1),
            ("ecr:DescribeRegistry", 1),
            ("sts:GetCallerIdentity", 1),
        ]
    );
    let phases: Vec<&str> = first.stats.phases.iter().map(|(p, _)| p.as_str()).collect();
    assert!(phases.contains(&"core") && phases.contains(&"total") && !phases.contains(&"explain"), "{phases:?}");

    // A minute later: one call per pipeline and per repository page, plus ListPipelines (the replication is
    // remembered).
    let second = poll_at(&source, later(60)).await;
    assert_eq!(
        calls(&second),
        [("codepipeline:ListPipelineExecutions", 1), ("codepipeline:ListPipelines", 1), ("ecr:DescribeImages", 1)]
    );
    let ids: Vec<_> = second.pipelines[0].executions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e2", "e1", "e0"], "the older page is remembered, not re-read");
    assert_eq!(second.identity, first.identity);
    assert_eq!(older.num_calls(), 1);
    assert_eq!((lookup.num_calls(), names.num_calls(), describe.num_calls()), (0, 0, 0));

    // A new pipeline version is read again.
    *version.lock().unwrap() = 2;
    let third = poll_at(&source, later(120)).await;
    assert!(calls(&third).contains(&("codepipeline:GetPipeline", 1)), "{:?}", calls(&third));
}

#[tokio::test(start_paused = true)]
async fn an_untriggered_push_is_explained_once_then_remembered() {
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| lookup_page(vec![], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) =
        (identity_ok(), versioned(&Arc::new(Mutex::new(1))), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&lookup], &[&names, &describe]);
    let source = source(c, Scope::default());

    let first = poll_at(&source, request()).await;
    assert_eq!(report_at(&first, request()).pushes[0].status, PushStatus::Untriggered);
    assert_eq!(
        calls(&first),
        [
            ("cloudtrail:LookupEvents", 1),
            ("cloudwatch:GetMetricData", 1),
            ("codepipeline:GetPipeline", 1),
            ("codepipeline:ListPipelineExecutions", 1),
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
    // Its window was read completely, its rules (with their targets and roles) and their failed invocations are
    // fresh: the explain step calls nothing.
    let second = poll_at(&source, later(60)).await;
    assert_eq!(
        calls(&second),
        [("codepipeline:ListPipelineExecutions", 1), ("codepipeline:ListPipelines", 1), ("ecr:DescribeImages", 1)]
    );
    assert!(second.stats.phases.iter().any(|(p, _)| p == "explain"));
}

#[tokio::test(start_paused = true)]
async fn runs_are_listed_only_for_pipelines_with_an_ecr_source_or_named_ones() {
    use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
    use aws_sdk_codepipeline::types::{PipelineDeclaration, StageDeclaration};
    let listed = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&listed);
    let execs = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.pipeline_name().unwrap_or_default().to_string());
            true
        })
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let both = mock!(aws_sdk_codepipeline::Client::list_pipelines).then_output(|| {
        ListPipelinesOutput::builder()
            .pipelines(PipelineSummary::builder().name("web-deploy").build())
            .pipelines(PipelineSummary::builder().name("lambda-deploy").build())
            .build()
    });
    // A pipeline whose source is not ECR (no stage ECR can start).
    let lambda = mock!(aws_sdk_codepipeline::Client::get_pipeline)
        .match_requests(|r| r.name() == Some("lambda-deploy"))
        .then_output(|| {
            let stage = StageDeclaration::builder().name("Deploy").set_actions(Some(vec![])).build().unwrap();
            let decl = PipelineDeclaration::builder()
                .name("lambda-deploy")
                .role_arn("arn:aws:iam::111111111111:role/cp")
                .stages(stage)
                .build()
                .unwrap();
            GetPipelineOutput::builder().pipeline(decl).build()
        });
    for (pipelines, want) in [
        (None, vec!["web-deploy"]),
        (Some(vec!["lambda-deploy".to_string(), "web-deploy".to_string()]), vec!["lambda-deploy", "web-deploy"]),
    ] {
        let (id, gp, im) = (identity_ok(), get_pipeline(), images());
        let c = clients(&[&id], &[&both, &gp, &lambda, &execs], &[&im]);
        let snap = poll(&c, &Scope { pipelines, ..core() }).await;
        assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        assert_eq!(snap.pipelines.len(), 2, "both pipelines are shown");
        let mut got = std::mem::take(&mut *listed.lock().unwrap());
        got.sort();
        assert_eq!(got, want);
    }
}

#[tokio::test(start_paused = true)]
async fn a_throttled_pipeline_keeps_its_last_good_runs_marked_stale() {
    let throttling = Arc::new(AtomicBool::new(false));
    let on = Arc::clone(&throttling);
    let throttled = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(move |_| on.load(Ordering::SeqCst))
        .then_error(|| {
            ListPipelineExecutionsError::generic(
                ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
            )
        });
    let run = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_output(|| {
        ListPipelineExecutionsOutput::builder()
            .pipeline_execution_summaries(summary("exec-1", -3590, Some(DIGEST)))
            .build()
    });
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients(&[&id], &[&lp, &gp, &throttled, &run], &[&im]);
    let source = source(c, core());
    let first = poll_at(&source, request()).await;
    assert!(first.stale_pipelines.is_empty());

    throttling.store(true, Ordering::SeqCst);
    let second = poll_at(&source, later(60)).await;
    assert!(second.errors.is_empty(), "last good data: not a failed profile ({:?})", second.errors);
    let reason = "codepipeline:ListPipelineExecutions web-deploy: ThrottlingException: Rate exceeded";
    assert_eq!(second.warnings, [format!("pipeline `web-deploy` shows the data of an earlier poll: {reason}")]);
    let report = report_at(&second, later(60));
    assert_eq!(report.pipelines[0].stale.as_deref(), Some(reason));
    assert_eq!(report.pipelines[0].executions[0].id, "exec-1");
    let push = &report.pushes[0];
    assert_eq!((push.status, push.watched_by.as_slice()), (PushStatus::Triggered, &["web-deploy".to_string()][..]));

    throttling.store(false, Ordering::SeqCst);
    let third = poll_at(&source, later(120)).await;
    assert!(third.stale_pipelines.is_empty() && third.warnings.is_empty(), "{:?}", third.warnings);
}

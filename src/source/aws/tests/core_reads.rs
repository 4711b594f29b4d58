//! The core reads (identity, pipelines, executions, images): digests, failures per API, retries, paging.

use aws_sdk_codepipeline::operation::list_pipeline_executions::{
    ListPipelineExecutionsError, ListPipelineExecutionsOutput,
};
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::correlate::{MatchedBy, PushStatus};
use crate::model::ErrorKind;

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
    assert_eq!(snap.images.len(), 1, "the 3-day-old image is outside the lookback");

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
    let (lp, gp, im, execs) = (list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients(&[&denied], &[&lp, &gp, &execs], &[&im]);
    let snap = poll(&c, &core()).await;

    assert!(snap.identity.is_none());
    assert_eq!(
        snap.error_line().as_deref(),
        Some("sts:GetCallerIdentity: AccessDenied: not authorized to perform sts:GetCallerIdentity")
    );
    assert_eq!(snap.errors.iter().map(|e| e.kind).collect::<Vec<_>>(), [ErrorKind::AccessDenied]);
    assert_eq!(snap.pipelines.len(), 1);
    assert_eq!(snap.images.len(), 1);
    let report = build_report(&snap);
    assert_eq!(crate::exit::of(&report), 3);
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
        snap.error_line().as_deref(),
        Some("codepipeline:ListPipelineExecutions web-deploy: ThrottlingException: Rate exceeded")
    );
    assert_eq!(snap.errors[0].kind, ErrorKind::Throttled);
    assert!(snap.identity.is_some());
    // Without its executions the pipeline is left out, and so are the pushes only it watches: a push is never
    // flagged on missing data.
    assert!(snap.pipelines.is_empty());
    assert!(snap.images.is_empty());
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
    assert!(snap.stats.calls.contains(&("codepipeline:ListPipelineExecutions".into(), 2)), "{:?}", snap.stats);
}

#[tokio::test]
async fn every_page_of_pipelines_and_images_is_read() {
    let lp1 = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListPipelinesOutput::builder()
                .pipelines(PipelineSummary::builder().name("other").build())
                .next_token("more")
                .build()
        });
    let lp2 = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|r| r.next_token() == Some("more"))
        .then_output(|| {
            ListPipelinesOutput::builder().pipelines(PipelineSummary::builder().name("web-deploy").build()).build()
        });
    let im1 =
        mock!(aws_sdk_ecr::Client::describe_images).match_requests(|r| r.next_token().is_none()).then_output(|| {
            DescribeImagesOutput::builder()
                .image_details(ImageDetail::builder().image_digest(DIGEST).image_pushed_at(dt(-60)).build())
                .next_token("next")
                .build()
        });
    let im2 = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.next_token() == Some("next"))
        .then_output(|| {
            DescribeImagesOutput::builder()
                .image_details(ImageDetail::builder().image_digest("sha256:b").image_pushed_at(dt(-30)).build())
                .build()
        });
    let (id, gp, ex) = (identity_ok(), get_pipeline(), no_runs());
    let c = clients(&[&id], &[&lp1, &lp2, &gp, &ex], &[&im1, &im2]);
    let scope = Scope { pipelines: Some(vec!["web-deploy".into()]), ..core() };
    let snap = poll(&c, &scope).await;
    assert!(snap.errors.is_empty() && snap.warnings.is_empty(), "{:?} {:?}", snap.errors, snap.warnings);
    assert_eq!(snap.pipelines.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["web-deploy"]);
    assert_eq!(snap.images.iter().map(|p| p.digest.as_str()).collect::<Vec<_>>(), [DIGEST, "sha256:b"]);
    assert_eq!((lp1.num_calls(), lp2.num_calls(), im1.num_calls(), im2.num_calls()), (1, 1, 1, 1));
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
    let (id, lp, gp, im, execs) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
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

#[tokio::test]
async fn an_answer_from_another_account_than_the_roles_is_dropped() {
    let (id, lp, gp, im, execs) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients(&[&id], &[&lp, &gp, &execs], &[&im]);
    let snap = poll(&c, &Scope { account: Some("222222222222".into()), ..core() }).await;
    assert_eq!(snap.identity.as_ref().map(|i| i.account.as_str()), Some("111111111111"));
    assert!(snap.pipelines.is_empty() && snap.images.is_empty(), "{snap:?}");
    assert_eq!(snap.errors[0].kind, ErrorKind::WrongAccount);
    assert!(snap.error_line().unwrap().contains("not in the role's account 222222222222"), "{:?}", snap.errors);
}

//! ECR and CodePipeline through the SDK: DescribeImages (paging, tagStatus), BatchGetImage, ListPipelines,
//! GetPipeline, ListPipelineExecutions (newest first, paging), GetPipelineState, StartPipelineExecution.

use aws_sdk_codepipeline::types::{ExecutionMode, PipelineExecutionStatus, TriggerType};
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageIdentifier, TagStatus};
use awsim::{ExecStatus, Manifest, Pipeline, PushSpec, Server, Source};
use jiff::SignedDuration;

use super::{A, R, assumed, ci, t0, world};

#[tokio::test]
async fn ecr_images_pages_and_manifests() {
    let w = world();
    w.add_repository(A, R, "web");
    let spec = PushSpec::new(A, R, "web", ci(), t0())
        .tag("latest")
        .manifest(Manifest::buildx("web1", &["linux/amd64", "linux/arm64"]));
    let push = w.push(spec).unwrap();
    let server = Server::start(w.clone()).unwrap();
    let ecr = aws_sdk_ecr::Client::new(&assumed(&server, A, "pipewatch-read").await);

    let mut seen = Vec::new();
    let mut pages = ecr.describe_images().repository_name("web").max_results(2).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += 1;
        seen.extend(page.unwrap().image_details().to_vec());
    }
    assert_eq!((count, seen.len()), (3, 5));
    let index = seen.iter().find(|d| d.image_digest() == Some(push.digest.as_str())).unwrap();
    assert_eq!(index.image_tags(), ["latest"]);
    assert_eq!(index.image_manifest_media_type(), Some("application/vnd.oci.image.index.v1+json"));
    assert_eq!(index.image_pushed_at().unwrap().secs(), t0().as_second());
    let att = seen.iter().find(|d| d.image_digest() == Some(push.children[2].as_str())).unwrap();
    assert!(att.image_tags().is_empty());
    assert_eq!(att.artifact_media_type(), Some("application/vnd.oci.image.config.v1+json"));

    let untagged = ecr
        .describe_images()
        .repository_name("web")
        .filter(DescribeImagesFilter::builder().tag_status(TagStatus::Untagged).build())
        .send()
        .await
        .unwrap();
    assert_eq!(untagged.image_details().len(), 4);

    let got = ecr
        .batch_get_image()
        .repository_name("web")
        .image_ids(ImageIdentifier::builder().image_tag("latest").build())
        .image_ids(ImageIdentifier::builder().image_digest("sha256:0000").build())
        .send()
        .await
        .unwrap();
    let image = &got.images()[0];
    assert_eq!(image.image_id().unwrap().image_digest(), Some(push.digest.as_str()));
    let manifest: serde_json::Value = serde_json::from_str(image.image_manifest().unwrap()).unwrap();
    assert_eq!(manifest["manifests"][0]["digest"], push.children[0].as_str());
    assert_eq!(got.failures()[0].failure_code().map(|c| c.as_str()), Some("ImageNotFound"));

    let err = ecr.describe_images().repository_name("nope").send().await.unwrap_err();
    assert!(err.into_service_error().is_repository_not_found_exception());
}

#[tokio::test]
async fn pipelines_and_runs() {
    let w = world();
    w.console_pipeline(A, R, "web-deploy", "web", None);
    let v2 = Pipeline::v2("api-deploy", awsim::ExecutionMode::Queued).ecr("Image", "api", Some("release")).source(
        Source::Connection {
            action: "Code".into(),
            connection_arn: format!("arn:aws:codestar-connections:{R}:{A}:connection/abc"),
            repository: "org/api".into(),
            branch: "main".into(),
        },
    );
    w.add_repository(A, R, "api");
    w.add_pipeline(A, R, v2.with_approval());
    w.set_source_head(A, R, "org/api", "0123456789abcdef0123456789abcdef01234567");
    let mut digests = Vec::new();
    for i in 0..3 {
        let at = t0() + SignedDuration::from_secs(60 * i);
        digests.push(w.push(PushSpec::new(A, R, "web", ci(), at).tag("latest")).unwrap().digest);
    }
    let first = w.executions(A, R, "web-deploy")[0].0.id.clone();
    w.set_status(A, R, "web-deploy", &first, ExecStatus::Superseded).unwrap();
    let server = Server::start(w.clone()).unwrap();
    let conf = assumed(&server, A, "pipewatch-read").await;
    let cp = aws_sdk_codepipeline::Client::new(&conf);

    let list = cp.list_pipelines().send().await.unwrap();
    let names: Vec<&str> = list.pipelines().iter().filter_map(|p| p.name()).collect();
    assert_eq!(names, ["api-deploy", "web-deploy"]);

    let got = cp.get_pipeline().name("web-deploy").send().await.unwrap();
    assert_eq!(
        got.metadata().unwrap().pipeline_arn(),
        Some(format!("arn:aws:codepipeline:{R}:{A}:web-deploy").as_str())
    );
    let source = &got.pipeline().unwrap().stages()[0].actions()[0];
    assert_eq!(source.action_type_id().unwrap().provider(), "ECR");
    assert_eq!(source.configuration().unwrap().get("RepositoryName").map(String::as_str), Some("web"));
    assert!(source.configuration().unwrap().get("ImageTag").is_none(), "no ImageTag: latest");
    let api = cp.get_pipeline().name("api-deploy").send().await.unwrap();
    let api = api.pipeline().unwrap();
    assert_eq!(api.execution_mode(), Some(&ExecutionMode::Queued));
    assert_eq!(api.stages().iter().map(|s| s.name()).collect::<Vec<_>>(), ["Source", "Build", "Approval", "Deploy"]);

    // Newest first, over pages of 2.
    let mut runs = Vec::new();
    let mut pages = cp.list_pipeline_executions().pipeline_name("web-deploy").max_results(2).into_paginator().send();
    while let Some(page) = pages.next().await {
        runs.extend(page.unwrap().pipeline_execution_summaries().to_vec());
    }
    assert_eq!(runs.len(), 3);
    let revs: Vec<&str> = runs.iter().map(|r| r.source_revisions()[0].revision_id().unwrap()).collect();
    assert_eq!(revs, [digests[2].as_str(), digests[1].as_str(), digests[0].as_str()]);
    let newest = &runs[0];
    assert_eq!(newest.trigger().unwrap().trigger_type(), Some(&TriggerType::CloudWatchEvent));
    assert_eq!(
        newest.trigger().unwrap().trigger_detail(),
        Some(format!("arn:aws:events:{R}:{A}:rule/web-deploy-ecr-latest").as_str())
    );
    assert_eq!(newest.start_time().unwrap().secs(), (t0() + SignedDuration::from_secs(121)).as_second());
    assert_eq!(runs[2].status(), Some(&PipelineExecutionStatus::Superseded));
    assert_eq!(newest.execution_mode(), Some(&ExecutionMode::Superseded));

    // A manual start through the API: the caller's ARN, and both sources' revisions.
    let started = cp.start_pipeline_execution().name("api-deploy").send().await.unwrap();
    let api_runs = cp.list_pipeline_executions().pipeline_name("api-deploy").send().await.unwrap();
    let run = &api_runs.pipeline_execution_summaries()[0];
    assert_eq!(run.pipeline_execution_id(), started.pipeline_execution_id());
    assert_eq!(run.trigger().unwrap().trigger_type(), Some(&TriggerType::StartPipelineExecution));
    assert_eq!(
        run.trigger().unwrap().trigger_detail(),
        Some("arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch")
    );
    let revs: Vec<&str> = run.source_revisions().iter().map(|r| r.action_name()).collect();
    assert_eq!(revs, ["Code"], "the ECR tag api:release holds nothing yet, the connection its head");
    assert_eq!(run.execution_mode(), Some(&ExecutionMode::Queued));

    let state = cp.get_pipeline_state().name("web-deploy").send().await.unwrap();
    let stage = &state.stage_states()[0];
    assert_eq!(Some(stage.latest_execution().unwrap().pipeline_execution_id()), runs[0].pipeline_execution_id());

    let err = cp.list_pipeline_executions().pipeline_name("nope").send().await.unwrap_err();
    assert!(err.into_service_error().is_pipeline_not_found_exception());
}

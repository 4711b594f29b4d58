//! CodePipeline answers of the corpus: execution summaries into executions (trigger types and details, revisions of
//! several sources), pipeline definitions into the ECR sources they watch; GetPipelineState (not called by
//! pipewatch) through the SDK alone.

use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use super::*;
use crate::model::{ExecStatus, Execution, Revision};
use crate::source::aws::convert;

fn client(rules: &[&Rule]) -> aws_sdk_codepipeline::Client {
    mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, rules)
}

/// `id8 status trigger detail-tail action=revision8…`.
fn line(e: &Execution) -> String {
    let detail = e.trigger_detail.as_deref().map_or("-", |d| d.rsplit(':').next().unwrap_or(d));
    let revisions: Vec<String> = e
        .revisions
        .iter()
        .map(|r| {
            let id = r.revision_id.strip_prefix("sha256:").unwrap_or(&r.revision_id);
            format!("{}={}", r.action, &id[..8])
        })
        .collect();
    format!("{} {} {} {detail} {}", &e.id[..8], e.status.as_str(), e.trigger, revisions.join(" "))
}

#[tokio::test]
async fn execution_summaries_yield_every_field_of_every_run() {
    for (path, name) in files_of("codepipeline:ListPipelineExecutions") {
        let rule = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let pipelines = client(&[&rule]);
        let out = pipelines
            .list_pipeline_executions()
            .pipeline_name("any")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let file = raw(path);
        let summaries = file["pipelineExecutionSummaries"].as_array().unwrap();
        let runs: Vec<Execution> =
            out.pipeline_execution_summaries().iter().map(|s| convert::execution(s).expect("id and start")).collect();
        assert_eq!(runs.len(), summaries.len(), "{path}");
        assert_eq!(out.next_token().map(str::to_string), opt(&file, "nextToken"), "{path}");

        for (run, r) in runs.iter().zip(summaries) {
            let want = Execution {
                id: opt(r, "pipelineExecutionId").unwrap(),
                status: ExecStatus::parse(r["status"].as_str().unwrap()),
                trigger: opt(&r["trigger"], "triggerType").unwrap(),
                trigger_detail: opt(&r["trigger"], "triggerDetail"),
                started_at: epoch(&r["startTime"]),
                updated_at: r.get("lastUpdateTime").map(epoch),
                revisions: r["sourceRevisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| Revision {
                        action: opt(s, "actionName").unwrap(),
                        revision_id: opt(s, "revisionId").unwrap(),
                        summary: opt(s, "revisionSummary"),
                    })
                    .collect(),
                status_summary: opt(r, "statusSummary"),
            };
            let got = Execution { started_at: ms(run.started_at), updated_at: run.updated_at.map(ms), ..run.clone() };
            assert_eq!(got, want, "{path}");
            assert!(!matches!(run.status, ExecStatus::Other(_)), "{path}: status {:?}", run.status);
        }

        let sso = "assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6a7b/alice@example.com";
        let want: Vec<String> = match name {
            "web-deploy-v1-page1.json" => vec![
                "3eb5ed49 InProgress CloudWatchEvent rule/web-deploy-ecr-latest Image=f18e45cf".into(),
                "400f9264 Superseded CloudWatchEvent rule/web-deploy-ecr-latest Image=9f017c90".into(),
                format!("4ade584e Succeeded StartPipelineExecution {sso} Image=a0e424de"),
                "b85cb430 Succeeded PutActionRevision - Image=a0e424de".into(),
                "017ca33a Failed CreatePipeline - Image=56e93e4f".into(),
            ],
            "web-deploy-v1-page2.json" => {
                vec!["02bd2811 Stopped StartPipelineExecution user/Mary_Major Image=56e93e4f".into()]
            }
            "api-deploy-v2-queued.json" => vec![
                "a697fb89 InProgress WebhookV2 - Image=9c85973f Code=cd05aa8d".into(),
                "2926fad2 Succeeded ManualRollback - Image=425cd8fd Code=26e45302".into(),
                "c4edb555 Failed CloudWatchEvent rule/api-deploy-ecr-release Image=425cd8fd Code=26e45302".into(),
                "82d0a254 Succeeded AutomatedRollback - Image=425cd8fd Code=a2648d11".into(),
                format!("660cb944 Succeeded StartPipelineExecution {sso} Image=425cd8fd Code=a2648d11"),
            ],
            "worker-deploy-v1-ecr-codecommit.json" => vec![
                "1ad64496 Succeeded CloudWatchEvent rule/codepipeline-worker-main-rule Image=c305af84 Code=1a975e7a"
                    .into(),
                "fb85c9b1 Succeeded PollForSourceChanges - Image=c305af84 Code=9579145d".into(),
            ],
            "site-deploy-v1-github-webhook.json" => vec![
                "f00e6f7f Succeeded Webhook site-deploy--Code--example-org-site--1234567890 Image=993cb635 \
                 Code=3d601225"
                    .into(),
            ],
            "batch-deploy-v2-parallel.json" => vec![
                "12bbc6a8 InProgress CloudWatchEvent rule/batch-deploy-ecr-latest Image=b2aeaf92".into(),
                "a9dc39f8 InProgress CloudWatchEvent rule/batch-deploy-ecr-latest Image=c95b46e6".into(),
            ],
            other => panic!("no expectation for codepipeline/list-pipeline-executions/{other}"),
        };
        assert_eq!(runs.iter().map(line).collect::<Vec<_>>(), want, "{path}");
    }
}

#[tokio::test]
async fn a_connection_revision_keeps_its_summary() {
    let path = "codepipeline/list-pipeline-executions/api-deploy-v2-queued.json";
    let rule = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .sequence()
        .http_status(200, Some(body(path)))
        .repeatedly()
        .build();
    let out = client(&[&rule]).list_pipeline_executions().pipeline_name("api-deploy").send().await.unwrap();
    let run = convert::execution(&out.pipeline_execution_summaries()[0]).unwrap();
    assert_eq!(
        run.revisions[1].summary.as_deref(),
        Some(r#"{"ProviderType":"GitHub","CommitMessage":"Bump timeouts"}"#)
    );
    assert_eq!(run.revisions[0].summary, None, "an ECR revision has none");
}

#[tokio::test]
async fn pipeline_definitions_yield_their_ecr_sources() {
    for (path, name) in files_of("codepipeline:GetPipeline") {
        let rule = mock!(aws_sdk_codepipeline::Client::get_pipeline)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let pipelines = client(&[&rule]);
        let out = pipelines.get_pipeline().name("any").send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let sources: Vec<String> = convert::watched_sources(out.pipeline().unwrap())
            .iter()
            .map(|s| format!("{} {}:{}", s.action, s.repository, s.tag))
            .collect();
        let want: &[&str] = match name {
            "web-deploy-v1-ecr-default-tag.json" => &["Image web:latest"],
            "api-deploy-v2-ecr-tag-and-connection.json" => &["Image api:release"],
            "worker-deploy-v1-ecr-and-codecommit.json" => &["Image worker:stable"],
            "batch-deploy-v2-parallel.json" => &["Image batch:latest"],
            other => panic!("no expectation for codepipeline/get-pipeline/{other}"),
        };
        assert_eq!(sources, want, "{path}");
        let arn = out.metadata().and_then(|m| m.pipeline_arn()).map(str::to_string);
        assert_eq!(arn, opt(&raw(path)["metadata"], "pipelineArn"), "{path}");
        assert_eq!(arn.as_deref().and_then(|a| a.rsplit(':').next()), out.pipeline().map(|p| p.name()), "{path}");
    }
}

/// Not called by pipewatch yet (only GetPipelineState shows where a run waits): read through the SDK only.
#[tokio::test]
async fn pipeline_state_reads_through_the_sdk() {
    for (path, name) in files_of("codepipeline:GetPipelineState") {
        let rule = mock!(aws_sdk_codepipeline::Client::get_pipeline_state)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let pipelines = client(&[&rule]);
        let out = pipelines.get_pipeline_state().name("any").send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let stages: Vec<String> = out
            .stage_states()
            .iter()
            .map(|s| {
                let run = s.latest_execution().map_or("-".to_string(), |e| {
                    format!("{} {}", &e.pipeline_execution_id()[..8], e.status().as_str())
                });
                let actions: Vec<String> = s
                    .action_states()
                    .iter()
                    .map(|a| {
                        let status = a.latest_execution().and_then(|e| e.status()).map_or("-", |st| st.as_str());
                        format!("{}={status}", a.action_name().unwrap_or("-"))
                    })
                    .collect();
                format!("{} {run} {}", s.stage_name().unwrap_or("-"), actions.join(" "))
            })
            .collect();
        let want = match name {
            "web-deploy-waiting-at-approval.json" => [
                "Source 3eb5ed49 Succeeded Image=Succeeded",
                "Build 3eb5ed49 Succeeded Build=Succeeded",
                "Approval 3eb5ed49 InProgress ApproveRelease=InProgress",
                "Deploy 4ade584e Succeeded Deploy=Succeeded",
            ],
            other => panic!("no expectation for codepipeline/get-pipeline-state/{other}"),
        };
        assert_eq!(stages, want, "{path}");
        let approval = &out.stage_states()[2].action_states()[0];
        assert!(approval.latest_execution().and_then(|e| e.token()).is_some(), "{path}: the open approval's token");
    }
}

//! AWS CodePipeline (awsJson1_1, `CodePipeline_20150709`): ListPipelines, GetPipeline, ListPipelineExecutions,
//! GetPipelineExecution, GetPipelineState, StartPipelineExecution. Shapes: [PipelineDeclaration](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineDeclaration.html),
//! [PipelineExecutionSummary](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineExecutionSummary.html); corpus `codepipeline/`.

use serde_json::{Value, json};

use super::ecr::unknown;
use super::json::{epoch, page, required, str_field};
use super::{ApiError, Cx};
use crate::model::{Execution, Pipeline, PipelineType, Source, TriggerType};
use crate::world::{RegionState, RunStart, State, pipeline_arn, resolve, start_run};

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &Value) -> Result<Value, ApiError> {
    match op {
        "ListPipelines" => {
            let items: Vec<Value> = st
                .region_ref(&cx.account, &cx.region)
                .map(|r| r.pipelines.values().map(summary).collect())
                .unwrap_or_default();
            let size = body["maxResults"].as_u64().unwrap_or(100).clamp(1, 1000) as usize;
            let (items, next) = page(&items, str_field(body, "nextToken"), size)?;
            let mut out = json!({"pipelines": items});
            if let Some(t) = next {
                out["nextToken"] = json!(t);
            }
            Ok(out)
        }
        "GetPipeline" => {
            let p = pipeline(st, cx, required(body, "name")?)?;
            // "You can find the pipeline ARN in the metadata output after you run the get-pipeline command."
            Ok(json!({"pipeline": declaration(cx, p),
                "metadata": {"pipelineArn": pipeline_arn(&cx.account, &cx.region, &p.name),
                    "created": epoch(p.created), "updated": epoch(p.created)}}))
        }
        "ListPipelineExecutions" => {
            let name = required(body, "pipelineName")?;
            let p = pipeline(st, cx, name)?;
            let region = st.region_ref(&cx.account, &cx.region).expect("pipeline found in it");
            // Newest first; "maxResults … Default value is 100" (ListPipelineExecutions).
            let mut runs: Vec<&Execution> = p.executions.iter().collect();
            runs.sort_by_key(|e| std::cmp::Reverse(e.started_at));
            let items: Vec<Value> = runs.iter().map(|e| execution_summary(region, e)).collect();
            let size = body["maxResults"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
            let (items, next) = page(&items, str_field(body, "nextToken"), size)?;
            let mut out = json!({"pipelineExecutionSummaries": items});
            if let Some(t) = next {
                out["nextToken"] = json!(t);
            }
            Ok(out)
        }
        "GetPipelineExecution" => {
            let p = pipeline(st, cx, required(body, "pipelineName")?)?;
            let id = required(body, "pipelineExecutionId")?;
            let e = p.executions.iter().find(|e| e.id == id).ok_or_else(|| {
                ApiError::new("PipelineExecutionNotFoundException", format!("execution {id} not found"))
            })?;
            let region = st.region_ref(&cx.account, &cx.region).expect("pipeline found in it");
            let revisions: Vec<Value> = e
                .revisions
                .iter()
                .filter_map(|r| Some(json!({"name": r.action, "revisionId": resolve(region, &r.id)?})))
                .collect();
            Ok(json!({"pipelineExecution": {"pipelineName": p.name, "pipelineVersion": p.version,
                "pipelineExecutionId": e.id, "status": e.status.as_str(), "artifactRevisions": revisions,
                "trigger": trigger(e), "executionMode": e.mode.as_str()}}))
        }
        "GetPipelineState" => {
            let p = pipeline(st, cx, required(body, "name")?)?;
            let latest = p.executions.iter().max_by_key(|e| e.started_at);
            let stages: Vec<Value> = stages(p)
                .into_iter()
                .map(|s| {
                    let actions: Vec<Value> = s["actions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| {
                            let mut state = json!({"actionName": a["name"]});
                            if let Some(e) = latest {
                                state["latestExecution"] = json!({"status": e.status.as_str(),
                                    "lastStatusChange": epoch(e.updated_at)});
                            }
                            state
                        })
                        .collect();
                    let mut stage = json!({"stageName": s["name"], "actionStates": actions});
                    if let Some(e) = latest {
                        stage["latestExecution"] = json!({"pipelineExecutionId": e.id, "status": e.status.as_str()});
                    }
                    stage
                })
                .collect();
            Ok(json!({"pipelineName": p.name, "pipelineVersion": p.version, "stageStates": stages,
                "created": epoch(p.created), "updated": epoch(p.created)}))
        }
        "StartPipelineExecution" => {
            let name = required(body, "name")?.to_string();
            pipeline(st, cx, &name)?;
            let overrides: Vec<(String, String)> = body["sourceRevisions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| Some((r["actionName"].as_str()?.to_string(), r["revisionValue"].as_str()?.to_string())))
                .collect();
            // A manual start: the caller's ARN as triggerDetail (ExecutionTrigger), `sourceRevisions` overrides.
            let how = RunStart {
                trigger: TriggerType::StartPipelineExecution,
                detail: Some(cx.caller.arn()),
                at: cx.now,
                overrides,
                pushed: None,
            };
            let id = start_run(st, &cx.account, &cx.region, &name, how)
                .map_err(|e| ApiError::new("PipelineNotFoundException", e.to_string()))?;
            Ok(json!({"pipelineExecutionId": id}))
        }
        _ => Err(unknown(op)),
    }
}

fn pipeline<'a>(st: &'a State, cx: &Cx, name: &str) -> Result<&'a Pipeline, ApiError> {
    st.region_ref(&cx.account, &cx.region).and_then(|r| r.pipelines.get(name)).ok_or_else(|| {
        ApiError::new(
            "PipelineNotFoundException",
            format!("Account '{}' does not have a pipeline with name '{name}'", cx.account),
        )
    })
}

fn type_str(p: &Pipeline) -> &'static str {
    match p.pipeline_type {
        PipelineType::V1 => "V1",
        PipelineType::V2 => "V2",
    }
}

fn summary(p: &Pipeline) -> Value {
    json!({"name": p.name, "version": p.version, "pipelineType": type_str(p), "executionMode": p.mode.as_str(),
        "created": epoch(p.created), "updated": epoch(p.created)})
}

fn trigger(e: &Execution) -> Value {
    let mut t = json!({"triggerType": e.trigger.as_str()});
    if let Some(d) = &e.trigger_detail {
        t["triggerDetail"] = json!(d);
    }
    t
}

fn execution_summary(region: &RegionState, e: &Execution) -> Value {
    let revisions: Vec<Value> = e
        .revisions
        .iter()
        .filter_map(|r| {
            let mut v = json!({"actionName": r.action, "revisionId": resolve(region, &r.id)?});
            if let Some(s) = &r.summary {
                v["revisionSummary"] = json!(s);
            }
            Some(v)
        })
        .collect();
    json!({"pipelineExecutionId": e.id, "status": e.status.as_str(), "startTime": epoch(e.started_at),
        "lastUpdateTime": epoch(e.updated_at), "sourceRevisions": revisions, "trigger": trigger(e),
        "executionMode": e.mode.as_str()})
}

fn action(
    name: &str,
    category: &str,
    provider: &str,
    config: Value,
    input: Option<&str>,
    output: Option<&str>,
) -> Value {
    let artifacts = |a: Option<&str>| a.map(|n| vec![json!({"name": n})]).unwrap_or_default();
    json!({"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
        "runOrder": 1, "configuration": config, "outputArtifacts": artifacts(output), "inputArtifacts": artifacts(input)})
}

/// The stages: the sources, a CodeBuild build, an optional manual approval, an ECS deploy.
fn stages(p: &Pipeline) -> Vec<Value> {
    let sources: Vec<Value> = p
        .sources
        .iter()
        .map(|s| match s {
            Source::Ecr { action: a, repository, tag } => {
                let mut conf = json!({"RepositoryName": repository});
                if let Some(t) = tag {
                    conf["ImageTag"] = json!(t);
                }
                action(a, "Source", "ECR", conf, None, Some(&format!("{a}Artifact")))
            }
            Source::CodeCommit { action: a, repository, branch } => action(
                a,
                "Source",
                "CodeCommit",
                json!({"RepositoryName": repository, "BranchName": branch, "PollForSourceChanges": "false"}),
                None,
                Some(&format!("{a}Artifact")),
            ),
            Source::Connection { action: a, connection_arn, repository, branch } => action(
                a,
                "Source",
                "CodeStarSourceConnection",
                json!({"ConnectionArn": connection_arn, "FullRepositoryId": repository, "BranchName": branch}),
                None,
                Some(&format!("{a}Artifact")),
            ),
        })
        .collect();
    let first = p.sources.first().map(|s| format!("{}Artifact", s.action()));
    let mut out = vec![
        json!({"name": "Source", "actions": sources}),
        json!({"name": "Build", "actions": [action("Build", "Build", "CodeBuild",
            json!({"ProjectName": format!("{}-build", p.name)}), first.as_deref(), Some("BuildArtifact"))]}),
    ];
    if p.approval {
        out.push(json!({"name": "Approval", "actions": [action("ApproveRelease", "Approval", "Manual",
            json!({"CustomData": format!("Approve {} release", p.name)}), None, None)]}));
    }
    out.push(json!({"name": "Deploy", "actions": [action("Deploy", "Deploy", "ECS",
        json!({"ClusterName": "prod", "ServiceName": p.name}), Some("BuildArtifact"), None)]}));
    out
}

fn declaration(cx: &Cx, p: &Pipeline) -> Value {
    json!({
        "name": p.name,
        "roleArn": format!("arn:aws:iam::{}:role/service-role/AWSCodePipelineServiceRole-{}-{}", cx.account, cx.region, p.name),
        "artifactStore": {"type": "S3", "location": format!("codepipeline-{}-{}", cx.region, cx.account)},
        "stages": stages(p),
        "version": p.version,
        "pipelineType": type_str(p),
        "executionMode": p.mode.as_str()
    })
}

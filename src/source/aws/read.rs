//! The reads of one poll: identity, pipelines (definitions and executions) and images, concurrently and bounded.

use std::collections::HashMap;

use aws_sdk_codepipeline::primitives::DateTime;
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, PipelineExecutionSummary};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::Semaphore;

use super::errors::{describe, merge};
use super::{PROFILE_IN_FLIGHT, ProfileClients, Scope};
use crate::model::{ExecStatus, Execution, Identity, ImagePush, Pipeline, ProfileSnapshot, Revision, WatchedSource};
use crate::source::PollRequest;

/// Page size of ListPipelineExecutions (the API allows 1–100).
const EXECUTIONS_PAGE: i32 = 50;
/// Page size of DescribeImages (the API allows up to 1000).
const IMAGES_PAGE: i32 = 1000;

type Failures = Vec<(String, String)>;

/// Reads everything of one profile. Each API's failure is recorded; what the other APIs returned is kept.
pub async fn poll_clients(c: &ProfileClients, scope: &Scope, req: PollRequest, limit: &Semaphore) -> ProfileSnapshot {
    let since = req.since();
    let identity = async {
        let _permit = limit.acquire().await.ok();
        c.sts.get_caller_identity().send().await
    };
    let (identity, (pipelines, mut failures, mut warnings)) =
        tokio::join!(identity, read_pipelines(c, scope, since, limit));

    let identity = match identity {
        Ok(out) => Some(Identity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
            user_id: out.user_id().unwrap_or_default().to_string(),
        }),
        Err(e) => {
            failures.insert(0, ("sts:GetCallerIdentity".into(), describe(&e)));
            None
        }
    };

    // Repositories: those the pipelines watch (in pipeline order), then the extra ones.
    let mut repos: Vec<&str> = Vec::new();
    for r in pipelines.iter().flat_map(|p| p.sources.iter().map(|s| s.repository.as_str())) {
        if !repos.contains(&r) {
            repos.push(r);
        }
    }
    for r in &scope.repositories {
        if !repos.contains(&r.as_str()) {
            repos.push(r);
        }
    }
    let owned: Vec<(usize, String)> = repos.iter().map(|r| r.to_string()).enumerate().collect();
    let mut results: Vec<(usize, Result<Vec<ImagePush>, ImageError>)> = futures::stream::iter(owned)
        .map(|(i, repo)| async move { (i, read_images(c, &repo, since, limit).await) })
        .buffer_unordered(PROFILE_IN_FLIGHT)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let mut pushes = Vec::new();
    for (i, r) in results {
        match r {
            Ok(mut imgs) => pushes.append(&mut imgs),
            Err(ImageError::NotFound) => {
                warnings.push(format!("ECR repository `{}` not found in this account and region", repos[i]))
            }
            Err(ImageError::Other(msg)) => failures.push((format!("ecr:DescribeImages {}", repos[i]), msg)),
        }
    }

    ProfileSnapshot { identity, pipelines, pushes, errors: merge(failures), warnings }
}

async fn read_pipelines(
    c: &ProfileClients,
    scope: &Scope,
    since: Timestamp,
    limit: &Semaphore,
) -> (Vec<Pipeline>, Failures, Vec<String>) {
    let mut failures = Failures::new();
    let mut warnings = Vec::new();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = limit.acquire().await.ok();
            c.codepipeline.list_pipelines().set_next_token(token.take()).send().await
        };
        match page {
            Ok(out) => {
                names.extend(out.pipelines().iter().filter_map(|p| p.name().map(str::to_string)));
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
            Err(e) => {
                failures.push(("codepipeline:ListPipelines".into(), describe(&e)));
                return (Vec::new(), failures, warnings);
            }
        }
    }
    if let Some(wanted) = &scope.pipelines {
        for w in wanted {
            if !names.contains(w) {
                warnings.push(format!("pipeline `{w}` (listed in `pipelines`) not found"));
            }
        }
        names.retain(|n| wanted.contains(n));
    }

    let mut results: Vec<(usize, Result<Pipeline, Failures>)> = futures::stream::iter(names.into_iter().enumerate())
        .map(|(i, name)| async move { (i, read_pipeline(c, &name, since, limit).await) })
        .buffer_unordered(PROFILE_IN_FLIGHT)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let mut pipelines = Vec::with_capacity(results.len());
    for (_, r) in results {
        match r {
            Ok(p) => pipelines.push(p),
            Err(mut f) => failures.append(&mut f),
        }
    }
    (pipelines, failures, warnings)
}

/// One pipeline: its definition and its executions, read concurrently.
async fn read_pipeline(
    c: &ProfileClients,
    name: &str,
    since: Timestamp,
    limit: &Semaphore,
) -> Result<Pipeline, Failures> {
    let definition = async {
        let _permit = limit.acquire().await.ok();
        c.codepipeline.get_pipeline().name(name).send().await
    };
    let (definition, executions) = tokio::join!(definition, read_executions(c, name, since, limit));
    let mut failures = Failures::new();
    let sources = match definition {
        Ok(out) => out.pipeline().map(ecr_sources).unwrap_or_default(),
        Err(e) => {
            failures.push((format!("codepipeline:GetPipeline {name}"), describe(&e)));
            Vec::new()
        }
    };
    let executions = executions.unwrap_or_else(|msg| {
        failures.push((format!("codepipeline:ListPipelineExecutions {name}"), msg));
        Vec::new()
    });
    if failures.is_empty() { Ok(Pipeline { name: name.to_string(), sources, executions }) } else { Err(failures) }
}

/// The ECR source actions of a pipeline definition.
pub fn ecr_sources(decl: &aws_sdk_codepipeline::types::PipelineDeclaration) -> Vec<WatchedSource> {
    let empty = HashMap::new();
    decl.stages()
        .iter()
        .flat_map(|s| s.actions())
        .filter(|a| {
            a.action_type_id().is_some_and(|t| {
                *t.category() == ActionCategory::Source && *t.owner() == ActionOwner::Aws && t.provider() == "ECR"
            })
        })
        .filter_map(|a| {
            let conf = a.configuration().unwrap_or(&empty);
            let repository = conf.get("RepositoryName")?.clone();
            let tag = conf.get("ImageTag").filter(|t| !t.is_empty()).cloned().unwrap_or_else(|| "latest".into());
            Some(WatchedSource { action: a.name().to_string(), repository, tag })
        })
        .collect()
}

/// Executions newest first, paging only until they are older than `since`.
async fn read_executions(
    c: &ProfileClients,
    name: &str,
    since: Timestamp,
    limit: &Semaphore,
) -> Result<Vec<Execution>, String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = limit.acquire().await.ok();
            c.codepipeline
                .list_pipeline_executions()
                .pipeline_name(name)
                .max_results(EXECUTIONS_PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe(&e))?
        };
        let mut reached_old = false;
        for s in page.pipeline_execution_summaries() {
            match execution(s) {
                Some(e) if e.started_at >= since => out.push(e),
                Some(_) => reached_old = true,
                None => {}
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && !reached_old => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Converts one execution summary; `None` when it lacks an id or a start time.
pub fn execution(s: &PipelineExecutionSummary) -> Option<Execution> {
    Some(Execution {
        id: s.pipeline_execution_id()?.to_string(),
        status: ExecStatus::parse(s.status().map(|st| st.as_str()).unwrap_or("Unknown")),
        trigger: s.trigger().and_then(|t| t.trigger_type()).map(|t| t.as_str().to_string()).unwrap_or_default(),
        trigger_detail: s.trigger().and_then(|t| t.trigger_detail()).map(str::to_string),
        started_at: timestamp(s.start_time()?)?,
        updated_at: s.last_update_time().and_then(timestamp),
        revisions: s
            .source_revisions()
            .iter()
            .filter_map(|r| {
                Some(Revision {
                    action: r.action_name().to_string(),
                    revision_id: r.revision_id()?.to_string(),
                    summary: r.revision_summary().map(str::to_string),
                })
            })
            .collect(),
        status_summary: s.status_summary().map(str::to_string),
    })
}

enum ImageError {
    NotFound,
    Other(String),
}

/// Every image of `repo` pushed since `since` (all pages: there is no server-side sort).
async fn read_images(
    c: &ProfileClients,
    repo: &str,
    since: Timestamp,
    limit: &Semaphore,
) -> Result<Vec<ImagePush>, ImageError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = limit.acquire().await.ok();
            c.ecr
                .describe_images()
                .repository_name(repo)
                .max_results(IMAGES_PAGE)
                .set_next_token(token.take())
                .send()
                .await
        };
        let page = match page {
            Ok(p) => p,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_found_exception()) => {
                return Err(ImageError::NotFound);
            }
            Err(e) => return Err(ImageError::Other(describe(&e))),
        };
        for d in page.image_details() {
            let (Some(digest), Some(at)) = (d.image_digest(), d.image_pushed_at().and_then(timestamp)) else {
                continue;
            };
            if at < since {
                continue;
            }
            let mut tags = d.image_tags().to_vec();
            tags.sort();
            out.push(ImagePush { repository: repo.to_string(), digest: digest.to_string(), tags, pushed_at: at });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

fn timestamp(dt: &DateTime) -> Option<Timestamp> {
    Timestamp::new(dt.secs(), i32::try_from(dt.subsec_nanos()).ok()?).ok()
}

//! Pipelines and their runs (CodePipeline ListPipelines, GetPipeline, ListPipelineExecutions), reusing what the
//! profile remembers: a definition is read again only when its version changed, and executions only down to the
//! first page holding one already seen.

use futures::StreamExt;

use super::convert;
use super::errors::poll_error;
use super::memory::Definition;
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll};
use crate::model::{Execution, Pipeline, PollError};

/// Page size of ListPipelineExecutions (the API allows 1–100).
const EXECUTIONS_PAGE: i32 = 50;

/// A pipeline and its ARN (from GetPipeline's metadata, when given).
pub(super) type PipelineWithArn = (Pipeline, Option<String>);

/// What the pipelines read produced: the pipelines read in full, the failed calls, and warnings.
#[derive(Debug, Default)]
pub(super) struct PipelinesRead {
    pub pipelines: Vec<PipelineWithArn>,
    pub failures: Vec<PollError>,
    pub warnings: Vec<String>,
}

/// Every pipeline of the account (or those the scope names), each with its definition and executions. A pipeline
/// whose definition or executions could not be read is left out, its failures recorded.
pub(super) async fn read(p: &ProfilePoll<'_>) -> PipelinesRead {
    let mut out = PipelinesRead::default();
    let mut listed: Vec<(String, Option<i32>)> = Vec::new();
    let mut pages = p.clients.codepipeline.list_pipelines().into_paginator().send();
    while let Some(page) = p.page("codepipeline:ListPipelines", pages.next()).await {
        match page {
            Ok(page) => {
                listed.extend(page.pipelines().iter().filter_map(|s| Some((s.name()?.to_string(), s.version()))))
            }
            Err(e) => {
                out.failures.push(poll_error("codepipeline:ListPipelines", &e));
                return out;
            }
        }
    }
    if let Some(wanted) = &p.scope.pipelines {
        for w in wanted {
            if !listed.iter().any(|(n, _)| n == w) {
                out.warnings.push(format!("pipeline `{w}` (listed in `pipelines`) not found"));
            }
        }
        listed.retain(|(n, _)| wanted.contains(n));
    }
    // Forget pipelines that no longer exist.
    let names: Vec<&String> = listed.iter().map(|(n, _)| n).collect();
    p.memory.definitions.lock().await.retain(|n, _| names.contains(&n));
    p.memory.executions.lock().await.retain(|n, _| names.contains(&n));

    let mut results: Vec<(usize, Result<PipelineWithArn, Vec<PollError>>)> =
        futures::stream::iter(listed.into_iter().enumerate())
            .map(|(i, (name, version))| async move { (i, read_pipeline(p, &name, version).await) })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    for (_, r) in results {
        match r {
            Ok(pipeline) => out.pipelines.push(pipeline),
            Err(mut f) => out.failures.append(&mut f),
        }
    }
    out
}

/// One pipeline: its definition (re-read only when its version changed) and its executions, concurrently.
async fn read_pipeline(
    p: &ProfilePoll<'_>,
    name: &str,
    version: Option<i32>,
) -> Result<PipelineWithArn, Vec<PollError>> {
    let (definition, executions) = tokio::join!(read_definition(p, name, version), read_executions(p, name));
    let mut failures = Vec::new();
    let definition = definition.map_err(|e| failures.push(e)).ok();
    let executions = executions.map_err(|e| failures.push(e)).ok();
    match (definition, executions) {
        (Some(d), Some(executions)) => Ok((Pipeline { name: name.to_string(), sources: d.sources, executions }, d.arn)),
        _ => Err(failures),
    }
}

async fn read_definition(p: &ProfilePoll<'_>, name: &str, version: Option<i32>) -> Result<Definition, PollError> {
    if let Some(d) = p.memory.definitions.lock().await.get(name)
        && version.is_some()
        && d.version == version
    {
        return Ok(d.clone());
    }
    let out = {
        let _slot = p.slot("codepipeline:GetPipeline").await;
        p.clients
            .codepipeline
            .get_pipeline()
            .name(name)
            .send()
            .await
            .map_err(|e| poll_error(format!("codepipeline:GetPipeline {name}"), &e))?
    };
    let d = Definition {
        version: out.pipeline().and_then(|p| p.version()).or(version),
        sources: out.pipeline().map(convert::watched_sources).unwrap_or_default(),
        arn: out.metadata().and_then(|m| m.pipeline_arn()).map(str::to_string),
    };
    p.memory.definitions.lock().await.insert(name.to_string(), d.clone());
    Ok(d)
}

/// Executions newest first within the lookback. The first poll pages back to `since`; later polls stop at the first
/// page holding an execution already seen, and merge it with what was seen before.
async fn read_executions(p: &ProfilePoll<'_>, name: &str) -> Result<Vec<Execution>, PollError> {
    let api = "codepipeline:ListPipelineExecutions";
    let known: Option<Vec<Execution>> = p.memory.executions.lock().await.get(name).cloned();
    let mut fresh: Vec<Execution> = Vec::new();
    let mut pages = p
        .clients
        .codepipeline
        .list_pipeline_executions()
        .pipeline_name(name)
        .into_paginator()
        .page_size(EXECUTIONS_PAGE)
        .send();
    // The paginator sends the next request only when asked for the next page: stopping here reads no further.
    while let Some(page) = p.page(api, pages.next()).await {
        let page = page.map_err(|e| poll_error(format!("{api} {name}"), &e))?;
        let mut reached_old = false;
        let mut reached_known = false;
        for s in page.pipeline_execution_summaries() {
            let Some(e) = convert::execution(s) else { continue };
            if e.started_at < p.since {
                reached_old = true;
                continue;
            }
            if known.as_ref().is_some_and(|k| k.iter().any(|x| x.id == e.id)) {
                reached_known = true;
            }
            fresh.push(e);
        }
        if reached_old || reached_known {
            break;
        }
    }
    let mut merged = fresh;
    if let Some(known) = known {
        for e in known {
            if e.started_at >= p.since && !merged.iter().any(|x| x.id == e.id) {
                merged.push(e);
            }
        }
        merged.sort_by_key(|e| std::cmp::Reverse(e.started_at));
    }
    p.memory.executions.lock().await.insert(name.to_string(), merged.clone());
    Ok(merged)
}

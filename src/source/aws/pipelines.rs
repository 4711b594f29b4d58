//! Pipelines and their runs (CodePipeline ListPipelines, GetPipeline, ListPipelineExecutions), reusing what the
//! profile remembers: a definition is read again only when its version changed, and executions only down to the
//! first page holding one already seen. Runs are listed only for pipelines with an ECR source (or named in the
//! profile's `pipelines`): the others can start no push's run.
//!
//! A call that fails for one pipeline (throttled, say) keeps that pipeline's last good data, marked stale, so its
//! pushes stay watched; a pipeline with nothing good known of it is left out and fails the profile (a push is never
//! flagged on missing data).

use futures::StreamExt;

use super::convert;
use super::errors::poll_error;
use super::memory::Definition;
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll};
use crate::model::{Execution, Pipeline, PollError, StalePipeline};

/// Page size of ListPipelineExecutions (the API allows 1–100).
const EXECUTIONS_PAGE: i32 = 50;

/// What the pipelines read produced: the pipelines (fresh or stale), the failed calls, warnings, and which
/// pipelines are stale.
#[derive(Debug, Default)]
pub(super) struct PipelinesRead {
    pub pipelines: Vec<Pipeline>,
    pub failures: Vec<PollError>,
    pub warnings: Vec<String>,
    pub stale: Vec<StalePipeline>,
}

/// One pipeline's read: its data (fresh, or the last good one with the failure that made it stale), or the failure
/// that left it out (nothing good is known of it).
#[derive(Default)]
struct PipelineRead {
    pipeline: Option<Pipeline>,
    stale: Option<PollError>,
    failure: Option<PollError>,
}

/// Every pipeline of the account (or those the scope names), each with its definition and executions.
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
                remembered(p, poll_error("codepipeline:ListPipelines", &e), &mut out).await;
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

    let mut results: Vec<(usize, PipelineRead)> = futures::stream::iter(listed.into_iter().enumerate())
        .map(|(i, (name, version))| async move { (i, read_pipeline(p, &name, version).await) })
        .buffer_unordered(PROFILE_IN_FLIGHT)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    for (_, r) in results {
        if let (Some(pipeline), Some(e)) = (&r.pipeline, &r.stale) {
            out.warnings.push(format!("pipeline `{}` shows the data of an earlier poll: {e}", pipeline.name));
            out.stale.push(StalePipeline { pipeline: pipeline.name.clone(), reason: e.to_string() });
        }
        out.pipelines.extend(r.pipeline);
        out.failures.extend(r.failure);
    }
    out
}

/// ListPipelines failed: the pipelines remembered from earlier polls, all stale, or the failure when there are none.
async fn remembered(p: &ProfilePoll<'_>, e: PollError, out: &mut PipelinesRead) {
    let definitions = p.memory.definitions.lock().await.clone();
    if definitions.is_empty() {
        out.failures.push(e);
        return;
    }
    let executions = p.memory.executions.lock().await.clone();
    let mut names: Vec<&String> = definitions.keys().collect();
    names.sort();
    out.warnings.push(format!("pipelines show the data of an earlier poll: {e}"));
    for name in names {
        let runs = executions.get(name).map(|e| within(e, p)).unwrap_or_default();
        out.pipelines.push(Pipeline {
            name: name.clone(),
            sources: definitions[name].sources.clone(),
            executions: runs,
        });
        out.stale.push(StalePipeline { pipeline: name.clone(), reason: e.to_string() });
    }
}

/// One pipeline: its definition (re-read only when its version changed), then its executions if it can start a
/// push's run. A failed call falls back on what the profile remembers.
async fn read_pipeline(p: &ProfilePoll<'_>, name: &str, version: Option<i32>) -> PipelineRead {
    let mut out = PipelineRead::default();
    let definition = match read_definition(p, name, version).await {
        Ok(d) => d,
        Err(e) => match p.memory.definitions.lock().await.get(name).cloned() {
            Some(d) => {
                out.stale = Some(e);
                d
            }
            None => return PipelineRead { failure: Some(e), ..out },
        },
    };
    let named = p.scope.pipelines.as_ref().is_some_and(|names| names.iter().any(|n| n == name));
    let executions = if definition.sources.is_empty() && !named {
        Vec::new()
    } else {
        match read_executions(p, name).await {
            Ok(executions) => executions,
            Err(e) => match p.memory.executions.lock().await.get(name) {
                Some(known) => {
                    let known = within(known, p);
                    out.stale.get_or_insert(e);
                    known
                }
                // No run of it was ever read: left out (a push is never flagged on missing data), and the profile
                // did not poll it.
                None => return PipelineRead { failure: Some(e), ..PipelineRead::default() },
            },
        }
    };
    out.pipeline = Some(Pipeline { name: name.to_string(), sources: definition.sources, executions });
    out
}

/// The remembered executions still within the lookback.
fn within(known: &[Execution], p: &ProfilePoll<'_>) -> Vec<Execution> {
    known.iter().filter(|e| e.started_at >= p.since).cloned().collect()
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

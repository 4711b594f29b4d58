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
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll, next_token};
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

/// The pipelines listed, each with its definition: the first half of the read. Which repositories they watch is
/// known from here, so their images can be read while the runs are (`orchestrate`).
#[derive(Default)]
pub(super) struct Defined {
    /// Failures and warnings so far; complete (with the remembered pipelines) when ListPipelines failed.
    read: PipelinesRead,
    /// The listed pipelines in order, each defined (fresh, or remembered and stale) or failed.
    pipelines: Vec<Result<DefinedPipeline, PollError>>,
}

/// A listed pipeline and its definition, with the failure that made the definition stale, if any.
struct DefinedPipeline {
    name: String,
    definition: Definition,
    stale: Option<PollError>,
}

impl Defined {
    /// The repositories the defined pipelines watch, in pipeline order (each as often as it is watched).
    pub fn repositories(&self) -> impl Iterator<Item = &String> {
        let listed = self.pipelines.iter().flatten().flat_map(|d| d.definition.sources.iter().map(|s| &s.repository));
        let remembered = self.read.pipelines.iter().flat_map(|p| p.sources.iter().map(|s| &s.repository));
        remembered.chain(listed)
    }
}

/// Every pipeline of the account (or those the scope names) with its definition: ListPipelines, then GetPipeline
/// of each whose version changed.
pub(super) async fn define(p: &ProfilePoll<'_>) -> Defined {
    let mut out = Defined::default();
    let mut listed: Vec<(String, Option<i32>)> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = p.slot("codepipeline:ListPipelines").await;
            p.clients
                .codepipeline
                .list_pipelines()
                .set_next_token(token.clone())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        match page {
            Ok(page) => {
                listed.extend(page.pipelines().iter().filter_map(|s| Some((s.name()?.to_string(), s.version()))));
                match next_token(page.next_token(), token.as_deref()) {
                    Some(next) => token = Some(next),
                    None => break,
                }
            }
            Err(e) => {
                remembered(p, poll_error("codepipeline:ListPipelines", &e), &mut out.read).await;
                return out;
            }
        }
    }
    if let Some(wanted) = &p.scope.pipelines {
        for w in wanted {
            if !listed.iter().any(|(n, _)| n == w) {
                out.read.warnings.push(format!("pipeline `{w}` (listed in `pipelines`) not found"));
            }
        }
        listed.retain(|(n, _)| wanted.contains(n));
    }
    // Forget pipelines that no longer exist.
    let names: Vec<&String> = listed.iter().map(|(n, _)| n).collect();
    p.memory.definitions.lock().await.retain(|n, _| names.contains(&n));
    p.memory.executions.lock().await.retain(|n, _| names.contains(&n));

    let mut results: Vec<(usize, Result<DefinedPipeline, PollError>)> =
        futures::stream::iter(listed.into_iter().enumerate())
            .map(|(i, (name, version))| async move { (i, define_one(p, name, version).await) })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    out.pipelines = results.into_iter().map(|(_, r)| r).collect();
    out
}

/// The runs of every defined pipeline: the second half of the read.
pub(super) async fn runs(p: &ProfilePoll<'_>, defined: Defined) -> PipelinesRead {
    let Defined { mut read, pipelines } = defined;
    let mut results: Vec<(usize, PipelineRead)> = futures::stream::iter(pipelines.into_iter().enumerate())
        .map(|(i, d)| async move {
            match d {
                Ok(d) => (i, runs_of(p, d).await),
                Err(e) => (i, PipelineRead { failure: Some(e), ..PipelineRead::default() }),
            }
        })
        .buffer_unordered(PROFILE_IN_FLIGHT)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    for (_, r) in results {
        if let (Some(pipeline), Some(e)) = (&r.pipeline, &r.stale) {
            read.warnings.push(format!("pipeline `{}` shows the data of an earlier poll: {e}", pipeline.name));
            read.stale.push(StalePipeline { pipeline: pipeline.name.clone(), reason: e.to_string() });
        }
        read.pipelines.extend(r.pipeline);
        read.failures.extend(r.failure);
    }
    read
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

/// One pipeline's read: its data (fresh, or the last good one with the failure that made it stale), or the failure
/// that left it out (nothing good is known of it).
#[derive(Default)]
struct PipelineRead {
    pipeline: Option<Pipeline>,
    stale: Option<PollError>,
    failure: Option<PollError>,
}

/// One pipeline's definition (re-read only when its version changed); a failed call falls back on what the profile
/// remembers.
async fn define_one(p: &ProfilePoll<'_>, name: String, version: Option<i32>) -> Result<DefinedPipeline, PollError> {
    match read_definition(p, &name, version).await {
        Ok(definition) => Ok(DefinedPipeline { name, definition, stale: None }),
        Err(e) => match p.memory.definitions.lock().await.get(&name).cloned() {
            Some(definition) => Ok(DefinedPipeline { name, definition, stale: Some(e) }),
            None => Err(e),
        },
    }
}

/// One pipeline's executions, if it can start a push's run. A failed call falls back on what the profile
/// remembers.
async fn runs_of(p: &ProfilePoll<'_>, d: DefinedPipeline) -> PipelineRead {
    let DefinedPipeline { name, definition, stale } = d;
    let mut out = PipelineRead { stale, ..PipelineRead::default() };
    let named = p.scope.pipelines.as_ref().is_some_and(|names| names.contains(&name));
    let executions = if definition.sources.is_empty() && !named {
        Vec::new()
    } else {
        match read_executions(p, &name).await {
            Ok(executions) => executions,
            Err(e) => match p.memory.executions.lock().await.get(&name) {
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
    out.pipeline = Some(Pipeline { name, sources: definition.sources, executions });
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
            .customize()
            .config_override(p.clients.auth())
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
    let mut token: Option<String> = None;
    // Page by page, each asked for only once the one before did not reach a run already seen or older than `since`.
    loop {
        let page = {
            let _slot = p.slot(api).await;
            p.clients
                .codepipeline
                .list_pipeline_executions()
                .pipeline_name(name)
                .max_results(EXECUTIONS_PAGE)
                .set_next_token(token.clone())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
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
        match next_token(page.next_token(), token.as_deref()) {
            Some(next) => token = Some(next),
            None => break,
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

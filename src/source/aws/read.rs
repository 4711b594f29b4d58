//! The reads of one poll: identity, pipelines (definitions and executions) and images, concurrently and bounded,
//! reusing what the profile remembers so that a steady-state poll costs about one call per pipeline and per
//! repository page.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_codepipeline::primitives::DateTime;
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, PipelineExecutionSummary};
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::enrich;
use super::errors::{describe, merge};
use super::state::{Definition, IDENTITY_TTL, ProfileState};
use super::stats::CallStats;
use super::{PROFILE_IN_FLIGHT, ProfileClients, Scope};
use crate::model::{
    Diagnostics, ExecStatus, Execution, Identity, ImagePush, Lookup, Pipeline, ProfileSnapshot, Revision, WatchedSource,
};
use crate::source::PollRequest;

/// Page size of ListPipelineExecutions (the API allows 1–100).
const EXECUTIONS_PAGE: i32 = 50;
/// Page size of DescribeImages (the API allows up to 1000).
const IMAGES_PAGE: i32 = 1000;

type Failures = Vec<(String, String)>;

/// Everything one poll of one profile needs.
pub(super) struct Ctx<'a> {
    pub c: &'a ProfileClients,
    pub scope: &'a Scope,
    pub state: &'a ProfileState,
    pub limit: &'a Semaphore,
    pub stats: &'a CallStats,
    pub since: Timestamp,
    pub now: Timestamp,
}

impl Ctx<'_> {
    /// Waits for a slot under the global cap and counts one call of `api`.
    pub async fn slot(&self, api: &'static str) -> Option<SemaphorePermit<'_>> {
        self.stats.call(api);
        self.limit.acquire().await.ok()
    }

    /// Runs `f`, recording its wall time as `phase`.
    pub async fn timed<T>(&self, phase: &'static str, f: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        self.stats.phase(phase, start.elapsed());
        out
    }
}

/// Reads everything of one profile. Each API's failure is recorded; what the other APIs returned is kept.
pub async fn poll_clients(
    c: &ProfileClients,
    scope: &Scope,
    state: &ProfileState,
    req: PollRequest,
    limit: &Semaphore,
) -> ProfileSnapshot {
    let stats = CallStats::default();
    let assumed_before = state.assume_role_calls.load(std::sync::atomic::Ordering::Relaxed);
    let cx = Ctx { c, scope, state, limit, stats: &stats, since: req.since(), now: req.now };
    let started = Instant::now();
    let mut snap = poll(&cx).await;
    let assumed = state.assume_role_calls.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(assumed_before);
    stats.add("sts:AssumeRole", assumed);
    stats.phase("total", started.elapsed());
    snap.stats = stats.finish();
    snap
}

async fn poll(cx: &Ctx<'_>) -> ProfileSnapshot {
    let enrich_deadline = cx.scope.enrich_timeout.map(|t| (Instant::now() + t, t));
    let (identity, (pipelines, mut failures, mut warnings)) =
        tokio::join!(cx.timed("identity", read_identity(cx)), cx.timed("pipelines", read_pipelines(cx)));
    let (pipelines, arns): (Vec<Pipeline>, Vec<Option<String>>) = pipelines.into_iter().unzip();
    let identity = match identity {
        Ok(id) => Some(id),
        Err(e) => {
            failures.insert(0, ("sts:GetCallerIdentity".into(), e));
            None
        }
    };
    if let (Some(id), Some(want)) = (&identity, &cx.scope.account)
        && id.account != *want
    {
        // Whatever was read belongs to another account: drop it rather than show it under this profile.
        let error = format!(
            "sts:GetCallerIdentity: the credentials act in account {}, not in the role's account {want}; \
             nothing of that account is shown (check role_arn, and the source credentials that assume it)",
            id.account
        );
        return ProfileSnapshot { identity, ..ProfileSnapshot::failed(error) };
    }

    // Repositories: those the pipelines watch (in pipeline order), then the extra ones.
    let mut repos: Vec<String> = Vec::new();
    for r in pipelines.iter().flat_map(|p| p.sources.iter().map(|s| &s.repository)).chain(&cx.scope.repositories) {
        if !repos.contains(r) {
            repos.push(r.clone());
        }
    }
    let images = cx.timed(
        "images",
        futures::stream::iter(repos.clone().into_iter().enumerate())
            .map(|(i, repo)| async move { (i, read_images(cx, &repo).await) })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect::<Vec<(usize, Result<Vec<ImagePush>, ImageError>)>>(),
    );
    let account = identity.as_ref().map(|i| i.account.clone());
    let trail = bounded(
        enrich_deadline,
        "cloudtrail:LookupEvents",
        cx.timed("cloudtrail", async {
            if !cx.scope.cloudtrail {
                return (Lookup::Skipped("switched off with `cloudtrail = false`".into()), None);
            }
            if repos.is_empty() {
                return (Lookup::Skipped("no watched repository in this profile".into()), None);
            }
            match enrich::read_cloudtrail(cx, account.as_deref()).await {
                Ok((read, note)) => (Lookup::Done(read), note),
                Err(e) => (Lookup::Skipped(format!("cloudtrail:LookupEvents failed: {e}")), None),
            }
        }),
    )
    .map(|r| r.unwrap_or_else(|late| (Lookup::Skipped(late), None)));
    let with_ecr: Vec<(String, String)> = pipelines
        .iter()
        .zip(&arns)
        .filter(|(p, _)| !p.sources.is_empty())
        .map(|(p, arn)| {
            let arn = arn.clone().unwrap_or_else(|| {
                let region = cx.c.codepipeline.config().region().map(|r| r.to_string()).unwrap_or_default();
                format!("arn:aws:codepipeline:{region}:{}:{}", account.as_deref().unwrap_or_default(), p.name)
            });
            (p.name.clone(), arn)
        })
        .collect();
    let rules = bounded(
        enrich_deadline,
        "events:ListRuleNamesByTarget/DescribeRule",
        cx.timed("rules", async {
            if !cx.scope.eventbridge {
                return Lookup::Skipped("switched off with `eventbridge = false`".into());
            }
            if with_ecr.is_empty() {
                return Lookup::Done(Vec::new());
            }
            match enrich::read_rules(cx, with_ecr.clone()).await {
                Ok(r) => Lookup::Done(r),
                Err(e) => Lookup::Skipped(e),
            }
        }),
    )
    .map(|r| r.unwrap_or_else(Lookup::Skipped));
    let (mut results, (put_images, trail_note), rules) = tokio::join!(images, trail, rules);
    if let Lookup::Skipped(why) = &put_images
        && cx.scope.cloudtrail
        && !repos.is_empty()
    {
        warnings.push(format!("pushes not attributed: {why} (needs cloudtrail:LookupEvents)"));
    }
    if let Lookup::Skipped(why) = &rules
        && cx.scope.eventbridge
    {
        warnings.push(format!(
            "trigger rules not checked: {why} (needs events:ListRuleNamesByTarget and events:DescribeRule)"
        ));
    }
    warnings.extend(trail_note);
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

    ProfileSnapshot {
        identity,
        pipelines,
        pushes,
        errors: merge(failures),
        warnings,
        diagnostics: Diagnostics { put_images, rules },
        stats: Default::default(),
    }
}

/// Runs an enrichment read until `deadline` (`None`: unbounded); `Err` says which API did not finish in time.
async fn bounded<T>(deadline: Option<(Instant, Duration)>, api: &str, f: impl Future<Output = T>) -> Result<T, String> {
    match deadline {
        None => Ok(f.await),
        Some((at, budget)) => tokio::time::timeout_at(at, f).await.map_err(|_| {
            format!("{api} did not finish within {} (part of the poll timeout)", humantime::format_duration(budget))
        }),
    }
}

/// The caller identity, from the cache while it is younger than [`IDENTITY_TTL`].
async fn read_identity(cx: &Ctx<'_>) -> Result<Identity, String> {
    if let Some((at, id)) = cx.state.identity.lock().await.as_ref()
        && at.elapsed() < IDENTITY_TTL
    {
        return Ok(id.clone());
    }
    let out = {
        let _slot = cx.slot("sts:GetCallerIdentity").await;
        cx.c.sts.get_caller_identity().send().await.map_err(|e| describe(&e))?
    };
    let id = Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    };
    *cx.state.identity.lock().await = Some((Instant::now(), id.clone()));
    Ok(id)
}

/// A pipeline and its ARN (from GetPipeline's metadata, when given).
type PipelineWithArn = (Pipeline, Option<String>);

async fn read_pipelines(cx: &Ctx<'_>) -> (Vec<PipelineWithArn>, Failures, Vec<String>) {
    let mut failures = Failures::new();
    let mut warnings = Vec::new();
    let mut listed: Vec<(String, Option<i32>)> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = cx.slot("codepipeline:ListPipelines").await;
            cx.c.codepipeline.list_pipelines().set_next_token(token.take()).send().await
        };
        match page {
            Ok(out) => {
                listed.extend(out.pipelines().iter().filter_map(|p| Some((p.name()?.to_string(), p.version()))));
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
    if let Some(wanted) = &cx.scope.pipelines {
        for w in wanted {
            if !listed.iter().any(|(n, _)| n == w) {
                warnings.push(format!("pipeline `{w}` (listed in `pipelines`) not found"));
            }
        }
        listed.retain(|(n, _)| wanted.contains(n));
    }
    // Forget pipelines that no longer exist.
    let names: Vec<&String> = listed.iter().map(|(n, _)| n).collect();
    cx.state.definitions.lock().await.retain(|n, _| names.contains(&n));
    cx.state.executions.lock().await.retain(|n, _| names.contains(&n));

    let mut results: Vec<(usize, Result<PipelineWithArn, Failures>)> =
        futures::stream::iter(listed.into_iter().enumerate())
            .map(|(i, (name, version))| async move { (i, read_pipeline(cx, &name, version).await) })
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

/// One pipeline: its definition (re-read only when its version changed) and its executions, concurrently.
async fn read_pipeline(cx: &Ctx<'_>, name: &str, version: Option<i32>) -> Result<PipelineWithArn, Failures> {
    let (definition, executions) = tokio::join!(read_definition(cx, name, version), read_executions(cx, name));
    let mut failures = Failures::new();
    let definition = definition.map_err(|e| failures.push((format!("codepipeline:GetPipeline {name}"), e))).ok();
    let executions =
        executions.map_err(|e| failures.push((format!("codepipeline:ListPipelineExecutions {name}"), e))).ok();
    match (definition, executions) {
        (Some(d), Some(executions)) => Ok((Pipeline { name: name.to_string(), sources: d.sources, executions }, d.arn)),
        _ => Err(failures),
    }
}

async fn read_definition(cx: &Ctx<'_>, name: &str, version: Option<i32>) -> Result<Definition, String> {
    if let Some(d) = cx.state.definitions.lock().await.get(name)
        && version.is_some()
        && d.version == version
    {
        return Ok(d.clone());
    }
    let out = {
        let _slot = cx.slot("codepipeline:GetPipeline").await;
        cx.c.codepipeline.get_pipeline().name(name).send().await.map_err(|e| describe(&e))?
    };
    let d = Definition {
        version: out.pipeline().and_then(|p| p.version()).or(version),
        sources: out.pipeline().map(ecr_sources).unwrap_or_default(),
        arn: out.metadata().and_then(|m| m.pipeline_arn()).map(str::to_string),
    };
    cx.state.definitions.lock().await.insert(name.to_string(), d.clone());
    Ok(d)
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

/// Executions newest first within the lookback. The first poll pages back to `since`; later polls stop at the first
/// page holding an execution already seen, and merge it with what was seen before.
async fn read_executions(cx: &Ctx<'_>, name: &str) -> Result<Vec<Execution>, String> {
    let known: Option<Vec<Execution>> = cx.state.executions.lock().await.get(name).cloned();
    let mut fresh: Vec<Execution> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = cx.slot("codepipeline:ListPipelineExecutions").await;
            cx.c.codepipeline
                .list_pipeline_executions()
                .pipeline_name(name)
                .max_results(EXECUTIONS_PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe(&e))?
        };
        let mut reached_old = false;
        let mut reached_known = false;
        for s in page.pipeline_execution_summaries() {
            let Some(e) = execution(s) else { continue };
            if e.started_at < cx.since {
                reached_old = true;
                continue;
            }
            if known.as_ref().is_some_and(|k| k.iter().any(|x| x.id == e.id)) {
                reached_known = true;
            }
            fresh.push(e);
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && !reached_old && !reached_known => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut merged = fresh;
    if let Some(known) = known {
        for e in known {
            if e.started_at >= cx.since && !merged.iter().any(|x| x.id == e.id) {
                merged.push(e);
            }
        }
        merged.sort_by_key(|e| std::cmp::Reverse(e.started_at));
    }
    cx.state.executions.lock().await.insert(name.to_string(), merged.clone());
    Ok(merged)
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
async fn read_images(cx: &Ctx<'_>, repo: &str) -> Result<Vec<ImagePush>, ImageError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = cx.slot("ecr:DescribeImages").await;
            cx.c.ecr
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
            if at < cx.since {
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

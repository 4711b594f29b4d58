//! Enrichment reads: CloudTrail `PutImage` records (incremental, rate-limited) and the EventBridge rules that target
//! each pipeline (cached). Their failures become warnings and skipped checks, never profile failures.

use std::time::Duration;

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_codepipeline::primitives::DateTime;
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use super::PROFILE_IN_FLIGHT;
use super::errors::describe;
use super::read::Ctx;
use crate::cloudtrail::parse_put_image;
use crate::model::{CloudTrailRead, TriggerRule};

/// Records arrive late (about 5 minutes): each incremental read re-reads this much of the window already read.
pub const TRAIL_OVERLAP: Duration = Duration::from_secs(15 * 60);
/// Pages of 50 events read at most per poll.
pub const MAX_TRAIL_PAGES: usize = 20;
/// How long EventBridge rules are trusted before they are read again.
pub const RULES_TTL: Duration = Duration::from_secs(10 * 60);

/// Reads the `PutImage` records since the last read (or `since` the first time), merged with what was read before.
pub(super) async fn read_cloudtrail(
    cx: &Ctx<'_>,
    account: Option<&str>,
) -> Result<(CloudTrailRead, Option<String>), String> {
    let (since, now) = (cx.since, cx.now);
    let mut cache = cx.state.trail.lock().await;
    let overlap = SignedDuration::try_from(TRAIL_OVERLAP).unwrap_or(SignedDuration::ZERO);
    let start = match cache.read_until {
        Some(u) => u.saturating_sub(overlap).unwrap_or(u).max(since),
        None => since,
    };
    let mut token: Option<String> = None;
    let mut pages = 0;
    let mut truncated = None;
    let mut fresh = Vec::new();
    loop {
        cx.state.limiter.wait().await;
        let page = {
            let _slot = cx.slot("cloudtrail:LookupEvents").await;
            cx.c.cloudtrail
                .lookup_events()
                .lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::EventName)
                        .attribute_value("PutImage")
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .start_time(datetime(start))
                .end_time(datetime(now))
                .max_results(50)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe(&e))?
        };
        pages += 1;
        for ev in page.events() {
            if let Some(rec) = ev.cloud_trail_event().and_then(|j| parse_put_image(j, account).ok()) {
                fresh.push(rec);
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && pages < MAX_TRAIL_PAGES => token = Some(t.to_string()),
            Some(t) if !t.is_empty() => {
                truncated = Some(format!(
                    "CloudTrail: more than {} PutImage events since {start}; only the newest were read",
                    pages * 50
                ));
                break;
            }
            _ => break,
        }
    }
    for rec in fresh {
        let key =
            if rec.event_id.is_empty() { format!("{}/{:?}", rec.event_time, rec.digest) } else { rec.event_id.clone() };
        cache.records.insert(key, rec);
    }
    cache.records.retain(|_, r| r.event_time >= since);
    cache.read_until = Some(now);
    Ok((CloudTrailRead { records: cache.records.values().cloned().collect(), read_until: now }, truncated))
}

/// A pipeline's name and the rules that target it.
type PipelineRules = (String, Vec<TriggerRule>);

/// The rules targeting each `(pipeline name, pipeline ARN)`, from the cache while it is fresh.
pub(super) async fn read_rules(cx: &Ctx<'_>, pipelines: Vec<(String, String)>) -> Result<Vec<PipelineRules>, String> {
    let mut results: Vec<(usize, Result<PipelineRules, String>)> =
        futures::stream::iter(pipelines.into_iter().enumerate())
            .map(|(i, (name, arn))| async move {
                if let Some((at, rules)) = cx.state.rules.lock().await.get(&arn)
                    && at.elapsed() < RULES_TTL
                {
                    return (i, Ok((name, rules.clone())));
                }
                let read = rules_of(cx, &arn).await;
                if let Ok(rules) = &read {
                    cx.state.rules.lock().await.insert(arn.clone(), (Instant::now(), rules.clone()));
                }
                (i, read.map(|r| (name, r)))
            })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

async fn rules_of(cx: &Ctx<'_>, target_arn: &str) -> Result<Vec<TriggerRule>, String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = cx.slot("events:ListRuleNamesByTarget").await;
            cx.c.events
                .list_rule_names_by_target()
                .target_arn(target_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| format!("events:ListRuleNamesByTarget: {}", describe(&e)))?
        };
        names.extend(page.rule_names().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut rules = Vec::with_capacity(names.len());
    for name in names {
        let out = {
            let _slot = cx.slot("events:DescribeRule").await;
            cx.c.events
                .describe_rule()
                .name(&name)
                .send()
                .await
                .map_err(|e| format!("events:DescribeRule {name}: {}", describe(&e)))?
        };
        rules.push(TriggerRule {
            name,
            state: out.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into()),
            pattern: out.event_pattern().map(str::to_string),
        });
    }
    Ok(rules)
}

fn datetime(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.as_second())
}

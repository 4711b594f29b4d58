//! The EventBridge rules that target each pipeline (ListRuleNamesByTarget, DescribeRule) with their targets
//! ([`targets`]), remembered for a while: whether a push could have started a run. A failure here is a warning and
//! a skipped check, never a profile failure.

use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::convert;
use super::errors::poll_error;
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll};
use super::targets;
use crate::model::{PollError, TriggerRule};

/// How long EventBridge rules are trusted before they are read again.
const RULES_TTL: Duration = Duration::from_secs(10 * 60);

/// A pipeline's name and the rules that target it.
pub(super) type PipelineRules = (String, Vec<TriggerRule>);

/// The rules targeting each `(pipeline name, pipeline ARN)`, from memory while it is fresh.
pub(super) async fn read(
    p: &ProfilePoll<'_>,
    pipelines: Vec<(String, String)>,
) -> Result<Vec<PipelineRules>, PollError> {
    let mut results: Vec<(usize, Result<PipelineRules, PollError>)> =
        futures::stream::iter(pipelines.into_iter().enumerate())
            .map(|(i, (name, arn))| async move {
                if let Some((at, rules)) = p.memory.rules.lock().await.get(&arn)
                    && at.elapsed() < RULES_TTL
                {
                    return (i, Ok((name, rules.clone())));
                }
                let read = rules_of(p, &arn).await;
                if let Ok(rules) = &read {
                    p.memory.rules.lock().await.insert(arn.clone(), (Instant::now(), rules.clone()));
                }
                (i, read.map(|r| (name, r)))
            })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The rules targeting `target_arn`. (EventBridge's SDK has no paginator for ListRuleNamesByTarget: the pages are
/// followed by hand.)
async fn rules_of(p: &ProfilePoll<'_>, target_arn: &str) -> Result<Vec<TriggerRule>, PollError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = p.slot("events:ListRuleNamesByTarget").await;
            p.clients
                .explain()
                .events
                .list_rule_names_by_target()
                .target_arn(target_arn)
                .set_next_token(token.take())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
                .map_err(|e| poll_error("events:ListRuleNamesByTarget", &e))?
        };
        names.extend(page.rule_names().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    // The rule and its targets are read at once: both are named on the default bus, where ListRuleNamesByTarget
    // looked ("If you omit this, the default event bus is used", EventBridge API Reference, ListRuleNamesByTarget
    // and ListTargetsByRule).
    let rules = names.iter().map(|name| async move {
        let describe = async {
            let _slot = p.slot("events:DescribeRule").await;
            p.clients
                .explain()
                .events
                .describe_rule()
                .name(name)
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
                .map_err(|e| poll_error(format!("events:DescribeRule {name}"), &e))
        };
        let (out, targets) = tokio::join!(describe, targets::read(p, name, None, true));
        let mut rule = convert::trigger_rule(name, &out?);
        rule.targets = targets;
        Ok::<_, PollError>(rule)
    });
    let rules = futures::future::join_all(rules).await.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(rules)
}

//! Events on a bus: every enabled rule whose pattern matches invokes its targets, and a CodePipeline target starts
//! its pipeline when it can.
//!
//! What a target needs, from the CodePipeline and EventBridge documentation (FACTS.md §10-§11): the pipeline's ARN,
//! and a `RoleArn` whose role may call `codepipeline:StartPipelineExecution` on it ("Create an EventBridge rule for
//! an Amazon ECR source (CLI)": the role's policy names the pipeline ARN, `put-targets … RoleArn=<role ARN>`). An
//! invocation that cannot succeed counts a `FailedInvocations` datapoint for the rule ("The number of invocations
//! that failed permanently", [Monitoring Amazon EventBridge](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)).

use jiff::Timestamp;
use serde_json::Value;

use super::{State, evaluate, runs};
use crate::model::{Delivery, Invocation, Outcome, Rule, RuleState, Target, TriggerType};
use crate::pattern;

/// Delivers `event` to `bus` of the account and region; returns the runs started: (pipeline, execution id).
pub(crate) fn deliver(
    st: &mut State,
    account: &str,
    region: &str,
    bus: &str,
    event: Value,
    at: Timestamp,
) -> Vec<(String, String)> {
    let rules: Vec<Rule> = st
        .region(account, region)
        .rules
        .iter()
        .filter(|r| r.bus == bus && r.state != RuleState::Disabled)
        .filter(|r| pattern::matches_str(&r.pattern, &event) == Ok(true))
        .cloned()
        .collect();
    let mut invocations = Vec::new();
    let mut started = Vec::new();
    for rule in &rules {
        for target in &rule.targets {
            let outcome = invoke(st, account, region, rule, target, &event, at);
            match &outcome {
                Outcome::Started { pipeline, execution_id } => started.push((pipeline.clone(), execution_id.clone())),
                Outcome::Failed(_) => {
                    st.region(account, region).failed_invocations.push((rule.bus.clone(), rule.name.clone(), at))
                }
                Outcome::Delivered => {}
            }
            invocations.push(Invocation {
                rule_arn: rule.arn(account, region),
                target_arn: target.arn.clone(),
                outcome,
            });
        }
    }
    st.deliveries.push(Delivery {
        account: account.into(),
        region: region.into(),
        bus: bus.into(),
        event,
        invocations,
    });
    started
}

/// `arn:aws:codepipeline:region:account:name` → (region, account, name).
fn parse_pipeline_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, region, account, name) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (service == "codepipeline").then_some((region, account, name))
}

fn invoke(
    st: &mut State,
    account: &str,
    region: &str,
    rule: &Rule,
    target: &Target,
    event: &Value,
    at: Timestamp,
) -> Outcome {
    let Some((p_region, p_account, p_name)) = parse_pipeline_arn(&target.arn) else { return Outcome::Delivered };
    if p_account != account || p_region != region {
        return Outcome::Failed(format!("{} is not a pipeline of this account and region", target.arn));
    }
    let Some(role_arn) = &target.role_arn else {
        return Outcome::Failed("the target has no RoleArn, so EventBridge cannot call StartPipelineExecution".into());
    };
    let Some(role) = st.role(role_arn) else { return Outcome::Failed(format!("role {role_arn} does not exist")) };
    let decision = evaluate(role, "codepipeline:StartPipelineExecution", &target.arn);
    if !decision.allowed() {
        return Outcome::Failed(format!(
            "{role_arn} may not call codepipeline:StartPipelineExecution on {} ({})",
            target.arn,
            decision.as_str()
        ));
    }
    if st.region_ref(account, region).is_none_or(|r| !r.pipelines.contains_key(p_name)) {
        return Outcome::Failed(format!("pipeline {p_name} does not exist"));
    }
    let overrides = target.input_transformer.as_ref().map(|(paths, template)| transform(paths, template, event));
    let start = at.saturating_add(st.settings.rule_start_delay).unwrap_or(at);
    let rule_arn = rule.arn(account, region);
    let pushed = event["detail"]["repository-name"]
        .as_str()
        .zip(event["detail"]["image-digest"].as_str())
        .map(|(r, d)| (r.to_string(), d.to_string()));
    let how = runs::Start {
        trigger: TriggerType::CloudWatchEvent,
        detail: Some(rule_arn),
        at: start,
        overrides: overrides.unwrap_or_default(),
        pushed,
    };
    match runs::start(st, account, region, p_name, how) {
        Ok(id) => Outcome::Started { pipeline: p_name.to_string(), execution_id: id },
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Applies an input transformer and reads the CodePipeline source overrides it produces: `InputPathsMap` values
/// are JSON paths into the event (`$.detail.image-digest`), `<name>` in the template is replaced by the value
/// ([Transforming target input](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html));
/// `sourceRevisions[].{actionName, revisionValue}` of the result override the source revisions
/// ([SourceRevisionOverride](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_SourceRevisionOverride.html)).
pub(crate) fn transform(
    paths: &std::collections::BTreeMap<String, String>,
    template: &str,
    event: &Value,
) -> Vec<(String, String)> {
    let mut text = template.to_string();
    for (name, path) in paths {
        let value = path
            .strip_prefix("$.")
            .map(|p| p.split('.').fold(event, |v, k| &v[k]))
            .and_then(Value::as_str)
            .unwrap_or_default();
        text = text.replace(&format!("<{name}>"), value);
    }
    let Ok(v) = serde_json::from_str::<Value>(&text) else { return Vec::new() };
    v["sourceRevisions"]
        .as_array()
        .map(|revs| {
            revs.iter()
                .filter_map(|r| Some((r["actionName"].as_str()?.to_string(), r["revisionValue"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

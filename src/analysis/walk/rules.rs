//! The rule hop: an enabled rule on the default bus whose pattern matches the event the image raised — the push's
//! "ECR Image Action" (or its CloudTrail-delivered PutImage, when a trail delivers it), or the "ECR Replication
//! Action" of a replicated image — and which targets the pipeline.

use super::trails::{Coverage, coverage};
use super::{Step, pipeline_of};
use crate::analysis::evidence::Evidence;
use crate::analysis::finding::{Code, Finding};
use crate::analysis::hop::{HopKind, HopState};
use crate::analysis::pattern::{RuleMatch, judge_replication, judge_rule, with_replication, without_resources};
use crate::analysis::replication::{Arrival, Source};
use crate::model::{Lookup, Pipeline, TriggerRule};

/// Which rules the target hop follows.
#[derive(Debug)]
pub(super) enum Follow<'a> {
    /// The enabled rule that targets the pipeline and matches the image's event: the rule hop is established.
    Matched(&'a TriggerRule),
    /// An enabled rule of the bus that matches the image's event but does not target the pipeline.
    Elsewhere(&'a TriggerRule),
    /// The rules that target the pipeline, none of which is seen to match.
    Unmatched(&'a [TriggerRule]),
    /// No rule: none targets the pipeline, or the rules were not read.
    Nothing,
}

/// The rule hop, and what the target hop follows.
pub(super) struct Checked<'a> {
    pub step: Step,
    pub follow: Follow<'a>,
}

/// The pattern the console creates for `repo:tag` ([Create an EventBridge rule for an Amazon ECR source](https://docs.aws.amazon.com/codepipeline/latest/userguide/create-cwe-ecr-source-console.html)),
/// widened to replications when the image arrives by replication.
fn console_pattern(repo: &str, tag: &str, replicated: bool) -> String {
    let native = serde_json::json!({
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [repo], "image-tag": [tag]}
    })
    .to_string();
    if replicated { with_replication(&native).unwrap_or(native) } else { native }
}

/// Checks the rule hop of `ev`'s push of `repo:tag` towards `pipeline`.
pub(super) fn check<'a>(ev: &Evidence<'a>, pipeline: &Pipeline, (repo, tag): (&str, &str)) -> Checked<'a> {
    let by_pipeline = match &ev.diagnostics.rules {
        Lookup::Done(b) => b,
        Lookup::Skipped(why) => {
            let mut step = Step::new(HopKind::Rule, HopState::NotChecked, format!("EventBridge rules: {why}"));
            step.unchecked.push(format!("EventBridge rules ({why})"));
            return Checked { step, follow: Follow::Nothing };
        }
    };
    let rules: &'a [TriggerRule] =
        by_pipeline.iter().find(|(n, _)| *n == pipeline.name).map_or(&[], |(_, r)| r.as_slice());
    let source = match ev.arrival {
        Some(Arrival::Replicated(s)) => Some(s),
        _ => None,
    };
    let replicated = source.is_some();
    if rules.is_empty() {
        return no_rule(ev, pipeline, repo, tag, replicated);
    }
    let enabled: Vec<&TriggerRule> = rules.iter().filter(|r| r.enabled()).collect();
    if enabled.is_empty() {
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        let mut step = Step::new(
            HopKind::Rule,
            HopState::Broken,
            names.iter().map(|n| format!("{n} is disabled")).collect::<Vec<_>>().join("; "),
        );
        let mut finding = Finding::new(
            Code::RuleDisabled,
            format!("the rule(s) targeting {} are disabled: {}", pipeline.name, names.join(", ")),
            format!("aws events enable-rule --name {}", names[0]),
        );
        for r in rules {
            finding = finding.seen(format!("events:DescribeRule {}: State {}", r.name, r.state));
        }
        step.findings.push(finding);
        return Checked { step, follow: Follow::Unmatched(rules) };
    }

    let what = if replicated { format!("the replication of {repo}:{tag}") } else { format!("{repo}:{tag}") };
    let mut seen: Vec<String> =
        rules.iter().filter(|r| !r.enabled()).map(|r| format!("{} is disabled", r.name)).collect();
    let mut unknown: Vec<String> = Vec::new();
    let mut blame: Vec<(u8, Finding)> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    for r in enabled {
        let pattern = r.pattern.as_deref().unwrap_or("");
        let judged = if replicated { judge_replication(pattern, repo, tag) } else { judge_rule(pattern, repo, tag) };
        match judged {
            RuleMatch::Matches => {
                let event = if replicated { " (\"ECR Replication Action\")" } else { "" };
                let mut step = Step::new(
                    HopKind::Rule,
                    HopState::Established,
                    format!("rule {} is enabled and matches {what}{event}", r.name),
                );
                step.checked.push(format!("rule {} matches {what} and is enabled", r.name));
                return Checked { step, follow: Follow::Matched(r) };
            }
            RuleMatch::CloudTrailStyle => match coverage(&ev.diagnostics.trails, ev.region) {
                Coverage::Covered(trail) => {
                    let mut step = Step::new(
                        HopKind::Rule,
                        HopState::Established,
                        format!(
                            "rule {} is enabled and matches CloudTrail-delivered PutImage calls of {what}; {trail}",
                            r.name
                        ),
                    );
                    step.checked.push(format!("rule {} matches CloudTrail-delivered {what}; {trail}", r.name));
                    return Checked { step, follow: Follow::Matched(r) };
                }
                Coverage::Uncovered(checked) => {
                    seen.push(format!(
                        "{} matches only CloudTrail-delivered PutImage calls, and no trail logs them in {}",
                        r.name, ev.region
                    ));
                    blame.push((1, cloudtrail_without_trail(ev, pipeline, r, repo, tag, &checked)));
                }
                Coverage::Unknown(why) => {
                    let line = format!(
                        "{} matches CloudTrail-delivered PutImage calls, which need a trail logging in {}: {why}",
                        r.name, ev.region
                    );
                    seen.push(line);
                    unknown.push(format!("trail coverage for rule {} ({why})", r.name));
                }
            },
            RuleMatch::ResourcesFilter(res) => {
                seen.push(format!("{} filters on resources {res}, which a push event leaves empty", r.name));
                blame.push((2, resources_filter(pipeline, r, pattern, &res)));
            }
            RuleMatch::Mismatch(why) => {
                // A replicated image's rule that matches its push, were it one, is a rule for pushes only.
                let as_push = source.map(|s| (s, judge_rule(pattern, repo, tag)));
                match as_push {
                    Some((src, RuleMatch::Matches | RuleMatch::ResourcesFilter(_))) => {
                        seen.push(format!("{} matches pushes only (\"ECR Image Action\", PUSH)", r.name));
                        blame.push((0, replication_not_matched(ev, pipeline, r, pattern, src)));
                    }
                    Some((_, RuleMatch::CloudTrailStyle)) => {
                        seen.push(format!("{} matches CloudTrail-delivered PutImage calls", r.name));
                        unknown.push(format!(
                            "whether a replication makes a CloudTrail PutImage call that rule {} would match (not \
                             documented)",
                            r.name
                        ));
                    }
                    _ => {
                        seen.push(format!("{}: {why}", r.name));
                        mismatches.push(format!("{}: {why}", r.name));
                    }
                }
            }
        }
    }
    if !unknown.is_empty() {
        let mut step = Step::new(HopKind::Rule, HopState::NotChecked, seen.join("; "));
        step.unchecked = unknown;
        return Checked { step, follow: Follow::Unmatched(rules) };
    }
    if !mismatches.is_empty() {
        blame.push((
            3,
            Finding::new(
                Code::RulePatternMismatch,
                format!("no enabled rule of {} matches {repo}:{tag} ({})", pipeline.name, mismatches.join("; ")),
                format!(
                    "set the rule's detail.repository-name to [\"{repo}\"] and detail.image-tag to [\"{tag}\"] as the \
                     source action says, or re-save the pipeline in the console to regenerate its rule"
                ),
            )
            .seen(format!("events:DescribeRule: {}", mismatches.join("; "))),
        ));
    }
    let mut step = Step::new(HopKind::Rule, HopState::Broken, seen.join("; "));
    blame.sort_by_key(|(rank, _)| *rank);
    step.findings.extend(blame.into_iter().take(1).map(|(_, f)| f));
    Checked { step, follow: Follow::Unmatched(rules) }
}

/// No rule targets the pipeline: a rule of the bus may match and start another pipeline; else `no_trigger_rule`.
fn no_rule<'a>(ev: &Evidence<'a>, pipeline: &Pipeline, repo: &str, tag: &str, replicated: bool) -> Checked<'a> {
    let what = if replicated { format!("the replication of {repo}:{tag}") } else { format!("{repo}:{tag}") };
    let mut others_said = String::new();
    match &ev.diagnostics.other_rules {
        Lookup::Done(others) => {
            let matches = |r: &&TriggerRule| {
                let p = r.pattern.as_deref().unwrap_or("");
                r.enabled()
                    && (if replicated { judge_replication(p, repo, tag) } else { judge_rule(p, repo, tag) })
                        == RuleMatch::Matches
            };
            if let Some(r) = others.iter().find(matches) {
                let targets = match &r.targets {
                    Lookup::Done(t) => {
                        let names: Vec<&str> = t.iter().map(|t| pipeline_of(&t.arn).unwrap_or(&t.arn)).collect();
                        format!(", and targets {}", names.join(", "))
                    }
                    Lookup::Skipped(_) => String::new(),
                };
                let mut step = Step::new(
                    HopKind::Rule,
                    HopState::Established,
                    format!("rule {} on the default bus is enabled and matches {what}{targets}", r.name),
                );
                step.checked.push(format!("rule {} matches {what} but does not target {}", r.name, pipeline.name));
                return Checked { step, follow: Follow::Elsewhere(r) };
            }
            others_said = match others.len() {
                0 => "; no other ECR rule is on the default bus".to_string(),
                n => format!("; none of the {n} other ECR rule(s) on the default bus matches {what}"),
            };
        }
        Lookup::Skipped(why) if why != "not checked" => others_said = format!(" (other rules not read: {why})"),
        Lookup::Skipped(_) => {}
    }
    let arn = ev.pipeline_arn(&pipeline.name);
    let role = ev.role_arn("<events-role>");
    let name = format!("{}-ecr-{repo}", pipeline.name);
    let pattern = console_pattern(repo, tag, replicated);
    let mut step = Step::new(
        HopKind::Rule,
        HopState::Broken,
        format!("no rule on the default bus targets {}{others_said}", pipeline.name),
    );
    let mut finding = Finding::new(
        Code::NoTriggerRule,
        format!("no EventBridge rule on the default bus targets pipeline {}{others_said}", pipeline.name),
        format!(
            "create the rule and its target (the console creates them; a pipeline made with the CLI, CloudFormation \
             or Terraform has them only if it declares them, and update-pipeline does not create them): `aws events \
             put-rule --name {name} --event-pattern '{pattern}' --role-arn {role}`, then `aws events put-targets \
             --rule {name} --targets Id=codepipeline-{p},Arn={arn},RoleArn={role}`, where the role is trusted by \
             events.amazonaws.com and allowed codepipeline:StartPipelineExecution on {arn}",
            p = pipeline.name
        ),
    )
    .seen(format!("events:ListRuleNamesByTarget {arn}: no rule"));
    if let Lookup::Done(others) = &ev.diagnostics.other_rules {
        finding = finding.seen(match others.len() {
            0 => "events:ListRules: no other ECR rule on the default bus".to_string(),
            n => format!("events:ListRules: {n} other ECR rule(s), none matching {what}"),
        });
    }
    step.findings.push(finding);
    Checked { step, follow: Follow::Nothing }
}

fn cloudtrail_without_trail(
    ev: &Evidence<'_>,
    pipeline: &Pipeline,
    r: &TriggerRule,
    repo: &str,
    tag: &str,
    checked: &[String],
) -> Finding {
    let mut f = Finding::new(
        Code::CloudtrailPatternWithoutTrail,
        format!(
            "rule {} of {} matches CloudTrail-delivered PutImage calls (\"AWS API Call via CloudTrail\"), which \
             EventBridge receives only from a trail with logging enabled, and no trail logs write management events \
             in {}",
            r.name, pipeline.name, ev.region
        ),
        format!(
            "match the native event instead: `aws events put-rule --name {} --event-pattern '{}'` (or have a trail \
             log write management events in {})",
            r.name,
            console_pattern(repo, tag, false),
            ev.region
        ),
    );
    for c in checked {
        f = f.seen(c.clone());
    }
    f
}

fn resources_filter(pipeline: &Pipeline, r: &TriggerRule, pattern: &str, res: &str) -> Finding {
    let fixed = without_resources(pattern).unwrap_or_else(|| "<the pattern without resources>".into());
    Finding::new(
        Code::RuleResourcesFilter,
        format!(
            "rule {} of {} filters on resources {res}; an ECR push event's resources list is empty, so the rule \
             never matches a push",
            r.name, pipeline.name
        ),
        format!("drop the resources filter: `aws events put-rule --name {} --event-pattern '{fixed}'`", r.name),
    )
    .seen(format!("events:DescribeRule {}: EventPattern resources {res}", r.name))
    .inferring(
        "that no push matches: the documented PUSH event has \"resources\": [] (Amazon ECR events and EventBridge), \
         and such rules are reported never to fire (aws/aws-cdk#29225)",
    )
}

fn replication_not_matched(
    ev: &Evidence<'_>,
    pipeline: &Pipeline,
    r: &TriggerRule,
    pattern: &str,
    source: &Source,
) -> Finding {
    let widened = with_replication(pattern).unwrap_or_else(|| "<the pattern with REPLICATE>".into());
    Finding::new(
        Code::ReplicationNotMatched,
        format!(
            "the image arrived by replication from account {} ({}), which raises \"ECR Replication Action\" \
             (REPLICATE); rule {} of {} matches only pushes (\"ECR Image Action\", PUSH)",
            source.account, source.region, r.name, pipeline.name
        ),
        format!("match replications too: `aws events put-rule --name {} --event-pattern '{widened}'`", r.name),
    )
    .seen(format!(
        "ecr:DescribeRegistry of profile {}: its replication configuration copies {} to {} {}",
        source.profile,
        ev.push.repository,
        ev.account(),
        ev.region
    ))
    .seen(format!(
        "ecr:DescribeImages of profile {}: the same digest, pushed there at {}",
        source.profile, source.pushed_at
    ))
    .inferring(
        "that this image was replicated rather than pushed here directly: no field of DescribeImages marks a \
         replicated image, and no PutImage record here names another pusher; a replicated image raises \"ECR \
         Replication Action\", not \"ECR Image Action\" (documented, Amazon ECR events and EventBridge)",
    )
}

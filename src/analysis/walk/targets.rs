//! The target hop: the rule's target is this pipeline, with a role that may call
//! `codepipeline:StartPipelineExecution` on it, and the rule's invocations did not fail around the push.
//!
//! What each part rests on: the target and its `RoleArn` are read (ListTargetsByRule; [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html));
//! the role's permission is IAM's policy simulation, which "can differ from your live AWS environment" and does not
//! look at the role's trust policy ([SimulatePrincipalPolicy](https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html));
//! `FailedInvocations` counts "invocations that failed permanently" and is sent "only … if it isn't zero"
//! ([Monitoring Amazon EventBridge](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)).

use jiff::{SignedDuration, Timestamp};

use super::rules::Follow;
use super::{Step, pipeline_of};
use crate::analysis::evidence::Evidence;
use crate::analysis::finding::{Code, Finding};
use crate::analysis::hop::{HopKind, HopState};
use crate::model::{Lookup, Pipeline, RolePermission, RuleTarget, TriggerRule};

/// What one followed rule says of the target hop.
enum Part {
    /// Seen to be in order: the evidence.
    Fine(String),
    /// Seen to be broken: the evidence and the finding.
    Broken(String, Finding),
    /// Not checked: the evidence and the reason.
    Unknown(String, String),
}

/// Checks the target hop towards `pipeline` along the rules the rule hop found.
pub(super) fn check(ev: &Evidence<'_>, pipeline: &Pipeline, (repo, tag): (&str, &str), follow: &Follow<'_>) -> Step {
    let parts: Vec<Part> = match follow {
        Follow::Nothing => {
            let why = match &ev.diagnostics.rules {
                Lookup::Skipped(why) => format!("EventBridge rules: {why}"),
                Lookup::Done(_) => format!("no rule targets {}", pipeline.name),
            };
            return Step::new(HopKind::Target, HopState::NotChecked, why);
        }
        Follow::Elsewhere(r) => vec![elsewhere(ev, pipeline, r, repo, tag)],
        Follow::Matched(r) => vec![follow_rule(ev, pipeline, r, true)],
        Follow::Unmatched(rules) => rules.iter().map(|r| follow_rule(ev, pipeline, r, false)).collect(),
    };
    let broken: Vec<&Part> = parts.iter().filter(|p| matches!(p, Part::Broken(..))).collect();
    if !broken.is_empty() {
        let mut step = Step::new(
            HopKind::Target,
            HopState::Broken,
            broken.iter().map(|p| evidence(p)).collect::<Vec<_>>().join("; "),
        );
        step.findings.extend(parts.into_iter().filter_map(|p| match p {
            Part::Broken(_, f) => Some(f),
            _ => None,
        }));
        return step;
    }
    let unknown = parts.iter().any(|p| matches!(p, Part::Unknown(..)));
    let state = if unknown { HopState::NotChecked } else { HopState::Established };
    let mut step = Step::new(HopKind::Target, state, parts.iter().map(evidence).collect::<Vec<_>>().join("; "));
    for p in parts {
        match p {
            Part::Fine(e) => step.checked.push(e),
            Part::Unknown(_, why) => step.unchecked.push(why),
            Part::Broken(..) => {}
        }
    }
    step
}

fn evidence(p: &Part) -> String {
    match p {
        Part::Fine(e) | Part::Broken(e, _) | Part::Unknown(e, _) => e.clone(),
    }
}

/// The target hop along `r`, which targets the pipeline; with the rule's failed invocations when `matched`.
fn follow_rule(ev: &Evidence<'_>, pipeline: &Pipeline, r: &TriggerRule, matched: bool) -> Part {
    let targets = match &r.targets {
        Lookup::Done(t) => t,
        Lookup::Skipped(why) => {
            return Part::Unknown(
                format!("targets of rule {}: {why}", r.name),
                format!("targets of rule {} ({why})", r.name),
            );
        }
    };
    let Some(t) = targets.iter().find(|t| pipeline_of(&t.arn) == Some(pipeline.name.as_str())) else {
        return other_pipeline(ev, pipeline, r, targets);
    };
    let mut fine = match (&t.role_arn, &t.may_start) {
        (None, _) => return without_role(ev, pipeline, r, t),
        (Some(role), Lookup::Done(RolePermission::Allowed)) => format!(
            "rule {} targets {} with role {role}, which the IAM policy simulation allows to call \
             codepipeline:StartPipelineExecution on it (its trust policy is not checked)",
            r.name, pipeline.name
        ),
        (Some(role), Lookup::Done(RolePermission::Denied(decision))) => {
            return role_denied(ev, pipeline, r, t, role, Some(decision));
        }
        (Some(role), Lookup::Done(RolePermission::NoSuchRole)) => return role_denied(ev, pipeline, r, t, role, None),
        (Some(role), Lookup::Skipped(why)) => {
            return Part::Unknown(
                format!(
                    "rule {} targets {} with role {role}; whether the role may start it was not checked: {why}",
                    r.name, pipeline.name
                ),
                format!("role {role} of rule {} ({why})", r.name),
            );
        }
    };
    if let Some(action) = &t.digest_override {
        let action = if action.is_empty() { String::new() } else { format!(" of source action {action}") };
        fine.push_str(&format!("; its input transformer sets the revision{action} to the event's image digest"));
    }
    if !matched {
        return Part::Fine(fine);
    }
    // The invocations that should have started the run: from the push to the end of its grace.
    let start = ev.push.pushed_at;
    let end = SignedDuration::try_from(ev.grace).ok().and_then(|g| start.checked_add(g).ok()).unwrap_or(start);
    match &ev.diagnostics.failed_invocations {
        Lookup::Done(m) => match m.between(&r.name, start, end) {
            Some(n) if n > 0 => failed(pipeline, r, n, start, end, m.by_rule.iter().find(|(n, _)| *n == r.name)),
            Some(_) => {
                fine.push_str(&format!("; no FailedInvocations of {} between {start} and {end}", r.name));
                Part::Fine(fine)
            }
            None => {
                fine.push_str(&format!(
                    "; FailedInvocations of {} read over {} to {}, not all of {start} to {end}",
                    r.name, m.from, m.until
                ));
                Part::Fine(fine)
            }
        },
        Lookup::Skipped(why) => {
            fine.push_str(&format!("; FailedInvocations not read ({why})"));
            Part::Fine(fine)
        }
    }
}

fn other_pipeline(ev: &Evidence<'_>, pipeline: &Pipeline, r: &TriggerRule, targets: &[RuleTarget]) -> Part {
    let arns: Vec<&str> = targets.iter().map(|t| t.arn.as_str()).collect();
    let others: Vec<&str> = targets.iter().map(|t| pipeline_of(&t.arn).unwrap_or(&t.arn)).collect();
    let starts =
        if others.is_empty() { "targets nothing".to_string() } else { format!("starts {}", others.join(", ")) };
    let arn = ev.pipeline_arn(&pipeline.name);
    let role = targets.iter().find_map(|t| t.role_arn.clone()).unwrap_or_else(|| ev.role_arn("<events-role>"));
    Part::Broken(
        format!("rule {} {starts}, not {}", r.name, pipeline.name),
        Finding::new(
            Code::RuleTargetsOtherPipeline,
            format!("rule {} matches the push but {starts}, not {}", r.name, pipeline.name),
            format!(
                "point the rule at this pipeline: `aws events put-targets --rule {} --targets \
                 Id=codepipeline-{},Arn={arn},RoleArn={role}` (a role trusted by events.amazonaws.com and allowed \
                 codepipeline:StartPipelineExecution on {arn})",
                r.name, pipeline.name
            ),
        )
        .seen(format!(
            "events:ListTargetsByRule {}: {}",
            r.name,
            if arns.is_empty() { "no target".into() } else { arns.join(", ") }
        )),
    )
}

fn elsewhere(ev: &Evidence<'_>, pipeline: &Pipeline, r: &TriggerRule, repo: &str, tag: &str) -> Part {
    match &r.targets {
        Lookup::Done(t) => match other_pipeline(ev, pipeline, r, t) {
            Part::Broken(e, f) => Part::Broken(
                e,
                f.seen(format!("events:ListRules: {} is enabled and matches {repo}:{tag}", r.name))
                    .seen(format!("events:ListRuleNamesByTarget {}: no rule", ev.pipeline_arn(&pipeline.name))),
            ),
            other => other,
        },
        Lookup::Skipped(why) => Part::Unknown(
            format!("rule {} matches the push; its targets were not read: {why}", r.name),
            format!("targets of rule {} ({why})", r.name),
        ),
    }
}

fn without_role(ev: &Evidence<'_>, pipeline: &Pipeline, r: &TriggerRule, t: &RuleTarget) -> Part {
    let role = ev.role_arn("<events-role>");
    Part::Broken(
        format!("rule {}'s target {} ({}) names no role", r.name, t.id, pipeline.name),
        Finding::new(
            Code::TargetWithoutRole,
            format!(
                "rule {}'s target {} names no role, so EventBridge has no identity to call \
                 codepipeline:StartPipelineExecution on {}",
                r.name, t.id, pipeline.name
            ),
            format!(
                "give the target a role: `aws events put-targets --rule {} --targets Id={},Arn={},RoleArn={role}` \
                 (a role trusted by events.amazonaws.com and allowed codepipeline:StartPipelineExecution on {})",
                r.name, t.id, t.arn, t.arn
            ),
        )
        .seen(format!("events:ListTargetsByRule {}: target {} → {}, no RoleArn", r.name, t.id, t.arn))
        .inferring(
            "that the target cannot start the pipeline without a role: the CodePipeline documentation's rule for \
             an ECR source always gives its target a role allowed codepipeline:StartPipelineExecution (Create an \
             EventBridge rule for an Amazon ECR source (CLI))",
        ),
    )
}

fn role_denied(
    ev: &Evidence<'_>,
    pipeline: &Pipeline,
    r: &TriggerRule,
    t: &RuleTarget,
    role: &str,
    decision: Option<&str>,
) -> Part {
    let arn = ev.pipeline_arn(&pipeline.name);
    let statement = format!(
        "{{\"Effect\":\"Allow\",\"Action\":[\"codepipeline:StartPipelineExecution\"],\"Resource\":[\"{}\"]}}",
        t.arn
    );
    let (message, fix, seen) = match decision {
        None => (
            format!("role {role} of rule {}'s target does not exist", r.name),
            format!(
                "create {role}, trusted by events.amazonaws.com, with the statement {statement}, or point the target \
                 at an existing such role: `aws events put-targets --rule {} --targets Id={},Arn={},RoleArn=<role>`",
                r.name, t.id, t.arn
            ),
            "NoSuchEntity".to_string(),
        ),
        Some(decision) => (
            format!(
                "role {role} of rule {}'s target may not call codepipeline:StartPipelineExecution on {} (IAM policy \
                 simulation: {decision})",
                r.name, pipeline.name
            ),
            format!("add to {role}'s policy the statement {statement}"),
            decision.to_string(),
        ),
    };
    Part::Broken(
        format!("rule {}'s role {role} may not start {}: {seen}", r.name, pipeline.name),
        Finding::new(Code::TargetRoleDenied, message, fix)
            .seen(format!("iam:SimulatePrincipalPolicy {role}, codepipeline:StartPipelineExecution on {arn}: {seen}"))
            .inferring(
                "that EventBridge's call is refused the same way: the simulator evaluates the role's identity \
                 policies (and SCPs) and \"can differ from your live AWS environment\" (SimulatePrincipalPolicy)",
            ),
    )
}

fn failed(
    pipeline: &Pipeline,
    r: &TriggerRule,
    n: u64,
    start: Timestamp,
    end: Timestamp,
    points: Option<&(String, Vec<(Timestamp, u64)>)>,
) -> Part {
    let points: Vec<String> = points
        .map(|(_, p)| p.iter().filter(|(at, _)| *at <= end).map(|(at, v)| format!("{at}: {v}")).collect())
        .unwrap_or_default();
    Part::Broken(
        format!("rule {} failed {n} invocation(s) between {start} and {end}", r.name),
        Finding::new(
            Code::RuleInvocationsFailed,
            format!(
                "rule {} of {} failed {n} invocation(s) of its target between {start} and {end} (CloudWatch \
                 AWS/Events FailedInvocations)",
                r.name, pipeline.name
            ),
            "check the target's role (trusted by events.amazonaws.com, allowed codepipeline:StartPipelineExecution \
             on the pipeline) and that the pipeline exists; a dead-letter queue on the target keeps each failed \
             event with the reason"
                .to_string(),
        )
        .seen(format!(
            "cloudwatch:GetMetricData AWS/Events FailedInvocations RuleName={}: {}",
            r.name,
            points.join(", ")
        ))
        .inferring(
            "that this push's event was among the failed ones: the metric counts the rule's failed invocations, \
             not which event each was for",
        ),
    )
}

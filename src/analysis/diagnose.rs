//! Why a push did not trigger: pure checks over CloudTrail records, EventBridge rules and executions.
//!
//! Each untriggered push gets an ordered list of findings, each with a stable code, a one-line explanation and a
//! concrete fix. What could not be checked (CloudTrail or EventBridge switched off or refused) is said, not guessed.

mod pattern;

use std::time::Duration;

use jiff::SignedDuration;

pub use pattern::{RuleMatch, judge_rule};

use crate::analysis::correlate::PushStatus;
use crate::analysis::needs::window_around;
use crate::model::{Diagnostics, ExecStatus, ImagePush, Lookup, Pipeline, PutImageRecord};

/// How long CloudTrail may take to deliver a record; a push younger than this may simply not be there yet.
pub const CLOUDTRAIL_DELAY: Duration = Duration::from_secs(15 * 60);

/// Stable finding codes (part of the JSON contract, spelled by [`Code::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Pushed with another account's identity: no ECR event reaches the repository's account.
    CrossAccountPush,
    /// No EventBridge rule targets the pipeline.
    NoTriggerRule,
    /// The rules that target the pipeline are disabled.
    RuleDisabled,
    /// Enabled rules exist, but none matches this push's repository and tag.
    RulePatternMismatch,
    /// The rule matches CloudTrail-delivered PutImage calls, which need a trail.
    CloudtrailPatternWithoutTrail,
    /// The push's tag is not the one the pipeline watches.
    TagNotWatched,
    /// A running or superseding execution absorbed the push.
    RunSuperseded,
    /// Nothing explains it; the message lists what was checked.
    Unknown,
}

impl Code {
    /// The code as written in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossAccountPush => "cross_account_push",
            Self::NoTriggerRule => "no_trigger_rule",
            Self::RuleDisabled => "rule_disabled",
            Self::RulePatternMismatch => "rule_pattern_mismatch",
            Self::CloudtrailPatternWithoutTrail => "cloudtrail_pattern_without_trail",
            Self::TagNotWatched => "tag_not_watched",
            Self::RunSuperseded => "run_superseded",
            Self::Unknown => "unknown",
        }
    }
}

/// One reason (or possible reason) a push did not start a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    pub fix: String,
}

/// Everything `diagnose` looks at for one push.
pub struct Evidence<'a> {
    pub push: &'a ImagePush,
    pub status: PushStatus,
    /// Pipelines (of the push's profile) that watch the push.
    pub watchers: Vec<&'a Pipeline>,
    /// Every pipeline of the profile (for tag mismatches).
    pub pipelines: &'a [Pipeline],
    pub diagnostics: &'a Diagnostics,
    pub record: Option<&'a PutImageRecord>,
    pub grace: Duration,
}

/// The findings for one push, most telling first. Triggered pushes get none.
pub fn diagnose(cx: &Evidence<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    match cx.status {
        PushStatus::Triggered => return out,
        PushStatus::Unwatched => {
            tag_not_watched(cx, &mut out);
            return out;
        }
        PushStatus::Pending | PushStatus::Untriggered => {}
    }
    let mut checked: Vec<String> = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();

    // 1. Who pushed it (CloudTrail).
    match (&cx.diagnostics.put_images, cx.record) {
        (_, Some(r)) if r.pusher.cross_account => {
            let who = r.pusher.arn.clone().unwrap_or_else(|| "the account's own identity".into());
            let recipient = r.recipient_account.as_deref().unwrap_or("the repository's account");
            out.push(Finding {
                code: Code::CrossAccountPush,
                message: format!(
                    "pushed from account {} by {who} ({}) into account {recipient}'s repository: a cross-account \
                     push emits no ECR event in {recipient}, so no rule there can start {}",
                    r.pusher.account,
                    r.pusher.identity_type,
                    names(&cx.watchers)
                ),
                fix: format!(
                    "assume a role in account {recipient} before pushing: in the buildspec, a CLI profile with \
                     role_arn = arn:aws:iam::{recipient}:role/<push-role> and credential_source = EcsContainer, or \
                     export the credentials of `aws sts assume-role`"
                ),
            });
        }
        (_, Some(r)) => checked.push(format!(
            "CloudTrail: pushed from the repository's own account by {}",
            r.pusher.arn.as_deref().unwrap_or(&r.pusher.account)
        )),
        (Lookup::Done(read), None) => {
            let young = read.read_until.duration_since(cx.push.pushed_at)
                < SignedDuration::try_from(CLOUDTRAIL_DELAY).unwrap_or(SignedDuration::ZERO);
            let around = window_around(cx.push.pushed_at);
            if read.covers(&around) {
                checked.push(format!("CloudTrail: no PutImage record for this digest from {around} (read completely)"));
            } else if young {
                unchecked.push("CloudTrail: no PutImage record yet (delivery takes about 5 minutes)".into());
            } else {
                unchecked.push(format!(
                    "CloudTrail from {around} (not read completely yet; the read resumes on the next poll)"
                ));
            }
        }
        (Lookup::Skipped(why), None) => unchecked.push(format!("CloudTrail ({why})")),
    }

    // 2. The rules that should have started each watching pipeline (EventBridge).
    match &cx.diagnostics.rules {
        Lookup::Done(by_pipeline) => {
            for p in &cx.watchers {
                let rules = by_pipeline.iter().find(|(n, _)| *n == p.name).map(|(_, r)| r.as_slice()).unwrap_or(&[]);
                rule_findings(cx, p, rules, &mut out, &mut checked);
            }
        }
        Lookup::Skipped(why) => unchecked.push(format!("EventBridge rules ({why})")),
    }

    // 3. Runs that were busy around the push.
    for p in &cx.watchers {
        superseded(cx, p, &mut out);
    }
    checked.push(format!("executions of {}", names(&cx.watchers)));

    if out.is_empty() && cx.status == PushStatus::Pending {
        // Still within grace and nothing rules a run out: not a finding yet.
        return out;
    }
    if out.is_empty() {
        let mut message = format!("nothing found; checked {}", checked.join("; "));
        if !unchecked.is_empty() {
            message.push_str(&format!("; could not check {}", unchecked.join("; ")));
        }
        out.push(Finding {
            code: Code::Unknown,
            message,
            fix: "look for the ECR push event in the repository's account (CloudTrail PutImage record, the rule's \
                  TriggeredRules and FailedInvocations metrics) and check the pipeline's source action"
                .into(),
        });
    } else if !unchecked.is_empty() {
        for f in &mut out {
            f.message.push_str(&format!(" (could not check {})", unchecked.join("; ")));
        }
    }
    out
}

fn rule_findings(
    cx: &Evidence<'_>,
    p: &Pipeline,
    rules: &[crate::model::TriggerRule],
    out: &mut Vec<Finding>,
    checked: &mut Vec<String>,
) {
    let watched: Vec<&crate::model::WatchedSource> =
        p.sources.iter().filter(|s| s.repository == cx.push.repository && cx.push.tags.contains(&s.tag)).collect();
    let (repo, tag) = match watched.first() {
        Some(s) => (s.repository.as_str(), s.tag.as_str()),
        None => return,
    };
    if rules.is_empty() {
        out.push(Finding {
            code: Code::NoTriggerRule,
            message: format!("no EventBridge rule on the default bus targets pipeline {}", p.name),
            fix: format!(
                "re-save the pipeline (console or `aws codepipeline update-pipeline`) to recreate its rule, or add a \
                 rule with source aws.ecr, detail-type \"ECR Image Action\", action-type PUSH, result SUCCESS, \
                 repository-name [\"{repo}\"], image-tag [\"{tag}\"] targeting the pipeline"
            ),
        });
        return;
    }
    let enabled: Vec<_> = rules.iter().filter(|r| r.enabled()).collect();
    if enabled.is_empty() {
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        out.push(Finding {
            code: Code::RuleDisabled,
            message: format!("the rule(s) targeting {} are disabled: {}", p.name, names.join(", ")),
            fix: format!("aws events enable-rule --name {}", names[0]),
        });
        return;
    }
    let mut cloudtrail_style = None;
    let mut mismatches = Vec::new();
    for r in &enabled {
        match judge_rule(r.pattern.as_deref().unwrap_or(""), repo, tag) {
            RuleMatch::Matches => {
                checked.push(format!("rule {} matches {repo}:{tag} and is enabled", r.name));
                return;
            }
            RuleMatch::CloudTrailStyle => cloudtrail_style = Some(r.name.as_str()),
            RuleMatch::Mismatch(why) => mismatches.push(format!("{}: {why}", r.name)),
        }
    }
    if let Some(name) = cloudtrail_style {
        out.push(Finding {
            code: Code::CloudtrailPatternWithoutTrail,
            message: format!(
                "rule {name} of {} matches CloudTrail-delivered PutImage calls (\"AWS API Call via CloudTrail\"), \
                 which only arrive while a trail records management events in this region",
                p.name
            ),
            fix: format!(
                "match the native event instead: detail-type \"ECR Image Action\", action-type PUSH, result SUCCESS, \
                 repository-name [\"{repo}\"], image-tag [\"{tag}\"] (or make sure a trail logs management events)"
            ),
        });
    } else {
        out.push(Finding {
            code: Code::RulePatternMismatch,
            message: format!("no enabled rule of {} matches {repo}:{tag} ({})", p.name, mismatches.join("; ")),
            fix: format!(
                "set the rule's detail.repository-name to [\"{repo}\"] and detail.image-tag to [\"{tag}\"] as the \
                 source action says, or re-save the pipeline to regenerate its rule"
            ),
        });
    }
}

fn superseded(cx: &Evidence<'_>, p: &Pipeline, out: &mut Vec<Finding>) {
    let pushed = cx.push.pushed_at;
    let grace = SignedDuration::try_from(cx.grace).unwrap_or(SignedDuration::ZERO);
    let busy = p.executions.iter().find(|e| {
        let near = (e.started_at.duration_since(pushed)).abs() <= grace;
        (e.status == ExecStatus::InProgress && e.started_at <= pushed)
            || (near && matches!(e.status, ExecStatus::Superseded | ExecStatus::Stopped | ExecStatus::Stopping))
    });
    if let Some(e) = busy {
        out.push(Finding {
            code: Code::RunSuperseded,
            message: format!(
                "run {} of {} was {} around the push; in QUEUED or SUPERSEDED mode a newer revision waits for, or \
                 replaces, a running execution",
                e.id,
                p.name,
                e.status.as_str()
            ),
            fix: format!(
                "check {}'s execution history and stage transitions; release the change again with \
                 `aws codepipeline start-pipeline-execution --name {}` if needed",
                p.name, p.name
            ),
        });
    }
}

fn tag_not_watched(cx: &Evidence<'_>, out: &mut Vec<Finding>) {
    let watching: Vec<String> = cx
        .pipelines
        .iter()
        .flat_map(|p| {
            p.sources
                .iter()
                .filter(|s| s.repository == cx.push.repository)
                .map(move |s| format!("{} watches {}:{}", p.name, s.repository, s.tag))
        })
        .collect();
    if watching.is_empty() {
        return;
    }
    let pushed = if cx.push.tags.is_empty() { "<untagged>".to_string() } else { cx.push.tags.join(",") };
    out.push(Finding {
        code: Code::TagNotWatched,
        message: format!("{}; this push was {}:{pushed}", watching.join(", "), cx.push.repository),
        fix: "push with the watched tag, or change the source action's ImageTag".into(),
    });
}

fn names(pipes: &[&Pipeline]) -> String {
    let n: Vec<&str> = pipes.iter().map(|p| p.name.as_str()).collect();
    if n.is_empty() { "the pipeline".into() } else { n.join(", ") }
}

#[cfg(test)]
mod tests;

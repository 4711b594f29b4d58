//! Why a push did not trigger: pure checks over CloudTrail records, EventBridge rules and what lies past them, and
//! executions.
//!
//! Each untriggered push gets an ordered list of findings, each with a stable code, a one-line explanation, what
//! was seen, what is inferred, and a concrete fix. The rule and target checks are the chain's ([`walk`]), so the
//! first finding is about the chain's first broken hop. What could not be checked (a lookup switched off or refused)
//! is said, not guessed, and never blamed.

use std::time::Duration;

use jiff::SignedDuration;

use crate::analysis::correlate::{MatchedBy, PushStatus};
pub use crate::analysis::evidence::{Deployment, Evidence};
pub use crate::analysis::finding::{Code, Finding};
use crate::analysis::needs::window_around;
pub use crate::analysis::pattern::{RuleMatch, judge_rule};
use crate::analysis::replication::Arrival;
use crate::analysis::walk::walk;
use crate::model::{Lookup, Pipeline};

/// How long CloudTrail may take to deliver a record; a push younger than this may simply not be there yet.
pub const CLOUDTRAIL_DELAY: Duration = Duration::from_secs(15 * 60);

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
        (_, Some(r)) if r.pusher.cross_account => out.push(cross_account(cx, r)),
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

    // 2. The rules that should have started each watching pipeline, and their targets (EventBridge, IAM,
    // CloudWatch, the trails).
    for p in &cx.watchers {
        let w = walk(cx, p);
        for step in [w.rule, w.target] {
            out.extend(step.findings);
            checked.extend(step.checked);
            unchecked.extend(step.unchecked);
        }
    }
    if let Some(Arrival::ReplicationConfigured(from)) = cx.arrival {
        unchecked.push(format!(
            "whether the image arrived by replication ({} replicate {} here, but its digest was not seen there: add \
             the repository to their `repositories`)",
            from.join(", "),
            cx.push.repository
        ));
    }
    dedup(&mut checked);
    dedup(&mut unchecked);

    // 3. The runs: none was started by this push (a run's own later status, `Superseded` included, never explains
    // a push that started nothing).
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
        out.push(Finding::new(
            Code::Unknown,
            message,
            "look for the ECR event in the repository's account (the rule's TriggeredRules metric in CloudWatch) and \
             check the pipeline's source action",
        ));
    } else if !unchecked.is_empty() {
        for f in &mut out {
            f.message.push_str(&format!(" (could not check {})", unchecked.join("; ")));
        }
    }
    // 4. What deployed the image anyway: beside the cause, never instead of it (a pending push may still start
    // its own run).
    if cx.status == PushStatus::Untriggered
        && let Some(d) = &cx.deployed_by
    {
        out.push(deployed_without_trigger(cx, d));
    }
    out
}

/// `deployed_without_trigger`: the run started another way that deployed the push's image.
fn deployed_without_trigger(cx: &Evidence<'_>, d: &Deployment<'_>) -> Finding {
    let run = d.run;
    let how = how_started(&run.trigger);
    let who = run.trigger_detail.as_deref().map_or_else(String::new, |w| format!(" by {w}"));
    let after = run.started_at.duration_since(cx.push.pushed_at);
    let when = if after.is_negative() {
        format!("{}s before the push", after.as_secs().unsigned_abs())
    } else {
        format!("{}s after the push", after.as_secs())
    };
    let revision = match d.by {
        MatchedBy::Digest => format!("its source revision is this image ({})", cx.push.digest),
        MatchedBy::TagMoved | MatchedBy::Time => "it carries no source revision".to_string(),
    };
    let finding = Finding::new(
        Code::DeployedWithoutTrigger,
        format!(
            "this push started no run, yet run {} of {} deployed its image: {how}{who}, {when}; the trigger is \
             broken and the deployment hides it",
            run.id, d.pipeline.name
        ),
        format!(
            "repair what stopped the push's own run (the finding above), then push again and check that a run of {} \
             starts with trigger CloudWatchEvent; until then every image needs a release by hand",
            d.pipeline.name
        ),
    )
    .seen(format!(
        "codepipeline:ListPipelineExecutions {} run {}: trigger {}, started by {}, started at {}, status {}; {revision}",
        d.pipeline.name,
        run.id,
        if run.trigger.is_empty() { "(none reported)" } else { &run.trigger },
        run.trigger_detail.as_deref().unwrap_or("(not reported)"),
        run.started_at,
        run.status.as_str()
    ));
    match d.by {
        MatchedBy::Digest => finding,
        MatchedBy::TagMoved | MatchedBy::Time => finding.inferring(format!(
            "that the run deployed this image: it carries no source revision, it started within {} of the push, and \
             no later push of the watched tag came before it",
            humantime::format_duration(cx.grace)
        )),
    }
}

/// What started a run, in words, from its `trigger.triggerType` (FACTS.md §9).
fn how_started(trigger: &str) -> String {
    match trigger {
        "StartPipelineExecution" => "released by hand (StartPipelineExecution)".into(),
        "Webhook" | "WebhookV2" => format!("started by another source's change ({trigger})"),
        "PollForSourceChanges" => "started by polling for source changes (PollForSourceChanges)".into(),
        "CreatePipeline" => "started by the pipeline's creation (CreatePipeline)".into(),
        "ManualRollback" | "AutomatedRollback" => format!("a rollback ({trigger})"),
        other => format!("started by {other}"),
    }
}

/// `cross_account_push`: what the record establishes, and what is inferred from it (FACTS §5).
fn cross_account(cx: &Evidence<'_>, r: &crate::model::PutImageRecord) -> Finding {
    let recipient = r.recipient_account.as_deref().unwrap_or("the repository's account");
    let who = match (&r.pusher.arn, &r.pusher.principal_id) {
        (Some(arn), _) => format!("{arn} ({})", r.pusher.identity_type),
        (None, Some(principal)) => format!("its own identity ({}, principal {principal})", r.pusher.identity_type),
        (None, None) => format!("its own identity ({})", r.pusher.identity_type),
    };
    Finding::new(
        Code::CrossAccountPush,
        format!(
            "pushed with account {}'s identity, {who}, into account {recipient}'s repository (CloudTrail event {} at \
             {}); no ECR event is known to reach account {recipient} for such a push, so no rule there starts {}",
            r.pusher.account,
            r.event_id,
            r.event_time,
            names(&cx.watchers)
        ),
        format!(
            "assume a role in account {recipient} before pushing: in the buildspec, a CLI profile with role_arn = \
             arn:aws:iam::{recipient}:role/<push-role> and credential_source = EcsContainer, or export the \
             credentials of `aws sts assume-role`"
        ),
    )
    .seen(format!(
        "cloudtrail:LookupEvents PutImage {} at {}: userIdentity.type {}, accountId {}{}; recipientAccountId {recipient}",
        r.event_id,
        r.event_time,
        r.pusher.identity_type,
        r.pusher.account,
        match (&r.pusher.arn, &r.pusher.principal_id) {
            (Some(arn), _) => format!(", arn {arn}"),
            (None, Some(p)) => format!(", principalId {p}"),
            (None, None) => String::new(),
        }
    ))
    .inferring(format!(
        "that no event reached account {recipient}: the field report saw none for such a push (2019); AWS extended \
         CloudTrail event delivery through EventBridge to resource owners in April 2021, and whether ECR's own \
         \"ECR Image Action\" reaches the repository's account for a push made with another account's identity is \
         not documented"
    ))
}

/// Removes repeated lines, keeping the first of each.
fn dedup(lines: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    lines.retain(|l| seen.insert(l.clone()));
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
    out.push(Finding::new(
        Code::TagNotWatched,
        format!("{}; this push was {}:{pushed}", watching.join(", "), cx.push.repository),
        "push with the watched tag, or change the source action's ImageTag",
    ));
}

fn names(pipes: &[&Pipeline]) -> String {
    let n: Vec<&str> = pipes.iter().map(|p| p.name.as_str()).collect();
    if n.is_empty() { "the pipeline".into() } else { n.join(", ") }
}

#[cfg(test)]
mod tests;

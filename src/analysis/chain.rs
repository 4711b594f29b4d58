//! The chain a watched push must travel to start its pipeline — push → event → rule → target → run — each hop
//! established, broken or not checked, with its evidence. This is what the field report's author reconstructed by
//! hand in a day, across three consoles in two accounts.
//!
//! Established means pipewatch saw it (a CloudTrail record, a rule, a run); broken means it saw that the hop cannot
//! have happened, or infers so from documented behaviour (the evidence then says it is an inference); not checked
//! means it could not look (a lookup switched off, refused, or not observable from the APIs it reads).

use crate::analysis::correlate::PushStatus;
use jiff::SignedDuration;

use crate::analysis::diagnose::CLOUDTRAIL_DELAY;
use crate::analysis::evidence::Evidence;
pub use crate::analysis::hop::{Hop, HopKind, HopState, first_broken};
use crate::analysis::needs::window_around;
use crate::analysis::replication::Arrival;
use crate::analysis::walk::walk;
use crate::model::{Execution, Lookup, Pipeline};

/// The chain of a watched push towards the pipeline of its matched run (`run`), else of the run that deployed its
/// image without it, else its first watching pipeline; empty for an unwatched push.
pub fn chain(ev: &Evidence<'_>, matched: Option<(&Pipeline, &Execution)>) -> Vec<Hop> {
    if ev.status == PushStatus::Unwatched {
        return Vec::new();
    }
    let Some(pipeline) =
        matched.map(|(p, _)| p).or_else(|| ev.deployed_by.map(|d| d.pipeline)).or_else(|| ev.watchers.first().copied())
    else {
        return Vec::new();
    };
    let run = matched.map(|(_, e)| e);
    let w = walk(ev, pipeline);
    let (rule, target) = match (run.filter(|e| e.trigger == "CloudWatchEvent"), &ev.diagnostics.rules) {
        // Nothing needed explaining, so the rules were not read; the run itself says a rule's target started it.
        (Some(e), Lookup::Skipped(why)) => started_by_rule(e, pipeline, why),
        _ => (w.rule.hop, w.target.hop),
    };
    vec![push_hop(ev), event_hop(ev, run), rule, target, run_hop(ev, pipeline, run)]
}

/// The rule and target hops of a run started by an EventBridge rule, as the run shows them (the rules not read, for
/// `why`).
fn started_by_rule(e: &Execution, pipeline: &Pipeline, why: &str) -> (Hop, Hop) {
    let rule = e.trigger_detail.as_deref().unwrap_or("an EventBridge rule");
    (
        Hop::new(
            HopKind::Rule,
            HopState::Established,
            format!("run {} was started by {rule}: it matched the push (the rule itself not read: {why})", e.id),
        ),
        Hop::new(
            HopKind::Target,
            HopState::Established,
            format!("the rule's target started {} (run {})", pipeline.name, e.id),
        ),
    )
}

fn push_hop(ev: &Evidence<'_>) -> Hop {
    if let (None, Some(Arrival::Replicated(s))) = (ev.record, ev.arrival) {
        return Hop::new(
            HopKind::Push,
            HopState::Established,
            format!(
                "pushed to account {}'s {} in {} (profile {}) at {}; inferred: replicated here by that registry's \
                 replication configuration",
                s.account, ev.push.repository, s.region, s.profile, s.pushed_at
            ),
        );
    }
    match (ev.record, &ev.diagnostics.put_images) {
        (Some(r), _) => {
            let who = r.pusher.arn.as_deref().unwrap_or("the account's own identity");
            Hop::new(
                HopKind::Push,
                HopState::Established,
                format!(
                    "pushed by {who} ({}) from account {} at {} (CloudTrail event {})",
                    r.pusher.identity_type, r.pusher.account, r.event_time, r.event_id
                ),
            )
        }
        (None, Lookup::Done(read)) => {
            let around = window_around(ev.push.pushed_at);
            let young = read.read_until.duration_since(ev.push.pushed_at)
                < SignedDuration::try_from(CLOUDTRAIL_DELAY).unwrap_or(SignedDuration::ZERO);
            let evidence = if read.covers(&around) {
                format!(
                    "CloudTrail holds no PutImage record of this image from {around} (read completely): who pushed it is not known"
                )
            } else if young {
                "no CloudTrail PutImage record of this image was read".to_string()
            } else {
                format!("CloudTrail from {around} is not read completely yet")
            };
            Hop::new(HopKind::Push, HopState::NotChecked, evidence)
        }
        (None, Lookup::Skipped(why)) => Hop::new(HopKind::Push, HopState::NotChecked, format!("CloudTrail: {why}")),
    }
}

fn event_hop(ev: &Evidence<'_>, run: Option<&Execution>) -> Hop {
    if let Some(e) = run.filter(|e| e.trigger == "CloudWatchEvent") {
        let rule = e.trigger_detail.as_deref().unwrap_or("an EventBridge rule");
        return Hop::new(HopKind::Event, HopState::Established, format!("run {} was started by {rule}", e.id));
    }
    if let Some(Arrival::Replicated(s)) = ev.arrival {
        return Hop::new(
            HopKind::Event,
            HopState::NotChecked,
            format!(
                "a replicated image raises \"ECR Replication Action\" (REPLICATE) in the destination, not a push's \
                 \"ECR Image Action\" (documented); inferred to be replicated from account {} ({})",
                s.account, s.region
            ),
        );
    }
    match ev.record {
        Some(r) if r.pusher.cross_account => Hop::new(
            HopKind::Event,
            HopState::Broken,
            format!(
                "inferred: the push was made with account {}'s identity into account {}; such a push left no event \
                 in the repository's account in the field report (2019); AWS extended CloudTrail event delivery to \
                 resource owners in 2021, and whether ECR's own event reaches the repository's account is not \
                 documented",
                r.pusher.account,
                r.recipient_account.as_deref().unwrap_or("?")
            ),
        ),
        Some(_) => Hop::new(
            HopKind::Event,
            HopState::NotChecked,
            "ECR sends \"ECR Image Action\" to the repository account's default bus for a push made in that account \
             (documented, best effort); events themselves are not observable",
        ),
        None => Hop::new(HopKind::Event, HopState::NotChecked, "events are not observable without a pusher record"),
    }
}

fn run_hop(ev: &Evidence<'_>, pipeline: &Pipeline, run: Option<&Execution>) -> Hop {
    match (run, ev.status) {
        (Some(e), _) => Hop::new(
            HopKind::Run,
            HopState::Established,
            format!(
                "run {} ({}) started at {} by {}",
                e.id,
                e.status.as_str(),
                e.started_at,
                e.trigger_detail.as_deref().unwrap_or(&e.trigger)
            ),
        ),
        (None, PushStatus::Untriggered) if let Some(d) = ev.deployed_by => Hop::new(
            HopKind::Run,
            HopState::Broken,
            format!(
                "no run of {} was started by this push; run {} ({}) started at {} by {}{} deployed its image",
                d.pipeline.name,
                d.run.id,
                d.run.status.as_str(),
                d.run.started_at,
                if d.run.trigger.is_empty() { "an unreported trigger" } else { &d.run.trigger },
                d.run.trigger_detail.as_deref().map_or_else(String::new, |w| format!(" ({w})"))
            ),
        ),
        (None, PushStatus::Pending) => Hop::new(
            HopKind::Run,
            HopState::NotChecked,
            format!("no run of {} yet, within the grace period", pipeline.name),
        ),
        (None, _) => Hop::new(
            HopKind::Run,
            HopState::Broken,
            format!("no run of {} started within the grace period", pipeline.name),
        ),
    }
}

#[cfg(test)]
mod tests;

//! The chain a watched push must travel to start its pipeline — push → event → rule → target → run — each hop
//! established, broken or not checked, with its evidence. This is what the field report's author reconstructed by
//! hand in a day, across three consoles in two accounts.
//!
//! Established means pipewatch saw it (a CloudTrail record, a rule, a run); broken means it saw that the hop cannot
//! have happened, or infers so from documented behaviour (the evidence then says it is an inference); not checked
//! means it could not look (a lookup switched off, refused, or not observable from the APIs it reads).

use crate::analysis::correlate::PushStatus;
use jiff::SignedDuration;

use crate::analysis::diagnose::{CLOUDTRAIL_DELAY, Evidence, RuleMatch, judge_rule};
use crate::analysis::needs::window_around;
use crate::model::{Execution, Lookup, Pipeline, TriggerRule};

/// One hop of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// Who pushed, from which account (CloudTrail `PutImage`).
    Push,
    /// The ECR event in the repository account's default bus.
    Event,
    /// An enabled rule whose pattern matches the push.
    Rule,
    /// The rule's target: this pipeline, with a role that may start it.
    Target,
    /// A run started by the event.
    Run,
}

impl HopKind {
    /// The hop's name in every front end (`hop` in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Event => "event",
            Self::Rule => "rule",
            Self::Target => "target",
            Self::Run => "run",
        }
    }
}

/// What pipewatch knows of a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopState {
    /// Seen (or documented to follow from what was seen).
    Established,
    /// Seen not to have happened, or inferred not to (the evidence says which).
    Broken,
    /// Not looked at, or not observable.
    NotChecked,
}

impl HopState {
    /// The state's name in every front end (`state` in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Established => "established",
            Self::Broken => "broken",
            Self::NotChecked => "not_checked",
        }
    }
}

/// One hop with what supports its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub hop: HopKind,
    pub state: HopState,
    /// For people: what was seen, or why it could not be.
    pub evidence: String,
}

impl Hop {
    fn new(hop: HopKind, state: HopState, evidence: impl Into<String>) -> Self {
        Self { hop, state, evidence: evidence.into() }
    }
}

/// The chain of a watched push towards the pipeline of its matched run (`run`), else its first watching pipeline;
/// empty for an unwatched push.
pub fn chain(ev: &Evidence<'_>, matched: Option<(&Pipeline, &Execution)>) -> Vec<Hop> {
    if ev.status == PushStatus::Unwatched {
        return Vec::new();
    }
    let Some(pipeline) = matched.map(|(p, _)| p).or_else(|| ev.watchers.first().copied()) else { return Vec::new() };
    let run = matched.map(|(_, e)| e);
    vec![push_hop(ev), event_hop(ev, run), rule_hop(ev, pipeline), target_hop(), run_hop(ev, pipeline, run)]
}

fn push_hop(ev: &Evidence<'_>) -> Hop {
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
    match ev.record {
        Some(r) if r.pusher.cross_account => Hop::new(
            HopKind::Event,
            HopState::Broken,
            format!(
                "inferred: the push was made with account {}'s identity into account {}; such a push left no event \
                 in the repository's account in the field report, and AWS does not document that one is sent",
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

fn rule_hop(ev: &Evidence<'_>, pipeline: &Pipeline) -> Hop {
    let Lookup::Done(by_pipeline) = &ev.diagnostics.rules else {
        let why = match &ev.diagnostics.rules {
            Lookup::Skipped(why) => why.as_str(),
            Lookup::Done(_) => "",
        };
        return Hop::new(HopKind::Rule, HopState::NotChecked, format!("EventBridge rules: {why}"));
    };
    let rules: &[TriggerRule] =
        by_pipeline.iter().find(|(n, _)| *n == pipeline.name).map_or(&[], |(_, r)| r.as_slice());
    let Some((repo, tag)) = watched_source(ev, pipeline) else {
        return Hop::new(HopKind::Rule, HopState::NotChecked, "the pipeline's watched source was not found");
    };
    if rules.is_empty() {
        return Hop::new(
            HopKind::Rule,
            HopState::Broken,
            format!("no rule on the default bus targets {}", pipeline.name),
        );
    }
    let mut seen = Vec::new();
    for r in rules {
        if !r.enabled() {
            seen.push(format!("{} is disabled", r.name));
            continue;
        }
        match judge_rule(r.pattern.as_deref().unwrap_or(""), repo, tag) {
            RuleMatch::Matches => {
                return Hop::new(
                    HopKind::Rule,
                    HopState::Established,
                    format!("rule {} is enabled and matches {repo}:{tag}", r.name),
                );
            }
            RuleMatch::CloudTrailStyle => seen.push(format!(
                "{} matches only CloudTrail-delivered PutImage calls, which need a trail logging in this region",
                r.name
            )),
            RuleMatch::Mismatch(why) => seen.push(format!("{}: {why}", r.name)),
        }
    }
    Hop::new(HopKind::Rule, HopState::Broken, seen.join("; "))
}

fn target_hop() -> Hop {
    Hop::new(HopKind::Target, HopState::NotChecked, "the rules' targets and roles are not read yet")
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

/// The (repository, tag) of `pipeline` that watches the push.
fn watched_source<'a>(ev: &Evidence<'_>, pipeline: &'a Pipeline) -> Option<(&'a str, &'a str)> {
    pipeline
        .sources
        .iter()
        .find(|s| s.repository == ev.push.repository && ev.push.tags.contains(&s.tag))
        .map(|s| (s.repository.as_str(), s.tag.as_str()))
}

/// The first broken hop, if any: where the push's way to a run ends.
pub fn first_broken(chain: &[Hop]) -> Option<&Hop> {
    chain.iter().find(|h| h.state == HopState::Broken)
}

#[cfg(test)]
mod tests;

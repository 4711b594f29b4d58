//! The rule and target hops of a push towards one pipeline, checked once for both the chain and the diagnosis, so
//! that the chain's first broken hop is always what the first finding is about.
//!
//! Each check reads only what the AWS layer read (rules, targets, policy simulations, metrics, trails), says
//! "not checked" where a read was refused or skipped, and blames only what it saw or what documented behaviour
//! implies (the finding then says what is inferred).

mod rules;
mod targets;
mod trails;

use crate::analysis::evidence::Evidence;
use crate::analysis::finding::Finding;
use crate::analysis::hop::{Hop, HopKind, HopState};
use crate::model::Pipeline;

/// One hop as checked: its state and evidence, the findings that explain a break, and what was (not) checked for
/// the `unknown` finding.
#[derive(Debug, Clone)]
pub struct Step {
    pub hop: Hop,
    /// Empty unless the hop is broken.
    pub findings: Vec<Finding>,
    /// What was checked and found in order, in a few words.
    pub checked: Vec<String>,
    /// What could not be checked, with the reason.
    pub unchecked: Vec<String>,
}

impl Step {
    fn new(kind: HopKind, state: HopState, evidence: impl Into<String>) -> Self {
        Self { hop: Hop::new(kind, state, evidence), findings: Vec::new(), checked: Vec::new(), unchecked: Vec::new() }
    }
}

/// The rule and target hops of one push towards one pipeline.
#[derive(Debug, Clone)]
pub struct Walk {
    pub rule: Step,
    pub target: Step,
}

/// Checks the rule and target hops of `ev`'s push towards `pipeline`.
pub fn walk(ev: &Evidence<'_>, pipeline: &Pipeline) -> Walk {
    let Some(source) = watched_source(ev, pipeline) else {
        let why = match &ev.diagnostics.rules {
            crate::model::Lookup::Skipped(why) => format!("EventBridge rules: {why}"),
            crate::model::Lookup::Done(_) => "the pipeline's watched source was not found".to_string(),
        };
        return Walk {
            rule: Step::new(HopKind::Rule, HopState::NotChecked, why.clone()),
            target: Step::new(HopKind::Target, HopState::NotChecked, why),
        };
    };
    let rules = rules::check(ev, pipeline, source);
    let target = targets::check(ev, pipeline, source, &rules.follow);
    Walk { rule: rules.step, target }
}

/// The (repository, tag) of `pipeline` that watches the push.
pub fn watched_source<'a>(ev: &Evidence<'_>, pipeline: &'a Pipeline) -> Option<(&'a str, &'a str)> {
    pipeline
        .sources
        .iter()
        .find(|s| s.repository == ev.push.repository && ev.push.tags.contains(&s.tag))
        .map(|s| (s.repository.as_str(), s.tag.as_str()))
}

/// The pipeline named by an ARN (`arn:<partition>:codepipeline:<region>:<account>:<name>`), `None` for any other
/// ARN.
fn pipeline_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("codepipeline")) = (parts.next(), parts.next(), parts.next()) else { return None };
    parts.nth(2).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests;

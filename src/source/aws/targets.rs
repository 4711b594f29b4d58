//! A rule's targets (ListTargetsByRule) and, for each pipeline target with a role, whether the role may start the
//! pipeline ([`iam`](super::iam)). Read with the rules and remembered with them. A refused or failed read leaves the
//! targets (or the role's permission) "not checked", with a warning naming the permission, never a failed profile.

use super::convert;
use super::errors::poll_error;
use super::iam;
use super::profile_poll::ProfilePoll;
use crate::model::{Lookup, TriggerRule};

/// Why a target's role is not simulated: it names none.
pub(super) const NO_ROLE: &str = "the target names no role";
/// Why a target's role is not simulated: the target is not a pipeline.
pub(super) const NOT_A_PIPELINE: &str = "the target is not a pipeline";
/// Why a target's role is not simulated: the rule does not target a watched pipeline.
pub(super) const NOT_WATCHED: &str = "the rule targets no watched pipeline";

/// The targets of the rule `name` on the event bus `bus` (`None`: the default bus), each pipeline target's role
/// simulated when `simulate`.
pub(super) async fn read(
    p: &ProfilePoll<'_>,
    name: &str,
    bus: Option<&str>,
    simulate: bool,
) -> Lookup<Vec<crate::model::RuleTarget>> {
    let bus = bus.filter(|b| *b != "default" && !b.is_empty()).map(str::to_string);
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = p.slot("events:ListTargetsByRule").await;
            p.clients
                .explain()
                .events
                .list_targets_by_rule()
                .rule(name)
                .set_event_bus_name(bus.clone())
                .set_next_token(token.take())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                return Lookup::Skipped(poll_error(format!("events:ListTargetsByRule {name}"), &e).to_string());
            }
        };
        targets.extend(page.targets().iter().map(convert::rule_target));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    for t in &mut targets {
        t.may_start = match &t.role_arn {
            None => Lookup::Skipped(NO_ROLE.into()),
            Some(_) if !simulate => Lookup::Skipped(NOT_WATCHED.into()),
            Some(_) if !t.arn.contains(":codepipeline:") => Lookup::Skipped(NOT_A_PIPELINE.into()),
            Some(role) => iam::may_start(p, role, &t.arn).await,
        };
    }
    Lookup::Done(targets)
}

/// The warnings the rules' targets call for: a target list or a role simulation that failed, with the permission
/// that would allow it.
pub(super) fn warnings<'a>(rules: impl IntoIterator<Item = &'a TriggerRule>) -> Vec<String> {
    let mut out = Vec::new();
    for r in rules {
        match &r.targets {
            Lookup::Skipped(why) if why != "not checked" => {
                out.push(format!("rule targets not checked: {why} (needs events:ListTargetsByRule)"))
            }
            Lookup::Skipped(_) => {}
            Lookup::Done(targets) => {
                for t in targets {
                    if let Lookup::Skipped(why) = &t.may_start
                        && why != NO_ROLE
                        && why != NOT_A_PIPELINE
                        && why != NOT_WATCHED
                        && !why.starts_with(iam::OTHER_ACCOUNT)
                    {
                        out.push(format!("target roles not checked: {why} (needs iam:SimulatePrincipalPolicy)"));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

//! The ECR rules of the default bus that target none of the watched pipelines (ListRules, then ListTargetsByRule
//! for each): read when a watched pipeline has no enabled rule, to find a rule that matches its pushes but starts
//! another pipeline (a pipeline re-created under a new name keeps the console's old rule).

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use super::targets;
use crate::model::{Lookup, TriggerRule};

/// At most this many rules have their targets read (each costs a call).
const MAX_FOLLOWED: usize = 50;

/// The enabled rules of the default bus whose pattern names ECR (`aws.ecr`) and that are not in `known`, with
/// their targets.
pub(super) async fn read(p: &ProfilePoll<'_>, known: &[String]) -> Lookup<Vec<TriggerRule>> {
    let mut rules = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = p.slot("events:ListRules").await;
            p.clients
                .explain()
                .events
                .list_rules()
                .set_next_token(token.take())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        let page = match page {
            Ok(page) => page,
            Err(e) => return Lookup::Skipped(poll_error("events:ListRules", &e).to_string()),
        };
        rules.extend(
            page.rules()
                .iter()
                .filter_map(convert::listed_rule)
                .filter(|r| r.enabled() && r.pattern.as_deref().is_some_and(|p| p.contains("aws.ecr")))
                .filter(|r| !known.contains(&r.name)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    for r in rules.iter_mut().take(MAX_FOLLOWED) {
        r.targets = targets::read(p, &r.name, r.event_bus.as_deref(), false).await;
    }
    Lookup::Done(rules)
}

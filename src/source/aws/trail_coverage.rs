//! The trails that apply in the profile's region, and whether each logs ECR's `PutImage`: read when a rule matches
//! CloudTrail-delivered events ("To record events with a `detail-type` value of `AWS API Call via CloudTrail`, a
//! CloudTrail trail with logging enabled is required", [Events from AWS services](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html)).
//!
//! DescribeTrails with shadow trails lists the organization's trail and multi-region trails of other home regions
//! ("If you do not include shadow trails, organization trails in a member account and Region replication trails
//! will not be returned"); GetTrailStatus and GetEventSelectors take the trail's ARN ("If the trail is an
//! organization trail and you are a member account … you must provide the full ARN of that trail",
//! [GetTrailStatus](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html)).
//! A member account may not be allowed to read the organization trail's status or selectors (not documented
//! either way): that part is then "not checked", with the reason.

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{Lookup, TrailState};

/// The trails of the region, each with its status and selectors.
pub(super) async fn read(p: &ProfilePoll<'_>) -> Lookup<Vec<TrailState>> {
    let region = p.clients.region();
    let listed = {
        let _slot = p.slot("cloudtrail:DescribeTrails").await;
        p.clients
            .explain()
            .cloudtrail
            .describe_trails()
            .include_shadow_trails(true)
            .customize()
            .config_override(p.clients.auth())
            .send()
            .await
    };
    let listed = match listed {
        Ok(out) => out,
        Err(e) => return Lookup::Skipped(poll_error("cloudtrail:DescribeTrails", &e).to_string()),
    };
    let mut trails: Vec<TrailState> = listed
        .trail_list()
        .iter()
        .filter_map(convert::trail)
        .filter(|t| t.home_region == region || t.multi_region || t.organization)
        .collect();
    for t in &mut trails {
        let status = {
            let _slot = p.slot("cloudtrail:GetTrailStatus").await;
            p.clients
                .explain()
                .cloudtrail
                .get_trail_status()
                .name(&t.arn)
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        t.logging = match status {
            Ok(s) => Lookup::Done(s.is_logging().unwrap_or(false)),
            Err(e) => Lookup::Skipped(poll_error("cloudtrail:GetTrailStatus", &e).to_string()),
        };
        if t.logging == Lookup::Done(false) {
            // A stopped trail delivers nothing, whatever it selects.
            t.selectors = Lookup::Skipped("the trail is not logging".into());
            continue;
        }
        let selectors = {
            let _slot = p.slot("cloudtrail:GetEventSelectors").await;
            p.clients
                .explain()
                .cloudtrail
                .get_event_selectors()
                .trail_name(&t.arn)
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        t.selectors = match selectors {
            Ok(s) => Lookup::Done(convert::selector_check(&s)),
            Err(e) => Lookup::Skipped(poll_error("cloudtrail:GetEventSelectors", &e).to_string()),
        };
    }
    Lookup::Done(trails)
}

/// The warnings a trail read calls for, with the permission that would allow it.
pub(super) fn warnings(trails: &Lookup<Vec<TrailState>>) -> Vec<String> {
    match trails {
        Lookup::Skipped(why) => vec![format!("trail coverage not checked: {why} (needs cloudtrail:DescribeTrails)")],
        Lookup::Done(trails) => trails
            .iter()
            .flat_map(|t| {
                let status = match &t.logging {
                    Lookup::Skipped(why) => {
                        Some(format!("trail {} not checked: {why} (needs cloudtrail:GetTrailStatus)", t.name))
                    }
                    Lookup::Done(_) => None,
                };
                let selectors = match &t.selectors {
                    Lookup::Skipped(why) if t.logging != Lookup::Done(false) => Some(format!(
                        "trail {} not checked: {why} (needs cloudtrail:GetEventSelectors; a member account may not \
                         be allowed to read an organization trail's selectors)",
                        t.name
                    )),
                    _ => None,
                };
                status.into_iter().chain(selectors)
            })
            .collect(),
    }
}

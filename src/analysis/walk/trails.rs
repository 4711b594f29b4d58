//! Whether a trail delivers CloudTrail's `PutImage` calls to EventBridge in the profile's region, for rules that
//! match "AWS API Call via CloudTrail": "To record events with a `detail-type` value of `AWS API Call via
//! CloudTrail`, a CloudTrail trail with logging enabled is required" ([Events from AWS services](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html)).
//! A trail counts when it applies in the region (its home region, or a multi-region or organization trail, as
//! DescribeTrails lists them with shadow trails), is logging (GetTrailStatus) and its selectors log write
//! management events (GetEventSelectors; `PutImage` is not read-only). That an organization or multi-region trail
//! counts like an account trail is inferred, not stated by the EventBridge documentation (FACTS §6).

use crate::model::{Lookup, TrailState};

/// What the trails say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Coverage {
    /// A trail logs `PutImage` here: which, and what is inferred.
    Covered(String),
    /// Every trail was read and none logs `PutImage` here: what was checked, one item per trail.
    Uncovered(Vec<String>),
    /// No trail is seen to log it, and some could not be read: why.
    Unknown(String),
}

/// The coverage of `region` by `trails`.
pub(super) fn coverage(trails: &Lookup<Vec<TrailState>>, region: &str) -> Coverage {
    let trails = match trails {
        Lookup::Done(t) => t,
        Lookup::Skipped(why) => return Coverage::Unknown(format!("trails not read: {why}")),
    };
    let applying: Vec<&TrailState> =
        trails.iter().filter(|t| t.home_region == region || t.multi_region || t.organization).collect();
    if applying.is_empty() {
        return Coverage::Uncovered(vec![format!(
            "cloudtrail:DescribeTrails (with shadow trails) in {region}: no trail"
        )]);
    }
    let mut checked = Vec::new();
    let mut unread = Vec::new();
    for t in &applying {
        let what = describe(t);
        match (&t.logging, &t.selectors) {
            (Lookup::Done(true), Lookup::Done(s)) if s.logs_put_image => {
                let inferred = if t.organization || t.home_region != region {
                    " (inferred: that an organization or multi-region trail delivers the events like an account \
                     trail is not stated by the EventBridge documentation)"
                } else {
                    ""
                };
                return Coverage::Covered(format!("{what} is logging and logs {}{inferred}", s.summary));
            }
            (Lookup::Done(false), _) => checked.push(format!("{what}: not logging")),
            (_, Lookup::Done(s)) if !s.logs_put_image => {
                checked.push(format!("{what}: selectors log {} (PutImage is a write management event)", s.summary))
            }
            (Lookup::Skipped(why), _) => unread.push(format!("{what}: status not read ({why})")),
            (_, Lookup::Skipped(why)) => unread.push(format!("{what}: event selectors not read ({why})")),
            // Logging with selectors that log PutImage is handled above.
            (Lookup::Done(true), Lookup::Done(_)) => {}
        }
    }
    if unread.is_empty() { Coverage::Uncovered(checked) } else { Coverage::Unknown(unread.join("; ")) }
}

/// `trail org-trail (organization, multi-region, home us-east-1)`.
fn describe(t: &TrailState) -> String {
    let mut kind = Vec::new();
    if t.organization {
        kind.push("organization".to_string());
    }
    if t.multi_region {
        kind.push("multi-region".to_string());
    }
    kind.push(format!("home {}", t.home_region));
    format!("trail {} ({})", t.name, kind.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SelectorCheck;

    fn trail(name: &str, home: &str, multi: bool, org: bool, logging: Lookup<bool>, logs: Lookup<bool>) -> TrailState {
        TrailState {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:{home}:111111111111:trail/{name}"),
            home_region: home.into(),
            multi_region: multi,
            organization: org,
            logging,
            selectors: match logs {
                Lookup::Done(b) => Lookup::Done(SelectorCheck {
                    logs_put_image: b,
                    summary: if b { "write management events".into() } else { "read-only management events".into() },
                }),
                Lookup::Skipped(why) => Lookup::Skipped(why),
            },
        }
    }

    const R: &str = "ap-northeast-1";

    #[test]
    fn an_organization_trail_logging_write_events_covers_the_region_and_says_what_is_inferred() {
        let org = trail("org-trail", "us-east-1", true, true, Lookup::Done(true), Lookup::Done(true));
        let Coverage::Covered(why) = coverage(&Lookup::Done(vec![org]), R) else { panic!() };
        assert!(why.starts_with("trail org-trail (organization, multi-region, home us-east-1) is logging"), "{why}");
        assert!(why.contains("inferred:"), "{why}");
        let own = trail("account-trail", R, false, false, Lookup::Done(true), Lookup::Done(true));
        let Coverage::Covered(why) = coverage(&Lookup::Done(vec![own]), R) else { panic!() };
        assert!(!why.contains("inferred"), "{why}");
    }

    #[test]
    fn no_trail_a_stopped_trail_and_read_only_selectors_leave_the_region_uncovered() {
        assert_eq!(
            coverage(&Lookup::Done(vec![]), R),
            Coverage::Uncovered(vec![format!("cloudtrail:DescribeTrails (with shadow trails) in {R}: no trail")])
        );
        let stopped = trail("a", R, false, false, Lookup::Done(false), Lookup::Done(true));
        let read_only = trail("b", R, false, false, Lookup::Done(true), Lookup::Done(false));
        let elsewhere = trail("c", "eu-west-1", false, false, Lookup::Done(true), Lookup::Done(true));
        assert_eq!(
            coverage(&Lookup::Done(vec![stopped, read_only, elsewhere]), R),
            Coverage::Uncovered(vec![
                "trail a (home ap-northeast-1): not logging".into(),
                "trail b (home ap-northeast-1): selectors log read-only management events (PutImage is a write \
                 management event)"
                    .into(),
            ])
        );
    }

    #[test]
    fn a_trail_that_could_not_be_read_is_never_blamed() {
        let denied = Lookup::Skipped("AccessDeniedException: not authorized".into());
        let org = trail("org-trail", "us-east-1", true, true, Lookup::Done(true), denied);
        let Coverage::Unknown(why) = coverage(&Lookup::Done(vec![org]), R) else { panic!() };
        assert!(why.contains("event selectors not read (AccessDeniedException"), "{why}");
        assert!(matches!(coverage(&Lookup::Skipped("switched off".into()), R), Coverage::Unknown(_)));
        // A stopped trail needs no selectors to be judged.
        let stopped = trail("a", R, false, false, Lookup::Done(false), Lookup::Skipped("denied".into()));
        assert!(matches!(coverage(&Lookup::Done(vec![stopped]), R), Coverage::Uncovered(_)));
    }
}

//! CloudTrail reads against the AWS-behaviour layer (awsim), whose LookupEvents pages, delays and answers 2 requests
//! a second per account and region like AWS's (FACTS.md §7): nothing is read when every push is accounted for (the
//! scenario of issue 10: 600 pushes in 3 accounts; neither are the rules' targets, roles, metrics or trails), only
//! the time around a push that needs it, two profiles in one account share its limit, and a record not delivered yet
//! is "not checked", never "no record".

use awsim::{Manifest, Principal, PushSpec, RequestRecord, World};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::REGION;
use crate::support::sim::{Sim, push_of};

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

/// `count` pushes of `repo:latest` (plus a sha tag) by the account's own CI role, `every` apart, the last at `last`;
/// each starts a run through the console's rule.
fn pushes(w: &World, account: &str, repo: &str, count: usize, last: Timestamp, every: SignedDuration) {
    for k in 0..count {
        let at = last - every * i32::try_from(count - 1 - k).expect("small");
        let ci = Principal::assumed_role(account, "service-role/codebuild", &format!("build-{k}"));
        let spec = PushSpec::new(account, REGION, repo, ci, at)
            .tag("latest")
            .tag(&format!("{k:07x}"))
            .manifest(Manifest::image(&format!("{account}/{repo}/{k}")));
        w.push(spec).expect("the repository exists");
    }
}

fn lookups(log: &[RequestRecord], account: &str) -> Vec<RequestRecord> {
    log.iter().filter(|r| r.account == account && r.api() == "cloudtrail:LookupEvents").cloned().collect()
}

fn statuses(doc: &Value) -> Vec<&str> {
    doc["pushes"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect()
}

/// The calls of `log` that explain pushes: CloudTrail (LookupEvents, the trails), EventBridge (rules, targets, the
/// bus), IAM (the targets' roles) and CloudWatch (`FailedInvocations`), by account.
fn explaining(log: &[RequestRecord]) -> Vec<(String, String)> {
    let services = ["cloudtrail", "events", "iam", "monitoring"];
    log.iter().filter(|r| services.contains(&r.service.as_str())).map(|r| (r.account.clone(), r.api())).collect()
}

/// Issue 10's scenario: 600 pushes in 3 accounts (5 repositories of 40 pushes each, over the last 20 hours), every
/// one of which started its run. `--once` reads no CloudTrail, EventBridge, IAM or CloudWatch at all. Then one more
/// push in one account whose rule is disabled: that account, and only that one, reads what explains it (the window
/// around it, the pipeline's rule with its targets and their role, the rule's failed invocations).
#[test]
fn six_hundred_pushes_accounted_for_cost_no_cloudtrail_eventbridge_iam_or_cloudwatch_call() {
    let sim = Sim::start();
    let now = Timestamp::now();
    let mut rules = Vec::new();
    for account in ACCOUNTS {
        for r in 0..5 {
            let repo = format!("app-{r}");
            rules.push(sim.world.console_pipeline(account, REGION, &format!("deploy-{r}"), &repo, None));
            pushes(&sim.world, account, &repo, 40, now - SignedDuration::from_mins(10), SignedDuration::from_mins(30));
        }
    }
    let profiles: Vec<(String, &str)> = ACCOUNTS.iter().map(|a| (format!("account-{a}"), *a)).collect();
    let profiles: Vec<(&str, &str)> = profiles.iter().map(|(n, a)| (n.as_str(), *a)).collect();
    let (run, doc) = sim.once_json(&profiles);

    assert_eq!(run.code, Some(0), "{run}");
    let statuses = statuses(&doc);
    assert_eq!(statuses.len(), 600, "{doc:#}");
    assert!(statuses.iter().all(|s| *s == "triggered"), "{statuses:?}");
    assert_eq!(explaining(&sim.world.requests()), Vec::<(String, String)>::new(), "nothing needed explaining");
    assert!(doc["profiles"].as_array().unwrap().iter().all(|p| p["warnings"] == serde_json::json!([])), "{doc:#}");

    // The console's rule of deploy-0 in the first account switched off, then a push: untriggered.
    let [a, ..] = ACCOUNTS;
    sim.world.set_rule_state(a, REGION, &rules[0], awsim::RuleState::Disabled);
    let ci = Principal::assumed_role(a, "service-role/codebuild", "build-late");
    let late = PushSpec::new(a, REGION, "app-0", ci, Timestamp::now() - SignedDuration::from_mins(8)).tag("latest");
    sim.world.push(late.manifest(Manifest::image("late"))).expect("the repository exists");
    sim.world.clear_requests();
    let (run, doc) = sim.once_json(&profiles);
    assert_eq!(run.code, Some(1), "an untriggered push: {run}");
    let untriggered: Vec<&Value> =
        doc["pushes"].as_array().unwrap().iter().filter(|p| p["status"] != "triggered").collect();
    assert_eq!(untriggered.len(), 1, "{untriggered:#?}");
    assert_eq!(untriggered[0]["status"], "untriggered", "{:#}", untriggered[0]);
    let codes: Vec<&Value> = untriggered[0]["findings"].as_array().unwrap().iter().map(|f| &f["code"]).collect();
    assert!(codes.contains(&&Value::from("rule_disabled")), "{:#}", untriggered[0]);
    let explaining = explaining(&sim.world.requests());
    assert!(explaining.iter().all(|(account, _)| account == a), "{explaining:?}");
    let apis: std::collections::BTreeSet<&str> = explaining.iter().map(|(_, api)| api.as_str()).collect();
    for api in [
        "cloudtrail:LookupEvents",
        "events:ListRuleNamesByTarget",
        "events:DescribeRule",
        "events:ListTargetsByRule",
        "events:ListRules",
        "iam:SimulatePrincipalPolicy",
        "monitoring:GetMetricData",
    ] {
        assert!(apis.contains(api), "{api} not in {apis:?}");
    }
}

/// One push with another account's identity among 120 pushes of the minutes around it, read by two profiles of the
/// same account (two roles): each reads only the window around the push (3 pages), and together they keep to the
/// account's 2 requests a second: nothing is throttled, both attribute the push.
#[test]
fn two_profiles_in_one_account_read_the_window_around_a_push_within_its_limit() {
    let sim = Sim::start();
    let [a, b, _] = ACCOUNTS;
    let w = &sim.world;
    w.console_pipeline(a, REGION, "web-deploy", "web", None);
    w.console_pipeline(a, REGION, "api-deploy", "api", None);
    let now = Timestamp::now();
    // Hours earlier: pushes that are not around it.
    pushes(w, a, "web", 20, now - SignedDuration::from_hours(3), SignedDuration::from_mins(5));
    // Around it: 120 pushes, 4 s apart (more than two pages of 50 in its window).
    w.add_repository(a, REGION, "tools");
    for k in 0..120 {
        let at = now - SignedDuration::from_mins(14) + SignedDuration::from_secs(4 * k);
        let ci = Principal::assumed_role(a, "service-role/codebuild", "tools");
        let spec = PushSpec::new(a, REGION, "tools", ci, at)
            .tag(&format!("t{k}"))
            .manifest(Manifest::image(&format!("tools/{k}")));
        w.push(spec).expect("tools exists");
    }
    let pushed = now - SignedDuration::from_mins(10);
    let api = w
        .push(PushSpec::new(a, REGION, "api", Principal::iam_user(b, "deployer"), pushed).tag("latest"))
        .expect("api exists");
    assert!(api.started.is_empty());

    let (run, doc) = sim.once_json(&[("alpha", a), ("alpha-ops", a)]);
    assert_eq!(run.code, Some(1), "the push from another account is untriggered\n{run}");
    for profile in ["alpha", "alpha-ops"] {
        let push = doc["pushes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["profile"] == profile && p["repository"] == "api")
            .unwrap_or_else(|| panic!("no api push of {profile}: {doc:#}"));
        assert_eq!(push["status"], "untriggered", "{push:#}");
        assert_eq!(push["pusher"]["account"], b, "{push:#}");
        assert_eq!(push["findings"][0]["code"], "cross_account_push", "{push:#}");
    }
    let calls = lookups(&sim.world.requests(), a);
    assert!(calls.iter().all(|r| !r.throttled()), "{calls:#?}");
    assert_eq!(calls.len(), 6, "3 pages of the window around the push, for each profile: {calls:#?}");
    // Sent 500 ms apart (they arrive with some jitter): 6 calls take 2.5 s, not the 1.5 s two separately paced
    // profiles would take.
    let mut at: Vec<Timestamp> = calls.iter().map(|r| r.at).collect();
    at.sort();
    let span = at[at.len() - 1].duration_since(at[0]);
    assert!(span >= SignedDuration::from_millis(2250), "{span:?}: {at:?}");
    let profiles: Vec<&Value> = doc["profiles"].as_array().unwrap().iter().collect();
    assert!(profiles.iter().all(|p| p["warnings"] == serde_json::json!([])), "{doc:#}");
}

/// A record CloudTrail has not delivered yet: the push is "not checked", and nothing says it has no record.
#[test]
fn a_record_not_delivered_yet_is_not_checked_rather_than_missing() {
    let sim = Sim::start();
    let [a, b, _] = ACCOUNTS;
    sim.world.configure(|s| s.cloudtrail_delay = SignedDuration::from_mins(10));
    sim.world.console_pipeline(a, REGION, "api-deploy", "api", None);
    let pushed = Timestamp::now() - SignedDuration::from_mins(8);
    sim.world.push(PushSpec::new(a, REGION, "api", Principal::iam_user(b, "deployer"), pushed).tag("latest")).unwrap();

    let (run, doc) = sim.once_json(&[("alpha", a)]);
    assert_eq!(run.code, Some(1), "{run}");
    let push = push_of(&doc, "api");
    assert_eq!(push["status"], "untriggered");
    assert_eq!(push["pusher"], Value::Null, "the record is not visible yet");
    let message = push["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("could not check CloudTrail"), "{message}");
    assert!(!message.contains("read completely"), "{message}");
    let hop = &push["chain"][0];
    assert_eq!((hop["hop"].as_str(), hop["state"].as_str()), (Some("push"), Some("not_checked")), "{hop:#}");
    assert!(!lookups(&sim.world.requests(), a).is_empty());
}

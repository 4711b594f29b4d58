//! CloudTrail and EventBridge through the SDK: LookupEvents (paging, newest first, delivery delay, the 2/s
//! limit), DescribeTrails, GetTrailStatus, GetEventSelectors, ListRuleNamesByTarget, DescribeRule,
//! ListTargetsByRule.

use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use awsim::{OrgAccount, Principal, PushSpec, ReadWrite, Rule, Selectors, Server, Target, Trail};
use jiff::SignedDuration;

use super::{A, B, R, assumed, ci, t0, world};

fn put_image() -> LookupAttribute {
    LookupAttribute::builder().attribute_key(LookupAttributeKey::EventName).attribute_value("PutImage").build().unwrap()
}

#[tokio::test]
async fn lookup_events_pages_newest_first_after_the_delay() {
    let w = world();
    w.add_repository(A, R, "web");
    for i in 0..120 {
        let at = t0() - SignedDuration::from_secs(10 * i);
        w.push(PushSpec::new(A, R, "web", ci(), at).tag(&format!("v{i}"))).unwrap();
    }
    // Pushed with account B's identity: in A as AWSAccount, in B with the full identity.
    let other = w
        .push(PushSpec::new(A, R, "web", Principal::iam_user(B, "dev"), t0() + SignedDuration::from_secs(1)).tag("x"))
        .unwrap();
    w.configure(|s| {
        s.cloudtrail_delay = SignedDuration::from_mins(5);
        s.rates.clear();
    });
    // The clock stands at t0+10min: records after t0+5min are not visible yet.
    w.push(PushSpec::new(A, R, "web", ci(), t0() + SignedDuration::from_mins(6)).tag("late")).unwrap();
    let server = Server::start(w.clone()).unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&assumed(&server, A, "pipewatch-read").await);

    let mut pages = ct
        .lookup_events()
        .lookup_attributes(put_image())
        .start_time(DateTime::from_secs((t0() - SignedDuration::from_hours(1)).as_second()))
        .end_time(DateTime::from_secs((t0() + SignedDuration::from_hours(1)).as_second()))
        .into_paginator()
        .page_size(50)
        .send();
    let mut events = Vec::new();
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        sizes.push(page.events().len());
        events.extend(page.events().to_vec());
    }
    assert_eq!(sizes, [50, 50, 21]);
    let times: Vec<i64> = events.iter().map(|e| e.event_time().unwrap().secs()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let record: serde_json::Value = serde_json::from_str(events[0].cloud_trail_event().unwrap()).unwrap();
    assert_eq!(record["userIdentity"]["type"], "AWSAccount");
    assert_eq!(record["userIdentity"]["accountId"], B);
    assert_eq!(record["responseElements"]["image"]["imageId"]["imageDigest"], other.digest.as_str());
    assert_eq!(events[0].username(), None);
    assert_eq!(events[1].username(), Some("build-1"));

    // The late record appears once the delay has passed.
    w.advance(SignedDuration::from_mins(2));
    let out = ct.lookup_events().lookup_attributes(put_image()).max_results(1).send().await.unwrap();
    let newest: serde_json::Value = serde_json::from_str(out.events()[0].cloud_trail_event().unwrap()).unwrap();
    assert_eq!(newest["requestParameters"]["imageTag"], "late");
    assert!(out.next_token().is_some());

    // Over the limit: MaxResults 51.
    let err = ct.lookup_events().max_results(51).send().await.unwrap_err();
    assert!(err.into_service_error().is_invalid_max_results_exception());
}

#[tokio::test]
async fn lookup_events_answers_two_requests_a_second_per_account_and_region() {
    let w = world();
    let server = Server::start(w.clone()).unwrap();
    let a = aws_sdk_cloudtrail::Client::new(&assumed(&server, A, "pipewatch-read").await);
    let a2 = aws_sdk_cloudtrail::Client::new(&assumed(&server, A, "other-profile").await);
    let b = aws_sdk_cloudtrail::Client::new(&assumed(&server, B, "pipewatch-read").await);
    a.lookup_events().send().await.unwrap();
    a2.lookup_events().send().await.unwrap();
    // The clock stands still: a third request in account A is over the limit, whoever makes it.
    let err = a.lookup_events().send().await.unwrap_err();
    // `ThrottlingException` is in the SDK's retry classifier's THROTTLING_ERRORS (aws-runtime).
    assert_eq!(aws_sdk_cloudtrail::error::ProvideErrorMetadata::code(&err), Some("ThrottlingException"));
    b.lookup_events().send().await.unwrap();
    w.advance(SignedDuration::from_millis(500));
    a.lookup_events().send().await.unwrap();
    let throttled: Vec<(String, bool)> = w
        .requests()
        .iter()
        .filter(|r| r.operation == "LookupEvents")
        .map(|r| (r.account.clone(), r.throttled()))
        .collect();
    assert_eq!(
        throttled,
        [(A.into(), false), (A.into(), false), (A.into(), true), (B.into(), false), (A.into(), false)]
    );
}

#[tokio::test]
async fn trails_as_a_member_account_sees_them() {
    let w = world();
    w.set_organization(
        "333333333333",
        vec![OrgAccount { id: A.into(), name: "prod".into(), email: "p@x".into(), status: "ACTIVE".into() }],
    );
    let mut org = Trail::new("org-trail", "333333333333", "us-east-1");
    org.multi_region = true;
    org.organization = true;
    w.add_trail(org.clone());
    let mut own = Trail::new("account-trail", A, R);
    own.logging = false;
    own.selectors = Selectors::Basic { read_write: ReadWrite::ReadOnly, management: true };
    w.add_trail(own);
    let server = Server::start(w.clone()).unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&assumed(&server, A, "pipewatch-read").await);

    let trails = ct.describe_trails().send().await.unwrap();
    let names: Vec<(&str, bool, bool)> = trails
        .trail_list()
        .iter()
        .map(|t| (t.name().unwrap(), t.is_organization_trail().unwrap(), t.is_multi_region_trail().unwrap()))
        .collect();
    assert_eq!(names, [("org-trail", true, true), ("account-trail", false, false)]);
    let no_shadows = ct.describe_trails().include_shadow_trails(false).send().await.unwrap();
    assert_eq!(no_shadows.trail_list().len(), 1);

    let status = ct.get_trail_status().name(org.arn()).send().await.unwrap();
    assert_eq!(status.is_logging(), Some(true));
    let by_name = ct.get_trail_status().name("org-trail").send().await.unwrap_err();
    assert_eq!(aws_sdk_cloudtrail::error::ProvideErrorMetadata::code(&by_name), Some("TrailNotFoundException"));
    let stopped = ct.get_trail_status().name("account-trail").send().await.unwrap();
    assert_eq!(stopped.is_logging(), Some(false));

    let sel = ct.get_event_selectors().trail_name("account-trail").send().await.unwrap();
    let s = &sel.event_selectors()[0];
    assert_eq!(s.read_write_type().map(|r| r.as_str()), Some("ReadOnly"));
    assert_eq!(s.include_management_events(), Some(true));
}

#[tokio::test]
async fn rules_and_targets() {
    let w = world();
    let rule = w.console_pipeline(A, R, "web-deploy", "web", None);
    let arn = format!("arn:aws:codepipeline:{R}:{A}:web-deploy");
    for i in 0..3 {
        let pattern = serde_json::json!({"source": ["aws.ecr"], "detail": {"n": [i]}});
        w.add_rule(A, R, Rule::new(&format!("extra-{i}"), pattern).target(Target::new("1", &arn, None)));
    }
    let custom = Rule::new("on-custom", serde_json::json!({"source": ["aws.ecr"]})).on_bus("deploy-bus");
    w.add_rule(A, R, custom.target(Target::new("1", &arn, None).with_digest_override("Source")));
    let server = Server::start(w.clone()).unwrap();
    let ev = aws_sdk_eventbridge::Client::new(&assumed(&server, A, "pipewatch-read").await);

    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = ev.list_rule_names_by_target().target_arn(&arn).limit(2).set_next_token(token).send().await.unwrap();
        names.extend(page.rule_names().to_vec());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, [rule.as_str(), "extra-0", "extra-1", "extra-2"]);

    let d = ev.describe_rule().name(&rule).send().await.unwrap();
    assert_eq!(d.arn(), Some(format!("arn:aws:events:{R}:{A}:rule/{rule}").as_str()));
    assert_eq!(d.state().map(|s| s.as_str()), Some("ENABLED"));
    let pattern: serde_json::Value = serde_json::from_str(d.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["image-tag"], serde_json::json!(["latest"]));

    let targets = ev.list_targets_by_rule().rule(&rule).send().await.unwrap();
    let t = &targets.targets()[0];
    assert_eq!(t.arn(), arn);
    assert_eq!(t.role_arn(), Some(format!("arn:aws:iam::{A}:role/service-role/cwe-role-{R}-web-deploy").as_str()));

    let on_custom = ev.describe_rule().name("on-custom").event_bus_name("deploy-bus").send().await.unwrap();
    assert_eq!(on_custom.arn(), Some(format!("arn:aws:events:{R}:{A}:rule/deploy-bus/on-custom").as_str()));
    let ts = ev.list_targets_by_rule().rule("on-custom").event_bus_name("deploy-bus").send().await.unwrap();
    let it = ts.targets()[0].input_transformer().unwrap();
    assert_eq!(it.input_paths_map().unwrap().get("revisionValue").map(String::as_str), Some("$.detail.image-digest"));
    let missing = ev.describe_rule().name("on-custom").send().await.unwrap_err();
    assert!(missing.into_service_error().is_resource_not_found_exception(), "default bus");
}

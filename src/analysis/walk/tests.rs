//! The rule and target hops against hand-built rules, targets, simulations, metrics, trails and replication: what
//! each hop says, which finding explains a break, and that the chain and the findings agree.

use std::time::Duration;

use super::*;
use crate::analysis::chain::{chain, first_broken};
use crate::analysis::correlate::PushStatus;
use crate::analysis::diagnose::{Code, diagnose};
use crate::analysis::fixtures::evidence::{GRACE, NATIVE, diag, pipeline, push, record, rule, ts};
use crate::analysis::replication::{Arrival, Source};
use crate::analysis::trail::TrailIndex;
use crate::model::{
    Diagnostics, FailedInvocations, Identity, ImagePush, Lookup, RolePermission, RuleTarget, SelectorCheck, TrailState,
    TriggerRule,
};

const WEB_DEPLOY: &str = "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy";
const ROLE: &str = "arn:aws:iam::111111111111:role/cwe-role-web-deploy";

fn identity() -> Identity {
    Identity {
        account: "111111111111".into(),
        arn: "arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch".into(),
        user_id: "x".into(),
    }
}

/// The walk, findings and chain of `push` (untriggered) watched by web-deploy.
struct Case {
    walk: Walk,
    findings: Vec<crate::analysis::finding::Finding>,
    chain: Vec<Hop>,
}

fn case(p: &ImagePush, d: &Diagnostics, arrival: Option<&Arrival>) -> Case {
    let pipe = pipeline(vec![]);
    let id = identity();
    let ev = Evidence {
        push: p,
        status: PushStatus::Untriggered,
        watchers: vec![&pipe],
        pipelines: std::slice::from_ref(&pipe),
        diagnostics: d,
        record: TrailIndex::new(d).record_for(p),
        grace: GRACE,
        arrival,
        region: "ap-northeast-1",
        identity: Some(&id),
        deployed_by: None,
    };
    Case { walk: walk(&ev, &pipe), findings: diagnose(&ev), chain: chain(&ev, None) }
}

fn target(role: Option<&str>, may_start: Lookup<RolePermission>) -> RuleTarget {
    RuleTarget {
        id: "codepipeline-web-deploy".into(),
        arn: WEB_DEPLOY.into(),
        role_arn: role.map(str::to_string),
        digest_override: None,
        may_start,
    }
}

fn rule_with(pattern: &str, targets: Vec<RuleTarget>) -> TriggerRule {
    TriggerRule { targets: Lookup::Done(targets), ..rule("ENABLED", pattern) }
}

/// web:latest pushed in the account, its rule `rules`, and the metric read over the last two hours.
fn same_account(rules: Vec<TriggerRule>) -> Diagnostics {
    let mut d = diag(vec![record("111111111111", "latest")], Some(rules));
    d.failed_invocations = Lookup::Done(FailedInvocations {
        from: ts(-7200),
        until: ts(0),
        period: Duration::from_secs(60),
        by_rule: vec![("web-rule".into(), vec![])],
    });
    d
}

fn allowed() -> Lookup<RolePermission> {
    Lookup::Done(RolePermission::Allowed)
}

/// The pattern a fix's `--event-pattern '…'` gives, parsed.
fn pattern_in(fix: &str) -> serde_json::Value {
    let start = fix.find("--event-pattern '").expect("a pattern") + "--event-pattern '".len();
    let end = start + fix[start..].find('\'').expect("quoted");
    serde_json::from_str(&fix[start..end]).expect("JSON")
}

fn codes(c: &Case) -> Vec<Code> {
    c.findings.iter().map(|f| f.code).collect()
}

/// The chain's first broken hop is what the first finding is about.
fn agrees(c: &Case, hop: HopKind, code: Code) {
    assert_eq!(first_broken(&c.chain).map(|h| h.hop), Some(hop), "{:?}", c.chain);
    assert_eq!(c.findings.first().map(|f| f.code), Some(code), "{:?}", c.findings);
}

#[test]
fn a_target_with_a_role_allowed_to_start_the_pipeline_and_no_failures_is_established() {
    let mut t = target(Some(ROLE), allowed());
    t.digest_override = Some("Source".into());
    let c = case(&push(&["latest"]), &same_account(vec![rule_with(NATIVE, vec![t])]), None);
    assert_eq!(c.walk.rule.hop.state, HopState::Established);
    assert_eq!(c.walk.target.hop.state, HopState::Established, "{}", c.walk.target.hop.evidence);
    let e = &c.walk.target.hop.evidence;
    assert!(e.contains(&format!("rule web-rule targets web-deploy with role {ROLE}")), "{e}");
    assert!(e.contains("its trust policy is not checked"), "{e}");
    assert!(e.contains("sets the revision of source action Source to the event's image digest"), "{e}");
    assert!(
        e.contains("no FailedInvocations of web-rule between 2025-11-24T15:00:00Z and 2025-11-24T15:05:00Z"),
        "{e}"
    );
    // Nothing is broken: the diagnosis says what it checked.
    assert_eq!(codes(&c), [Code::Unknown]);
    assert!(c.findings[0].message.contains("no FailedInvocations of web-rule"), "{}", c.findings[0].message);
}

#[test]
fn a_target_without_a_role_breaks_the_target_hop() {
    let c =
        case(&push(&["latest"]), &same_account(vec![rule_with(NATIVE, vec![target(None, Lookup::default())])]), None);
    agrees(&c, HopKind::Target, Code::TargetWithoutRole);
    let f = &c.findings[0];
    assert_eq!(
        f.message,
        "rule web-rule's target codepipeline-web-deploy names no role, so EventBridge has no identity to call \
         codepipeline:StartPipelineExecution on web-deploy"
    );
    assert!(
        f.fix.contains(&format!(
            "aws events put-targets --rule web-rule --targets Id=codepipeline-web-deploy,Arn={WEB_DEPLOY},\
             RoleArn=arn:aws:iam::111111111111:role/<events-role>"
        )),
        "{}",
        f.fix
    );
    assert_eq!(
        f.evidence,
        [format!("events:ListTargetsByRule web-rule: target codepipeline-web-deploy → {WEB_DEPLOY}, no RoleArn")]
    );
    assert!(f.inferred.as_deref().is_some_and(|i| i.starts_with("that the target cannot start the pipeline")));
}

#[test]
fn a_role_the_simulation_denies_or_that_does_not_exist_breaks_the_target_hop() {
    let denied = Lookup::Done(RolePermission::Denied("implicitDeny".into()));
    let c = case(&push(&["latest"]), &same_account(vec![rule_with(NATIVE, vec![target(Some(ROLE), denied)])]), None);
    agrees(&c, HopKind::Target, Code::TargetRoleDenied);
    assert!(c.findings[0].message.contains("(IAM policy simulation: implicitDeny)"), "{}", c.findings[0].message);
    assert!(c.findings[0].fix.contains(r#""Action":["codepipeline:StartPipelineExecution"],"Resource":["arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy"]"#));
    assert!(c.findings[0].inferred.as_deref().unwrap().contains("can differ from your live AWS environment"));

    let missing = Lookup::Done(RolePermission::NoSuchRole);
    let c = case(&push(&["latest"]), &same_account(vec![rule_with(NATIVE, vec![target(Some(ROLE), missing)])]), None);
    agrees(&c, HopKind::Target, Code::TargetRoleDenied);
    assert_eq!(c.findings[0].message, format!("role {ROLE} of rule web-rule's target does not exist"));
}

#[test]
fn a_simulation_that_could_not_be_made_is_not_checked_never_blamed() {
    let refused = Lookup::Skipped("iam:SimulatePrincipalPolicy: AccessDenied".into());
    let c = case(&push(&["latest"]), &same_account(vec![rule_with(NATIVE, vec![target(Some(ROLE), refused)])]), None);
    assert_eq!(c.walk.target.hop.state, HopState::NotChecked);
    assert!(c.walk.target.hop.evidence.contains("whether the role may start it was not checked"));
    assert_eq!(codes(&c), [Code::Unknown]);
    assert!(c.findings[0].message.contains("could not check role"), "{}", c.findings[0].message);
}

#[test]
fn failed_invocations_in_the_push_window_break_the_target_hop() {
    let mut d = same_account(vec![rule_with(NATIVE, vec![target(Some(ROLE), allowed())])]);
    d.failed_invocations = Lookup::Done(FailedInvocations {
        from: ts(-7200),
        until: ts(0),
        period: Duration::from_secs(60),
        by_rule: vec![("web-rule".into(), vec![(ts(-3540), 1), (ts(-600), 4)])],
    });
    let c = case(&push(&["latest"]), &d, None);
    agrees(&c, HopKind::Target, Code::RuleInvocationsFailed);
    assert!(
        c.findings[0].message.starts_with("rule web-rule of web-deploy failed 1 invocation(s)"),
        "{}",
        c.findings[0].message
    );
    // Metrics that do not cover the window are said, not counted.
    d.failed_invocations = Lookup::Done(FailedInvocations {
        from: ts(-60),
        until: ts(0),
        period: Duration::from_secs(60),
        by_rule: vec![],
    });
    let c = case(&push(&["latest"]), &d, None);
    assert_eq!(c.walk.target.hop.state, HopState::Established);
    assert!(c.walk.target.hop.evidence.contains("not all of"), "{}", c.walk.target.hop.evidence);
}

#[test]
fn a_matching_rule_that_starts_another_pipeline_is_named() {
    let mut d = same_account(vec![]);
    let mut old = target(Some(ROLE), Lookup::default());
    old.arn = "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy-old".into();
    d.other_rules =
        Lookup::Done(vec![TriggerRule { name: "web-deploy-ecr-latest".into(), ..rule_with(NATIVE, vec![old]) }]);
    let c = case(&push(&["latest"]), &d, None);
    assert_eq!(c.walk.rule.hop.state, HopState::Established);
    agrees(&c, HopKind::Target, Code::RuleTargetsOtherPipeline);
    assert_eq!(
        c.findings[0].message,
        "rule web-deploy-ecr-latest matches the push but starts web-deploy-old, not web-deploy"
    );
    assert!(
        c.findings[0].fix.contains(&format!("--targets Id=codepipeline-web-deploy,Arn={WEB_DEPLOY},RoleArn={ROLE}"))
    );
}

#[test]
fn no_rule_gives_the_commands_that_create_one() {
    let mut d = same_account(vec![]);
    d.other_rules = Lookup::Done(vec![rule_with(&NATIVE.replace("\"web\"", "\"api\""), vec![])]);
    let c = case(&push(&["latest"]), &d, None);
    agrees(&c, HopKind::Rule, Code::NoTriggerRule);
    let f = &c.findings[0];
    assert!(
        f.message.contains("none of the 1 other ECR rule(s) on the default bus matches web:latest"),
        "{}",
        f.message
    );
    assert!(!f.fix.contains("re-save"), "{}", f.fix);
    assert!(f.fix.contains("aws events put-rule --name web-deploy-ecr-web --event-pattern"), "{}", f.fix);
    assert_eq!(
        pattern_in(&f.fix),
        serde_json::json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"], "detail": {
            "action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": ["web"], "image-tag": ["latest"]}})
    );
    assert!(
        f.fix.contains(&format!(
            "aws events put-targets --rule web-deploy-ecr-web --targets Id=codepipeline-web-deploy,Arn={WEB_DEPLOY},\
             RoleArn=arn:aws:iam::111111111111:role/<events-role>"
        )),
        "{}",
        f.fix
    );
    assert!(f.fix.contains("allowed codepipeline:StartPipelineExecution on"), "{}", f.fix);
}

#[test]
fn a_resources_filter_is_named_with_the_pattern_that_works() {
    let cdk = r#"{"source":["aws.ecr"],"resources":["arn:aws:ecr:ap-northeast-1:111111111111:repository/web"],
        "detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["web"]}}"#;
    let c = case(&push(&["latest"]), &same_account(vec![rule_with(cdk, vec![target(Some(ROLE), allowed())])]), None);
    agrees(&c, HopKind::Rule, Code::RuleResourcesFilter);
    assert_eq!(
        pattern_in(&c.findings[0].fix),
        serde_json::json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"], "detail": {
            "action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": ["web"]}})
    );
    // The target is still followed: it is in order.
    assert_eq!(c.walk.target.hop.state, HopState::Established);
}

const TRAIL_RULE: &str = r#"{"source":["aws.ecr"],"detail-type":["AWS API Call via CloudTrail"],
    "detail":{"eventSource":["ecr.amazonaws.com"],"eventName":["PutImage"],"requestParameters":{"repositoryName":["web"]}}}"#;

fn org_trail(selectors: Lookup<SelectorCheck>) -> TrailState {
    TrailState {
        name: "org-trail".into(),
        arn: "arn:aws:cloudtrail:us-east-1:333333333333:trail/org-trail".into(),
        home_region: "us-east-1".into(),
        multi_region: true,
        organization: true,
        logging: Lookup::Done(true),
        selectors,
    }
}

#[test]
fn a_cloudtrail_style_rule_is_judged_by_the_trails_that_log_here() {
    let rules = || vec![rule_with(TRAIL_RULE, vec![target(Some(ROLE), allowed())])];
    // An organization trail logging write management events: the rule hop holds, naming the trail.
    let mut d = same_account(rules());
    let all = SelectorCheck { logs_put_image: true, summary: "management events, ReadWriteType All".into() };
    d.trails = Lookup::Done(vec![org_trail(Lookup::Done(all))]);
    let c = case(&push(&["latest"]), &d, None);
    assert_eq!(c.walk.rule.hop.state, HopState::Established, "{}", c.walk.rule.hop.evidence);
    assert!(
        c.walk.rule.hop.evidence.contains("trail org-trail (organization, multi-region, home us-east-1) is logging")
    );
    assert!(!codes(&c).contains(&Code::CloudtrailPatternWithoutTrail));

    // No trail: blamed, with what was checked.
    d.trails = Lookup::Done(vec![]);
    let c = case(&push(&["latest"]), &d, None);
    agrees(&c, HopKind::Rule, Code::CloudtrailPatternWithoutTrail);
    assert_eq!(c.findings[0].evidence, ["cloudtrail:DescribeTrails (with shadow trails) in ap-northeast-1: no trail"]);

    // The organization trail's selectors could not be read (a member account): not checked, never blamed.
    d.trails = Lookup::Done(vec![org_trail(Lookup::Skipped("AccessDeniedException".into()))]);
    let c = case(&push(&["latest"]), &d, None);
    assert_eq!(c.walk.rule.hop.state, HopState::NotChecked);
    assert_eq!(codes(&c), [Code::Unknown]);
    assert!(
        c.findings[0].message.contains("could not check trail coverage for rule web-rule"),
        "{}",
        c.findings[0].message
    );
}

fn replicated() -> Arrival {
    Arrival::Replicated(Source {
        profile: "source".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        pushed_at: ts(-3700),
    })
}

#[test]
fn a_replicated_image_against_a_push_only_rule() {
    let d = Diagnostics {
        put_images: Lookup::Skipped("not read".into()),
        ..same_account(vec![rule_with(NATIVE, vec![target(Some(ROLE), allowed())])])
    };
    let arrival = replicated();
    let c = case(&push(&["latest"]), &d, Some(&arrival));
    agrees(&c, HopKind::Rule, Code::ReplicationNotMatched);
    let f = &c.findings[0];
    assert!(
        f.message.starts_with("the image arrived by replication from account 111111111111 (us-east-1)"),
        "{}",
        f.message
    );
    let widened = pattern_in(&f.fix);
    assert_eq!(widened["detail-type"], serde_json::json!(["ECR Image Action", "ECR Replication Action"]));
    assert_eq!(widened["detail"]["action-type"], serde_json::json!(["PUSH", "REPLICATE"]));
    assert_eq!(f.evidence.len(), 2, "{:?}", f.evidence);
    assert!(f.inferred.as_deref().unwrap().starts_with("that this image was replicated"));
    assert_eq!(c.chain[0].state, HopState::Established, "the source's push is seen");
    assert!(c.chain[1].evidence.contains("ECR Replication Action"), "{}", c.chain[1].evidence);

    // A rule written for both is followed.
    let both = r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action","ECR Replication Action"],
        "detail":{"action-type":["PUSH","REPLICATE"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#;
    let d = Diagnostics {
        rules: Lookup::Done(vec![("web-deploy".into(), vec![rule_with(both, vec![target(Some(ROLE), allowed())])])]),
        ..d
    };
    let c = case(&push(&["latest"]), &d, Some(&arrival));
    assert_eq!(c.walk.rule.hop.state, HopState::Established, "{}", c.walk.rule.hop.evidence);
    assert!(c.walk.rule.hop.evidence.ends_with("(\"ECR Replication Action\")"));
}

#[test]
fn a_disabled_rule_and_a_target_without_role_are_both_said_in_chain_order() {
    let r = TriggerRule { targets: Lookup::Done(vec![target(None, Lookup::default())]), ..rule("DISABLED", NATIVE) };
    let c = case(&push(&["latest"]), &same_account(vec![r]), None);
    assert_eq!(codes(&c), [Code::RuleDisabled, Code::TargetWithoutRole]);
    assert_eq!(first_broken(&c.chain).map(|h| h.hop), Some(HopKind::Rule));
    assert_eq!(c.chain[3].state, HopState::Broken);
}

#[test]
fn arns_name_their_pipeline() {
    assert_eq!(pipeline_of(WEB_DEPLOY), Some("web-deploy"));
    assert_eq!(pipeline_of("arn:aws-cn:codepipeline:cn-north-1:1:a:b"), Some("a:b"));
    assert_eq!(pipeline_of("arn:aws:lambda:us-east-1:1:function:f"), None);
    assert_eq!(pipeline_of("arn:aws:codepipeline:us-east-1:1:"), None);
    assert_eq!(pipeline_of("garbage"), None);
}

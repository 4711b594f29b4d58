//! Findings of hand-built pushes: each code with its message and fix, and what could not be checked.

use super::*;
use crate::analysis::fixtures::evidence::{GRACE, NATIVE, diag, pipeline, push, record, rule, ts};
use crate::analysis::trail::TrailIndex;
use crate::model::{Diagnostics, Execution, ImagePush};

fn run(push: &ImagePush, status: PushStatus, pipes: &[Pipeline], d: &Diagnostics) -> Vec<Finding> {
    let evidence = Evidence {
        push,
        status,
        watchers: if status == PushStatus::Unwatched { vec![] } else { pipes.iter().collect() },
        pipelines: pipes,
        diagnostics: d,
        record: TrailIndex::new(d).record_for(push),
        grace: GRACE,
        arrival: None,
        region: "ap-northeast-1",
        identity: None,
    };
    diagnose(&evidence)
}

fn codes(f: &[Finding]) -> Vec<Code> {
    f.iter().map(|f| f.code).collect()
}

#[test]
fn cross_account_push_is_named_with_its_fix() {
    let p = push(&["latest"]);
    let d = diag(vec![record("222222222222", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    let f = run(&p, PushStatus::Untriggered, &[pipeline(vec![])], &d);
    assert_eq!(codes(&f), vec![Code::CrossAccountPush]);
    assert!(
        f[0].message.starts_with(
            "pushed with account 222222222222's identity, its own identity (AWSAccount), into account 111111111111's \
             repository (CloudTrail event e1 at 2025-11-24T15:00:00Z)"
        ),
        "{}",
        f[0].message
    );
    // What the record establishes, and what is inferred, with the 2021 change.
    assert_eq!(
        f[0].evidence,
        ["cloudtrail:LookupEvents PutImage e1 at 2025-11-24T15:00:00Z: userIdentity.type AWSAccount, accountId \
          222222222222; recipientAccountId 111111111111"]
    );
    let inferred = f[0].inferred.as_deref().unwrap();
    assert!(inferred.starts_with("that no event reached account 111111111111"), "{inferred}");
    assert!(inferred.contains("April 2021") && inferred.contains("not documented"), "{inferred}");
    assert!(f[0].fix.contains("arn:aws:iam::111111111111:role/<push-role>"), "{}", f[0].fix);
    assert!(f[0].fix.contains("credential_source = EcsContainer"));
}

#[test]
fn no_rule_disabled_rule_mismatch_and_cloudtrail_pattern() {
    let p = push(&["latest"]);
    let pipes = [pipeline(vec![])];
    let same = || vec![record("111111111111", "latest")];

    let f = run(&p, PushStatus::Untriggered, &pipes, &diag(same(), Some(vec![])));
    assert_eq!(codes(&f), vec![Code::NoTriggerRule]);
    assert!(f[0].fix.contains(r#""repository-name":["web"],"image-tag":["latest"]"#), "{}", f[0].fix);
    assert!(f[0].fix.contains("aws events put-targets --rule web-deploy-ecr-web"), "{}", f[0].fix);
    assert!(!f[0].fix.contains("re-save"), "update-pipeline never creates the rule: {}", f[0].fix);

    let f = run(&p, PushStatus::Untriggered, &pipes, &diag(same(), Some(vec![rule("DISABLED", NATIVE)])));
    assert_eq!(codes(&f), vec![Code::RuleDisabled]);
    assert_eq!(f[0].fix, "aws events enable-rule --name web-rule");

    let wrong_tag = NATIVE.replace(r#"["latest"]"#, r#"["stable"]"#);
    let f = run(&p, PushStatus::Untriggered, &pipes, &diag(same(), Some(vec![rule("ENABLED", &wrong_tag)])));
    assert_eq!(codes(&f), vec![Code::RulePatternMismatch]);
    assert!(f[0].message.contains(r#"detail.image-tag is ["stable"]"#), "{}", f[0].message);

    let trail = r#"{"source":["aws.ecr"],"detail-type":["AWS API Call via CloudTrail"],
        "detail":{"eventName":["PutImage"],"requestParameters":{"repositoryName":["web"]}}}"#;
    // Blamed only once the trails were read and none logs PutImage here.
    let mut d = diag(same(), Some(vec![rule("ENABLED", trail)]));
    d.trails = Lookup::Done(vec![]);
    let f = run(&p, PushStatus::Untriggered, &pipes, &d);
    assert_eq!(codes(&f), vec![Code::CloudtrailPatternWithoutTrail]);
    d.trails = Lookup::Skipped("cloudtrail:DescribeTrails: AccessDeniedException".into());
    let f = run(&p, PushStatus::Untriggered, &pipes, &d);
    assert_eq!(codes(&f), vec![Code::Unknown]);
    assert!(f[0].message.contains("could not check trail coverage for rule web-rule"), "{}", f[0].message);
}

#[test]
fn matching_rule_and_same_account_push_leave_unknown_with_what_was_checked() {
    let p = push(&["latest"]);
    let f = run(
        &p,
        PushStatus::Untriggered,
        &[pipeline(vec![])],
        &diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)])),
    );
    assert_eq!(codes(&f), vec![Code::Unknown]);
    assert!(f[0].message.contains("rule web-rule matches web:latest and is enabled"), "{}", f[0].message);
    assert!(f[0].message.contains("pushed from the repository's own account"), "{}", f[0].message);
}

#[test]
fn skipped_checks_are_said() {
    let p = push(&["latest"]);
    let d = Diagnostics {
        put_images: Lookup::Skipped("AccessDenied: needs cloudtrail:LookupEvents".into()),
        rules: Lookup::Skipped("disabled in the config".into()),
        ..Diagnostics::default()
    };
    let f = run(&p, PushStatus::Untriggered, &[pipeline(vec![])], &d);
    assert_eq!(codes(&f), vec![Code::Unknown]);
    assert!(f[0].message.contains("could not check CloudTrail (AccessDenied: needs cloudtrail:LookupEvents)"));
    assert!(f[0].message.contains("EventBridge rules (disabled in the config)"));
}

#[test]
fn young_push_without_record_is_not_yet_in_cloudtrail() {
    let mut p = push(&["latest"]);
    p.pushed_at = ts(-60);
    let f = run(&p, PushStatus::Untriggered, &[pipeline(vec![])], &diag(vec![], Some(vec![rule("ENABLED", NATIVE)])));
    assert!(f[0].message.contains("no PutImage record yet"), "{}", f[0].message);
}

#[test]
fn running_execution_absorbs_the_push() {
    let running = Execution {
        id: "busy".into(),
        status: ExecStatus::InProgress,
        trigger: "CloudWatchEvent".into(),
        trigger_detail: None,
        started_at: ts(-3700),
        updated_at: None,
        revisions: vec![],
        status_summary: None,
    };
    let p = push(&["latest"]);
    let f = run(
        &p,
        PushStatus::Untriggered,
        &[pipeline(vec![running])],
        &diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)])),
    );
    assert_eq!(codes(&f), vec![Code::RunSuperseded]);
    assert!(f[0].message.contains("run busy of web-deploy was InProgress"));
}

#[test]
fn unwatched_tag_says_what_is_watched() {
    let p = push(&["v1.2"]);
    let f = run(&p, PushStatus::Unwatched, &[pipeline(vec![])], &diag(vec![], None));
    assert_eq!(codes(&f), vec![Code::TagNotWatched]);
    assert_eq!(f[0].message, "web-deploy watches web:latest; this push was web:v1.2");
}

#[test]
fn pending_push_gets_only_definite_findings() {
    let p = push(&["latest"]);
    let ok = diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    assert!(run(&p, PushStatus::Pending, &[pipeline(vec![])], &ok).is_empty());
    let cross = diag(vec![record("222222222222", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    assert_eq!(codes(&run(&p, PushStatus::Pending, &[pipeline(vec![])], &cross)), vec![Code::CrossAccountPush]);
}

#[test]
fn triggered_pushes_get_no_findings() {
    let p = push(&["latest"]);
    assert!(run(&p, PushStatus::Triggered, &[pipeline(vec![])], &diag(vec![], None)).is_empty());
}

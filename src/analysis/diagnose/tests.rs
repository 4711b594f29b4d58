//! Findings of hand-built pushes: each code with its message and fix, and what could not be checked.

use super::*;
use crate::analysis::fixtures::evidence::{GRACE, NATIVE, diag, pipeline, push, record, rule, ts};
use crate::analysis::trail::TrailIndex;
use crate::model::{Diagnostics, ExecStatus, Execution, ImagePush};

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
        deployed_by: None,
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

/// A run of web-deploy released by hand by alice 10 minutes after the push, with `revision` as its source revision.
fn release(revision: Option<&str>) -> Execution {
    Execution {
        id: "manual-1".into(),
        status: ExecStatus::Succeeded,
        trigger: "StartPipelineExecution".into(),
        trigger_detail: Some("arn:aws:sts::111111111111:assumed-role/admin/alice".into()),
        started_at: ts(-3000),
        updated_at: None,
        revisions: revision
            .map(|r| vec![crate::model::Revision { action: "Source".into(), revision_id: r.into(), summary: None }])
            .unwrap_or_default(),
        status_summary: None,
    }
}

fn deployed(push: &ImagePush, run: &Execution, by: MatchedBy, pipes: &[Pipeline], d: &Diagnostics) -> Vec<Finding> {
    let evidence = Evidence {
        push,
        status: PushStatus::Untriggered,
        watchers: pipes.iter().collect(),
        pipelines: pipes,
        diagnostics: d,
        record: TrailIndex::new(d).record_for(push),
        grace: GRACE,
        arrival: None,
        region: "ap-northeast-1",
        identity: None,
        deployed_by: Some(Deployment { pipeline: &pipes[0], run, by }),
    };
    diagnose(&evidence)
}

#[test]
fn a_release_by_hand_of_a_push_whose_rule_is_disabled_is_named_after_the_rule() {
    let p = push(&["latest"]);
    let run = release(Some(&p.digest));
    let pipes = [pipeline(vec![run.clone()])];
    let d = diag(vec![record("111111111111", "latest")], Some(vec![rule("DISABLED", NATIVE)]));
    let f = deployed(&p, &run, MatchedBy::Digest, &pipes, &d);
    assert_eq!(codes(&f), vec![Code::RuleDisabled, Code::DeployedWithoutTrigger]);
    assert_eq!(
        f[1].message,
        "this push started no run, yet run manual-1 of web-deploy deployed its image: released by hand \
         (StartPipelineExecution) by arn:aws:sts::111111111111:assumed-role/admin/alice, 600s after the push; the \
         trigger is broken and the deployment hides it"
    );
    assert_eq!(
        f[1].evidence,
        [format!(
            "codepipeline:ListPipelineExecutions web-deploy run manual-1: trigger StartPipelineExecution, started by \
             arn:aws:sts::111111111111:assumed-role/admin/alice, started at 2025-11-24T15:10:00Z, status Succeeded; \
             its source revision is this image ({})",
            p.digest
        )]
    );
    assert_eq!(f[1].inferred, None, "a digest is seen, not inferred");
    assert!(f[1].fix.contains("CloudWatchEvent"), "{}", f[1].fix);
}

#[test]
fn a_release_by_hand_without_revisions_is_an_inference_and_other_causes_still_show() {
    let p = push(&["latest"]);
    let mut run = release(None);
    run.trigger = "Webhook".into();
    run.trigger_detail = None;
    let pipes = [pipeline(vec![run.clone()])];
    // Everything checks out: the cause is unknown, the deployment is still named.
    let d = diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    let f = deployed(&p, &run, MatchedBy::Time, &pipes, &d);
    assert_eq!(codes(&f), vec![Code::Unknown, Code::DeployedWithoutTrigger]);
    assert!(f[1].message.contains("started by another source's change (Webhook), 600s after"), "{}", f[1].message);
    assert!(f[1].evidence[0].contains("started by (not reported)"), "{:?}", f[1].evidence);
    assert!(f[1].inferred.as_deref().unwrap().contains("carries no source revision"));
}

#[test]
fn a_pending_push_is_not_yet_said_to_be_deployed_without_trigger() {
    let p = push(&["latest"]);
    let run = release(Some(&p.digest));
    let pipes = [pipeline(vec![run.clone()])];
    let d = diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    let mut evidence = Evidence {
        push: &p,
        status: PushStatus::Pending,
        watchers: pipes.iter().collect(),
        pipelines: &pipes,
        diagnostics: &d,
        record: None,
        grace: GRACE,
        arrival: None,
        region: "ap-northeast-1",
        identity: None,
        deployed_by: Some(Deployment { pipeline: &pipes[0], run: &run, by: MatchedBy::Digest }),
    };
    assert!(diagnose(&evidence).is_empty());
    evidence.status = PushStatus::Untriggered;
    assert_eq!(codes(&diagnose(&evidence)).last(), Some(&Code::DeployedWithoutTrigger));
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

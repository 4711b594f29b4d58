//! The analysis of hand-built snapshots: order, verdicts, counts, deadlines and tags recovered from CloudTrail.

use std::time::Duration;

use super::correlate::{MatchedBy, PushStatus};
use super::fixtures::{account_a, metas, ts};
use super::*;
use crate::analysis::diagnose::Code;
use crate::exit;
use crate::model::{CloudTrailRead, Diagnostics, ErrorKind, Lookup, PollError, Pusher, PutImageRecord};

const GRACE: Duration = Duration::from_secs(300);

/// account-a's fixture beside `b`, analysed at `ts(0)`.
fn analysed(b: ProfileSnapshot) -> Analysis {
    Analysis::new(&metas(), &[&account_a(), &b], ts(0), GRACE)
}

#[test]
fn pushes_are_newest_first_with_their_verdicts() {
    let a = analysed(ProfileSnapshot::default());
    let order: Vec<(&str, PushStatus)> = a.pushes.iter().map(|p| (p.push.digest.as_str(), p.status)).collect();
    assert_eq!(
        order,
        [
            ("sha256:acd3ca9941a85e8ed16515bfc5328e4e", PushStatus::Untriggered),
            ("sha256:55e7a6f2bb43e38cc34285af03b4973d", PushStatus::Triggered),
        ]
    );
    let triggered = &a.pushes[1];
    assert_eq!(
        triggered.execution,
        Some(MatchedExecution {
            pipeline: "web-deploy".into(),
            id: "exec-1".into(),
            matched_by: MatchedBy::Digest,
            status: ExecStatus::Succeeded,
            trigger: "CloudWatchEvent".into(),
            started_by: Some("arn:aws:events:ap-northeast-1:111111111111:rule/x".into()),
        })
    );
    assert_eq!(a.pushes[0].watched_by, ["web-deploy"]);
    assert_eq!(a.pushes[0].profile, "account-a");
    assert_eq!(a.pipeline("account-a", "ap-northeast-1", "web-deploy").map(|p| p.executions.len()), Some(1));
    assert!(a.pipeline("account-b", "ap-northeast-1", "web-deploy").is_none());
}

#[test]
fn counts_and_exit_codes_follow_the_contract() {
    let healthy = Analysis::new(&metas()[..1], &[&ProfileSnapshot::default()], ts(0), GRACE);
    assert_eq!(exit::of(&healthy), exit::HEALTHY);
    assert_eq!(exit::of(&analysed(ProfileSnapshot::default())), exit::UNTRIGGERED);
    let failed = analysed(ProfileSnapshot::failed(PollError::new(ErrorKind::Service, "boom")));
    assert_eq!(exit::of(&failed), exit::PROFILE_FAILED);
    assert_eq!(failed.counts(), Counts { untriggered: 1, pending: 0, triggered: 1, unwatched: 0, failed_profiles: 1 });
    assert_eq!(failed.profiles[1].error.as_deref(), Some("boom"));
}

#[test]
fn a_pending_push_sets_the_next_deadline() {
    // At ts(-850) the newer push (ts(-900)) is 50 s old: pending until its grace ends, one second after ts(-600).
    let a = Analysis::new(&metas()[..1], &[&account_a()], ts(-850), GRACE);
    assert_eq!(a.pushes[0].status, PushStatus::Pending);
    assert_eq!(a.next_deadline(), Some(ts(-599)));
    assert_eq!(analysed(ProfileSnapshot::default()).next_deadline(), None);
}

fn record(digest: &str, tag: &str, at: i64) -> PutImageRecord {
    PutImageRecord {
        event_id: format!("e-{digest}"),
        event_time: ts(at),
        repository: "web".into(),
        tag: Some(tag.into()),
        digest: Some(digest.into()),
        recipient_account: Some("111111111111".into()),
        pusher: Pusher {
            arn: Some("arn:aws:sts::111111111111:assumed-role/ci/build".into()),
            account: "111111111111".into(),
            identity_type: "AssumedRole".into(),
            principal_id: None,
            cross_account: false,
        },
    }
}

#[test]
fn cloudtrail_recovers_the_tag_of_a_push_whose_tag_moved() {
    let mut a = account_a();
    // The older image lost `latest` to a newer push; its run carried no revision, so it can only be matched by time
    // once CloudTrail tells which tag it was pushed with.
    a.pipelines[0].executions[0].revisions.clear();
    a.pipelines[0].executions[0].started_at = ts(-3590);
    a.diagnostics = Diagnostics {
        put_images: Lookup::Done(CloudTrailRead {
            records: vec![record("sha256:55e7a6f2bb43e38cc34285af03b4973d", "latest", -3600)],
            read_until: ts(0),
            complete: Default::default(),
        }),
        rules: Lookup::Skipped("not checked".into()),
        ..Diagnostics::default()
    };
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), GRACE);
    let old = r.pushes.iter().find(|p| p.push.digest.starts_with("sha256:55e7")).unwrap();
    assert_eq!(old.push.tags, ["latest"]);
    assert!(old.tags_from_cloudtrail);
    assert_eq!(old.status, PushStatus::Triggered);
    assert_eq!(old.execution.as_ref().unwrap().matched_by, MatchedBy::Time);
    assert_eq!(old.pusher.as_ref().unwrap().identity_type, "AssumedRole");
    // Without the record the image is untagged and nobody watches it.
    let r = Analysis::new(&metas()[..1], &[&account_a()], ts(0), GRACE);
    let old = r.pushes.iter().find(|p| p.push.digest.starts_with("sha256:55e7")).unwrap();
    assert!(old.push.tags.is_empty() && !old.tags_from_cloudtrail);
}

#[test]
fn a_push_that_still_holds_a_tag_keeps_its_own_tags() {
    let mut a = account_a();
    a.images[1].tags = vec!["build-7".into()];
    a.diagnostics.put_images = Lookup::Done(CloudTrailRead {
        records: vec![record("sha256:acd3ca9941a85e8ed16515bfc5328e4e", "build-7", -900)],
        read_until: ts(0),
        complete: Default::default(),
    });
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), GRACE);
    let newer = r.pushes.iter().find(|p| p.push.digest.starts_with("sha256:acd3")).unwrap();
    assert_eq!(newer.push.tags, ["build-7"]);
    assert!(!newer.tags_from_cloudtrail);
    assert_eq!(newer.status, PushStatus::Unwatched);
    assert_eq!(newer.pusher.as_ref().map(|p| p.account.as_str()), Some("111111111111"));
}

#[test]
fn a_push_whose_latest_moved_on_keeps_its_watched_tag_beside_its_sha_tag() {
    let mut a = account_a();
    // `docker push web:latest` then `web:abc123`; a newer push took `latest`, the older image kept `abc123`.
    a.images[0].tags = vec!["abc123".into()];
    a.diagnostics.put_images = Lookup::Done(CloudTrailRead {
        records: vec![
            record("sha256:55e7a6f2bb43e38cc34285af03b4973d", "latest", -3600),
            record("sha256:55e7a6f2bb43e38cc34285af03b4973d", "abc123", -3599),
        ],
        read_until: ts(0),
        complete: Default::default(),
    });
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), GRACE);
    let old = r.pushes.iter().find(|p| p.push.digest.starts_with("sha256:55e7")).unwrap();
    assert_eq!(old.push.tags, ["abc123", "latest"]);
    assert!(old.tags_from_cloudtrail);
    assert_eq!((old.status, old.watched_by.as_slice()), (PushStatus::Triggered, &["web-deploy".to_string()][..]));
}

#[test]
fn a_release_by_hand_of_an_untriggered_push_is_named_beside_the_cause() {
    let mut a = account_a();
    // The only run was started by hand, carrying the newer push's digest: that push started nothing.
    let run = &mut a.pipelines[0].executions[0];
    run.trigger = "StartPipelineExecution".into();
    run.trigger_detail = Some("arn:aws:sts::111111111111:assumed-role/admin/alice".into());
    run.started_at = ts(-600);
    run.revisions[0].revision_id = "sha256:acd3ca9941a85e8ed16515bfc5328e4e".into();
    a.diagnostics.rules = Lookup::Done(vec![("web-deploy".into(), vec![])]);
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), GRACE);
    let newer = &r.pushes[0];
    assert_eq!((newer.status, newer.execution.as_ref()), (PushStatus::Untriggered, None));
    let d = newer.deployed_by.as_ref().unwrap();
    assert_eq!(
        (d.id.as_str(), d.trigger.as_str(), d.started_by.as_deref(), d.matched_by),
        (
            "exec-1",
            "StartPipelineExecution",
            Some("arn:aws:sts::111111111111:assumed-role/admin/alice"),
            MatchedBy::Digest
        )
    );
    let codes: Vec<Code> = newer.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::NoTriggerRule, Code::DeployedWithoutTrigger]);
    let run_hop = newer.chain.last().unwrap();
    assert_eq!(run_hop.state, crate::analysis::chain::HopState::Broken);
    assert!(run_hop.evidence.contains("run exec-1 (Succeeded)"), "{}", run_hop.evidence);
}

#[test]
fn regions_of_one_profile_are_correlated_apart() {
    // account-a polls us-east-1 (pipeline web-deploy with run exec-1 of digest 55e7…) and eu-west-1 (the same
    // pipeline name and the same two images, no run at all): eu-west-1's pushes must not borrow us-east-1's run.
    let metas = [
        ProfileMeta { name: "account-a".into(), region: "us-east-1".into() },
        ProfileMeta { name: "account-a".into(), region: "eu-west-1".into() },
    ];
    let us = account_a();
    let mut eu = account_a();
    eu.pipelines[0].executions.clear();
    let a = Analysis::new(&metas, &[&us, &eu], ts(0), GRACE);
    assert!(a.several_regions());
    let verdict = |region: &str, digest: &str| {
        a.pushes.iter().find(|p| p.region == region && p.push.digest == digest).expect("push of the region")
    };
    let older = "sha256:55e7a6f2bb43e38cc34285af03b4973d";
    let us_push = verdict("us-east-1", older);
    assert_eq!(
        (us_push.status, us_push.execution.as_ref().map(|e| e.id.as_str())),
        (PushStatus::Triggered, Some("exec-1"))
    );
    let eu_push = verdict("eu-west-1", older);
    assert_ne!(eu_push.status, PushStatus::Triggered);
    assert_eq!((eu_push.execution.as_ref(), eu_push.deployed_by.as_ref()), (None, None));
    let newer = verdict("eu-west-1", "sha256:acd3ca9941a85e8ed16515bfc5328e4e");
    assert_eq!(
        (newer.status, newer.watched_by.as_slice()),
        (PushStatus::Untriggered, ["web-deploy".to_string()].as_slice())
    );
    // Both regions' pipelines, each with its own runs.
    let runs = |region| a.pipeline("account-a", region, "web-deploy").map(|p| p.executions.len());
    assert_eq!((runs("us-east-1"), runs("eu-west-1")), (Some(1), Some(0)));
    assert_eq!(a.outcome("account-a", "eu-west-1").map(|o| o.region.as_str()), Some("eu-west-1"));
    assert_eq!(a.pushes.len(), 4);
    // One region per profile: the region is not worth showing beside the name.
    assert!(!analysed(ProfileSnapshot::default()).several_regions());
}

//! The demo tells every cause once: a test per promise its story makes.

use super::*;
use crate::analysis::Analysis;
use crate::analysis::correlate::PushStatus;
use jiff::SignedDuration;

#[test]
fn demo_has_triggered_running_and_the_untriggered_cross_account_push() {
    let epoch = Timestamp::from_second(1_764_000_000).unwrap();
    let demo = DemoSource::new(epoch).without_failures();
    let now = epoch.checked_add(SignedDuration::from_secs(130)).unwrap();
    let snaps: Vec<_> = (0..2).map(|i| demo.snapshot(i, now)).collect();
    let analysis = Analysis::new(demo.profiles(), &[&snaps[0], &snaps[1]], now, std::time::Duration::from_secs(300));
    let api = analysis.pushes.iter().find(|p| p.push.repository == "api").unwrap();
    assert_eq!(api.status, PushStatus::Untriggered);
    let newest_web = analysis.pushes.iter().find(|p| p.push.repository == "web").unwrap();
    assert_eq!(newest_web.push.tags, vec!["latest", "build-1003"]);
    // A buildx push: one push with its two platforms, its attestation and its signature.
    let platforms: Vec<_> = newest_web.push.manifests.iter().filter_map(|m| m.platform.as_deref()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    let kinds: Vec<_> = newest_web.push.artifacts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["attestation", "signature"]);
    let web = analysis.pushes.iter().filter(|p| p.push.repository == "web").count();
    assert_eq!(web, 31 + 1, "the last 31 builds and the hotfix: no platform image or signature is a push");
    // Pushed at +120 s, its run starts at +124 s and is still running at +130 s.
    assert_eq!(newest_web.status, PushStatus::Triggered);
    let run = &analysis.pipeline("account-a", "ap-northeast-1", "web-deploy").unwrap().executions[0];
    assert_eq!(run.status, ExecStatus::InProgress);
    assert!(analysis.pushes.iter().any(|p| p.profile == "account-b" && p.status == PushStatus::Unwatched));
    assert_eq!(crate::exit::of(&analysis), 1);
}

#[test]
fn demo_shows_every_cause_once_with_its_pusher() {
    use crate::analysis::diagnose::Code;
    let epoch = Timestamp::from_second(1_764_000_000).unwrap();
    let demo = DemoSource::new(epoch).without_failures();
    let now = epoch.checked_add(SignedDuration::from_secs(130)).unwrap();
    let snaps: Vec<_> = (0..2).map(|i| demo.snapshot(i, now)).collect();
    let analysis = Analysis::new(demo.profiles(), &[&snaps[0], &snaps[1]], now, std::time::Duration::from_secs(300));
    let cause = |repo: &str| -> Vec<Code> {
        let p = analysis.pushes.iter().find(|p| p.push.repository == repo && !p.findings.is_empty()).unwrap();
        p.findings.iter().map(|f| f.code).collect()
    };
    assert_eq!(cause("api"), vec![Code::CrossAccountPush]);
    assert_eq!(cause("worker"), vec![Code::NoTriggerRule]);
    // The disabled rule first, then the release by hand that hid it.
    assert_eq!(cause("batch"), vec![Code::RuleDisabled, Code::DeployedWithoutTrigger]);
    assert_eq!(cause("payments"), vec![Code::TargetWithoutRole]);
    assert_eq!(cause("audit"), vec![Code::ReplicationNotMatched]);
    assert_eq!(cause("legacy"), vec![Code::CloudtrailPatternWithoutTrail]);
    assert_eq!(cause("admin"), vec![Code::RulePatternMismatch]);
    assert_eq!(cause("jobs"), vec![Code::Unknown]);
    assert_eq!(cause("web"), vec![Code::TagNotWatched]);
    let api = analysis.pushes.iter().find(|p| p.push.repository == "api").unwrap();
    let pusher = api.pusher.as_ref().unwrap();
    assert_eq!(
        (pusher.account.as_str(), pusher.identity_type.as_str(), pusher.cross_account),
        ("222222222222", "AWSAccount", true)
    );
    let batch = analysis.pushes.iter().find(|p| p.push.repository == "batch").unwrap();
    let release = batch.deployed_by.as_ref().unwrap();
    assert_eq!(
        (batch.status, release.trigger.as_str(), release.started_by.as_deref()),
        (PushStatus::Untriggered, "StartPipelineExecution", Some(ALICE))
    );
}

#[test]
fn older_web_builds_keep_latest_from_cloudtrail() {
    let epoch = Timestamp::from_second(1_764_000_000).unwrap();
    let demo = DemoSource::new(epoch).without_failures();
    let now = epoch.checked_add(SignedDuration::from_secs(900)).unwrap();
    let snaps: Vec<_> = (0..2).map(|i| demo.snapshot(i, now)).collect();
    let analysis = Analysis::new(demo.profiles(), &[&snaps[0], &snaps[1]], now, std::time::Duration::from_secs(300));
    let web: Vec<_> = analysis.pushes.iter().filter(|p| p.push.repository == "web" && p.push.tags.len() == 2).collect();
    // An older build holds its build tag; `latest` comes back from its CloudTrail record.
    let old = web.iter().find(|p| p.tags_from_cloudtrail).unwrap();
    assert_eq!(old.push.tags[1], "latest");
    assert_eq!(old.status, PushStatus::Triggered);
}

#[test]
fn fake_ids_are_stable_and_distinct() {
    assert_eq!(fake_digest("web", 1), fake_digest("web", 1));
    assert_ne!(fake_digest("web", 1), fake_digest("web", 2));
    assert_eq!(fake_digest("web", 1).len(), 7 + 64);
    assert_eq!(fake_uuid("x", 1).len(), 36);
}

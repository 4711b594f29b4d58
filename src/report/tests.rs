use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::model::{ErrorKind, Execution, ImagePush, Pipeline, PollError};

const T0: i64 = 1_764_000_000;

fn ts(offset: i64) -> Timestamp {
    Timestamp::from_second(T0 + offset).unwrap()
}

fn metas() -> Vec<ProfileMeta> {
    vec![
        ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() },
        ProfileMeta { name: "account-b".into(), region: "ap-northeast-1".into() },
    ]
}

fn account_a() -> ProfileSnapshot {
    ProfileSnapshot {
        identity: Some(Identity {
            account: "111111111111".into(),
            arn: "arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch".into(),
            user_id: "AROAEXAMPLE:pipewatch".into(),
        }),
        pipelines: vec![Pipeline {
            name: "web-deploy".into(),
            sources: vec![WatchedSource { action: "Source".into(), repository: "web".into(), tag: "latest".into() }],
            executions: vec![Execution {
                id: "exec-1".into(),
                status: ExecStatus::Succeeded,
                trigger: "CloudWatchEvent".into(),
                trigger_detail: Some("arn:aws:events:ap-northeast-1:111111111111:rule/x".into()),
                started_at: ts(-3590),
                updated_at: Some(ts(-3500)),
                revisions: vec![Revision {
                    action: "Source".into(),
                    revision_id: "sha256:55e7a6f2bb43e38cc34285af03b4973d".into(),
                    summary: None,
                }],
                status_summary: None,
            }],
        }],
        pushes: vec![
            ImagePush {
                repository: "web".into(),
                digest: "sha256:55e7a6f2bb43e38cc34285af03b4973d".into(),
                tags: vec![],
                pushed_at: ts(-3600),
            },
            ImagePush {
                repository: "web".into(),
                digest: "sha256:acd3ca9941a85e8ed16515bfc5328e4e".into(),
                tags: vec!["latest".into()],
                pushed_at: ts(-900),
            },
        ],
        errors: vec![],
        warnings: vec![],
        diagnostics: Default::default(),
        stats: Default::default(),
    }
}

fn report(b: ProfileSnapshot) -> Report {
    Report::build(&metas(), &[&account_a(), &b], ts(0), Duration::from_secs(300))
}

#[test]
fn json_has_the_contract_shape() {
    let r = report(ProfileSnapshot::failed(denied()));
    let mut buf = Vec::new();
    json::write(&r, &mut buf).unwrap();
    let v: Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(v["generated_at"], "2025-11-24T16:00:00Z");
    assert_eq!(v["grace_seconds"], 300);
    assert_eq!(v["profiles"][0]["name"], "account-a");
    assert_eq!(v["profiles"][0]["region"], "ap-northeast-1");
    assert_eq!(v["profiles"][0]["identity"]["account"], "111111111111");
    assert_eq!(v["profiles"][0]["identity"]["user_id"], "AROAEXAMPLE:pipewatch");
    assert_eq!(v["profiles"][0]["error"], Value::Null);
    assert_eq!(v["profiles"][1]["identity"], Value::Null);
    assert_eq!(v["profiles"][1]["error"], "sts:GetCallerIdentity: AccessDenied: not authorized");
    assert_eq!(v["pipelines"][0]["profile"], "account-a");
    assert_eq!(v["pipelines"][0]["sources"], json!([{"repository": "web", "tag": "latest"}]));
    let ex = &v["pipelines"][0]["executions"][0];
    assert_eq!(ex["id"], "exec-1");
    assert_eq!(ex["status"], "Succeeded");
    assert_eq!(ex["trigger"], "CloudWatchEvent");
    assert_eq!(ex["started_at"], "2025-11-24T15:00:10Z");
    assert_eq!(ex["revisions"], json!(["sha256:55e7a6f2bb43e38cc34285af03b4973d"]));
    // Newest push first: the untriggered one.
    let p0 = &v["pushes"][0];
    assert_eq!(p0["status"], "untriggered");
    assert_eq!(p0["tags"], json!(["latest"]));
    assert_eq!(p0["execution"], Value::Null);
    let p1 = &v["pushes"][1];
    assert_eq!(p1["status"], "triggered");
    assert_eq!(p1["execution"], json!({"pipeline": "web-deploy", "id": "exec-1", "matched_by": "digest"}));
    assert_eq!(p1["pushed_at"], "2025-11-24T15:00:00Z");
}

#[test]
fn exit_codes_follow_the_contract() {
    let healthy = Report::build(&metas()[..1], &[&ProfileSnapshot::default()], ts(0), Duration::from_secs(300));
    assert_eq!(healthy.exit_code(), exit::HEALTHY);
    assert_eq!(report(ProfileSnapshot::default()).exit_code(), exit::UNTRIGGERED);
    let failed = || report(ProfileSnapshot::failed(PollError::new(ErrorKind::Service, "boom")));
    assert_eq!(failed().exit_code(), exit::PROFILE_FAILED);
    let c = failed().counts();
    assert_eq!(c, Counts { untriggered: 1, pending: 0, triggered: 1, unwatched: 0, failed_profiles: 1 });
}

#[test]
fn text_report_snapshot() {
    let r = report(ProfileSnapshot::failed(denied()));
    let mut buf = Vec::new();
    text::write(&r, &mut buf, false).unwrap();
    let out = String::from_utf8(buf).unwrap();
    assert!(out.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80), "{out}");
    assert!(!out.contains('\x1b'));
    insta::assert_snapshot!(out);
}

#[test]
fn text_report_colours_only_when_asked() {
    let r = report(ProfileSnapshot::default());
    let mut buf = Vec::new();
    text::write(&r, &mut buf, true).unwrap();
    let out = String::from_utf8(buf).unwrap();
    assert!(out.contains("\x1b[31;1mUNTRIGGERED\x1b[0m"), "{out}");
}

#[test]
fn text_report_neutralises_hostile_strings() {
    let mut a = account_a();
    a.pushes[1].tags = vec!["latest\x1b]0;pwned\x07".into()];
    a.pipelines[0].name = "deploy\u{202E}gpj.exe".into();
    a.pipelines[0].executions[0].trigger = "Cloud\x1b[2JWatchEvent".into();
    let r = Report::build(&metas()[..1], &[&a], ts(0), Duration::from_secs(300));
    let mut buf = Vec::new();
    text::write(&r, &mut buf, false).unwrap();
    let out = String::from_utf8(buf).unwrap();
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202E}'), "{out}");
    assert!(out.contains("latest^[]0;pwned^G"), "{out}");
    assert!(out.contains("deploy<U+202E>gpj.exe"), "{out}");
    // JSON keeps the original data, escaped.
    let mut buf = Vec::new();
    json::write(&r, &mut buf).unwrap();
    let json = String::from_utf8(buf).unwrap();
    assert!(json.contains(r"latest\u001b]0;pwned\u0007"), "{json}");
}

#[test]
fn short_digest_and_age() {
    assert_eq!(short_digest("sha256:acd3ca9941a85e8ed165"), "acd3ca9941a8");
    assert_eq!(short_digest("abc"), "abc");
    assert_eq!(age(ts(0), ts(-59)), "59s");
    assert_eq!(age(ts(0), ts(-60)), "1m");
    assert_eq!(age(ts(0), ts(-3600)), "1h");
    assert_eq!(age(ts(0), ts(-86_400 * 2)), "2d");
    assert_eq!(age(ts(0), ts(30)), "0s");
}

#[test]
fn cloudtrail_recovers_the_tag_of_a_push_whose_tag_moved() {
    use crate::model::{CloudTrailRead, Diagnostics, Lookup, Pusher, PutImageRecord};
    let mut a = account_a();
    // The older image lost `latest` to a newer push; its run carried no revision, so it can only be matched by time
    // once CloudTrail tells which tag it was pushed with.
    a.pipelines[0].executions[0].revisions.clear();
    a.pipelines[0].executions[0].started_at = ts(-3590);
    a.diagnostics = Diagnostics {
        put_images: Lookup::Done(CloudTrailRead {
            records: vec![PutImageRecord {
                event_id: "e1".into(),
                event_time: ts(-3600),
                repository: "web".into(),
                tag: Some("latest".into()),
                digest: Some("sha256:55e7a6f2bb43e38cc34285af03b4973d".into()),
                recipient_account: Some("111111111111".into()),
                pusher: Pusher {
                    arn: Some("arn:aws:sts::111111111111:assumed-role/ci/build".into()),
                    account: "111111111111".into(),
                    identity_type: "AssumedRole".into(),
                    cross_account: false,
                },
            }],
            read_until: ts(0),
        }),
        rules: Lookup::Skipped("not checked".into()),
    };
    let r = Report::build(&metas()[..1], &[&a], ts(0), Duration::from_secs(300));
    let old = r.pushes.iter().find(|p| p.digest.starts_with("sha256:55e7")).unwrap();
    assert_eq!(old.tags, vec!["latest"]);
    assert!(old.tags_from_cloudtrail);
    assert_eq!(old.status, PushStatus::Triggered);
    assert_eq!(old.execution.as_ref().unwrap().matched_by, MatchedBy::Time);
    assert_eq!(old.pusher.as_ref().unwrap().identity_type, "AssumedRole");
    // Without the record the image is untagged and nobody watches it.
    let r = Report::build(&metas()[..1], &[&account_a()], ts(0), Duration::from_secs(300));
    assert!(!r.pushes.iter().any(|p| p.tags_from_cloudtrail));
}

/// The failure of a profile whose identity was refused.
fn denied() -> PollError {
    PollError::of_call("sts:GetCallerIdentity", ErrorKind::AccessDenied, "AccessDenied: not authorized")
}

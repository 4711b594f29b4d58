//! The `--once` writers over a hand-built analysis: the JSON document's shape and a snapshot of all of it, the text
//! report at 80 columns, colour only when asked, hostile strings neutralised.

use std::time::Duration;

use serde_json::{Value, json};

use super::{json, text};
use crate::analysis::Analysis;
use crate::analysis::fixtures::{AMD64, ARM64, ATTESTATION, SIGNATURE, account_a, account_a_buildx, metas, ts};
use crate::model::{ErrorKind, PollError, ProfileSnapshot};

fn analysed(b: ProfileSnapshot) -> Analysis {
    Analysis::new(&metas(), &[&account_a(), &b], ts(0), Duration::from_secs(300))
}

fn json_of(a: &Analysis) -> String {
    let mut buf = Vec::new();
    json::write(a, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn text_of(a: &Analysis, color: bool) -> String {
    let mut buf = Vec::new();
    text::write(a, &mut buf, color).unwrap();
    String::from_utf8(buf).unwrap()
}
#[test]
fn json_has_the_contract_shape() {
    let r = analysed(ProfileSnapshot::failed(denied()));
    let doc = json_of(&r);
    let v: Value = serde_json::from_str(&doc).unwrap();
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
    assert_eq!(p0["deployed_by"], Value::Null);
    let p1 = &v["pushes"][1];
    assert_eq!(p1["status"], "triggered");
    assert_eq!(
        p1["execution"],
        json!({
            "pipeline": "web-deploy",
            "id": "exec-1",
            "matched_by": "digest",
            "status": "Succeeded",
            "trigger": "CloudWatchEvent",
            "started_by": "arn:aws:events:ap-northeast-1:111111111111:rule/x",
            "console_url": "https://ap-northeast-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-deploy/\
                            executions/exec-1/timeline?region=ap-northeast-1"
        })
    );
    let hops: Vec<&str> = p0["chain"].as_array().unwrap().iter().map(|h| h["hop"].as_str().unwrap()).collect();
    assert_eq!(hops, ["push", "event", "rule", "target", "run"]);
    assert_eq!(
        p0["chain"][4],
        json!({"hop": "run", "state": "broken", "evidence": "no run of web-deploy started within the grace period"})
    );
    assert_eq!(p1["pushed_at"], "2025-11-24T15:00:00Z");
    // The whole document, so that no key is renamed or dropped unnoticed.
    insta::assert_snapshot!("json_document_hand_built", doc);
}

#[test]
fn text_report_snapshot() {
    let r = analysed(ProfileSnapshot::failed(denied()));
    let out = text_of(&r, false);
    assert!(out.lines().all(fits_80), "{out}");
    assert!(!out.contains('\x1b'));
    insta::assert_snapshot!(out);
}

#[test]
fn text_report_colours_only_when_asked() {
    let r = analysed(ProfileSnapshot::default());
    // Bold red, then reset.
    assert!(text_of(&r, true).contains("\x1b[1m\x1b[31mUNTRIGGERED\x1b[0m"), "{}", text_of(&r, true));
    assert!(!text_of(&r, false).contains('\x1b'));
}

#[test]
fn text_report_neutralises_hostile_strings() {
    let mut a = account_a();
    a.images[1].tags = vec!["latest\x1b]0;pwned\x07".into()];
    a.pipelines[0].name = "deploy\u{202E}gpj.exe".into();
    a.pipelines[0].executions[0].trigger = "Cloud\x1b[2JWatchEvent".into();
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), Duration::from_secs(300));
    let out = text_of(&r, false);
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202E}'), "{out}");
    assert!(out.contains("latest^[]0;pwned^G"), "{out}");
    assert!(out.contains("deploy<U+202E>gpj.exe"), "{out}");
    // JSON keeps the original data, escaped.
    let json = json_of(&r);
    assert!(json.contains(r"latest\u001b]0;pwned\u0007"), "{json}");
}

/// A line fits 80 columns, unless it ends in a console link (one word that cannot wrap).
fn fits_80(line: &str) -> bool {
    unicode_width::UnicodeWidthStr::width(line) <= 80
        || line.rsplit(' ').next().is_some_and(|w| w.starts_with("https://"))
}

/// The failure of a profile whose identity was refused.
fn denied() -> PollError {
    PollError::of_call("sts:GetCallerIdentity", ErrorKind::AccessDenied, "AccessDenied: not authorized")
}

#[test]
fn a_stale_pipeline_says_so_in_json_and_text() {
    let mut a = account_a();
    let why = "codepipeline:ListPipelineExecutions web-deploy: ThrottlingException: Rate exceeded";
    a.stale_pipelines = vec![crate::model::StalePipeline { pipeline: "web-deploy".into(), reason: why.into() }];
    let r = Analysis::new(&metas()[..1], &[&a], ts(0), Duration::from_secs(300));
    let v: Value = serde_json::from_str(&json_of(&r)).unwrap();
    assert_eq!(v["pipelines"][0]["stale"], why);
    assert_eq!(v["pipelines"][0]["executions"][0]["id"], "exec-1", "its last good runs are kept");
    let out = text_of(&r, false);
    assert!(
        out.contains(
            "  account-a/web-deploy  watches web:latest\n    stale: the data of an earlier poll \
             (codepipeline:ListPipelineExecutions\n      web-deploy: ThrottlingException: Rate exceeded)\n"
        ),
        "{out}"
    );
    // A fresh pipeline has no `stale` key (the document of a healthy poll is unchanged).
    let fresh: Value = serde_json::from_str(&json_of(&analysed(ProfileSnapshot::default()))).unwrap();
    assert!(fresh["pipelines"][0].get("stale").is_none(), "{fresh:#}");
}

#[test]
fn a_buildx_push_is_one_push_with_its_platforms_and_artifacts() {
    let r = Analysis::new(&metas()[..1], &[&account_a_buildx()], ts(0), Duration::from_secs(300));
    let v: Value = serde_json::from_str(&json_of(&r)).unwrap();
    let pushes = v["pushes"].as_array().unwrap();
    assert_eq!(pushes.len(), 2, "the index and the older push; no child, no signature: {v:#}");
    assert_eq!(pushes[0]["tags"], json!(["latest"]));
    assert_eq!(
        pushes[0]["manifests"],
        json!([{"digest": AMD64, "platform": "linux/amd64"}, {"digest": ARM64, "platform": "linux/arm64"}])
    );
    assert_eq!(
        pushes[0]["artifacts"],
        json!([
            {"digest": ATTESTATION, "kind": "attestation", "media_type": "application/vnd.oci.image.config.v1+json"},
            {"digest": SIGNATURE, "kind": "signature", "media_type": "application/vnd.oci.image.config.v1+json"},
        ])
    );
    assert_eq!((&pushes[1]["manifests"], &pushes[1]["artifacts"]), (&json!([]), &json!([])));

    let text = text_of(&r, false);
    assert!(text.lines().all(fits_80), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("web:latest")).unwrap();
    assert_eq!(
        lines[at + 2],
        "              platforms linux/amd64, linux/arm64; 1 signature, 1 attestation",
        "under the push and its run: {text}"
    );
    assert_eq!(text.matches("platforms ").count(), 1, "{text}");
}

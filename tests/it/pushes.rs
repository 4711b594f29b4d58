//! Pushes as users make them, against moto: a `docker buildx` push (an OCI index, its two platform images and a
//! provenance attestation, stored by moto 5.2.5's `put_image` with `imageManifestMediaType` as ECR stores them) and
//! a cosign signature are one push, listed with its platforms and artifacts, in JSON and in text; when
//! `ecr:BatchGetImage` is refused, a warning says what to grant and the images show as ECR lists them.

use std::ffi::OsString;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::proxy::{Fault, FaultProxy, Rule};
use crate::support::{Moto, Run, config_toml, fresh_account, run_pipewatch, seed, write_config};

/// The seeded digest of `repo/seed` in the only account of `seeded`.
fn digest<'a>(seeded: &'a Value, key: &str) -> &'a str {
    seeded["accounts"][0]["digests"][key].as_str().unwrap_or_else(|| panic!("{key} not seeded: {seeded:#}"))
}

/// A fresh account whose `web` holds a buildx push tagged `latest` and its cosign signature, watched by `web-deploy`
/// (which ran once, right after); the seed result.
fn buildx_account() -> (String, Value) {
    let a = fresh_account();
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [
            {"seed": "amd64", "platform": "linux/amd64"},
            {"seed": "arm64", "platform": "linux/arm64"},
            {"seed": "att-amd64", "attests": "amd64"},
            {"seed": "index", "tags": ["latest"], "index": ["amd64", "arm64", "att-amd64"]},
            {"seed": "sig", "signs": "index"},
        ]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web", "tag": "latest"}], "start_executions": 1}],
    }]}));
    // As ECR lists them: five images, the index tagged, the signature tagged the cosign way, the rest untagged.
    let images = seeded["accounts"][0]["repositories"][0]["images"].as_array().unwrap();
    assert_eq!(images.iter().filter(|i| i["present"] == true).count(), 5, "{seeded:#}");
    let sig_tag = format!("{}.sig", digest(&seeded, "web/index").replacen(':', "-", 1));
    assert_eq!(images[4]["tags"], json!([sig_tag]), "{seeded:#}");
    (a, seeded)
}

/// `pipewatch --once --output FORMAT` of the profile `alpha` of `account` at `endpoint`.
fn once(dir: &Path, account: &str, endpoint: &str, format: &str) -> Run {
    let config = write_config(dir, &config_toml(&[("alpha", account, endpoint)]));
    let args: Vec<OsString> = vec!["--once".into(), "--output".into(), format.into(), "--config".into(), config.into()];
    run_pipewatch(args)
}

#[test]
fn a_buildx_push_and_its_signature_are_one_push() {
    let moto = Moto::shared();
    let (a, seeded) = buildx_account();
    let index = digest(&seeded, "web/index");
    let dir = tempfile::tempdir().unwrap();
    let once = |format: &str| once(dir.path(), &a, &moto.endpoint(), format);

    let run = once("json");
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    let warnings = &doc["profiles"][0]["warnings"];
    assert!(
        warnings.as_array().unwrap().iter().all(|w| !w.as_str().unwrap().contains("index")),
        "the index was read: {warnings:#}"
    );
    let pushes = doc["pushes"].as_array().unwrap();
    assert_eq!(pushes.len(), 1, "one push, not five: {doc:#}");
    let push = &pushes[0];
    assert_eq!((&push["digest"], &push["tags"]), (&json!(index), &json!(["latest"])), "{push:#}");
    // moto's run is a release by hand, not the push's own: pending, with the release as what deployed it.
    assert_eq!(push["status"], "pending", "{push:#}");
    assert_eq!(push["deployed_by"]["trigger"], "StartPipelineExecution", "{push:#}");
    assert_eq!(
        push["manifests"],
        json!([
            {"digest": digest(&seeded, "web/amd64"), "platform": "linux/amd64"},
            {"digest": digest(&seeded, "web/arm64"), "platform": "linux/arm64"},
        ]),
        "{push:#}"
    );
    let artifacts: Vec<(&str, &str)> = push["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["digest"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        artifacts,
        [(digest(&seeded, "web/att-amd64"), "attestation"), (digest(&seeded, "web/sig"), "signature")],
        "{push:#}"
    );

    let run = once("text");
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("alpha  web:latest"), "{run}");
    assert!(
        run.stdout.contains("\n              platforms linux/amd64, linux/arm64; 1 signature, 1 attestation\n"),
        "{run}"
    );
    assert!(run.stdout.contains("1 pushes: 0 untriggered, 1 pending, 0 triggered, 0 unwatched"), "{run}");
}

/// BatchGetImage refused: a warning that says what to grant, the profile is not failed, and the images show as ECR
/// lists them (the signature still attaches to the index it names).
#[test]
fn a_refused_batch_get_image_is_a_warning() {
    let (a, seeded) = buildx_account();
    let proxy = FaultProxy::start();
    proxy.set_rules(vec![Rule::on(&["BatchGetImage"], Fault::AccessDenied)]);
    let dir = tempfile::tempdir().unwrap();
    let run = once(dir.path(), &a, &proxy.endpoint(), "json");
    assert_eq!(run.code, Some(0), "{run}");
    assert!(proxy.faulted("BatchGetImage") > 0, "{:?}", proxy.counts());
    let doc = run.json();
    let profile = &doc["profiles"][0];
    assert_eq!(profile["error"], Value::Null, "{profile:#}");
    let warnings: Vec<&str> = profile["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let warning = warnings.iter().find(|w| w.contains("image indexes")).unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(
        warning.starts_with("image indexes in `web` not read (ecr:BatchGetImage web: AccessDeniedException"),
        "{warning}"
    );
    assert!(
        warning.ends_with("grant ecr:BatchGetImage on the repository (assets/iam-readonly-policy.json)"),
        "{warning}"
    );
    let mut shown: Vec<(&str, &str)> = doc["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["digest"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    shown.sort_unstable();
    let mut want = vec![
        (digest(&seeded, "web/index"), "pending"),
        (digest(&seeded, "web/amd64"), "unwatched"),
        (digest(&seeded, "web/arm64"), "unwatched"),
        (digest(&seeded, "web/att-amd64"), "unwatched"),
    ];
    want.sort_unstable();
    assert_eq!(shown, want, "{doc:#}");
    assert!(proxy.problems().is_empty(), "{:?}", proxy.problems());
}

//! Pushes as users make them, against moto: a `docker buildx` push (an OCI index, its two platform images and a
//! provenance attestation, stored by moto 5.2.5's `put_image` with `imageManifestMediaType` as ECR stores them) and
//! a cosign signature are one push, listed with its platforms and artifacts, in JSON and in text.

use std::ffi::OsString;

use serde_json::{Value, json};

use crate::support::{Moto, config_toml, fresh_account, run_pipewatch, seed, write_config};

/// The seeded digest of `repo/seed` in the only account of `seeded`.
fn digest<'a>(seeded: &'a Value, key: &str) -> &'a str {
    seeded["accounts"][0]["digests"][key].as_str().unwrap_or_else(|| panic!("{key} not seeded: {seeded:#}"))
}

#[test]
fn a_buildx_push_and_its_signature_are_one_push() {
    let moto = Moto::shared();
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
    let index = digest(&seeded, "web/index");
    let sig_tag = format!("{}.sig", index.replacen(':', "-", 1));
    assert_eq!(images[4]["tags"], json!([sig_tag]), "{seeded:#}");

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint())]));
    let once = |format: &str| {
        let args: Vec<OsString> =
            vec!["--once".into(), "--output".into(), format.into(), "--config".into(), config.clone().into()];
        run_pipewatch(args)
    };

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
    assert_eq!(push["status"], "triggered", "{push:#}");
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
    assert!(run.stdout.contains("1 pushes: 0 untriggered, 0 pending, 1 triggered, 0 unwatched"), "{run}");
}

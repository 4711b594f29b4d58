//! Small hand-built snapshots for the analysis and report tests: two profiles, one pipeline, a triggered and an
//! untriggered push. Counts are named where they are built, so the tests never depend on the demo's story.

use jiff::Timestamp;

use crate::model::{
    ExecStatus, Execution, Identity, Image, IndexEntry, IndexManifest, OCI_INDEX, OCI_MANIFEST, Pipeline, ProfileMeta,
    ProfileSnapshot, Revision, WatchedSource,
};

/// The instant every fixture is relative to ("now" of the tests is `ts(0)`).
pub const T0: i64 = 1_764_000_000;

/// `offset` seconds from [`T0`].
pub fn ts(offset: i64) -> Timestamp {
    Timestamp::from_second(T0 + offset).expect("in range")
}

/// account-a and account-b, both in ap-northeast-1.
pub fn metas() -> Vec<ProfileMeta> {
    vec![
        ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() },
        ProfileMeta { name: "account-b".into(), region: "ap-northeast-1".into() },
    ]
}

/// account-a: pipeline web-deploy watching web:latest, with one run (`exec-1`, carrying the older push's digest);
/// two pushes of web: the older, untagged one triggered `exec-1`, the newer one (web:latest, 15 minutes ago) never ran.
pub fn account_a() -> ProfileSnapshot {
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
        images: vec![
            Image {
                repository: "web".into(),
                digest: "sha256:55e7a6f2bb43e38cc34285af03b4973d".into(),
                tags: vec![],
                pushed_at: ts(-3600),
                ..Image::default()
            },
            Image {
                repository: "web".into(),
                digest: "sha256:acd3ca9941a85e8ed16515bfc5328e4e".into(),
                tags: vec!["latest".into()],
                pushed_at: ts(-900),
                ..Image::default()
            },
        ],
        indexes: vec![],
        errors: vec![],
        warnings: vec![],
        diagnostics: Default::default(),
        stats: Default::default(),
        stale_pipelines: vec![],
    }
}

/// [`account_a`] with its newest push (web:latest) made by `docker buildx`: an OCI index listing linux/amd64 and
/// linux/arm64 and the attestation of the amd64 image, those three pushed untagged a second earlier, and a cosign
/// signature of the index (`sha256-<hex>.sig`) a minute later.
pub fn account_a_buildx() -> ProfileSnapshot {
    let mut a = account_a();
    let index = &mut a.images[1];
    index.manifest_media_type = Some(OCI_INDEX.into());
    let (digest, at) = (index.digest.clone(), index.pushed_at);
    let child = |d: &str, tags: Vec<String>, pushed_at| Image {
        repository: "web".into(),
        digest: d.into(),
        tags,
        pushed_at,
        manifest_media_type: Some(OCI_MANIFEST.into()),
        artifact_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        subject: None,
    };
    let before = at.checked_sub(jiff::SignedDuration::from_secs(1)).expect("in range");
    let sig_tag = format!("sha256-{}.sig", &digest[7..]);
    a.images.extend([
        child(AMD64, vec![], before),
        child(ARM64, vec![], before),
        child(ATTESTATION, vec![], before),
        child(SIGNATURE, vec![sig_tag], ts(-840)),
    ]);
    let platform = |d: &str, p: &str| IndexEntry {
        digest: d.into(),
        media_type: Some(OCI_MANIFEST.into()),
        platform: Some(p.into()),
        ..IndexEntry::default()
    };
    a.indexes.push(IndexManifest {
        repository: "web".into(),
        digest,
        entries: vec![
            platform(AMD64, "linux/amd64"),
            platform(ARM64, "linux/arm64"),
            IndexEntry {
                digest: ATTESTATION.into(),
                media_type: Some(OCI_MANIFEST.into()),
                platform: Some("unknown/unknown".into()),
                reference_type: Some("attestation-manifest".into()),
                reference_digest: Some(AMD64.into()),
            },
        ],
    });
    a
}

/// The platform images, attestation and signature of [`account_a_buildx`].
pub const AMD64: &str = "sha256:a830d4146286e8c38ada51c1048ed909";
pub const ARM64: &str = "sha256:4b9413e6fc392e3b18c91c83d9dc4003";
pub const ATTESTATION: &str = "sha256:12bcbfa2b457ad16d95265d6e754e749";
pub const SIGNATURE: &str = "sha256:e7026da7446744d30f573631892ff3b9";

/// One push of web (`sha256:d1`, an hour before `ts(0)`), the pipeline web-deploy watching web:latest, its
/// CloudTrail record and rules: the pieces of a diagnosis, built one at a time by the tests.
pub mod evidence {
    use std::time::Duration;

    use jiff::Timestamp;

    use crate::model::{
        CloudTrailRead, Diagnostics, Execution, ImagePush, Lookup, Pipeline, Pusher, PutImageRecord, TriggerRule,
        WatchedSource,
    };

    pub const GRACE: Duration = Duration::from_secs(300);
    /// The pattern the console creates for web:latest.
    pub const NATIVE: &str = r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],
        "detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#;

    pub fn ts(o: i64) -> Timestamp {
        Timestamp::from_second(super::T0 + o).expect("in range")
    }

    pub fn push(tags: &[&str]) -> ImagePush {
        ImagePush {
            repository: "web".into(),
            digest: "sha256:d1".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            pushed_at: ts(-3600),
            ..ImagePush::default()
        }
    }

    pub fn pipeline(execs: Vec<Execution>) -> Pipeline {
        Pipeline {
            name: "web-deploy".into(),
            sources: vec![WatchedSource { action: "Source".into(), repository: "web".into(), tag: "latest".into() }],
            executions: execs,
        }
    }

    pub fn record(pusher_account: &str, tag: &str) -> PutImageRecord {
        PutImageRecord {
            event_id: "e1".into(),
            event_time: ts(-3600),
            repository: "web".into(),
            tag: Some(tag.into()),
            digest: Some("sha256:d1".into()),
            recipient_account: Some("111111111111".into()),
            pusher: Pusher {
                arn: None,
                account: pusher_account.into(),
                identity_type: "AWSAccount".into(),
                principal_id: None,
                cross_account: pusher_account != "111111111111",
            },
        }
    }

    pub fn rule(state: &str, pattern: &str) -> TriggerRule {
        TriggerRule {
            name: "web-rule".into(),
            state: state.into(),
            pattern: Some(pattern.into()),
            ..TriggerRule::default()
        }
    }

    pub fn diag(records: Vec<PutImageRecord>, rules: Option<Vec<TriggerRule>>) -> Diagnostics {
        Diagnostics {
            put_images: Lookup::Done(CloudTrailRead { records, read_until: ts(0), complete: Default::default() }),
            rules: match rules {
                Some(r) => Lookup::Done(vec![("web-deploy".into(), r)]),
                None => Lookup::Skipped("disabled in the config".into()),
            },
            ..Diagnostics::default()
        }
    }
}

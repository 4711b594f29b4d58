//! The pieces the demo's accounts are built of: images (a `docker buildx` push with its platforms, attestation and
//! signature), CloudTrail records, the console's rules and targets, the diagnostics around them, and stable fake ids.

use jiff::{SignedDuration, Timestamp};

use crate::analysis::diagnose::CLOUDTRAIL_DELAY;
use crate::model::{
    CloudTrailRead, DOCKER_MANIFEST, Diagnostics, FailedInvocations, Image, IndexEntry, IndexManifest, Lookup,
    OCI_MANIFEST, Pusher, PutImageRecord, RolePermission, RuleTarget, TimeWindow, TriggerRule, WatchedSource, Windows,
};

/// account-a and account-b.
pub(super) const A: &str = "111111111111";
pub(super) const B: &str = "222222222222";
/// Who releases by hand in account-a.
pub(super) const ALICE: &str = "arn:aws:sts::111111111111:assumed-role/release/alice";

/// The demo's clock: instants as seconds from the epoch its story starts at.
#[derive(Debug, Clone, Copy)]
pub(super) struct Epoch(pub Timestamp);

impl Epoch {
    pub(super) fn at(self, secs: i64) -> Timestamp {
        self.0.saturating_add(SignedDuration::from_secs(secs)).unwrap_or(self.0)
    }
}

pub(super) fn record(push: &Image, tag: &str, account: &str, arn: Option<String>) -> PutImageRecord {
    PutImageRecord {
        event_id: format!("demo-{}", push.digest),
        event_time: push.pushed_at,
        repository: push.repository.clone(),
        tag: Some(tag.to_string()),
        digest: Some(push.digest.clone()),
        recipient_account: Some(account.into()),
        pusher: Pusher {
            arn,
            account: account.into(),
            identity_type: "AssumedRole".into(),
            principal_id: None,
            cross_account: false,
        },
    }
}

/// What `docker buildx` pushes besides the tagged index `digest` of web build `n` (pushed at `pushed`): the
/// linux/amd64 and linux/arm64 images and the provenance attestation of the amd64 one, untagged, a second before the
/// index; then, 2 s after it, the cosign signature of the index (once `now` has come). And what the index lists.
pub(super) fn buildx(digest: &str, n: i64, pushed: Timestamp, now: Timestamp) -> (Vec<Image>, IndexManifest) {
    let before = pushed.saturating_sub(SignedDuration::from_secs(1)).unwrap_or(pushed);
    let oci = |digest: String, tags: Vec<String>, at| Image {
        manifest_media_type: Some(OCI_MANIFEST.into()),
        artifact_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        ..image("web", digest, tags, at)
    };
    let (amd64, arm64, attestation) =
        (fake_digest("web-amd64", n), fake_digest("web-arm64", n), fake_digest("web-attestation", n));
    let mut parts = vec![oci(amd64.clone(), vec![], before), oci(arm64.clone(), vec![], before)];
    parts.push(oci(attestation.clone(), vec![], before));
    let signed = pushed.saturating_add(SignedDuration::from_secs(2)).unwrap_or(pushed);
    if signed <= now {
        let tag = format!("{}.sig", digest.replacen(':', "-", 1));
        parts.push(oci(fake_digest("web-signature", n), vec![tag], signed));
    }
    let platform = |digest: String, platform: &str| IndexEntry {
        digest,
        media_type: Some(OCI_MANIFEST.into()),
        platform: Some(platform.into()),
        ..IndexEntry::default()
    };
    let entries = vec![
        platform(amd64.clone(), "linux/amd64"),
        platform(arm64, "linux/arm64"),
        IndexEntry {
            digest: attestation,
            media_type: Some(OCI_MANIFEST.into()),
            platform: Some("unknown/unknown".into()),
            reference_type: Some("attestation-manifest".into()),
            reference_digest: Some(amd64),
        },
    ];
    (parts, IndexManifest { repository: "web".into(), digest: digest.to_string(), entries })
}

/// A single-platform image of `repo`.
pub(super) fn image(repo: &str, digest: String, tags: Vec<String>, pushed_at: Timestamp) -> Image {
    Image {
        repository: repo.into(),
        digest,
        tags,
        pushed_at,
        manifest_media_type: Some(DOCKER_MANIFEST.into()),
        artifact_media_type: Some("application/vnd.docker.container.image.v1+json".into()),
        subject: None,
    }
}

pub(super) fn native_rule(repo: &str, tag: &str, state: &str) -> TriggerRule {
    TriggerRule {
        name: format!("codepipeline-{repo}-{tag}-rule"),
        state: state.into(),
        pattern: Some(format!(
            r#"{{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["{repo}"],"image-tag":["{tag}"]}}}}"#
        )),
        ..TriggerRule::default()
    }
}

/// The target of the console's rule for `pipeline` of `account`, with the console's role when `role`.
pub(super) fn target(account: &str, pipeline: &str, role: bool) -> RuleTarget {
    RuleTarget {
        id: format!("codepipeline-{pipeline}"),
        arn: format!("arn:aws:codepipeline:ap-northeast-1:{account}:{pipeline}"),
        role_arn: role.then(|| format!("arn:aws:iam::{account}:role/service-role/cwe-role-ap-northeast-1-{pipeline}")),
        digest_override: None,
        may_start: Lookup::Done(RolePermission::Allowed),
    }
}

pub(super) fn diagnostics(
    records: Vec<PutImageRecord>,
    rules: Vec<(String, Vec<TriggerRule>)>,
    now: Timestamp,
) -> Diagnostics {
    // CloudTrail delivers about 5 minutes late: the newest pushes have no record yet. Everything older than the
    // delivery delay pipewatch allows for was read completely.
    let delivered = now.saturating_sub(SignedDuration::from_secs(300)).unwrap_or(now);
    let settled = now.saturating_sub(SignedDuration::try_from(CLOUDTRAIL_DELAY).unwrap_or_default()).unwrap_or(now);
    // No rule failed an invocation in the last day: EventBridge sends no datapoint.
    let mut names: Vec<String> = rules.iter().flat_map(|(_, r)| r.iter().map(|r| r.name.clone())).collect();
    names.dedup();
    let failed_invocations = FailedInvocations {
        from: now.saturating_sub(SignedDuration::from_hours(24)).unwrap_or(now),
        until: now,
        period: std::time::Duration::from_secs(60),
        by_rule: names.into_iter().map(|n| (n, Vec::new())).collect(),
    };
    Diagnostics {
        failed_invocations: Lookup::Done(failed_invocations),
        put_images: Lookup::Done(CloudTrailRead {
            records: records.into_iter().filter(|r| r.event_time <= delivered).collect(),
            read_until: now,
            complete: Windows::of([TimeWindow::new(Timestamp::MIN, settled)]),
        }),
        rules: Lookup::Done(rules),
        ..Diagnostics::default()
    }
}

pub(super) fn source(repo: &str, tag: &str) -> WatchedSource {
    WatchedSource { action: "Source".into(), repository: repo.into(), tag: tag.into() }
}

/// A stable, digest-shaped string for a (repository, n) pair.
pub(super) fn fake_digest(repo: &str, n: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::from("sha256:");
    for round in 0..4u64 {
        for b in repo.bytes().chain(n.to_le_bytes()).chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// A stable, UUID-shaped execution id.
pub(super) fn fake_uuid(kind: &str, n: i64) -> String {
    let d = fake_digest(kind, n);
    let h = &d[7..];
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

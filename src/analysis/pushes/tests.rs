//! Grouping on the shapes of the AWS corpus (`tests/fixtures/aws/`, same digests): buildx pushes in the classic and
//! the OCI-artifact attestation form, a Docker manifest list, cosign tags, a Notation referrer, a moved tag.

use jiff::Timestamp;
use proptest::prelude::*;

use super::*;
use crate::model::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST};

const WEB_INDEX: &str = "sha256:f18e45cf1607d2759adcf83c5a06fdcf4ed98b7da17a352670a67c1bfe911bc8";
const WEB_AMD64: &str = "sha256:a830d4146286e8c38ada51c1048ed909d77370519f1203fc3258bba1f33d3c4a";
const WEB_ARM64: &str = "sha256:4b9413e6fc392e3b18c91c83d9dc400324888de571e4f50d653754e7ad7c5009";
const WEB_ATT_AMD64: &str = "sha256:12bcbfa2b457ad16d95265d6e754e74938ee6b2ee01d32c1558f566d664b61b9";
const WEB_ATT_ARM64: &str = "sha256:34f8097aaa443f043a0cfc62c67797800ace9fae97e6e586d74e2d068912434b";
const WEB_SIG: &str = "sha256:e7026da7446744d30f573631892ff3b9cdd4548378fb24ecb472dac126417270";
const WEB_ATT: &str = "sha256:dbc004286ba790ae8aabeebf33ad54112653b2b5d7bb8cb29c62bda6290c2bcb";
const WEB_SBOM: &str = "sha256:6a63042a2a356a4f14388616fd8d7133b9839de6093c2ab5b02fb9b7777bff75";
const WEB_NOTATION: &str = "sha256:8029e15727c0b6c7f271b5770552a22da7a316c8afe7286d824f48e8928b1f98";

const API_INDEX: &str = "sha256:9c85973febc894e9550ae6fc06a651c5772b02221411a93a6ac908409b3ebddf";
const API_AMD64: &str = "sha256:469243b01e55394cf00e694f7c325869c90e906744021cd71ee4b634450374b1";
const API_ARM64: &str = "sha256:19eff3cd8d2254fa628f1aa42710df26f35affb49425677fbb27dba8516d460f";
const API_ATT_AMD64: &str = "sha256:f7c95262916a600b313a4540c9463e7e81544e062ff9e3d0569b8d6f5bd07660";
const API_ATT_ARM64: &str = "sha256:9f336886cba0de740a3072cd2e4cc37678d1dd08f7fa19eddcad980e125cfdbd";
const API_PREVIOUS: &str = "sha256:425cd8fd969f6615956dd44a545cec7cf7d5d7b280684f55267b88304c885b9b";

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_ATTESTATION: &str = "application/vnd.docker.attestation.manifest.v1+json";

/// 2026-11-20T09:00:00Z plus `ms` milliseconds (the corpus's time base).
fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(1_795_165_200_000 + ms).unwrap()
}

fn image(repo: &str, digest: &str, tags: &[&str], ms: i64, manifest: &str, artifact: Option<&str>) -> Image {
    Image {
        repository: repo.into(),
        digest: digest.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: at(ms),
        manifest_media_type: Some(manifest.into()),
        artifact_media_type: artifact.map(str::to_string),
        subject: None,
    }
}

fn referrer(mut i: Image, subject: &str) -> Image {
    i.subject = Some(subject.into());
    i
}

fn platform(digest: &str, platform: &str) -> IndexEntry {
    IndexEntry {
        digest: digest.into(),
        media_type: Some(OCI_MANIFEST.into()),
        platform: Some(platform.into()),
        ..IndexEntry::default()
    }
}

fn attestation(digest: &str, subject: &str) -> IndexEntry {
    IndexEntry {
        digest: digest.into(),
        media_type: Some(OCI_MANIFEST.into()),
        platform: Some("unknown/unknown".into()),
        reference_type: Some("attestation-manifest".into()),
        reference_digest: Some(subject.into()),
    }
}

/// `ecr/describe-images/buildx-index-web.json`: the index and its four untagged children.
fn web_buildx() -> Vec<Image> {
    vec![
        image("web", WEB_AMD64, &[], 412, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_ARM64, &[], 655, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_ATT_AMD64, &[], 1318, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_ATT_ARM64, &[], 1577, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_INDEX, &["1a2b3c4", "latest"], 2104, OCI_INDEX, None),
    ]
}

/// `oci/web-index.json`, as BatchGetImage returns it.
fn web_index() -> IndexManifest {
    IndexManifest {
        repository: "web".into(),
        digest: WEB_INDEX.into(),
        entries: vec![
            platform(WEB_AMD64, "linux/amd64"),
            platform(WEB_ARM64, "linux/arm64"),
            attestation(WEB_ATT_AMD64, WEB_AMD64),
            attestation(WEB_ATT_ARM64, WEB_ARM64),
        ],
    }
}

/// `ecr/describe-images/cosign-tag-artifacts-web.json` and `oci-referrer-web.json`.
fn web_signatures() -> Vec<Image> {
    let hex = &WEB_INDEX[7..];
    vec![
        image("web", WEB_SIG, &[&format!("sha256-{hex}.sig")], 95_018, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_ATT, &[&format!("sha256-{hex}.att")], 97_544, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("web", WEB_SBOM, &[&format!("sha256-{hex}.sbom")], 99_102, OCI_MANIFEST, Some(OCI_CONFIG)),
        referrer(
            image("web", WEB_NOTATION, &[], 192_660, OCI_MANIFEST, Some("application/vnd.cncf.notary.signature")),
            WEB_INDEX,
        ),
    ]
}

/// `ecr/describe-images/buildx-oci-artifact-attestations-api.json`: attestations with a subject, and the previous
/// `api:release` image, now untagged.
fn api_buildx() -> Vec<Image> {
    vec![
        image("api", API_AMD64, &[], -1_799_699, OCI_MANIFEST, Some(OCI_CONFIG)),
        image("api", API_ARM64, &[], -1_799_478, OCI_MANIFEST, Some(OCI_CONFIG)),
        referrer(image("api", API_ATT_AMD64, &[], -1_798_796, OCI_MANIFEST, Some(DOCKER_ATTESTATION)), API_AMD64),
        referrer(image("api", API_ATT_ARM64, &[], -1_798_534, OCI_MANIFEST, Some(DOCKER_ATTESTATION)), API_ARM64),
        image("api", API_INDEX, &["release"], -1_798_129, OCI_INDEX, None),
        image(
            "api",
            API_PREVIOUS,
            &[],
            -259_155_800,
            DOCKER_MANIFEST,
            Some("application/vnd.docker.container.image.v1+json"),
        ),
    ]
}

fn api_index() -> IndexManifest {
    IndexManifest {
        repository: "api".into(),
        digest: API_INDEX.into(),
        entries: vec![
            platform(API_AMD64, "linux/amd64"),
            platform(API_ARM64, "linux/arm64"),
            attestation(API_ATT_AMD64, API_AMD64),
            attestation(API_ATT_ARM64, API_ARM64),
        ],
    }
}

/// Each push as `digest tags | platforms | kind:digest…`, digests cut to 12 characters.
fn shown(pushes: &[ImagePush]) -> Vec<String> {
    let short = |d: &str| d.get(7..15).unwrap_or(d).to_string();
    pushes
        .iter()
        .map(|p| {
            let platforms: Vec<String> = p
                .manifests
                .iter()
                .map(|m| format!("{}={}", short(&m.digest), m.platform.as_deref().unwrap_or("?")))
                .collect();
            let artifacts: Vec<String> =
                p.artifacts.iter().map(|a| format!("{}:{}", a.kind.as_str(), short(&a.digest))).collect();
            format!("{} {} | {} | {}", short(&p.digest), p.tags.join(","), platforms.join(" "), artifacts.join(" "))
        })
        .collect()
}

#[test]
fn a_buildx_push_is_one_push_with_its_platforms_and_attestations() {
    let pushes = group(&web_buildx(), &[web_index()]);
    assert_eq!(
        shown(&pushes),
        [
            "f18e45cf 1a2b3c4,latest | a830d414=linux/amd64 4b9413e6=linux/arm64 | attestation:12bcbfa2 attestation:34f8097a"
        ]
    );
    let p = &pushes[0];
    assert_eq!(p.pushed_at, at(2104), "the index's push time");
    assert_eq!(p.artifacts[0].media_type.as_deref(), Some(OCI_CONFIG), "the image's artifactMediaType");
}

#[test]
fn signatures_sboms_and_referrers_attach_to_their_subject_oldest_first() {
    let mut images = web_signatures();
    images.extend(web_buildx());
    let pushes = group(&images, &[web_index()]);
    assert_eq!(
        shown(&pushes),
        ["f18e45cf 1a2b3c4,latest | a830d414=linux/amd64 4b9413e6=linux/arm64 | attestation:12bcbfa2 \
          attestation:34f8097a signature:e7026da7 attestation:dbc00428 sbom:6a63042a signature:8029e157"]
    );
    let notation = pushes[0].artifacts.last().unwrap();
    assert_eq!(notation.media_type.as_deref(), Some("application/vnd.cncf.notary.signature"));
}

#[test]
fn without_the_index_read_the_children_stay_pushes_and_artifacts_still_attach() {
    let mut images = web_buildx();
    images.extend(web_signatures());
    let pushes = group(&images, &[]);
    assert_eq!(
        shown(&pushes),
        [
            "a830d414  |  | ",
            "4b9413e6  |  | ",
            "12bcbfa2  |  | ",
            "34f8097a  |  | ",
            "f18e45cf 1a2b3c4,latest |  | signature:e7026da7 attestation:dbc00428 sbom:6a63042a signature:8029e157",
        ]
    );
}

#[test]
fn oci_artifact_attestations_belong_to_the_index_and_a_moved_tag_stays_a_push() {
    let pushes = group(&api_buildx(), &[api_index()]);
    assert_eq!(
        shown(&pushes),
        [
            "9c85973f release | 469243b0=linux/amd64 19eff3cd=linux/arm64 | attestation:f7c95262 attestation:9f336886",
            "425cd8fd  |  | ",
        ]
    );
    assert_eq!(pushes[0].artifacts[0].media_type.as_deref(), Some(DOCKER_ATTESTATION));
    // Unread index: the referrers still attach to the platform image they name.
    let pushes = group(&api_buildx(), &[]);
    assert_eq!(
        shown(&pushes),
        [
            "469243b0  |  | attestation:f7c95262",
            "19eff3cd  |  | attestation:9f336886",
            "9c85973f release |  | ",
            "425cd8fd  |  | ",
        ]
    );
}

#[test]
fn a_docker_manifest_list_lists_variants() {
    let list = "sha256:addc616983656469b6af5e8219ac60d093e3324d518660659bbd326133b76c29";
    let amd64 = "sha256:020154d7f874d43f4c47be6f9badea721e8e52c58c31231c4369dd18f4f947a8";
    let arm64 = "sha256:899cdf8b614dfc7084eeb4b34a16229b80e02c7327fd888928aafac1718a4af4";
    let images = [
        image("base", amd64, &[], 0, DOCKER_MANIFEST, None),
        image("base", arm64, &[], 1, DOCKER_MANIFEST, None),
        image("base", list, &["3.20"], 2, DOCKER_MANIFEST_LIST, None),
    ];
    let ix = IndexManifest {
        repository: "base".into(),
        digest: list.into(),
        entries: vec![platform(amd64, "linux/amd64"), platform(arm64, "linux/arm64/v8")],
    };
    assert_eq!(shown(&group(&images, &[ix])), ["addc6169 3.20 | 020154d7=linux/amd64 899cdf8b=linux/arm64/v8 | "]);
}

#[test]
fn an_artifact_whose_subject_is_gone_is_shown_nowhere() {
    // The signature of an index older than the lookback, and a referrer of a deleted image.
    let pushes = group(&web_signatures(), &[]);
    assert!(pushes.is_empty(), "{:?}", shown(&pushes));
}

#[test]
fn the_listing_of_one_repository_does_not_reach_into_another() {
    let mut images = web_buildx();
    images.push(image("other", WEB_AMD64, &["v1"], 0, OCI_MANIFEST, None));
    let pushes = group(&images, &[web_index()]);
    assert_eq!(pushes.len(), 2);
    assert_eq!((pushes[1].repository.as_str(), pushes[1].digest.as_str()), ("other", WEB_AMD64));
}

#[test]
fn a_shared_platform_image_belongs_to_the_newest_index_and_is_listed_by_both() {
    let (old, new) = ("sha256:0000aaaa1111", "sha256:2222bbbb3333");
    let images = [
        image("web", WEB_AMD64, &[], 0, OCI_MANIFEST, None),
        image("web", old, &["v1"], 10, OCI_INDEX, None),
        image("web", new, &["v2"], 20, OCI_INDEX, None),
    ];
    let ix = |d: &str| IndexManifest {
        repository: "web".into(),
        digest: d.into(),
        entries: vec![platform(WEB_AMD64, "linux/amd64")],
    };
    assert_eq!(
        shown(&group(&images, &[ix(old), ix(new)])),
        ["0000aaaa v1 | a830d414=linux/amd64 | ", "2222bbbb v2 | a830d414=linux/amd64 | "]
    );
}

#[test]
fn cosign_tags_are_recognised_only_in_their_exact_form() {
    let hex = &WEB_INDEX[7..];
    let sig = |tags: &[&str]| cosign_subject(&tags.iter().map(|t| t.to_string()).collect::<Vec<_>>());
    assert_eq!(sig(&[&format!("sha256-{hex}.sig")]), Some((WEB_INDEX.to_string(), ArtifactKind::Signature)));
    assert_eq!(sig(&[&format!("sha256-{hex}.sbom")]).map(|s| s.1), Some(ArtifactKind::Sbom));
    for not in [
        format!("sha256-{hex}.tar"),
        format!("md5-{hex}.sig"),
        "sha256-.sig".to_string(),
        "sha256-xyz.sig".to_string(),
        "latest".to_string(),
    ] {
        assert_eq!(sig(&[&not]), None, "{not}");
    }
    assert_eq!(sig(&[&format!("sha256-{hex}.sig"), "latest"]), None, "a tag people use: an image, not an artifact");
    assert_eq!(sig(&[]), None);
}

#[test]
fn referrer_kinds_come_from_the_artifact_media_type() {
    for (media_type, kind) in [
        (Some("application/vnd.cncf.notary.signature"), ArtifactKind::Signature),
        (Some("application/vnd.dev.cosign.artifact.sig.v1+json"), ArtifactKind::Signature),
        (Some(DOCKER_ATTESTATION), ArtifactKind::Attestation),
        (Some("application/vnd.in-toto+json"), ArtifactKind::Attestation),
        (Some("application/spdx+json"), ArtifactKind::Sbom),
        (Some("application/vnd.cyclonedx+json"), ArtifactKind::Sbom),
        (Some("application/vnd.example.scan-report"), ArtifactKind::Other),
        (None, ArtifactKind::Other),
    ] {
        assert_eq!(kind_of_media_type(media_type), kind, "{media_type:?}");
    }
}

proptest! {
    /// Any graph of referrers and listings, cycles included: grouping ends, every image is named at most once as a
    /// push, and every push is an image.
    #[test]
    fn any_links_group_without_panic(links in prop::collection::vec((0usize..12, 0usize..12, 0u8..4), 0..24)) {
        let digest = |n: usize| format!("sha256:{n:02}");
        let mut images: Vec<Image> = (0..12).map(|n| image("r", &digest(n), &[], n as i64, OCI_MANIFEST, None)).collect();
        let mut indexes: Vec<IndexManifest> = Vec::new();
        for (from, to, how) in links {
            match how {
                0 => images[from].subject = Some(digest(to)),
                1 => images[from].tags = vec![format!("sha256-{to:02}.sig")],
                _ => {
                    images[from].manifest_media_type = Some(OCI_INDEX.into());
                    let entry = if how == 2 { platform(&digest(to), "linux/amd64") } else { attestation(&digest(to), "x") };
                    match indexes.iter_mut().find(|ix| ix.digest == digest(from)) {
                        Some(ix) => ix.entries.push(entry),
                        None => indexes.push(IndexManifest { repository: "r".into(), digest: digest(from), entries: vec![entry] }),
                    }
                }
            }
        }
        let pushes = group(&images, &indexes);
        let mut names: Vec<&str> = pushes.iter().map(|p| p.digest.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        prop_assert_eq!(before, names.len());
        prop_assert!(names.iter().all(|n| images.iter().any(|i| i.digest == *n)));
    }
}

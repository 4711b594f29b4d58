//! The manifests a push uploads, built as the tools that push them write them: single images, `docker buildx`
//! image indexes with platform images and attestation manifests, cosign tag artifacts and OCI 1.1 referrers.
//!
//! Layouts: OCI [image-spec v1.1](https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md) (`subject`,
//! `artifactType`); BuildKit [attestation storage](https://docs.docker.com/build/metadata/attestations/attestation-storage/)
//! (attestation entries after the runnable manifests, platform `unknown/unknown`, annotations
//! `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest`); the newer OCI-artifact
//! attestation form (`artifactType application/vnd.docker.attestation.manifest.v1+json` + `subject`, FACTS.md §12);
//! cosign's tag scheme `sha256-<hex>.sig|.att|.sbom` ([SIGNATURE_SPEC](https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md)).
//! Digests are the SHA-256 of the exact manifest bytes, as registries compute them.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The image-spec's empty descriptor digest (the SHA-256 of `{}`).
const EMPTY_DIGEST: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const ATTESTATION_ARTIFACT: &str = "application/vnd.docker.attestation.manifest.v1+json";

/// What a push uploads under its tags.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// One single-platform OCI image; `seed` makes its layers (and so its digest) distinct.
    Image { seed: String },
    /// A `docker buildx` push: an OCI index over one image per platform (`linux/amd64`, `linux/arm64/v8`, ...),
    /// with attestation manifests in the given form.
    Index { seed: String, platforms: Vec<String>, attestations: Attestations },
    /// A cosign artifact tagged `sha256-<subject hex>.<kind>` (the push's own tags are ignored).
    Cosign { subject: String, kind: CosignKind },
    /// An OCI 1.1 referrer of `subject` (e.g. a Notation signature), pushed by digest.
    Referrer { subject: String, artifact_type: String },
}

impl Manifest {
    pub fn image(seed: &str) -> Self {
        Manifest::Image { seed: seed.into() }
    }

    /// A buildx multi-platform push with provenance attestations in the classic BuildKit form.
    pub fn buildx(seed: &str, platforms: &[&str]) -> Self {
        Manifest::Index {
            seed: seed.into(),
            platforms: platforms.iter().map(|p| p.to_string()).collect(),
            attestations: Attestations::Classic,
        }
    }
}

/// How a buildx push stores its attestations (both occur in the wild, FACTS.md §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attestations {
    None,
    /// Index entries annotated `vnd.docker.reference.type: attestation-manifest`, no `subject`.
    Classic,
    /// The same entries, and each attestation manifest an OCI artifact with `subject` = its platform image.
    OciArtifact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosignKind {
    Sig,
    Att,
    Sbom,
}

impl CosignKind {
    fn suffix(self) -> &'static str {
        match self {
            CosignKind::Sig => "sig",
            CosignKind::Att => "att",
            CosignKind::Sbom => "sbom",
        }
    }

    fn layer_media_type(self) -> &'static str {
        match self {
            CosignKind::Sig => "application/vnd.dev.cosign.simplesigning.v1+json",
            CosignKind::Att => "application/vnd.dsse.envelope.v1+json",
            CosignKind::Sbom => "text/spdx+json",
        }
    }
}

/// One manifest to store, with the ImageDetail fields ECR derives from it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blob {
    pub digest: String,
    pub body: String,
    pub media_type: String,
    /// Assumed (not documented how ECR derives it, corpus README): `artifactType` if present, else the config's
    /// media type; none for an index.
    pub artifact_media_type: Option<String>,
    pub subject: Option<String>,
    /// "If the image is a manifest list, this will be the max size of all manifests in the list" (ImageDetail);
    /// an image's size is the sum of its layers (assumed).
    pub size: i64,
}

/// What a push uploads: the manifests pushed by digest first (an index's children), then the one it tags.
pub(crate) struct Upload {
    pub children: Vec<Blob>,
    pub top: Blob,
    /// The tag the tool itself chose (cosign), overriding the push's tags.
    pub own_tag: Option<String>,
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in sum.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn blob(manifest: &Value, size: i64) -> Blob {
    let body = manifest.to_string();
    let media_type = manifest["mediaType"].as_str().unwrap_or(OCI_MANIFEST).to_string();
    let artifact_media_type = if media_type == OCI_INDEX {
        None
    } else {
        manifest["artifactType"].as_str().or_else(|| manifest["config"]["mediaType"].as_str()).map(str::to_string)
    };
    let subject = manifest["subject"]["digest"].as_str().map(str::to_string);
    Blob { digest: sha256(body.as_bytes()), body, media_type, artifact_media_type, subject, size }
}

fn descriptor(media_type: &str, label: &str, size: i64) -> Value {
    json!({"mediaType": media_type, "digest": sha256(label.as_bytes()), "size": size})
}

/// A runnable OCI image manifest; its layers depend on `seed` and `platform`.
fn image(seed: &str, platform: &str) -> Blob {
    let sizes = [29_126_478_i64, 3_485_102, (seed.len() as i64 + 1) * 1_048_576];
    let layers: Vec<Value> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &format!("{seed}/{platform}/{i}"), *s))
        .collect();
    let m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, &format!("{seed}/{platform}/config"), 1472),
        "layers": layers
    });
    blob(&m, sizes.iter().sum())
}

fn subject_of(b: &Blob) -> Value {
    json!({"mediaType": b.media_type, "digest": b.digest, "size": b.body.len()})
}

/// A provenance attestation of `of` (classic: plain image manifest; OCI artifact: with `artifactType` + `subject`).
fn attestation(seed: &str, of: &Blob, form: Attestations) -> Blob {
    let layer = json!({
        "mediaType": "application/vnd.in-toto+json",
        "digest": sha256(format!("{seed}/{}/provenance", of.digest).as_bytes()),
        "size": 1734,
        "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
    });
    let m = if form == Attestations::OciArtifact {
        json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": ATTESTATION_ARTIFACT,
            "config": {"mediaType": OCI_EMPTY, "digest": EMPTY_DIGEST, "size": 2},
            "layers": [layer], "subject": subject_of(of)
        })
    } else {
        json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": descriptor(OCI_CONFIG, &format!("{seed}/{}/attestation-config", of.digest), 241),
            "layers": [layer]
        })
    };
    blob(&m, 1734)
}

fn platform_json(platform: &str) -> Value {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("linux");
    let arch = parts.next().unwrap_or("amd64");
    match parts.next() {
        Some(variant) => json!({"architecture": arch, "os": os, "variant": variant}),
        None => json!({"architecture": arch, "os": os}),
    }
}

pub(crate) fn build(manifest: &Manifest) -> Upload {
    match manifest {
        Manifest::Image { seed } => Upload { children: Vec::new(), top: image(seed, "linux/amd64"), own_tag: None },
        Manifest::Index { seed, platforms, attestations } => {
            let images: Vec<Blob> = platforms.iter().map(|p| image(seed, p)).collect();
            let mut entries: Vec<Value> = images
                .iter()
                .zip(platforms)
                .map(|(b, p)| {
                    json!({"mediaType": b.media_type, "digest": b.digest, "size": b.body.len(), "platform": platform_json(p)})
                })
                .collect();
            let mut children = images.clone();
            if *attestations != Attestations::None {
                for img in &images {
                    let att = attestation(seed, img, *attestations);
                    entries.push(json!({
                        "mediaType": att.media_type, "digest": att.digest, "size": att.body.len(),
                        "annotations": {
                            "vnd.docker.reference.digest": img.digest,
                            "vnd.docker.reference.type": "attestation-manifest"
                        },
                        "platform": {"architecture": "unknown", "os": "unknown"}
                    }));
                    children.push(att);
                }
            }
            let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
            let size = children.iter().map(|c| c.size).max().unwrap_or(0);
            Upload { children, top: blob(&index, size), own_tag: None }
        }
        Manifest::Cosign { subject, kind } => {
            let m = json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": descriptor(OCI_CONFIG, &format!("cosign/{subject}/{}/config", kind.suffix()), 233),
                "layers": [{
                    "mediaType": kind.layer_media_type(),
                    "digest": sha256(format!("cosign/{subject}/{}", kind.suffix()).as_bytes()),
                    "size": 251,
                    "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ-filler"}
                }]
            });
            let tag = format!("{}.{}", subject.replacen(':', "-", 1), kind.suffix());
            Upload { children: Vec::new(), top: blob(&m, 251), own_tag: Some(tag) }
        }
        Manifest::Referrer { subject, artifact_type } => {
            let m = json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
                "config": {"mediaType": OCI_EMPTY, "digest": EMPTY_DIGEST, "size": 2},
                "layers": [descriptor("application/jose+json", &format!("referrer/{subject}/{artifact_type}"), 2048)],
                "subject": {"mediaType": OCI_INDEX, "digest": subject, "size": 0}
            });
            Upload { children: Vec::new(), top: blob(&m, 2048), own_tag: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buildx_index_names_its_platforms_then_its_attestations() {
        let up = build(&Manifest::buildx("web1", &["linux/amd64", "linux/arm64"]));
        assert_eq!(up.children.len(), 4);
        let index: Value = serde_json::from_str(&up.top.body).unwrap();
        let entries = index["manifests"].as_array().unwrap();
        assert_eq!(entries[0]["platform"]["architecture"], "amd64");
        assert_eq!(entries[2]["annotations"]["vnd.docker.reference.type"], "attestation-manifest");
        assert_eq!(entries[2]["annotations"]["vnd.docker.reference.digest"], up.children[0].digest.as_str());
        assert_eq!(up.top.digest, sha256(up.top.body.as_bytes()));
        assert_eq!(up.top.artifact_media_type, None);
        assert_eq!(up.top.size, up.children.iter().map(|c| c.size).max().unwrap());
        assert!(up.children[2].subject.is_none(), "classic attestations have no subject");
    }

    #[test]
    fn oci_artifact_attestations_name_their_subject() {
        let m = Manifest::Index {
            seed: "api".into(),
            platforms: vec!["linux/amd64".into()],
            attestations: Attestations::OciArtifact,
        };
        let up = build(&m);
        assert_eq!(up.children[1].subject.as_deref(), Some(up.children[0].digest.as_str()));
        assert_eq!(up.children[1].artifact_media_type.as_deref(), Some(ATTESTATION_ARTIFACT));
    }

    #[test]
    fn cosign_tags_follow_the_signature_spec() {
        let up = build(&Manifest::Cosign { subject: "sha256:abcd".into(), kind: CosignKind::Sig });
        assert_eq!(up.own_tag.as_deref(), Some("sha256-abcd.sig"));
        let seeds_differ = build(&Manifest::image("a")).top.digest != build(&Manifest::image("b")).top.digest;
        assert!(seeds_differ);
    }
}

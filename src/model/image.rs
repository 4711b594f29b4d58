//! Images as the registry lists them, the image indexes that tie several of them together, and the push people see.
//!
//! ECR lists every manifest of a `docker buildx` push as an image of its own (the tagged index, its platform
//! images, its attestation manifests), and a signature or an SBOM is an image too. The AWS layer and the demo report
//! what the registry says ([`Image`], [`IndexManifest`]); the analysis groups them into [`ImagePush`]es.

use jiff::Timestamp;

/// Media type of an OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of a Docker manifest list (the Docker form of an image index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of a Docker image manifest (schema 2).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Whether `media_type` is an image index (OCI index or Docker manifest list).
pub fn is_index_media_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// One image as the registry lists it (ECR DescribeImages): a platform image, an image index, or an artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    pub repository: String,
    pub digest: String,
    /// Tags it holds now, sorted (empty when pushed by digest, or when its tag moved to a newer image).
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    /// The media type of its manifest (`imageManifestMediaType`), e.g. [`OCI_INDEX`] or [`OCI_MANIFEST`].
    pub manifest_media_type: Option<String>,
    /// `artifactMediaType`: the config media type of an image, or the `artifactType` of an OCI artifact.
    pub artifact_media_type: Option<String>,
    /// `subjectManifestDigest`: for an OCI 1.1 referrer, the digest of the manifest it refers to.
    pub subject: Option<String>,
}

impl Image {
    /// Whether the image is an image index (its manifest lists other manifests).
    pub fn is_index(&self) -> bool {
        self.manifest_media_type.as_deref().is_some_and(is_index_media_type)
    }
}

/// What an image index lists, read from its manifest (ECR BatchGetImage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexManifest {
    pub repository: String,
    /// The index's own digest.
    pub digest: String,
    /// Its descriptors, in the index's order.
    pub entries: Vec<IndexEntry>,
}

/// One descriptor of an image index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexEntry {
    pub digest: String,
    pub media_type: Option<String>,
    /// `os/arch[/variant]`, when the descriptor names a platform.
    pub platform: Option<String>,
    /// The `vnd.docker.reference.type` annotation: `attestation-manifest` marks a BuildKit attestation.
    pub reference_type: Option<String>,
    /// The `vnd.docker.reference.digest` annotation: the descriptor this one refers to (an attestation's subject).
    pub reference_digest: Option<String>,
}

impl IndexEntry {
    /// Whether the descriptor is a runnable image rather than something about one (an attestation, or any other
    /// annotated reference, which BuildKit says to ignore as an image).
    pub fn is_platform_image(&self) -> bool {
        self.reference_type.is_none()
    }
}

/// A push as people make it: one image, or an image index with the platform images it lists; the signatures,
/// attestations and SBOMs attached to it are listed with it, never pushes of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagePush {
    pub repository: String,
    /// The image's digest (the index's, for a multi-platform push).
    pub digest: String,
    /// Tags the image holds now (empty when its tag moved to a newer image).
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    /// The platform images an index lists (empty for a single image).
    pub manifests: Vec<PlatformManifest>,
    /// What is attached to the push (or to one of its platform images).
    pub artifacts: Vec<Artifact>,
}

/// One platform image of a multi-platform push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    pub digest: String,
    /// `os/arch[/variant]`, when the index names it.
    pub platform: Option<String>,
}

/// A signature, attestation, SBOM or other referrer attached to a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub digest: String,
    pub kind: ArtifactKind,
    /// Its media type as the registry gives it (`artifactMediaType`, else the index's descriptor media type).
    pub media_type: Option<String>,
}

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    Signature,
    Attestation,
    Sbom,
    /// Anything else that refers to the push (its media type says what).
    Other,
}

impl ArtifactKind {
    /// The word used in every front end.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Attestation => "attestation",
            Self::Sbom => "sbom",
            Self::Other => "other",
        }
    }
}

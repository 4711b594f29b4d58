//! From the images a registry lists to the pushes people made: an image index and the platform images it lists are
//! one push; signatures, attestations, SBOMs and other referrers are attached to what they refer to.
//!
//! Pure code. Rules, for the images of one repository:
//! - An index whose manifest was read owns the images it lists: its platform images are the push's `manifests`,
//!   its attestation manifests (BuildKit's `vnd.docker.reference.type: attestation-manifest`) and any other
//!   annotated descriptor are `artifacts` of the push. An image listed by several indexes belongs to the newest one
//!   (and every one of them lists it among its platforms).
//! - An image tagged the cosign way (`sha256-<hex>.sig`, `.att`, `.sbom`, and no other tag) is an artifact of the
//!   image `sha256:<hex>`; an OCI 1.1 referrer (`subjectManifestDigest` set) is an artifact of its subject, its kind
//!   read from its `artifactMediaType`.
//! - An artifact belongs to the push its subject belongs to; one whose subject is not among the images (older than
//!   the lookback, deleted) is shown nowhere: it is not a push.
//! - Every other image is a push of its own: a single-platform image, an index whose manifest could not be read
//!   (its children then stay pushes too), an untagged image no index lists (a push whose tag moved on).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::model::{Artifact, ArtifactKind, Image, ImagePush, IndexEntry, IndexManifest, PlatformManifest};

/// Links followed from an image to its push before giving up (a cycle, or absurd nesting): the image is then a push
/// of its own rather than hidden.
const MAX_DEPTH: usize = 16;

/// BuildKit's annotation value for an attestation manifest in an index.
const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// How an image hangs off another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// A platform image (or nested index) listed by an index.
    Listed,
    /// An artifact: listed by an index as an annotated reference, tagged the cosign way, or an OCI referrer.
    Attached(ArtifactKind),
}

/// The images by (repository, digest), and what each hangs off.
struct Graph<'a> {
    images: &'a [Image],
    by_digest: HashMap<(&'a str, &'a str), usize>,
    /// Parallel to `images`: the digest (in the same repository) each image hangs off, and how.
    parent: Vec<Option<(Cow<'a, str>, Link)>>,
}

impl<'a> Graph<'a> {
    fn new(images: &'a [Image], indexes: &'a [IndexManifest]) -> Self {
        let mut by_digest = HashMap::with_capacity(images.len());
        for (i, img) in images.iter().enumerate() {
            by_digest.entry((img.repository.as_str(), img.digest.as_str())).or_insert(i);
        }
        let mut parent: Vec<Option<(Cow<str>, Link)>> = vec![None; images.len()];
        // Newest index first, so that an image listed by several indexes belongs to the newest.
        let mut read: Vec<(usize, &IndexManifest)> = indexes
            .iter()
            .filter_map(|ix| Some((*by_digest.get(&(ix.repository.as_str(), ix.digest.as_str()))?, ix)))
            .collect();
        read.sort_by(|(a, _), (b, _)| images[*b].pushed_at.cmp(&images[*a].pushed_at).then(a.cmp(b)));
        for (at, ix) in read {
            for e in &ix.entries {
                let Some(&child) = by_digest.get(&(ix.repository.as_str(), e.digest.as_str())) else { continue };
                if child != at && parent[child].is_none() {
                    parent[child] = Some((Cow::Borrowed(images[at].digest.as_str()), entry_link(e)));
                }
            }
        }
        for (i, img) in images.iter().enumerate() {
            if parent[i].is_some() {
                continue;
            }
            parent[i] = cosign_subject(&img.tags)
                .map(|(subject, kind)| (Cow::Owned(subject), Link::Attached(kind)))
                .or_else(|| {
                    let subject = img.subject.as_deref().filter(|s| !s.is_empty())?;
                    let kind = kind_of_media_type(img.artifact_media_type.as_deref());
                    Some((Cow::Borrowed(subject), Link::Attached(kind)))
                });
        }
        Self { images, by_digest, parent }
    }

    /// The image whose push `i` belongs to: itself when it hangs off nothing; `None` when it hangs off an image that
    /// is not there (an artifact of an image older than the lookback).
    fn root(&self, i: usize) -> Option<usize> {
        let mut at = i;
        for _ in 0..MAX_DEPTH {
            let Some((digest, _)) = &self.parent[at] else { return Some(at) };
            at = *self.by_digest.get(&(self.images[at].repository.as_str(), digest.as_ref()))?;
        }
        Some(i)
    }
}

/// The link of an index's descriptor to the index.
fn entry_link(e: &IndexEntry) -> Link {
    match e.reference_type.as_deref() {
        None => Link::Listed,
        Some(ATTESTATION_MANIFEST) => Link::Attached(ArtifactKind::Attestation),
        Some(_) => Link::Attached(ArtifactKind::Other),
    }
}

/// Groups `images` into pushes, using what `indexes` list. Pushes come in the order of the images they are named
/// after; `images` may hold several repositories.
pub fn group(images: &[Image], indexes: &[IndexManifest]) -> Vec<ImagePush> {
    let graph = Graph::new(images, indexes);
    let index_of: HashMap<(&str, &str), &IndexManifest> =
        indexes.iter().map(|ix| ((ix.repository.as_str(), ix.digest.as_str()), ix)).collect();

    // Each root image becomes a push; every other image is a manifest or an artifact of its root's push, or hidden.
    let mut push_of: Vec<Option<usize>> = vec![None; images.len()];
    let mut pushes: Vec<ImagePush> = Vec::new();
    let roots: Vec<Option<usize>> = (0..images.len()).map(|i| graph.root(i)).collect();
    for (i, img) in images.iter().enumerate() {
        if roots[i] != Some(i) {
            continue;
        }
        push_of[i] = Some(pushes.len());
        let mut push = ImagePush {
            repository: img.repository.clone(),
            digest: img.digest.clone(),
            tags: img.tags.clone(),
            pushed_at: img.pushed_at,
            manifests: Vec::new(),
            artifacts: Vec::new(),
        };
        // A root hangs off nothing, unless it sits in a cycle of links: what such an image lists is not trusted.
        if graph.parent[i].is_none()
            && let Some(ix) = index_of.get(&(img.repository.as_str(), img.digest.as_str()))
        {
            for e in &ix.entries {
                if e.is_platform_image() {
                    push.manifests.push(PlatformManifest { digest: e.digest.clone(), platform: e.platform.clone() });
                } else {
                    let media_type = graph
                        .by_digest
                        .get(&(img.repository.as_str(), e.digest.as_str()))
                        .and_then(|&c| images[c].artifact_media_type.clone())
                        .or_else(|| e.media_type.clone());
                    let Link::Attached(kind) = entry_link(e) else { continue };
                    push.artifacts.push(Artifact { digest: e.digest.clone(), kind, media_type });
                }
            }
        }
        pushes.push(push);
    }

    // Artifact images, oldest first, under the push of their root.
    let mut attached: Vec<(usize, usize, ArtifactKind)> = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        if let (Some(root), Some((_, Link::Attached(kind)))) = (root, &graph.parent[i])
            && *root != i
            && let Some(p) = push_of[*root]
        {
            attached.push((p, i, *kind));
        }
    }
    attached.sort_by_key(|&(_, i, _)| (images[i].pushed_at, images[i].digest.as_str()));
    // An attestation an index lists is also an image attached to the index: listed once.
    let mut listed: HashSet<(usize, String)> = HashSet::new();
    for (p, push) in pushes.iter().enumerate() {
        listed.extend(push.artifacts.iter().map(|a| (p, a.digest.clone())));
    }
    for (p, i, kind) in attached {
        if !listed.insert((p, images[i].digest.clone())) {
            continue;
        }
        pushes[p].artifacts.push(Artifact {
            digest: images[i].digest.clone(),
            kind,
            media_type: images[i].artifact_media_type.clone(),
        });
    }
    pushes
}

/// The subject digest and kind of an image tagged the cosign way: every tag is `<algorithm>-<hex>.<sig|att|sbom>`
/// for one subject `<algorithm>:<hex>` (cosign's tag-based discovery: `sha256-<hex>.sig`).
fn cosign_subject(tags: &[String]) -> Option<(String, ArtifactKind)> {
    let mut found: Option<(&str, ArtifactKind)> = None;
    for tag in tags {
        let (name, suffix) = tag.rsplit_once('.')?;
        let kind = match suffix {
            "sig" => ArtifactKind::Signature,
            "att" => ArtifactKind::Attestation,
            "sbom" => ArtifactKind::Sbom,
            _ => return None,
        };
        let (algorithm, hex) = name.split_once('-')?;
        let hex_ok = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !matches!(algorithm, "sha256" | "sha384" | "sha512") || !hex_ok {
            return None;
        }
        match found {
            Some((other, _)) if other != name => return None,
            // Several attachments under one image: the first tag's kind.
            Some(_) => {}
            None => found = Some((name, kind)),
        }
    }
    let (name, kind) = found?;
    Some((name.replacen('-', ":", 1), kind))
}

/// What an OCI referrer is, from its `artifactMediaType`.
fn kind_of_media_type(media_type: Option<&str>) -> ArtifactKind {
    let m = media_type.unwrap_or_default().to_ascii_lowercase();
    if m.contains("signature") || m.contains("cosign.artifact.sig") || m.contains("simplesigning") {
        ArtifactKind::Signature
    } else if m.contains("attestation") || m.contains("in-toto") || m.contains("provenance") {
        ArtifactKind::Attestation
    } else if m.contains("sbom") || m.contains("spdx") || m.contains("cyclonedx") {
        ArtifactKind::Sbom
    } else {
        ArtifactKind::Other
    }
}

#[cfg(test)]
mod tests;

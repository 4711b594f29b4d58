//! Presentation helpers shared by the text report and the dashboard: whether to colour, compact digests and ages,
//! what a multi-platform push holds in a few words, and where a pipeline or push is (its profile, and its region when
//! a profile polls several).

use jiff::Timestamp;

use crate::model::{ArtifactKind, ImagePush};

/// Whether output to `stream` should be coloured: a terminal, unless `NO_COLOR` (or `CLICOLOR=0`, `TERM=dumb`)
/// says otherwise (`CLICOLOR_FORCE` colours even a pipe). The text report and the dashboard both ask here.
pub fn use_color(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// `sha256:0123456789ab…` → `0123456789ab` (12 hex digits), for narrow columns.
pub fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

/// Where a pipeline or push is, as the text report and the dashboard show it: `account-a`, or `account-a@eu-west-1`
/// when a profile is polled in several regions (`several`, [`crate::analysis::Analysis::several_regions`]).
pub fn place(profile: &str, region: &str, several: bool) -> String {
    if several { format!("{profile}@{region}") } else { profile.to_string() }
}

/// A compact age such as `45s`, `12m`, `3h`, `2d` (negative ages, from clock skew, show as `0s`).
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let s = now.duration_since(then).as_secs().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The platforms of a multi-platform push, `linux/amd64, linux/arm64` (`unknown` where the index names none);
/// `None` for a single image. Not cleaned: the caller cleans or escapes for its output.
pub fn platforms(push: &ImagePush) -> Option<String> {
    (!push.manifests.is_empty()).then(|| {
        push.manifests.iter().map(|m| m.platform.as_deref().unwrap_or("unknown")).collect::<Vec<_>>().join(", ")
    })
}

/// What is attached to a push, counted by kind: `2 attestations, 1 signature`; `None` when nothing is.
pub fn artifact_counts(push: &ImagePush) -> Option<String> {
    let kinds = [
        (ArtifactKind::Signature, "signature", "signatures"),
        (ArtifactKind::Attestation, "attestation", "attestations"),
        (ArtifactKind::Sbom, "SBOM", "SBOMs"),
        (ArtifactKind::Other, "other artifact", "other artifacts"),
    ];
    let parts: Vec<String> = kinds
        .iter()
        .filter_map(|&(kind, one, many)| {
            let n = push.artifacts.iter().filter(|a| a.kind == kind).count();
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Artifact, PlatformManifest};

    fn ts(offset: i64) -> Timestamp {
        Timestamp::from_second(1_764_000_000 + offset).unwrap()
    }

    #[test]
    fn short_digest_keeps_twelve_hex_digits() {
        assert_eq!(short_digest("sha256:acd3ca9941a85e8ed165"), "acd3ca9941a8");
        assert_eq!(short_digest("abc"), "abc");
    }

    #[test]
    fn age_uses_the_largest_whole_unit() {
        assert_eq!(age(ts(0), ts(-59)), "59s");
        assert_eq!(age(ts(0), ts(-60)), "1m");
        assert_eq!(age(ts(0), ts(-3600)), "1h");
        assert_eq!(age(ts(0), ts(-86_400 * 2)), "2d");
        assert_eq!(age(ts(0), ts(30)), "0s");
    }

    #[test]
    fn a_push_says_its_platforms_and_what_is_attached() {
        let manifest =
            |p: Option<&str>| PlatformManifest { digest: "sha256:a".into(), platform: p.map(str::to_string) };
        let artifact = |kind| Artifact { digest: "sha256:b".into(), kind, media_type: None };
        let mut push = ImagePush::default();
        assert_eq!((platforms(&push), artifact_counts(&push)), (None, None), "a single image says nothing");
        push.manifests = vec![manifest(Some("linux/amd64")), manifest(Some("linux/arm64/v8")), manifest(None)];
        push.artifacts = vec![
            artifact(ArtifactKind::Attestation),
            artifact(ArtifactKind::Sbom),
            artifact(ArtifactKind::Attestation),
            artifact(ArtifactKind::Other),
            artifact(ArtifactKind::Signature),
        ];
        assert_eq!(platforms(&push).as_deref(), Some("linux/amd64, linux/arm64/v8, unknown"));
        assert_eq!(artifact_counts(&push).as_deref(), Some("1 signature, 2 attestations, 1 SBOM, 1 other artifact"));
    }
}

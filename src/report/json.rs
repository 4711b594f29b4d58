//! `--output json`: the JSON document, defined in this one file. Its keys are a contract: they may be added to,
//! never renamed or removed.
//!
//! Strings are kept as AWS returned them and escaped so that the document itself is safe on a terminal too:
//! besides the C0 controls JSON requires escaping, C1 controls (U+009B is CSI on terminals that honour 8-bit
//! controls), DEL, bidi overrides and zero-width characters are written as `\uXXXX` while the document streams
//! out ([`SafeFormatter`]). A JSON parser reads back exactly what AWS returned.

use std::collections::HashMap;
use std::io::{self, Write};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::analysis::correlate::PushStatus;
use crate::analysis::{Analysis, MatchedExecution, PipelineHistory, ProfileOutcome, PushVerdict};
use crate::console::Console;
use crate::model::{Artifact, Execution, Identity, PlatformManifest, Pusher, WatchedSource};
use crate::sanitize::is_hostile;

/// Writes `analysis` as pretty JSON followed by a newline.
pub fn write(analysis: &Analysis, out: impl Write) -> io::Result<()> {
    write_only(analysis, out, &[])
}

/// [`write`], with only the pushes of the statuses in `only` (every push when it is empty).
pub fn write_only(analysis: &Analysis, mut out: impl Write, only: &[PushStatus]) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(PrettyFormatter::new()));
    // `io::Error::from` keeps the kind of a write failure (a closed pipe is not an error to `main`).
    Document::of(analysis, only).serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes `value` as the document is written (pretty, every hostile character escaped), followed by a newline.
pub fn write_value(value: &impl Serialize, mut out: impl Write) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(PrettyFormatter::new()));
    // `io::Error::from` keeps the kind of a write failure (a closed pipe is not an error to `main`).
    value.serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes the pushes of `analysis` (those of the statuses in `only`, or every one) as JSON lines: one object per
/// line, the same object as in the document's `pushes`, newest first.
pub fn write_lines(analysis: &Analysis, mut out: impl Write, only: &[PushStatus]) -> io::Result<()> {
    let consoles = consoles(analysis);
    for push in analysis.pushes.iter().filter(|p| only.is_empty() || only.contains(&p.status)) {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(CompactFormatter));
        PushJson::of(push, consoles.get(&(push.profile.as_str(), push.region.as_str())))
            .serialize(&mut ser)
            .map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The console of each profile in each region, by name and region.
fn consoles(a: &Analysis) -> HashMap<(&str, &str), Console> {
    a.profiles.iter().filter_map(|p| Some(((p.name.as_str(), p.region.as_str()), Console::of_profile(p)?))).collect()
}

/// The console of `profile` in `analysis` (its partition, region and account), when known.
pub fn console_of(analysis: &Analysis, profile: &str) -> Option<Console> {
    analysis.profiles.iter().find(|p| p.name == profile).and_then(Console::of_profile)
}

/// One push exactly as the document's `pushes` list holds it, with the links of `console` (notifications send this
/// object).
pub fn push<'a>(verdict: &'a PushVerdict, console: Option<&'a Console>) -> impl Serialize + 'a {
    PushJson::of(verdict, console)
}

/// The whole document.
#[derive(Serialize)]
struct Document<'a> {
    generated_at: Timestamp,
    grace_seconds: u64,
    profiles: Vec<ProfileJson<'a>>,
    pipelines: Vec<PipelineJson<'a>>,
    /// Newest first.
    pushes: Vec<PushJson<'a>>,
}

impl<'a> Document<'a> {
    fn of(a: &'a Analysis, only: &[PushStatus]) -> Self {
        let consoles = consoles(a);
        let console = |profile: &'a str, region: &'a str| consoles.get(&(profile, region));
        Self {
            generated_at: a.generated_at,
            grace_seconds: a.grace.as_secs(),
            profiles: a.profiles.iter().map(ProfileJson::of).collect(),
            pipelines: a.pipelines.iter().map(|p| PipelineJson::of(p, console(&p.profile, &p.region))).collect(),
            pushes: a
                .pushes
                .iter()
                .filter(|p| only.is_empty() || only.contains(&p.status))
                .map(|p| PushJson::of(p, console(&p.profile, &p.region)))
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    region: &'a str,
    identity: Option<IdentityJson<'a>>,
    error: Option<&'a str>,
    warnings: &'a [String],
}

impl<'a> ProfileJson<'a> {
    fn of(p: &'a ProfileOutcome) -> Self {
        Self {
            name: &p.name,
            region: &p.region,
            identity: p.identity.as_ref().map(IdentityJson::of),
            error: p.error.as_deref(),
            warnings: &p.warnings,
        }
    }
}

#[derive(Serialize)]
struct IdentityJson<'a> {
    account: &'a str,
    arn: &'a str,
    user_id: &'a str,
}

impl<'a> IdentityJson<'a> {
    fn of(i: &'a Identity) -> Self {
        Self { account: &i.account, arn: &i.arn, user_id: &i.user_id }
    }
}

#[derive(Serialize)]
struct PipelineJson<'a> {
    profile: &'a str,
    /// The region the pipeline is in (a profile may poll several).
    region: &'a str,
    name: &'a str,
    sources: Vec<SourceJson<'a>>,
    /// Newest first.
    executions: Vec<ExecutionJson<'a>>,
    /// The pipeline's page in the AWS console (null when the profile's region is unknown).
    console_url: Option<String>,
    /// Present when the pipeline shows the data of an earlier poll: why (the call that failed this time).
    #[serde(skip_serializing_if = "Option::is_none")]
    stale: Option<&'a str>,
}

impl<'a> PipelineJson<'a> {
    fn of(p: &'a PipelineHistory, console: Option<&Console>) -> Self {
        Self {
            profile: &p.profile,
            region: &p.region,
            name: &p.name,
            sources: p.sources.iter().map(SourceJson::of).collect(),
            executions: p.executions.iter().map(ExecutionJson::of).collect(),
            console_url: console.map(|c| c.pipeline(&p.name)),
            stale: p.stale.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct SourceJson<'a> {
    repository: &'a str,
    tag: &'a str,
}

impl<'a> SourceJson<'a> {
    fn of(s: &'a WatchedSource) -> Self {
        Self { repository: &s.repository, tag: &s.tag }
    }
}

#[derive(Serialize)]
struct ExecutionJson<'a> {
    id: &'a str,
    status: &'a str,
    trigger: &'a str,
    trigger_detail: Option<&'a str>,
    started_at: Timestamp,
    updated_at: Option<Timestamp>,
    /// Source revision ids (image digests for ECR sources).
    revisions: Vec<&'a str>,
    status_summary: Option<&'a str>,
}

impl<'a> ExecutionJson<'a> {
    fn of(e: &'a Execution) -> Self {
        Self {
            id: &e.id,
            status: e.status.as_str(),
            trigger: &e.trigger,
            trigger_detail: e.trigger_detail.as_deref(),
            started_at: e.started_at,
            updated_at: e.updated_at,
            revisions: e.revisions.iter().map(|r| r.revision_id.as_str()).collect(),
            status_summary: e.status_summary.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct PushJson<'a> {
    profile: &'a str,
    /// The region of the registry it was pushed to (a profile may poll several).
    region: &'a str,
    repository: &'a str,
    tags: &'a [String],
    digest: &'a str,
    pushed_at: Timestamp,
    /// `untriggered`, `pending`, `triggered` or `unwatched`.
    status: &'static str,
    execution: Option<ExecutionRefJson<'a>>,
    /// For a push that started no run: the run started another way (by hand, by another source, a rollback) that
    /// deployed its image anyway (null when none).
    deployed_by: Option<ExecutionRefJson<'a>>,
    watched_by: &'a [String],
    /// Who pushed it, from the repository account's CloudTrail (null when unknown).
    pusher: Option<PusherJson<'a>>,
    findings: Vec<FindingJson<'a>>,
    tags_from_cloudtrail: bool,
    /// Push → event → rule → target → run, each hop `established`, `broken` or `not_checked` with its evidence
    /// (empty for an unwatched push).
    chain: Vec<HopJson<'a>>,
    /// The platform images of a multi-platform push (empty for a single image).
    manifests: Vec<ManifestJson<'a>>,
    /// Signatures, attestations, SBOMs and other referrers attached to the push.
    artifacts: Vec<ArtifactJson<'a>>,
    /// The image's page in the AWS console (null when the profile's account or region is unknown).
    console_url: Option<String>,
    /// The console page of the first pipeline that watches the push (null when none does).
    pipeline_console_url: Option<String>,
}

impl<'a> PushJson<'a> {
    fn of(v: &'a PushVerdict, console: Option<&Console>) -> Self {
        Self {
            profile: &v.profile,
            region: &v.region,
            repository: &v.push.repository,
            tags: &v.push.tags,
            digest: &v.push.digest,
            pushed_at: v.push.pushed_at,
            status: v.status.as_str(),
            execution: v.execution.as_ref().map(|m| ExecutionRefJson::of(m, console)),
            deployed_by: v.deployed_by.as_ref().map(|m| ExecutionRefJson::of(m, console)),
            watched_by: &v.watched_by,
            pusher: v.pusher.as_ref().map(PusherJson::of),
            findings: v
                .findings
                .iter()
                .map(|f| FindingJson {
                    code: f.code.as_str(),
                    message: &f.message,
                    fix: &f.fix,
                    evidence: &f.evidence,
                    inferred: f.inferred.as_deref(),
                })
                .collect(),
            tags_from_cloudtrail: v.tags_from_cloudtrail,
            chain: v
                .chain
                .iter()
                .map(|h| HopJson { hop: h.hop.as_str(), state: h.state.as_str(), evidence: &h.evidence })
                .collect(),
            manifests: v.push.manifests.iter().map(ManifestJson::of).collect(),
            artifacts: v.push.artifacts.iter().map(ArtifactJson::of).collect(),
            console_url: console.and_then(|c| c.image(&v.push.repository, &v.push.digest)),
            pipeline_console_url: console.zip(v.watched_by.first()).map(|(c, p)| c.pipeline(p)),
        }
    }
}

#[derive(Serialize)]
struct ManifestJson<'a> {
    digest: &'a str,
    /// `os/arch[/variant]`, null when the index names none.
    platform: Option<&'a str>,
}

impl<'a> ManifestJson<'a> {
    fn of(m: &'a PlatformManifest) -> Self {
        Self { digest: &m.digest, platform: m.platform.as_deref() }
    }
}

#[derive(Serialize)]
struct ArtifactJson<'a> {
    digest: &'a str,
    /// `signature`, `attestation`, `sbom` or `other`.
    kind: &'static str,
    /// The artifact's media type as the registry gives it (null when unknown).
    media_type: Option<&'a str>,
}

impl<'a> ArtifactJson<'a> {
    fn of(a: &'a Artifact) -> Self {
        Self { digest: &a.digest, kind: a.kind.as_str(), media_type: a.media_type.as_deref() }
    }
}

#[derive(Serialize)]
struct ExecutionRefJson<'a> {
    pipeline: &'a str,
    id: &'a str,
    /// `digest`, `tag_moved` (the run took a newer push of the same tag) or `time`.
    matched_by: &'static str,
    /// The run's own status (`Succeeded`, `Superseded`, `InProgress`, …).
    status: &'a str,
    /// What started the run (`CloudWatchEvent`, `StartPipelineExecution`, …).
    trigger: &'a str,
    /// Who or what started it: the rule's ARN for an event, the caller's ARN for a release (null when unknown).
    started_by: Option<&'a str>,
    /// The run's page in the AWS console (null when the profile's region is unknown).
    console_url: Option<String>,
}

impl<'a> ExecutionRefJson<'a> {
    fn of(m: &'a MatchedExecution, console: Option<&Console>) -> Self {
        Self {
            pipeline: &m.pipeline,
            id: &m.id,
            matched_by: m.matched_by.as_str(),
            status: m.status.as_str(),
            trigger: &m.trigger,
            started_by: m.started_by.as_deref(),
            console_url: console.map(|c| c.execution(&m.pipeline, &m.id)),
        }
    }
}

#[derive(Serialize)]
struct PusherJson<'a> {
    arn: Option<&'a str>,
    account: &'a str,
    #[serde(rename = "type")]
    identity_type: &'a str,
    cross_account: bool,
}

impl<'a> PusherJson<'a> {
    fn of(p: &'a Pusher) -> Self {
        Self {
            arn: p.arn.as_deref(),
            account: &p.account,
            identity_type: &p.identity_type,
            cross_account: p.cross_account,
        }
    }
}

#[derive(Serialize)]
struct HopJson<'a> {
    /// `push`, `event`, `rule`, `target` or `run`.
    hop: &'static str,
    /// `established`, `broken` or `not_checked`.
    state: &'static str,
    evidence: &'a str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    /// A stable `snake_case` code.
    code: &'static str,
    message: &'a str,
    fix: &'a str,
    /// What pipewatch saw that supports the finding, each with where it was seen.
    evidence: &'a [String],
    /// What the finding infers beyond what was seen, and on what it rests (null when all of it was seen).
    inferred: Option<&'a str>,
}

/// serde_json's pretty printer, writing every hostile character inside strings as `\uXXXX`.
///
/// serde_json escapes the C0 controls itself and hands every other run of characters to
/// [`Formatter::write_string_fragment`], the one place this formatter changes.
pub(crate) struct SafeFormatter<F>(pub(crate) F);

impl<F: Formatter> Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if !may_hold_hostile(fragment) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hostile(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                // Every hostile character is in the Basic Multilingual Plane: one `\uXXXX` each.
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    // Layout: exactly the pretty printer's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Whether `s` holds a byte that is, or starts the UTF-8 encoding of, a hostile character: DEL and the lead bytes
/// of the blocks holding the others (0xC2: C1 controls; 0xE2: U+2000–U+2FFF; 0xEF: U+F000–U+FFFF). C0 controls
/// never get here (serde_json escapes them). Most strings hold none, and this byte scan is far cheaper than
/// decoding every character (BENCHMARKS.md); when one is found, the character check decides.
fn may_hold_hostile(s: &str) -> bool {
    s.bytes().any(|b| b == 0x7F || b == 0xC2 || b == 0xE2 || b == 0xEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe_json(v: &serde_json::Value) -> String {
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter(PrettyFormatter::new()));
        v.serialize(&mut ser).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn hostile_characters_are_escaped_and_read_back_unchanged() {
        let original = "a\u{9b}31m\u{202e}b\u{200b}c\u{7f}\u{1b}[2J";
        let safe = safe_json(&serde_json::json!({"s": original, "n": [1]}));
        assert!(!safe.chars().any(|c| is_hostile(c) && c != '\n'), "{safe}");
        assert!(safe.contains(r"a\u009b31m\u202eb\u200bc\u007f\u001b[2J"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["s"], original);
    }

    #[test]
    fn every_hostile_character_is_escaped() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| is_hostile(c) && c != '\n') {
            let safe = safe_json(&serde_json::json!({ "s": format!("a{c}b") }));
            assert!(!safe.chars().any(|d| d == c), "U+{:04X} left raw in {safe}", c as u32);
        }
    }

    #[test]
    fn layout_is_the_pretty_printers() {
        let v = serde_json::json!({"a": [1, {"b": "日本語 ü"}], "c": {}});
        assert_eq!(safe_json(&v), serde_json::to_string_pretty(&v).unwrap());
    }
}

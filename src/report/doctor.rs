//! `pipewatch doctor` output: each profile's checks as text (readable at 80 columns, the statement to add under a
//! denied call) or as JSON (one document, or one profile per line). Rendering only.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;
use serde_json::ser::{CompactFormatter, PrettyFormatter};

use super::json::SafeFormatter;
use crate::doctor::{Check, Checkup, ProfileCheckup, Status};
use crate::sanitize::clean;

const RED: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
const YELLOW: Style = AnsiColor::Yellow.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().effects(Effects::DIMMED);
const BOLD: Style = Style::new().effects(Effects::BOLD);
/// Where the detail of a check starts.
const INDENT: usize = 14;

fn paint(color: bool, style: Style, s: &str) -> String {
    if color { format!("{style}{s}{style:#}") } else { s.to_string() }
}

/// Writes the checkup as text.
pub fn write_text(c: &Checkup, mut out: impl Write, color: bool) -> io::Result<()> {
    match &c.config {
        Some(src) => writeln!(
            out,
            "{} config {} (found through {})",
            paint(color, BOLD, "pipewatch doctor"),
            clean(&src.path),
            clean(&src.found_by)
        )?,
        None => writeln!(out, "{} the built-in demo (no config, no AWS)", paint(color, BOLD, "pipewatch doctor"))?,
    }
    for p in &c.profiles {
        writeln!(out, "\n{}  {}", paint(color, BOLD, &clean(&p.name)), clean(&p.region))?;
        for check in &p.checks {
            write_check(&mut out, check, color)?;
        }
    }
    // A profile checked in several regions counts once, as having a problem when any of its regions has one.
    let names = |sick: bool| {
        let mut n: Vec<&str> =
            c.profiles.iter().filter(|p| !sick || p.has_problem()).map(|p| p.name.as_str()).collect();
        n.sort_unstable();
        n.dedup();
        n.len()
    };
    let (profiles, sick) = (names(false), names(true));
    let regional =
        if c.profiles.len() > profiles { format!(" in {} regional checkups", c.profiles.len()) } else { String::new() };
    let summary = match sick {
        0 => format!("every check passed ({profiles} profiles{regional})"),
        n => format!("{n} of {profiles} profiles{regional} have a problem"),
    };
    writeln!(out, "\n{}", paint(color, if sick == 0 { GREEN } else { RED }, &summary))?;
    out.flush()
}

fn write_check(out: &mut impl Write, c: &Check, color: bool) -> io::Result<()> {
    let (word, style) = match c.status {
        Status::Ok => ("ok", GREEN),
        Status::Warning => ("warning", YELLOW),
        Status::Denied => ("DENIED", RED),
        Status::Unreachable => ("UNREACHABLE", RED),
        Status::Failed => ("FAILED", RED),
        Status::Skipped => ("skipped", DIM),
    };
    let pad = " ".repeat(12usize.saturating_sub(word.len()));
    writeln!(out, "  {}{pad}{}", paint(color, style, word), clean(&c.name))?;
    let indent = " ".repeat(INDENT);
    wrapped(out, &indent, &clean(&c.detail))?;
    for s in &c.settings {
        wrapped(out, &indent, &format!("{} = {}  ({})", clean(&s.key), clean(&s.value), clean(&s.from)))?;
    }
    if let Some(e) = &c.endpoint {
        writeln!(out, "{indent}endpoint {}", clean(e))?;
    }
    if let Some(st) = &c.statement {
        writeln!(out, "{indent}add this statement to the role's policy (pipewatch iam-policy prints all of them):")?;
        writeln!(out, "{indent}  {}", clean(st))?;
    }
    if let Some(fix) = &c.fix {
        wrapped(out, &indent, &format!("fix: {}", clean(fix)))?;
    }
    Ok(())
}

fn wrapped(out: &mut impl Write, indent: &str, text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let options = textwrap::Options::new(80)
        .initial_indent(indent)
        .subsequent_indent(indent)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, options) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Document<'a> {
    /// `{"path", "found_by"}`, null for the demo.
    config: Option<ConfigJson<'a>>,
    profiles: Vec<ProfileJson<'a>>,
}

#[derive(Serialize)]
struct ConfigJson<'a> {
    path: &'a str,
    found_by: &'a str,
}

#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    region: &'a str,
    /// Whether a check is denied, unreachable or failed.
    problem: bool,
    checks: Vec<CheckJson<'a>>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    /// `config`, `credentials`, `assume_role`, `identity`, `clock` or `api`.
    step: &'static str,
    name: &'a str,
    /// `ok`, `warning`, `denied`, `unreachable`, `failed` or `skipped`.
    status: &'static str,
    detail: &'a str,
    fix: Option<&'a str>,
    /// The IAM statement that allows a denied call.
    statement: Option<serde_json::Value>,
    endpoint: Option<&'a str>,
    settings: Vec<SettingJson<'a>>,
}

#[derive(Serialize)]
struct SettingJson<'a> {
    key: &'a str,
    value: &'a str,
    from: &'a str,
}

impl<'a> ProfileJson<'a> {
    fn of(p: &'a ProfileCheckup) -> Self {
        Self {
            name: &p.name,
            region: &p.region,
            problem: p.has_problem(),
            checks: p
                .checks
                .iter()
                .map(|c| CheckJson {
                    step: c.step.as_str(),
                    name: &c.name,
                    status: c.status.as_str(),
                    detail: &c.detail,
                    fix: c.fix.as_deref(),
                    statement: c.statement.as_deref().and_then(|s| serde_json::from_str(s).ok()),
                    endpoint: c.endpoint.as_deref(),
                    settings: c
                        .settings
                        .iter()
                        .map(|s| SettingJson { key: &s.key, value: &s.value, from: &s.from })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Writes the checkup as one JSON document.
pub fn write_json(c: &Checkup, mut out: impl Write) -> io::Result<()> {
    let doc = Document {
        config: c.config.as_ref().map(|s| ConfigJson { path: &s.path, found_by: &s.found_by }),
        profiles: c.profiles.iter().map(ProfileJson::of).collect(),
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(PrettyFormatter::new()));
    doc.serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes one JSON object per profile, one per line (the objects of the document's `profiles`).
pub fn write_lines(c: &Checkup, mut out: impl Write) -> io::Result<()> {
    for p in &c.profiles {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(CompactFormatter));
        ProfileJson::of(p).serialize(&mut ser).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::explain::statement;
    use crate::doctor::{ConfigSource, Setting, Step};

    fn checkup() -> Checkup {
        let mut denied = Check::new(
            Step::Api,
            "ecr:DescribeImages",
            Status::Denied,
            "AccessDeniedException: User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: \
             ecr:DescribeImages",
        );
        denied.statement = Some(statement("PipewatchImages", "ecr:DescribeImages"));
        let mut config = Check::new(Step::Config, "config", Status::Ok, "");
        config.settings.push(Setting {
            key: "region".into(),
            value: "ap-northeast-1".into(),
            from: "[profiles.a] region, line 4".into(),
        });
        let mut unreachable = Check::new(Step::Credentials, "sts:GetCallerIdentity", Status::Unreachable, "refused");
        unreachable.endpoint = Some("http://127.0.0.1:9".into());
        Checkup {
            config: Some(ConfigSource { path: "/c.toml".into(), found_by: "--config".into() }),
            profiles: vec![
                ProfileCheckup { name: "a".into(), region: "ap-northeast-1".into(), checks: vec![config, denied] },
                ProfileCheckup { name: "b\x1b[2J".into(), region: "r".into(), checks: vec![unreachable] },
            ],
        }
    }

    #[test]
    fn text_prints_the_statement_to_add_and_the_endpoint() {
        let mut out = Vec::new();
        write_text(&checkup(), &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("  DENIED      ecr:DescribeImages\n"), "{text}");
        assert!(
            text.contains(
                r#"  {"Sid": "PipewatchImages", "Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": "*"}"#
            ),
            "{text}"
        );
        assert!(text.contains("region = ap-northeast-1  ([profiles.a] region, line 4)"), "{text}");
        assert!(text.contains("endpoint http://127.0.0.1:9"), "{text}");
        assert!(text.contains("b^[[2J"), "names are cleaned: {text}");
        assert!(text.ends_with("2 of 2 profiles have a problem\n"), "{text}");
    }

    #[test]
    fn json_carries_the_same_facts_per_profile_and_check() {
        let mut out = Vec::new();
        write_json(&checkup(), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["config"], serde_json::json!({"path": "/c.toml", "found_by": "--config"}));
        let a = &v["profiles"][0];
        assert_eq!(a["problem"], true);
        assert_eq!(a["checks"][0]["settings"][0]["from"], "[profiles.a] region, line 4");
        let denied = &a["checks"][1];
        assert_eq!(
            (&denied["step"], &denied["name"], &denied["status"]),
            (&"api".into(), &"ecr:DescribeImages".into(), &"denied".into())
        );
        assert_eq!(denied["statement"]["Action"], serde_json::json!(["ecr:DescribeImages"]));
        assert_eq!(v["profiles"][1]["checks"][0]["endpoint"], "http://127.0.0.1:9");
        assert_eq!(v["profiles"][1]["name"], "b\u{1b}[2J");
        assert!(!String::from_utf8(out).unwrap().contains('\x1b'), "escaped");
        let mut lines = Vec::new();
        write_lines(&checkup(), &mut lines).unwrap();
        let lines: Vec<serde_json::Value> =
            String::from_utf8(lines).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(serde_json::Value::from(lines), v["profiles"]);
    }
}

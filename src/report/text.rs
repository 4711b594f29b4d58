//! `--output text`: a summary readable at 80 columns; colour only when asked for (see
//! [`display::use_color`](crate::display::use_color)).

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use unicode_width::UnicodeWidthStr;

use crate::analysis::Analysis;
use crate::analysis::chain::HopState;
use crate::analysis::correlate::PushStatus;
use crate::display::{age, artifact_counts, platforms, short_digest};
use crate::sanitize::clean;

const RED: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
const YELLOW: Style = AnsiColor::Yellow.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().effects(Effects::DIMMED);
const BOLD: Style = Style::new().effects(Effects::BOLD);
/// Width the text is wrapped to.
const WIDTH: usize = 80;

/// Triggered and unwatched pushes listed before the rest is summarised in one line.
const QUIET_PUSHES: usize = 15;
/// Indent of the lines under a push.
const FINDING_INDENT: &str = "              ";
/// Executions listed per pipeline.
const EXECUTIONS_PER_PIPELINE: usize = 5;

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, s: &str) -> String {
        if self.color { format!("{style}{s}{style:#}") } else { s.to_string() }
    }
}

/// Pads `s` with spaces to `width` terminal columns (wide characters count double).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Writes `label text` after `indent`, wrapped at [`WIDTH`] columns with continuation lines indented two more.
/// A word longer than a line is kept whole.
fn write_wrapped(out: &mut impl Write, indent: &str, label: &str, text: &str) -> io::Result<()> {
    write_hanging(out, indent, &format!("{indent}  "), label, text)
}

/// [`write_wrapped`] with continuation lines after `continuation`.
fn write_hanging(out: &mut impl Write, indent: &str, continuation: &str, label: &str, text: &str) -> io::Result<()> {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(continuation)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(&format!("{label} {text}"), options) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Writes the text summary of `analysis`.
pub fn write(analysis: &Analysis, mut out: impl Write, color: bool) -> io::Result<()> {
    let p = Painter { color };
    let now = analysis.generated_at;
    writeln!(
        out,
        "{} {}  (grace {})",
        p.paint(BOLD, "pipewatch"),
        now.strftime("%Y-%m-%d %H:%M:%SZ"),
        humantime::format_duration(analysis.grace)
    )?;

    writeln!(out, "\n{}", p.paint(BOLD, "PROFILES"))?;
    let name_w = analysis.profiles.iter().map(|pr| clean(&pr.name).width()).max().unwrap_or(0);
    for pr in &analysis.profiles {
        let name = pad(&clean(&pr.name), name_w);
        let region = clean(&pr.region);
        let indent = "      ";
        match &pr.identity {
            Some(id) => {
                writeln!(out, "  {name}  {}  {region}", clean(&id.account))?;
                writeln!(out, "{indent}as {}", clean(&id.arn))?;
            }
            None => writeln!(out, "  {name}  {region}")?,
        }
        if let Some(e) = &pr.error {
            write_wrapped(&mut out, indent, &p.paint(RED, "ERROR"), &clean(e))?;
        }
        for w in &pr.warnings {
            write_wrapped(&mut out, indent, &p.paint(YELLOW, "warning:"), &clean(w))?;
        }
    }

    writeln!(out, "\n{}", p.paint(BOLD, "PUSHES (newest first)"))?;
    if analysis.pushes.is_empty() {
        writeln!(out, "  none in the lookback window")?;
    }
    let mut hidden = 0usize;
    let mut shown_quiet = 0usize;
    for verdict in &analysis.pushes {
        let push = &verdict.push;
        // Flagged, pending and explained (a tag no pipeline watches) pushes are always listed; quiet ones only up
        // to a page.
        let status = verdict.status;
        if status == PushStatus::Triggered || (status == PushStatus::Unwatched && verdict.findings.is_empty()) {
            if shown_quiet == QUIET_PUSHES {
                hidden += 1;
                continue;
            }
            shown_quiet += 1;
        }
        let tags = if push.tags.is_empty() { "<untagged>".to_string() } else { push.tags.join(",") };
        let what = clean(&format!("{}:{tags}", push.repository)).into_owned();
        let shown_status = match status {
            PushStatus::Untriggered => p.paint(RED, "UNTRIGGERED"),
            PushStatus::Pending => p.paint(YELLOW, &pad("pending", 11)),
            PushStatus::Triggered => p.paint(GREEN, &pad("triggered", 11)),
            PushStatus::Unwatched => p.paint(DIM, &pad("unwatched", 11)),
        };
        writeln!(
            out,
            "  {shown_status} {:>4}  {}  {}  {}",
            age(now, push.pushed_at),
            clean(&verdict.profile),
            what,
            clean(short_digest(&push.digest)),
        )?;
        match (&verdict.execution, status) {
            (Some(ex), _) => writeln!(
                out,
                "              -> {} {} (matched by {})",
                clean(&ex.pipeline),
                clean(&ex.id),
                ex.matched_by.as_str()
            )?,
            (None, PushStatus::Untriggered) => writeln!(
                out,
                "              no run of {} started within the grace period",
                clean(&verdict.watched_by.join(", "))
            )?,
            _ => {}
        }
        // What a multi-platform push holds, and what is attached to it: `platforms linux/amd64, linux/arm64;
        // 1 signature, 1 attestation`.
        match (platforms(push), artifact_counts(push)) {
            (Some(p), Some(a)) => write_wrapped(&mut out, FINDING_INDENT, "platforms", &clean(&format!("{p}; {a}")))?,
            (Some(p), None) => write_wrapped(&mut out, FINDING_INDENT, "platforms", &clean(&p))?,
            (None, Some(a)) => write_wrapped(&mut out, FINDING_INDENT, "attached", &clean(&a))?,
            (None, None) => {}
        }
        if verdict.tags_from_cloudtrail {
            writeln!(out, "{FINDING_INDENT}tag from CloudTrail: the image no longer holds it")?;
        }
        if status == PushStatus::Untriggered && !verdict.chain.is_empty() {
            writeln!(out, "{FINDING_INDENT}chain:")?;
            // Evidence lines continue under the evidence, after "  event  BROKEN ".
            let hanging = format!("{FINDING_INDENT}{}", " ".repeat(16));
            for h in &verdict.chain {
                let mark = match h.state {
                    HopState::Established => p.paint(GREEN, "ok    "),
                    HopState::Broken => p.paint(RED, "BROKEN"),
                    HopState::NotChecked => p.paint(DIM, "?     "),
                };
                let label = format!("  {:<6} {mark}", h.hop.as_str());
                write_hanging(&mut out, FINDING_INDENT, &hanging, &label, &clean(&h.evidence))?;
            }
        }
        for f in &verdict.findings {
            let label = format!("[{}]", f.code.as_str());
            let style = if status == PushStatus::Untriggered { RED } else { YELLOW };
            write_wrapped(&mut out, FINDING_INDENT, &p.paint(style, &label), &clean(&f.message))?;
            if status != PushStatus::Unwatched {
                for e in &f.evidence {
                    write_wrapped(&mut out, FINDING_INDENT, "  seen:", &clean(e))?;
                }
                if let Some(i) = &f.inferred {
                    write_wrapped(&mut out, FINDING_INDENT, "  inferred:", &clean(i))?;
                }
                write_wrapped(&mut out, FINDING_INDENT, "  fix:", &clean(&f.fix))?;
            }
        }
    }

    if hidden > 0 {
        writeln!(out, "  … {hidden} more triggered or unwatched (--output json lists every push)")?;
    }

    writeln!(out, "\n{}", p.paint(BOLD, "PIPELINES"))?;
    if analysis.pipelines.is_empty() {
        writeln!(out, "  none")?;
    }
    for pl in &analysis.pipelines {
        let watches: Vec<String> = pl.sources.iter().map(|s| format!("{}:{}", s.repository, s.tag)).collect();
        let watches =
            if watches.is_empty() { "no ECR source".to_string() } else { format!("watches {}", watches.join(", ")) };
        writeln!(out, "  {}/{}  {}", clean(&pl.profile), clean(&pl.name), clean(&watches))?;
        if pl.executions.is_empty() {
            writeln!(out, "    no executions in the lookback window")?;
        }
        for ex in pl.executions.iter().take(EXECUTIONS_PER_PIPELINE) {
            let rev = ex.revisions.first().map_or("-", |r| short_digest(&r.revision_id));
            writeln!(
                out,
                "    {} {:>4}  {}  {}  {}",
                pad(&clean(ex.status.as_str()), 11),
                age(now, ex.started_at),
                pad(&clean(&ex.trigger), 22),
                clean(&ex.id),
                clean(rev)
            )?;
        }
        if pl.executions.len() > EXECUTIONS_PER_PIPELINE {
            writeln!(out, "    … {} more", pl.executions.len() - EXECUTIONS_PER_PIPELINE)?;
        }
    }

    let c = analysis.counts();
    let summary = format!(
        "{} pushes: {} untriggered, {} pending, {} triggered, {} unwatched\n{} of {} profiles failed to poll",
        analysis.pushes.len(),
        c.untriggered,
        c.pending,
        c.triggered,
        c.unwatched,
        c.failed_profiles,
        analysis.profiles.len()
    );
    let style = if c.failed_profiles > 0 || c.untriggered > 0 { RED } else { GREEN };
    writeln!(out, "\n{}", p.paint(style, &summary))?;
    out.flush()
}

//! `--output text`: a summary readable at 80 columns; colour only when asked for (a terminal without `NO_COLOR`).

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::{Report, age, short_digest};
use crate::analysis::correlate::PushStatus;
use crate::sanitize::clean;

const RED: &str = "\x1b[31;1m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

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
    fn paint(&self, style: &str, s: &str) -> String {
        if self.color { format!("{style}{s}{RESET}") } else { s.to_string() }
    }
}

/// Pads `s` with spaces to `width` terminal columns (wide characters count double).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Writes `label text` after `indent`, wrapping words so lines stay within 80 columns where they can.
fn write_wrapped(out: &mut impl Write, indent: &str, (label, label_w): (&str, usize), text: &str) -> io::Result<()> {
    let mut line = format!("{indent}{label}");
    let mut width = indent.len() + label_w;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = UnicodeWidthStr::width(word);
        if width + 1 + w > 80 && width > indent.len() + 8 {
            writeln!(out, "{line}")?;
            line = format!("{indent}  {word}");
            width = indent.len() + 2 + w;
        } else {
            line.push(' ');
            line.push_str(word);
            width += 1 + w;
        }
    }
    writeln!(out, "{line}")
}

/// Writes the text summary of `report`.
pub fn write(report: &Report, mut out: impl Write, color: bool) -> io::Result<()> {
    let p = Painter { color };
    let now = report.generated_at;
    writeln!(
        out,
        "{} {}  (grace {})",
        p.paint(BOLD, "pipewatch"),
        now.strftime("%Y-%m-%d %H:%M:%SZ"),
        humantime::format_duration(std::time::Duration::from_secs(report.grace_seconds))
    )?;

    writeln!(out, "\n{}", p.paint(BOLD, "PROFILES"))?;
    let name_w = report.profiles.iter().map(|pr| clean(&pr.name).width()).max().unwrap_or(0);
    for pr in &report.profiles {
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
            write_wrapped(&mut out, indent, (&p.paint(RED, "ERROR"), 5), &clean(e))?;
        }
        for w in &pr.warnings {
            write_wrapped(&mut out, indent, (&p.paint(YELLOW, "warning:"), 8), &clean(w))?;
        }
    }

    writeln!(out, "\n{}", p.paint(BOLD, "PUSHES (newest first)"))?;
    if report.pushes.is_empty() {
        writeln!(out, "  none in the lookback window")?;
    }
    let mut hidden = 0usize;
    let mut shown_quiet = 0usize;
    for push in &report.pushes {
        // Flagged, pending and explained (a tag no pipeline watches) pushes are always listed; quiet ones only up
        // to a page.
        if push.status == PushStatus::Triggered || (push.status == PushStatus::Unwatched && push.findings.is_empty()) {
            if shown_quiet == QUIET_PUSHES {
                hidden += 1;
                continue;
            }
            shown_quiet += 1;
        }
        let tags = if push.tags.is_empty() { "<untagged>".to_string() } else { push.tags.join(",") };
        let what = clean(&format!("{}:{tags}", push.repository)).into_owned();
        let status = match push.status {
            PushStatus::Untriggered => p.paint(RED, "UNTRIGGERED"),
            PushStatus::Pending => p.paint(YELLOW, &pad("pending", 11)),
            PushStatus::Triggered => p.paint(GREEN, &pad("triggered", 11)),
            PushStatus::Unwatched => p.paint(DIM, &pad("unwatched", 11)),
        };
        writeln!(
            out,
            "  {status} {:>4}  {}  {}  {}",
            age(now, push.pushed_at),
            clean(&push.profile),
            what,
            clean(short_digest(&push.digest)),
        )?;
        match (&push.execution, push.status) {
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
                clean(&push.watched_by.join(", "))
            )?,
            _ => {}
        }
        if push.tags_from_cloudtrail {
            writeln!(out, "{FINDING_INDENT}tag from CloudTrail: the image no longer holds it")?;
        }
        for f in &push.findings {
            let label = format!("[{}]", f.code.as_str());
            let style = if push.status == PushStatus::Untriggered { RED } else { YELLOW };
            write_wrapped(&mut out, FINDING_INDENT, (&p.paint(style, &label), label.len()), &clean(&f.message))?;
            if push.status != PushStatus::Unwatched {
                write_wrapped(&mut out, FINDING_INDENT, ("  fix:", 6), &clean(&f.fix))?;
            }
        }
    }

    if hidden > 0 {
        writeln!(out, "  … {hidden} more triggered or unwatched (--output json lists every push)")?;
    }

    writeln!(out, "\n{}", p.paint(BOLD, "PIPELINES"))?;
    if report.pipelines.is_empty() {
        writeln!(out, "  none")?;
    }
    for pl in &report.pipelines {
        let watches: Vec<String> = pl.sources.iter().map(|s| format!("{}:{}", s.repository, s.tag)).collect();
        let watches =
            if watches.is_empty() { "no ECR source".to_string() } else { format!("watches {}", watches.join(", ")) };
        writeln!(out, "  {}/{}  {}", clean(&pl.profile), clean(&pl.name), clean(&watches))?;
        if pl.executions.is_empty() {
            writeln!(out, "    no executions in the lookback window")?;
        }
        for ex in pl.executions.iter().take(EXECUTIONS_PER_PIPELINE) {
            let rev = ex.revisions.first().map(|r| short_digest(r)).unwrap_or("-");
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

    let c = report.counts();
    let summary = format!(
        "{} pushes: {} untriggered, {} pending, {} triggered, {} unwatched\n{} of {} profiles failed to poll",
        report.pushes.len(),
        c.untriggered,
        c.pending,
        c.triggered,
        c.unwatched,
        c.failed_profiles,
        report.profiles.len()
    );
    let style = if c.failed_profiles > 0 || c.untriggered > 0 { RED } else { GREEN };
    writeln!(out, "\n{}", p.paint(style, &summary))?;
    out.flush()
}

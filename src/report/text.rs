//! `--output text`: a summary readable at 80 columns; colour only when asked for (see
//! [`display::use_color`](crate::display::use_color)).

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use unicode_width::UnicodeWidthStr;

use std::collections::HashMap;

use crate::analysis::chain::HopState;
use crate::analysis::correlate::PushStatus;
use crate::analysis::{Analysis, PushVerdict};
use crate::console::Console;
use crate::display::{age, artifact_counts, place, platforms, short_digest};
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

/// What the text report lists besides the profiles and the summary.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Colour the output (ANSI).
    pub color: bool,
    /// Only pushes of these statuses (`--only`; empty: every push, and the pipelines).
    pub only: Vec<PushStatus>,
}

/// Writes the text summary of `analysis`.
pub fn write(analysis: &Analysis, out: impl Write, color: bool) -> io::Result<()> {
    write_with(analysis, out, &Options { color, only: Vec::new() })
}

/// Writes the text summary of `analysis`: what needs attention first (the untriggered pushes with their causes,
/// fixes and console links), then the profiles, the other pushes (newest first), the pipelines and the counts.
pub fn write_with(analysis: &Analysis, mut out: impl Write, options: &Options) -> io::Result<()> {
    let p = Painter { color: options.color };
    let now = analysis.generated_at;
    let shown = |s: PushStatus| options.only.is_empty() || options.only.contains(&s);
    let consoles: HashMap<(&str, &str), Console> = analysis
        .profiles
        .iter()
        .filter_map(|pr| Some(((pr.name.as_str(), pr.region.as_str()), Console::of_profile(pr)?)))
        .collect();
    let several = analysis.several_regions();
    writeln!(
        out,
        "{} {}  (grace {})",
        p.paint(BOLD, "pipewatch"),
        now.strftime("%Y-%m-%d %H:%M:%SZ"),
        humantime::format_duration(analysis.grace)
    )?;

    let untriggered: Vec<&PushVerdict> =
        analysis.pushes.iter().filter(|v| v.status == PushStatus::Untriggered).collect();
    if !untriggered.is_empty() && shown(PushStatus::Untriggered) {
        let title = format!("UNTRIGGERED ({}): pushes that started no run, with causes and fixes", untriggered.len());
        writeln!(out, "\n{}", p.paint(RED, &title))?;
        for verdict in &untriggered {
            let console = consoles.get(&(verdict.profile.as_str(), verdict.region.as_str()));
            write_push(&mut out, &p, now, verdict, console, several)?;
        }
    }

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

    let rest: Vec<&PushVerdict> =
        analysis.pushes.iter().filter(|v| v.status != PushStatus::Untriggered && shown(v.status)).collect();
    let others = [PushStatus::Pending, PushStatus::Triggered, PushStatus::Unwatched];
    if others.into_iter().any(shown) {
        let title = if untriggered.is_empty() { "PUSHES (newest first)" } else { "OTHER PUSHES (newest first)" };
        writeln!(out, "\n{}", p.paint(BOLD, title))?;
        if rest.is_empty() {
            let none = if analysis.pushes.is_empty() { "none in the lookback window" } else { "none" };
            writeln!(out, "  {none}")?;
        }
    }
    let mut hidden = 0usize;
    let mut shown_quiet = 0usize;
    for verdict in rest {
        // Pending and explained (a tag no pipeline watches) pushes are always listed; quiet ones only up to a page.
        let status = verdict.status;
        if status == PushStatus::Triggered || (status == PushStatus::Unwatched && verdict.findings.is_empty()) {
            if shown_quiet == QUIET_PUSHES {
                hidden += 1;
                continue;
            }
            shown_quiet += 1;
        }
        write_push(&mut out, &p, now, verdict, None, several)?;
    }

    if hidden > 0 {
        writeln!(out, "  … {hidden} more triggered or unwatched (--output json lists every push)")?;
    }

    if options.only.is_empty() {
        write_pipelines(&mut out, &p, analysis)?;
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

/// The PIPELINES section: each pipeline with what it watches and its latest executions.
fn write_pipelines(out: &mut impl Write, p: &Painter, analysis: &Analysis) -> io::Result<()> {
    let now = analysis.generated_at;
    writeln!(out, "\n{}", p.paint(BOLD, "PIPELINES"))?;
    if analysis.pipelines.is_empty() {
        writeln!(out, "  none")?;
    }
    for pl in &analysis.pipelines {
        let watches: Vec<String> = pl.sources.iter().map(|s| format!("{}:{}", s.repository, s.tag)).collect();
        let watches =
            if watches.is_empty() { "no ECR source".to_string() } else { format!("watches {}", watches.join(", ")) };
        let place = place(&pl.profile, &pl.region, analysis.several_regions());
        writeln!(out, "  {}/{}  {}", clean(&place), clean(&pl.name), clean(&watches))?;
        if let Some(why) = &pl.stale {
            write_wrapped(out, "    ", "stale:", &format!("the data of an earlier poll ({})", clean(why)))?;
        }
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

    Ok(())
}

/// One push: its status line, the run it was matched to (or that none started), what it holds, and for an
/// untriggered push the chain, the findings with their fixes and, with `console`, its console links; its profile is
/// shown with its region when `several_regions`.
fn write_push(
    out: &mut impl Write,
    p: &Painter,
    now: jiff::Timestamp,
    verdict: &PushVerdict,
    console: Option<&Console>,
    several_regions: bool,
) -> io::Result<()> {
    let push = &verdict.push;
    let status = verdict.status;
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
        clean(&place(&verdict.profile, &verdict.region, several_regions)),
        what,
        clean(short_digest(&push.digest)),
    )?;
    match (&verdict.execution, status) {
        (Some(ex), _) => writeln!(
            out,
            "              -> {} {} (matched by {}, {})",
            clean(&ex.pipeline),
            clean(&ex.id),
            ex.matched_by.as_str(),
            clean(ex.status.as_str())
        )?,
        (None, PushStatus::Untriggered) if let Some(d) = &verdict.deployed_by => write_wrapped(
            out,
            FINDING_INDENT,
            "no run started by this push;",
            &clean(&format!(
                "deployed by {} {} ({}, started by {})",
                d.pipeline,
                d.id,
                if d.trigger.is_empty() { "no trigger reported" } else { &d.trigger },
                d.started_by.as_deref().unwrap_or("?")
            )),
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
        (Some(a), Some(b)) => write_wrapped(out, FINDING_INDENT, "platforms", &clean(&format!("{a}; {b}")))?,
        (Some(a), None) => write_wrapped(out, FINDING_INDENT, "platforms", &clean(&a))?,
        (None, Some(b)) => write_wrapped(out, FINDING_INDENT, "attached", &clean(&b))?,
        (None, None) => {}
    }
    if verdict.tags_from_cloudtrail {
        let tags = clean(&verdict.recovered_tags.join(", ")).into_owned();
        let (what, it) = if verdict.recovered_tags.len() == 1 { ("tag", "it") } else { ("tags", "them") };
        writeln!(out, "{FINDING_INDENT}{what} {tags} from CloudTrail: the image no longer holds {it}")?;
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
            write_hanging(out, FINDING_INDENT, &hanging, &label, &clean(&h.evidence))?;
        }
    }
    for f in &verdict.findings {
        let label = format!("[{}]", f.code.as_str());
        let style = if status == PushStatus::Untriggered { RED } else { YELLOW };
        write_wrapped(out, FINDING_INDENT, &p.paint(style, &label), &clean(&f.message))?;
        if status != PushStatus::Unwatched {
            for e in &f.evidence {
                write_wrapped(out, FINDING_INDENT, "  seen:", &clean(e))?;
            }
            if let Some(i) = &f.inferred {
                write_wrapped(out, FINDING_INDENT, "  inferred:", &clean(i))?;
            }
            write_wrapped(out, FINDING_INDENT, "  fix:", &clean(&f.fix))?;
        }
    }
    if let Some(c) = console {
        // Links are percent-encoded ASCII: long ones stay whole on their line.
        if let Some(url) = c.image(&push.repository, &push.digest) {
            writeln!(out, "{FINDING_INDENT}image     {url}")?;
        }
        if let Some(pipeline) = verdict.watched_by.first() {
            writeln!(out, "{FINDING_INDENT}pipeline  {}", c.pipeline(pipeline))?;
        }
    }
    Ok(())
}

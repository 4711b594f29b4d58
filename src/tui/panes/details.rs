//! The `Enter` popup: everything known about one push (and, when it never triggered a run, why that matters and
//! what to check) or about one execution.

use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{centered, fit, safe, width};
use crate::analysis::chain::{Hop, HopState, first_broken};
use crate::analysis::correlate::{MatchedBy, PushStatus};
use crate::analysis::{PipelineHistory, PushVerdict};
use crate::config::keys::Action;
use crate::display::{age, short_digest};
use crate::model::{ArtifactKind, Execution};
use crate::tui::app::{App, Popup};
use crate::tui::theme::push_badge;

const LABEL_W: usize = 12;

fn field(label: &str, value: impl Into<String>, app: &App) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<LABEL_W$}"), app.theme.dim()), Span::raw(value.into())])
}

fn styled_field(label: &str, value: impl Into<String>, style: Style, app: &App) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<LABEL_W$}"), app.theme.dim()), Span::styled(value.into(), style)])
}

fn when(app: &App, at: Timestamp, now: Timestamp) -> String {
    format!("{} ({} ago)", at.to_zoned(app.tz.clone()).strftime("%Y-%m-%d %H:%M:%S %Z"), age(now, at))
}

fn human(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn account_of(app: &App, profile: &str, region: &str) -> String {
    let shown = crate::display::place(profile, region, app.analysis.several_regions());
    let id = app
        .metas
        .iter()
        .position(|m| m.name == profile && m.region == region)
        .and_then(|i| app.profiles[i].snapshot.as_ref()?.identity.as_ref().map(|id| id.account.clone()));
    match id {
        Some(acc) => format!("{} ({})", safe(&shown), safe(&acc)),
        None => safe(&shown),
    }
}

/// The chain push → event → rule → target → run, drawn top to bottom with the first broken hop highlighted.
fn chain_lines(app: &App, chain: &[Hop], l: &mut Vec<Line<'static>>) {
    if chain.is_empty() {
        return;
    }
    let t = app.theme;
    let first_broken = first_broken(chain).map(|h| h.hop);
    l.push(Line::raw(""));
    l.push(Line::styled("Chain", t.title()));
    for (i, h) in chain.iter().enumerate() {
        let (mark, style) = match h.state {
            HopState::Established => ("●", t.ok()),
            HopState::Broken if Some(h.hop) == first_broken => ("✗", t.untriggered().add_modifier(Modifier::REVERSED)),
            HopState::Broken => ("✗", t.untriggered()),
            HopState::NotChecked => ("?", t.dim()),
        };
        l.push(Line::from(vec![
            Span::styled(format!(" {mark} {:<7}", h.hop.as_str()), style),
            Span::styled(format!("{:<12}", h.state.as_str()), style),
            Span::raw(safe(&h.evidence)),
        ]));
        if i + 1 < chain.len() {
            l.push(Line::styled(" │", t.dim()));
        }
    }
}

/// The lines of the push popup.
fn push_lines(app: &App, p: &PushVerdict, now: Timestamp) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut l = vec![
        styled_field("Status", push_badge(p.status), t.push_status(p.status), app),
        field("Profile", account_of(app, &p.profile, &p.region), app),
        field("Repository", safe(&p.push.repository), app),
        field("Digest", safe(&p.push.digest), app),
        field(
            "Tags",
            if p.push.tags.is_empty() { "<untagged>".to_string() } else { safe(&p.push.tags.join(", ")) },
            app,
        ),
        field("Pushed at", when(app, p.push.pushed_at, now), app),
    ];
    contents(app, p, &mut l);
    l.extend([field(
        "Watched by",
        if p.watched_by.is_empty() { "no pipeline".to_string() } else { safe(&p.watched_by.join(", ")) },
        app,
    )]);
    match &p.execution {
        Some(e) => {
            l.push(field(
                "Matched run",
                format!("{} {} ({})", safe(&e.pipeline), safe(&e.id), safe(e.status.as_str())),
                app,
            ));
            let how = match e.matched_by {
                MatchedBy::Digest => "by digest: the run's source revision is this image",
                MatchedBy::TagMoved => {
                    "by tag: the run started within the grace period and took a newer push of the same tag"
                }
                MatchedBy::Time => "by time: the run carries no revision and started within the grace period",
            };
            l.push(field("Matched", how, app));
        }
        None => l.push(field("Matched run", "none", app)),
    }
    if let Some(d) = &p.deployed_by {
        let who = d.started_by.as_deref().map_or_else(String::new, |w| format!(" by {}", safe(w)));
        l.push(field(
            "Deployed by",
            format!("{} {} ({}), {}{who}", safe(&d.pipeline), safe(&d.id), safe(d.status.as_str()), safe(&d.trigger)),
            app,
        ));
    }
    if let Some(who) = &p.pusher {
        let arn = who.arn.as_deref().map_or_else(|| "the account's own identity".to_string(), safe);
        let cross = if who.cross_account { ", from another account" } else { "" };
        l.push(field(
            "Pushed by",
            format!("{arn} ({}, account {}{cross})", safe(&who.identity_type), safe(&who.account)),
            app,
        ));
    }
    if p.tags_from_cloudtrail {
        let tags = safe(&p.recovered_tags.join(", "));
        let (comes, it) = if p.recovered_tags.len() == 1 { ("comes", "it") } else { ("come", "them") };
        l.push(field("", format!("{tags} {comes} from CloudTrail: the image no longer holds {it}"), app));
    }
    l.push(Line::raw(""));
    let grace = SignedDuration::try_from(app.grace).unwrap_or(SignedDuration::MAX);
    let account = account_of(app, &p.profile, &p.region);
    match p.status {
        PushStatus::Untriggered => {
            l.push(Line::styled("Why this matters", t.untriggered()));
            l.push(Line::raw(match &p.deployed_by {
                Some(d) => format!(
                    "This push started no run; run {} deployed its image without it. The trigger is broken: the \
                     next push will not deploy either.",
                    safe(&d.id)
                ),
                None => format!(
                    "No run of {} started within {} of this push, so this image was never deployed.",
                    safe(&p.watched_by.join(", ")),
                    human(grace)
                ),
            }));
        }
        PushStatus::Pending => {
            let deadline = p.push.pushed_at.checked_add(grace).unwrap_or(p.push.pushed_at);
            l.push(Line::styled("Pending", t.pending()));
            l.push(Line::raw(format!(
                "No run yet. Flagged as untriggered in {} (grace {}) if none starts.",
                human(deadline.duration_since(now)),
                human(grace)
            )));
        }
        PushStatus::Triggered => {}
        PushStatus::Unwatched => {
            l.push(Line::raw(format!(
                "No pipeline of {account} watches {} with one of these tags, so this push starts nothing by design.",
                safe(&p.push.repository)
            )));
        }
    }
    if !p.findings.is_empty() {
        l.push(Line::raw(""));
        let title = if p.status == PushStatus::Unwatched { "Note" } else { "Why it did not trigger" };
        l.push(Line::styled(title, t.title()));
        for f in &p.findings {
            let style = if p.status == PushStatus::Untriggered { t.untriggered() } else { t.pending() };
            l.push(Line::from(vec![
                Span::styled(format!("• {} ", f.code.as_str()), style),
                Span::raw(safe(&f.message)),
            ]));
            if p.status != PushStatus::Unwatched {
                for e in &f.evidence {
                    l.push(Line::from(vec![Span::styled("  seen: ", t.dim()), Span::raw(safe(e))]));
                }
                if let Some(i) = &f.inferred {
                    l.push(Line::from(vec![Span::styled("  inferred: ", t.dim()), Span::raw(safe(i))]));
                }
                l.push(Line::from(vec![Span::styled("  fix: ", t.dim()), Span::raw(safe(&f.fix))]));
            }
        }
    }
    chain_lines(app, &p.chain, &mut l);
    l
}

/// Artifacts listed one per line before the rest is counted.
const ARTIFACTS_LISTED: usize = 12;

/// The platform images and the attached artifacts of a push, one per line (nothing for a bare single image).
fn contents(app: &App, p: &PushVerdict, l: &mut Vec<Line<'static>>) {
    for (i, m) in p.push.manifests.iter().enumerate() {
        let platform = m.platform.as_deref().map_or_else(|| "unknown".to_string(), safe);
        l.push(field(
            if i == 0 { "Platforms" } else { "" },
            format!("{platform:<14} {}", safe(short_digest(&m.digest))),
            app,
        ));
    }
    for (i, a) in p.push.artifacts.iter().take(ARTIFACTS_LISTED).enumerate() {
        // An artifact of another kind is said by its media type.
        let media = match (a.kind, a.media_type.as_deref()) {
            (ArtifactKind::Other, Some(m)) => format!("  {}", safe(m)),
            _ => String::new(),
        };
        let line = format!("{:<14} {}{media}", a.kind.as_str(), safe(short_digest(&a.digest)));
        l.push(field(if i == 0 { "Attached" } else { "" }, line, app));
    }
    if p.push.artifacts.len() > ARTIFACTS_LISTED {
        l.push(field("", format!("… {} more", p.push.artifacts.len() - ARTIFACTS_LISTED), app));
    }
}

/// The lines of the execution popup.
fn exec_lines(app: &App, pl: &PipelineHistory, e: &Execution, now: Timestamp) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut l = vec![
        field("Pipeline", safe(&pl.name), app),
        field("Profile", account_of(app, &pl.profile, &pl.region), app),
        field("Id", safe(&e.id), app),
        styled_field("Status", safe(e.status.as_str()), t.exec_status(&e.status), app),
    ];
    if let Some(s) = &e.status_summary {
        l.push(field("Summary", safe(s), app));
    }
    l.push(field("Trigger", safe(&e.trigger), app));
    if let Some(d) = &e.trigger_detail {
        l.push(field("  detail", safe(d), app));
    }
    l.push(field("Started", when(app, e.started_at, now), app));
    let running = matches!(e.status, crate::model::ExecStatus::InProgress | crate::model::ExecStatus::Stopping);
    let duration = if running {
        format!("running for {}", human(now.duration_since(e.started_at)))
    } else {
        e.updated_at.map_or_else(|| "unknown".to_string(), |u| human(u.duration_since(e.started_at)))
    };
    l.push(field("Duration", duration, app));
    let sources: Vec<String> = pl.sources.iter().map(|s| safe(&format!("{}:{}", s.repository, s.tag))).collect();
    l.push(field("Watches", if sources.is_empty() { "no ECR source".to_string() } else { sources.join(", ") }, app));
    if let Some(why) = &pl.stale {
        l.push(styled_field("Stale", format!("the data of an earlier poll ({})", safe(why)), t.pending(), app));
    }
    l.push(Line::raw(""));
    l.push(Line::styled("Source revisions", t.title()));
    if e.revisions.is_empty() {
        l.push(Line::raw("  none recorded"));
    }
    for r in &e.revisions {
        l.push(Line::raw(format!("  {}  {}", safe(&r.action), safe(&r.revision_id))));
        if let Some(s) = &r.summary {
            l.push(Line::styled(format!("    {}", safe(s)), t.dim()));
        }
    }
    let matched: Vec<String> = app
        .analysis
        .pushes
        .iter()
        .filter(|p| {
            p.profile == pl.profile
                && p.region == pl.region
                && p.execution.as_ref().is_some_and(|x| x.pipeline == pl.name && x.id == e.id)
        })
        .map(|p| {
            format!("{} ({})", super::pushes::image(p), p.execution.as_ref().map_or("", |x| x.matched_by.as_str()))
        })
        .collect();
    if !matched.is_empty() {
        l.push(Line::raw(""));
        l.push(field("Started by", matched.join(", "), app));
    }
    l
}

fn gone(app: &App) -> Vec<Line<'static>> {
    vec![Line::styled("This item is no longer in the lookback window.", app.theme.dim())]
}

/// Where a popup of `lines` goes in `area`, and how far it can scroll (0 when everything fits).
fn geometry(area: Rect, lines: &[Line]) -> (Rect, u16) {
    let w = area.width.saturating_sub(4).min(110);
    // The rows the text takes wrapped as the paragraph wraps it, and the borders.
    let need = Paragraph::new(lines.to_vec()).wrap(Wrap { trim: false }).line_count(w.saturating_sub(2)) + 2;
    let h = u16::try_from(need).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    let visible = usize::from(h.saturating_sub(2));
    let max = u16::try_from(need.saturating_sub(2).saturating_sub(visible)).unwrap_or(u16::MAX);
    (centered(area, w, h), max)
}

/// The title and lines of the popup `popup`, or `None` for one that is not a details popup.
fn content(app: &App, popup: &Popup, now: Timestamp) -> Option<(String, Vec<Line<'static>>)> {
    match popup {
        Popup::Help => None,
        Popup::Push(key) => Some(match app.analysis.pushes.iter().find(|p| key.is(p)) {
            Some(p) => (format!(" push {} ", super::pushes::image(p)), push_lines(app, p, now)),
            None => (format!(" push {} ", safe(&key.repository)), gone(app)),
        }),
        Popup::Execution(key) => {
            let found = app
                .analysis
                .pipeline(&key.profile, &key.region, &key.pipeline)
                .and_then(|pl| Some((pl, pl.executions.iter().find(|e| e.id == key.id)?)));
            Some(match found {
                Some((pl, e)) => (format!(" execution of {} ", safe(&pl.name)), exec_lines(app, pl, e, now)),
                None => (format!(" execution of {} ", safe(&key.pipeline)), gone(app)),
            })
        }
    }
}

/// The title and lines of `popup`, with a last blank line standing for the console link row when there is one.
fn laid_out(app: &App, popup: &Popup, now: Timestamp) -> Option<(String, Vec<Line<'static>>, Option<String>)> {
    let (title, mut lines) = content(app, popup, now)?;
    let url = app.popup_url();
    if url.is_some() {
        lines.push(Line::raw(""));
    }
    Some((title, lines, url))
}

/// How far the open details popup can scroll on the app's terminal: its lines below the first screenful.
pub fn scroll_limit(app: &App, now: Timestamp) -> u16 {
    let Some((_, lines, _)) = app.popup.as_ref().and_then(|p| laid_out(app, p, now)) else { return 0 };
    geometry(app.area, &lines).1
}

/// Where the open popup's console link is drawn in `area`, its URL and the text shown there (the URL, cut to the
/// row): the loop writes an OSC 8 hyperlink over it.
pub fn link(app: &App, area: Rect, now: Timestamp) -> Option<(Rect, String, String)> {
    let (_, lines, url) = app.popup.as_ref().and_then(|p| laid_out(app, p, now))?;
    let url = url?;
    let (popup, _) = geometry(area, &lines);
    let inner = Block::default().borders(Borders::ALL).inner(popup);
    if inner.height < 2 {
        return None;
    }
    let row = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
    let label = "console ";
    let room = usize::from(row.width).saturating_sub(label.len());
    let shown = fit(&url, room).into_owned();
    let at =
        Rect::new(row.x + u16::try_from(label.len()).unwrap_or(0), row.y, u16::try_from(width(&shown)).unwrap_or(0), 1);
    Some((at, url, shown))
}

/// Draws the details popup `popup` (a push or an execution) centred in `area`, scrolled to `app.popup_scroll`, its
/// console link on the last row.
pub fn draw(f: &mut Frame, area: Rect, app: &App, popup: &Popup, now: Timestamp) {
    let Some((title, lines, url)) = laid_out(app, popup, now) else { return };
    let (popup, max) = geometry(area, &lines);
    let scroll = app.popup_scroll.min(max);
    f.render_widget(Clear, popup);
    let keys = |a| app.keys.keys(a).first().map_or_else(|| "-".to_string(), super::key_label);
    let footer = format!(
        " {} open · {} copy · {}{} ",
        keys(Action::Open),
        keys(Action::Copy),
        if max > 0 { "j/k scroll · " } else { "" },
        format_args!("{} closes", keys(Action::Back)),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(Line::styled(title, app.theme.title()))
        .title_bottom(Line::styled(footer, app.theme.dim()).right_aligned());
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let text_area = match url {
        Some(_) if inner.height >= 2 => Rect { height: inner.height - 1, ..inner },
        _ => inner,
    };
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), text_area);
    if let Some((at, _, shown)) = link(app, area, now).filter(|_| url.is_some()) {
        let row = Rect::new(inner.x, at.y, inner.width, 1);
        let line = Line::from(vec![Span::styled("console ", app.theme.dim()), Span::styled(shown, app.theme.link())]);
        f.render_widget(Paragraph::new(line), row);
    }
}

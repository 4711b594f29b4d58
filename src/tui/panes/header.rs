//! The header: a summary line (untriggered count, active filters) and one line per profile with its identity,
//! region, poll age, a spinner while polling and an error badge when failing.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, safe, width};
use crate::display::age;
use crate::tui::app::{App, ProfileFeed};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame shown at `now`.
pub fn spinner(now: Timestamp) -> &'static str {
    let i = usize::try_from(now.as_millisecond().rem_euclid(1000) / 100).unwrap_or(0);
    SPINNER[i % SPINNER.len()]
}

/// Draws the header into `area`.
pub fn draw(f: &mut Frame, area: Rect, app: &App, now: Timestamp) {
    let mut lines = vec![summary(app, usize::from(area.width))];
    let name_w = app.metas.iter().map(|m| width(&safe(&m.name))).max().unwrap_or(0).min(20);
    for (i, meta) in app.metas.iter().enumerate() {
        let st = &app.profiles[i];
        lines.push(profile_line(app, &meta.name, &meta.region, st, name_w, usize::from(area.width), now));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn summary(app: &App, w: usize) -> Line<'static> {
    let t = app.theme;
    let c = app.analysis.counts();
    let mut spans = vec![Span::styled(" pipewatch ", t.title())];
    if app.loading() {
        spans.push(Span::styled("waiting for the first poll", t.dim()));
    } else if c.untriggered > 0 {
        spans.push(Span::styled(format!("!! {} UNTRIGGERED", c.untriggered), t.untriggered()));
    } else {
        spans.push(Span::styled("no untriggered push", t.ok()));
    }
    let mut right = Vec::new();
    if app.filters.flagged_only {
        right.push("[flagged only]".to_string());
    }
    if let Some(p) = app.filters.profile_label(app.analysis.several_regions()) {
        right.push(format!("[profile {}]", safe(&p)));
    }
    if let Some(k) = &app.filters.pipeline {
        right.push(format!("[pipeline {}]", safe(&k.name)));
    }
    if app.sort == crate::tui::view::Sort::Time {
        right.push("[newest first]".to_string());
    }
    if !app.filters.text.is_empty() {
        right.push(format!("[/{}]", safe(&app.filters.text)));
    }
    let r = right.join(" ");
    if !app.loading() {
        // The counts give way to the active filters on a narrow screen.
        let counts = format!("  {} pending · {} triggered · {} unwatched", c.pending, c.triggered, c.unwatched);
        let left_w: usize = spans.iter().map(|s| width(&s.content)).sum();
        let need = if r.is_empty() { 0 } else { width(&r) + 2 };
        if left_w + width(&counts) + need <= w {
            spans.push(Span::styled(counts, t.dim()));
        }
    }
    if !right.is_empty() {
        let left_w: usize = spans.iter().map(|s| width(&s.content)).sum();
        let room = w.saturating_sub(left_w + 2);
        if room >= 8 {
            let r = fit(&r, room).into_owned();
            let pad = w.saturating_sub(left_w + width(&r) + 1);
            spans.push(Span::raw(" ".repeat(pad)));
            spans.push(Span::styled(r, t.pending()));
        }
    }
    Line::from(spans)
}

/// The part of a caller ARN worth showing next to the account id: `assumed-role/pipewatch-read/pipewatch`.
fn principal(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

fn profile_line(
    app: &App,
    name: &str,
    region: &str,
    st: &ProfileFeed,
    name_w: usize,
    w: usize,
    now: Timestamp,
) -> Line<'static> {
    let t = app.theme;
    let (icon, icon_style) = if st.polling {
        (spinner(now), t.pending())
    } else if st.error.is_some() {
        ("x", t.error())
    } else if st.last_success.is_some() {
        ("●", t.ok())
    } else {
        ("○", t.dim())
    };
    let name = safe(name);
    let name = format!("{}{}", fit(&name, name_w), " ".repeat(name_w.saturating_sub(width(&name))));
    let ident = st.snapshot.as_ref().and_then(|s| s.identity.as_ref());
    let account = ident.map_or_else(|| "????????????".to_string(), |i| safe(&i.account));
    let polled = match (st.last_success, st.polling) {
        (Some(at), _) => format!("polled {} ago", age(now, at)),
        (None, true) => "polling…".to_string(),
        (None, false) => "never polled".to_string(),
    };
    // Mandatory part, then optional parts while they fit, then the error badge with what room is left.
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(icon.to_string(), icon_style),
        Span::raw(" "),
        Span::styled(name, Style::new().add_modifier(ratatui::style::Modifier::BOLD)),
        Span::raw("  "),
        Span::raw(account),
    ];
    let mut used: usize = spans.iter().map(|s| width(&s.content)).sum();
    // A failing profile shows its whole error first; optional parts go in priority order while they fit.
    let error_room = st.error.as_ref().map_or(0, |e| width(&safe(e)) + 22);
    let mut optional = vec![(format!("  {polled}"), t.dim())];
    if let Some(i) = ident {
        optional.push((format!("  {}", safe(principal(&i.arn))), Style::new()));
    }
    optional.push((format!("  {}", safe(region)), t.dim()));
    for (text, style) in optional {
        let tw = width(&text);
        if used + tw + error_room > w {
            break;
        }
        used += tw;
        spans.push(Span::styled(text, style));
    }
    if let Some(err) = &st.error {
        let badge = if st.snapshot.is_some() { "  ERROR (stale data): " } else { "  ERROR: " };
        let room = w.saturating_sub(used + width(badge));
        spans.push(Span::styled(badge, t.error()));
        spans.push(Span::styled(fit(&safe(err), room).into_owned(), t.error()));
    } else if let Some(warnings) = st.snapshot.as_ref().map(|s| &s.warnings).filter(|w| !w.is_empty()) {
        // Warnings (e.g. a configured repository that does not exist) take what room is left.
        let more = if warnings.len() > 1 { format!(" (+{} more)", warnings.len() - 1) } else { String::new() };
        let text = format!("  warning: {}{more}", safe(&warnings[0]));
        let room = w.saturating_sub(used);
        if room >= 12 {
            spans.push(Span::styled(fit(&text, room).into_owned(), t.pending()));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_drops_the_arn_prefix() {
        assert_eq!(principal("arn:aws:sts::111111111111:assumed-role/r/s"), "assumed-role/r/s");
        assert_eq!(principal("weird"), "weird");
    }
}

//! The whole screen: header, the two panes side by side, the footer, and any popup on top, placed by
//! `layout::Screen`. Drawing only: a function of `&App` and `now` that writes into the frame and nowhere else.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Popup};
use super::layout::{MIN_HEIGHT, MIN_WIDTH, Screen};
use super::panes::{self, details, executions, header, help, pipelines, pushes, width};
use super::view::Pane;
use crate::config::keys::Action;
use crate::display::age;

/// Draws the whole screen at the frame's size (normally `app.area`; a frame of another size is drawn correctly too).
pub fn draw(f: &mut Frame, app: &App, now: Timestamp) {
    let area = f.area();
    let Some(screen) = Screen::of(area, app.metas.len()) else {
        too_small(f, area);
        return;
    };
    header::draw(f, screen.header, app, now);
    if app.focus == Pane::Pipelines {
        pipelines::draw(f, screen.body, app, now);
    } else {
        pushes::draw(f, screen.pushes, app, now);
        executions::draw(f, screen.executions, app, now);
    }
    footer(f, screen.footer, app, now);
    match &app.popup {
        None => {}
        Some(Popup::Help) => help::draw(f, screen.body, app),
        Some(popup) => details::draw(f, area, app, popup, now),
    }
}

fn too_small(f: &mut Frame, area: Rect) {
    let msg = format!(
        "terminal too small ({}x{}), need at least {MIN_WIDTH}x{MIN_HEIGHT} (q quits)",
        area.width, area.height
    );
    let h = u16::try_from(width(&msg).div_ceil(usize::from(area.width.max(1)))).unwrap_or(1);
    let [_, mid, _] = Layout::vertical([Constraint::Fill(1), Constraint::Length(h), Constraint::Fill(1)]).areas(area);
    f.render_widget(Paragraph::new(msg).centered().wrap(Wrap { trim: true }), mid);
}

fn footer(f: &mut Frame, area: Rect, app: &App, now: Timestamp) {
    let t = app.theme;
    let w = usize::from(area.width);
    let right = match app.next_poll() {
        _ if app.busy() => format!("{} polling", header::spinner(now)),
        Some(at) if at > now => {
            format!("next poll {} (in {})", at.to_zoned(app.tz.clone()).strftime("%H:%M:%S"), age(at, now))
        }
        Some(_) => "next poll now".to_string(),
        None => "first poll…".to_string(),
    };
    let notice = app.notice.as_ref().filter(|n| n.until > now);
    let left: Vec<Span> = if let Some(n) = notice.filter(|_| !app.editing) {
        let style = if n.error { t.error() } else { t.ok() };
        let room = w.saturating_sub(width(&right) + 2);
        vec![Span::raw(" "), Span::styled(panes::fit(&panes::safe(&n.text), room).into_owned(), style)]
    } else if app.editing {
        vec![
            Span::styled(" filter: ", t.title()),
            Span::raw(panes::safe(&app.filters.text)),
            Span::styled("█", t.dim()),
            Span::styled("  Enter keeps · Esc clears", t.dim()),
        ]
    } else {
        let actions = [
            (Action::Quit, "quit"),
            (Action::Help, "help"),
            (Action::NextPane, "pane"),
            (Action::Details, "details"),
            (Action::Filter, "filter"),
            (Action::Flagged, "flagged"),
            (Action::NextProfile, "profile"),
            (Action::Open, "open"),
            (Action::Copy, "copy"),
            (Action::Pipelines, "pipelines"),
            (Action::Sort, "sort"),
            (Action::PollNow, "poll"),
        ];
        let mut spans = Vec::new();
        let mut used = 0;
        for (action, what) in actions {
            let Some(key) = app.keys.keys(action).first().map(panes::key_label) else { continue };
            let k = key.as_str();
            let piece = width(k) + width(what) + 3;
            if used + piece + width(&right) + 1 > w {
                break;
            }
            used += piece;
            spans.push(Span::styled(format!(" {k}"), t.title()));
            spans.push(Span::styled(format!(" {what} "), t.dim()));
        }
        spans
    };
    let used: usize = left.iter().map(|s| width(&s.content)).sum();
    let mut spans = left;
    spans.push(Span::raw(" ".repeat(w.saturating_sub(used + width(&right) + 1))));
    spans.push(Span::styled(right, t.dim()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

//! The `help` overlay: every action with the keys it has now (the defaults, or what `[keys]` says), in one box.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::config::keys::Action;
use crate::tui::app::App;

/// The rows of the overlay: one action, or two that go together (`up` / `down`), and what they do.
const ROWS: &[(&[Action], &str)] = &[
    (&[Action::Quit], "quit"),
    (&[Action::Back], "close popup / filter / pipelines view, else quit"),
    (&[Action::NextPane, Action::PrevPane], "next / previous pane: pushes, executions, pipelines"),
    (&[Action::Left, Action::Right], "pushes / executions pane"),
    (&[Action::Up, Action::Down], "move (scroll a popup)"),
    (&[Action::Top, Action::Bottom], "top / bottom"),
    (&[Action::PageUp, Action::PageDown], "page up / down"),
    (&[Action::Details], "details; on a pipeline: only its pushes and runs"),
    (&[Action::Filter], "filter: repository, tag, pipeline, profile"),
    (&[Action::Flagged], "flagged only: untriggered pushes and their pipelines"),
    (&[Action::NextProfile], "cycle profiles: all → each → all"),
    (&[Action::Pipelines], "pipelines view, worst first"),
    (&[Action::Sort], "sort pushes: attention first / newest first"),
    (&[Action::Open], "open the selected item in the AWS console"),
    (&[Action::Copy], "copy digest / execution id / link (OSC 52)"),
    (&[Action::PollNow], "poll every profile now"),
    (&[Action::Help], "this help"),
];

/// Draws the help overlay centred in `area`.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = app.theme;
    let mut lines: Vec<Line> = ROWS
        .iter()
        .map(|(actions, what)| {
            let keys: Vec<String> = actions.iter().map(|a| app.keys.shown(*a)).collect();
            Line::from(vec![Span::styled(format!(" {:<20} ", keys.join(" / ")), t.title()), Span::raw(*what)])
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<20} ", "mouse"), t.title()),
        Span::raw("wheel scrolls, click selects"),
    ]));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, 78, h);
    f.render_widget(Clear, popup);
    let back = app.keys.keys(Action::Back).first().map_or_else(|| "q".to_string(), super::key_label);
    let title = format!(" keys ({back} closes) ");
    let block = Block::default().borders(Borders::ALL).border_style(t.border(true)).title(title);
    f.render_widget(Paragraph::new(lines).block(block), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row() {
        for a in Action::ALL {
            assert!(ROWS.iter().any(|(actions, _)| actions.contains(&a)), "{} missing from help", a.name());
        }
    }
}

//! The `?` overlay: every key, in one box.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::tui::app::App;

/// The keys and what they do, as shown in the overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("Esc", "close popup / clear filter, else quit"),
    ("Tab  ← →  h l", "switch pane"),
    ("j k  ↓ ↑", "move"),
    ("g G  Home End", "top / bottom"),
    ("PgUp PgDn", "page up / down"),
    ("Enter", "details of the selected item"),
    ("r", "poll every profile now"),
    ("/", "filter by repository, tag, pipeline, profile"),
    ("", "(Enter keeps it, Esc clears it)"),
    ("f", "flagged only: untriggered pushes and their pipelines"),
    ("p", "cycle profiles: all → each → all"),
    ("mouse", "wheel scrolls, click selects"),
    ("?", "this help"),
];

/// Draws the help overlay.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = app.theme;
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!(" {k:<14} "), t.title()), Span::raw(*what)]))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" !! UNTRIGGERED: a watched push older than the grace period with no run", t.dim()));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, 74, h);
    f.render_widget(Clear, popup);
    let block = Block::default().borders(Borders::ALL).border_style(t.border(true)).title(" keys (Esc closes) ");
    f.render_widget(Paragraph::new(lines).block(block), popup);
}

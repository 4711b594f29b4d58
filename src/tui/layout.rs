//! Where each part of the screen goes at a given terminal size: one pure function that the drawing code and
//! `update` (mouse hits, the PgUp/PgDn step, scroll offsets) both use, so neither depends on what the other left.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use super::view::Pane;

/// Smallest usable terminal.
pub const MIN_WIDTH: u16 = 60;
/// Smallest usable terminal.
pub const MIN_HEIGHT: u16 = 15;

/// The parts of a screen big enough for the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// The summary line and one line per profile.
    pub header: Rect,
    /// Both panes (the help overlay is centred in it).
    pub body: Rect,
    pub pushes: Rect,
    pub executions: Rect,
    /// Keys, or the filter being typed, and the next poll.
    pub footer: Rect,
}

impl Screen {
    /// The layout of a terminal of `area` showing `profiles` profiles; `None` below the minimum size.
    pub fn of(area: Rect, profiles: usize) -> Option<Self> {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            return None;
        }
        let header_height = 1 + u16::try_from(profiles).unwrap_or(u16::MAX);
        let [header, body, footer] =
            Layout::vertical([Constraint::Length(header_height), Constraint::Min(5), Constraint::Length(1)])
                .areas(area);
        // Narrow screens give the pushes (the point of the tool) a larger share.
        let left = if area.width < 120 { 60 } else { 55 };
        let [pushes, executions] =
            Layout::horizontal([Constraint::Percentage(left), Constraint::Percentage(100 - left)]).areas(body);
        Some(Self { header, body, pushes, executions, footer })
    }

    /// Where `pane` is drawn (the pipelines view takes the whole body).
    pub fn pane(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Pushes => self.pushes,
            Pane::Executions => self.executions,
            Pane::Pipelines => self.body,
        }
    }

    /// The pane under the terminal cell (`x`, `y`) while `focus` has the focus (the pipelines view hides the
    /// other two).
    pub fn pane_at(&self, x: u16, y: u16, focus: Pane) -> Option<Pane> {
        let shown: &[Pane] =
            if focus == Pane::Pipelines { &[Pane::Pipelines] } else { &[Pane::Pushes, Pane::Executions] };
        shown.iter().copied().find(|&p| self.pane(p).contains(Position { x, y }))
    }
}

/// How many rows of a list a pane drawn in `area` shows (inside its border, below the column header).
pub fn list_height(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// The list row (counted from the first visible one) drawn at terminal line `y` of a pane in `area`, if any.
pub fn list_row_at(area: Rect, y: u16) -> Option<usize> {
    let row = usize::from(y.checked_sub(area.y + 2)?);
    (row < list_height(area)).then_some(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_share_the_body_below_the_header() {
        assert_eq!(Screen::of(Rect::new(0, 0, 59, 40), 2), None);
        assert_eq!(Screen::of(Rect::new(0, 0, 200, 14), 2), None);
        let s = Screen::of(Rect::new(0, 0, 80, 24), 2).expect("big enough");
        assert_eq!((s.header.height, s.footer.y), (3, 23));
        assert_eq!((s.pushes, s.executions), (Rect::new(0, 3, 48, 20), Rect::new(48, 3, 32, 20)));
        assert_eq!(list_height(s.pushes), 17);
        assert_eq!(
            (s.pane_at(47, 3, Pane::Pushes), s.pane_at(48, 22, Pane::Pushes), s.pane_at(10, 23, Pane::Pushes)),
            (Some(Pane::Pushes), Some(Pane::Executions), None)
        );
        // Border and column header first, then the rows, then the bottom border.
        assert_eq!(
            (list_row_at(s.pushes, 4), list_row_at(s.pushes, 5), list_row_at(s.pushes, 21)),
            (None, Some(0), Some(16))
        );
        assert_eq!(list_row_at(s.pushes, 22), None);
        assert_eq!(s.pane_at(60, 10, Pane::Pipelines), Some(Pane::Pipelines), "the pipelines view is the whole body");
    }
}

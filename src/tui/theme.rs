//! Colours and emphasis in one place, so that `NO_COLOR` turns every colour off while bold, reverse video and the
//! text markers (`!! UNTRIGGERED`, `ERROR`) still carry the meaning.

use ratatui::style::{Color, Modifier, Style};

use crate::analysis::correlate::PushStatus;
use crate::model::ExecStatus;

/// The styles the panes use; `color == false` keeps modifiers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    /// An untriggered push: the thing to look at.
    pub fn untriggered(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Errors and failed profiles.
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Something waiting: a pending push, a running execution, a poll in flight.
    pub fn pending(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Healthy things.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    /// Titles and key names.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Column headers.
    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The border of the focused pane (and of popups).
    pub fn border(self, focused: bool) -> Style {
        if focused { self.fg(Color::Cyan).add_modifier(Modifier::BOLD) } else { self.dim() }
    }

    /// The selected row: reverse video in the focused pane, bold elsewhere.
    pub fn selected(self, focused: bool) -> Style {
        if focused { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new().add_modifier(Modifier::BOLD) }
    }

    /// A push status badge.
    pub fn push_status(self, s: PushStatus) -> Style {
        match s {
            PushStatus::Untriggered => self.untriggered(),
            PushStatus::Pending => self.pending(),
            PushStatus::Triggered => self.ok(),
            PushStatus::Unwatched => self.dim(),
        }
    }

    /// An execution status.
    pub fn exec_status(self, s: &ExecStatus) -> Style {
        match s {
            ExecStatus::Succeeded => self.ok(),
            ExecStatus::InProgress | ExecStatus::Stopping => self.pending(),
            ExecStatus::Failed => self.error(),
            ExecStatus::Stopped | ExecStatus::Cancelled | ExecStatus::Superseded | ExecStatus::Other(_) => self.dim(),
        }
    }
}

/// The text badge of a push status; readable without colour.
pub fn push_badge(s: PushStatus) -> &'static str {
    match s {
        PushStatus::Untriggered => "!! UNTRIGGERED",
        PushStatus::Pending => ".. pending",
        PushStatus::Triggered => "ok triggered",
        PushStatus::Unwatched => "-- unwatched",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_only_emphasis_remains() {
        let plain = Theme { color: false };
        assert_eq!(plain.untriggered(), Style::new().add_modifier(Modifier::BOLD));
    }
}

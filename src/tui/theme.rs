//! Colours and emphasis in one place, so that `NO_COLOR` turns every colour off while bold, reverse video and the
//! text markers (`!! UNTRIGGERED`, `ERROR`) still carry the meaning.

use ratatui::style::{Color, Modifier, Style};

use crate::analysis::correlate::PushStatus;
use crate::config::theme::{Colour, Preset, ThemeConfig};
use crate::model::ExecStatus;

/// The colour of each kind of thing on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub untriggered: Color,
    pub error: Color,
    pub pending: Color,
    pub ok: Color,
    pub dim: Color,
    pub title: Color,
    pub link: Color,
}

impl Palette {
    /// For a dark background (the default).
    pub const DARK: Palette = Palette {
        untriggered: Color::Red,
        error: Color::Red,
        pending: Color::Yellow,
        ok: Color::Green,
        dim: Color::DarkGray,
        title: Color::Cyan,
        link: Color::Cyan,
    };

    /// For a light background: no yellow or cyan on white.
    pub const LIGHT: Palette = Palette {
        untriggered: Color::Red,
        error: Color::Red,
        pending: Color::Indexed(130),
        ok: Color::Indexed(28),
        dim: Color::Gray,
        title: Color::Blue,
        link: Color::Blue,
    };
}

/// The styles the panes use; `color == false` keeps modifiers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub palette: Palette,
}

impl Theme {
    /// The default (dark) theme; `color == false` keeps modifiers only.
    pub fn of(color: bool) -> Self {
        Theme { color, palette: Palette::DARK }
    }

    /// The theme `[theme]` asks for; `color == false` (`NO_COLOR`, not a terminal) wins over it.
    pub fn configured(config: &ThemeConfig, color: bool) -> Self {
        let mut palette = match config.preset {
            Preset::Light => Palette::LIGHT,
            Preset::Dark | Preset::Mono => Palette::DARK,
        };
        for &(name, colour) in &config.colours {
            let c = to_color(colour);
            match name {
                "untriggered" => palette.untriggered = c,
                "error" => palette.error = c,
                "pending" => palette.pending = c,
                "ok" => palette.ok = c,
                "dim" => palette.dim = c,
                "title" => palette.title = c,
                _ => palette.link = c,
            }
        }
        Theme { color: color && config.preset != Preset::Mono, palette }
    }

    fn fg(self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    /// An untriggered push: the thing to look at.
    pub fn untriggered(self) -> Style {
        self.fg(self.palette.untriggered).add_modifier(Modifier::BOLD)
    }

    /// Errors and failed profiles.
    pub fn error(self) -> Style {
        self.fg(self.palette.error).add_modifier(Modifier::BOLD)
    }

    /// Something waiting: a pending push, a running execution, a poll in flight.
    pub fn pending(self) -> Style {
        self.fg(self.palette.pending)
    }

    /// Healthy things.
    pub fn ok(self) -> Style {
        self.fg(self.palette.ok)
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(self.palette.dim) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    /// Titles and key names.
    pub fn title(self) -> Style {
        self.fg(self.palette.title).add_modifier(Modifier::BOLD)
    }

    /// A link (underlined, so that it reads as one without colour).
    pub fn link(self) -> Style {
        self.fg(self.palette.link).add_modifier(Modifier::UNDERLINED)
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

/// A `[theme]` colour as the terminal's.
fn to_color(c: Colour) -> Color {
    const ANSI: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match c {
        Colour::Default => Color::Reset,
        Colour::Named(i) => ANSI.get(usize::from(i)).copied().unwrap_or(Color::Reset),
        Colour::Indexed(i) => Color::Indexed(i),
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
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
        let plain = Theme::of(false);
        assert_eq!(plain.untriggered(), Style::new().add_modifier(Modifier::BOLD));
    }

    #[test]
    fn presets_and_overrides_pick_the_colours() {
        let config = ThemeConfig {
            preset: Preset::Light,
            colours: vec![("pending", Colour::Rgb(1, 2, 3)), ("title", Colour::Named(5))],
        };
        let t = Theme::configured(&config, true);
        assert_eq!(t.pending().fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(t.title().fg, Some(Color::Magenta));
        assert_eq!(t.ok().fg, Some(Color::Indexed(28)), "the light preset's");
        let mono = Theme::configured(&ThemeConfig { preset: Preset::Mono, colours: vec![] }, true);
        assert_eq!(mono.untriggered(), Style::new().add_modifier(Modifier::BOLD));
        assert_eq!(Theme::configured(&config, false).pending(), Style::new(), "NO_COLOR wins");
    }
}

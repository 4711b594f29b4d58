//! `[theme]`: a preset (`dark`, `light`, `mono`) and named colours that override it. Pure: the dashboard turns
//! [`Colour`]s into terminal colours.

/// A theme preset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Preset {
    /// Colours for a dark background (the default).
    #[default]
    Dark,
    /// Colours that stay readable on a light background.
    Light,
    /// No colour at all: bold, reverse video and the text markers only (as with `NO_COLOR`).
    Mono,
}

impl Preset {
    /// The preset named `name`.
    pub fn named(name: &str) -> Option<Preset> {
        match name {
            "dark" => Some(Preset::Dark),
            "light" => Some(Preset::Light),
            "mono" => Some(Preset::Mono),
            _ => None,
        }
    }
}

/// A colour of `[theme]`: one of the 16 named ANSI colours, an index of the 256-colour palette, `#rrggbb`, or the
/// terminal's own (`default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// The terminal's default colour.
    Default,
    /// ANSI colour 0–15 (`black` … `white`).
    Named(u8),
    /// 256-colour palette index.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The names of the 16 ANSI colours, in index order (`gray` is 7, `darkgray` 8).
pub const COLOUR_NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

impl Colour {
    /// Reads `"red"`, `"light-red"`, `"#ff8800"`, `"208"` or `"default"`.
    pub fn parse(s: &str) -> Result<Colour, String> {
        let name: String = s.trim().to_ascii_lowercase().chars().filter(|c| !matches!(c, '-' | '_' | ' ')).collect();
        let name = name.replace("grey", "gray");
        if name == "default" || name == "reset" {
            return Ok(Colour::Default);
        }
        if let Some(i) = COLOUR_NAMES.iter().position(|n| *n == name) {
            return Ok(Colour::Named(u8::try_from(i).unwrap_or(0)));
        }
        if let Some(hex) = name.strip_prefix('#')
            && hex.len() == 6
            && let Ok(v) = u32::from_str_radix(hex, 16)
        {
            let [_, r, g, b] = v.to_be_bytes();
            return Ok(Colour::Rgb(r, g, b));
        }
        if let Ok(i) = name.parse::<u8>() {
            return Ok(Colour::Indexed(i));
        }
        Err(format!(
            "unknown colour {s:?} (expected a name such as red or lightblue, #rrggbb, a 256-colour index 0-255, or \
             default)"
        ))
    }
}

/// The named colours a theme may override, each the colour of one kind of thing on screen.
pub const THEME_COLOURS: [&str; 7] = ["untriggered", "error", "pending", "ok", "dim", "title", "link"];

/// `[theme]` as resolved: the preset and the overridden colours, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThemeConfig {
    pub preset: Preset,
    /// `(name, colour)` for each key of [`THEME_COLOURS`] the table sets.
    pub colours: Vec<(&'static str, Colour)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_read_by_name_index_and_hex() {
        assert_eq!(Colour::parse("red"), Ok(Colour::Named(1)));
        assert_eq!(Colour::parse("Light-Blue"), Ok(Colour::Named(12)));
        assert_eq!(Colour::parse("dark_grey"), Ok(Colour::Named(8)));
        assert_eq!(Colour::parse("#FF8800"), Ok(Colour::Rgb(255, 136, 0)));
        assert_eq!(Colour::parse("208"), Ok(Colour::Indexed(208)));
        assert_eq!(Colour::parse("default"), Ok(Colour::Default));
        for bad in ["orangeish", "#12345", "256", "#gggggg", ""] {
            assert!(Colour::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Preset::named("light"), Some(Preset::Light));
        assert_eq!(Preset::named("solarized"), None);
    }
}

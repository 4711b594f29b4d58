//! The config's error type, and how its messages spell paths, positions, tables and user values (always one line).

use std::path::{Path, PathBuf};

/// A 1-based position in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    /// Counted in characters, not bytes.
    pub column: usize,
}

/// Everything that can go wrong while locating, reading, parsing or applying the config.
///
/// Every variant's `Display` is one line meant for a human.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither `--config`, `$PIPEWATCH_CONFIG`, `$XDG_CONFIG_HOME` nor `$HOME` is usable.
    #[error("cannot locate the config file: pass --config PATH, or set PIPEWATCH_CONFIG, XDG_CONFIG_HOME or HOME")]
    NoLocation,
    /// The file named by `--config` or `$PIPEWATCH_CONFIG` does not exist (a default location that holds no file
    /// means the ambient credentials instead, see `load_or_ambient`).
    #[error(
        "{}: config file not found (check the path, or write one there with `pipewatch init --output PATH`)",
        show_path(.path)
    )]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read (permissions, a directory, ...).
    #[error("{}: cannot read config file: {}", show_path(.path), one_line(&.error.to_string()))]
    Read { path: PathBuf, error: std::io::Error },
    /// The file is larger than any sane config file.
    #[error("{}: config file is larger than {limit} bytes", show_path(.path))]
    TooLarge { path: PathBuf, limit: u64 },
    /// The file is not UTF-8.
    #[error("{}: config file is not valid UTF-8 (at {})", show_path(.path), show_location(.location))]
    NotUtf8 { path: PathBuf, location: Location },
    /// Malformed TOML, an unknown key, a wrong type or a value that fails validation.
    /// `message` is already one line and names the table and key where known.
    #[error("{}: {message}", show_path_at(.path, .location))]
    Invalid { path: PathBuf, location: Option<Location>, message: String },
    /// The file has no `[profiles.NAME]` table.
    #[error(
        "no [profiles.*] table in {} (add at least one [profiles.NAME] table; `pipewatch init --output -` prints an \
         example)",
        show_path(.path)
    )]
    NoProfiles { path: PathBuf },
    /// `--profile NAME` does not name a profile of the file.
    #[error(
        "unknown profile {} (profiles in {}: {})",
        quote(.name), show_path(.path), .known.join(", ")
    )]
    UnknownProfile { path: PathBuf, name: String, known: Vec<String> },
    /// An override is invalid (e.g. a zero duration).
    #[error("--{flag}: {message}")]
    InvalidOverride { flag: &'static str, message: String },
}

/// 1-based line and character column of a byte offset.
pub(super) fn location_of(text: &str, offset: usize) -> Location {
    let mut location = Location { line: 1, column: 1 };
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            location.line += 1;
            location.column = 1;
        } else {
            location.column += 1;
        }
    }
    location
}

fn show_location(location: &Location) -> String {
    format!("line {}, column {}", location.line, location.column)
}

pub(super) fn show_path(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() { "\"\"".to_owned() } else { one_line(&shown) }
}

fn show_path_at(path: &Path, location: &Option<Location>) -> String {
    match location {
        Some(l) => format!("{}:{}:{}", show_path(path), l.line, l.column),
        None => show_path(path),
    }
}

/// `[profiles.account-a]`, quoting segments that are not bare TOML keys; absurdly deep
/// paths are elided in the middle.
pub(super) fn show_table(segments: &[String]) -> String {
    let mut inner: Vec<String> = segments.iter().map(|s| show_key(s)).collect();
    if inner.len() > 8 {
        inner.splice(4..inner.len() - 2, ["…".to_owned()]);
    }
    format!("[{}]", inner.join("."))
}

/// A key as written in TOML: bare when it can be, else quoted.
pub(super) fn show_key(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_owned() } else { quote(key) }
}

/// A user value in double quotes, escaped, and shortened if long.
pub(super) fn quote(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

/// Escape control characters (newlines included) so a message stays on one line.
pub(super) fn one_line(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

//! `[keys]`: which keys do what in the dashboard. Actions have names (`quit`, `filter`, …) and default keys; the
//! table maps an action to the keys that replace its defaults. Keys are written as people say them: `"q"`,
//! `"G"`, `"ctrl-c"`, `"alt-x"`, `"shift-tab"`, `"f5"`, `"enter"`, `"space"`, `"pagedown"`.
//!
//! Pure: the terminal's key events are turned into [`Key`]s by the dashboard.

use std::fmt;

/// Something the dashboard does on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Back,
    Help,
    NextPane,
    PrevPane,
    Left,
    Right,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Details,
    Filter,
    Flagged,
    NextProfile,
    Pipelines,
    Sort,
    Open,
    Copy,
    PollNow,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Action; 22] = [
        Action::Quit,
        Action::Back,
        Action::Help,
        Action::NextPane,
        Action::PrevPane,
        Action::Left,
        Action::Right,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Details,
        Action::Filter,
        Action::Flagged,
        Action::NextProfile,
        Action::Pipelines,
        Action::Sort,
        Action::Open,
        Action::Copy,
        Action::PollNow,
    ];

    /// The name used in `[keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Help => "help",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Left => "left",
            Action::Right => "right",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Details => "details",
            Action::Filter => "filter",
            Action::Flagged => "flagged",
            Action::NextProfile => "next_profile",
            Action::Pipelines => "pipelines",
            Action::Sort => "sort",
            Action::Open => "open",
            Action::Copy => "copy",
            Action::PollNow => "poll_now",
        }
    }

    /// The keys it has unless `[keys]` says otherwise.
    pub fn defaults(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q", "ctrl-c"],
            Action::Back => &["esc"],
            Action::Help => &["?"],
            Action::NextPane => &["tab"],
            Action::PrevPane => &["shift-tab"],
            Action::Left => &["left", "h"],
            Action::Right => &["right", "l"],
            Action::Up => &["up", "k"],
            Action::Down => &["down", "j"],
            Action::Top => &["home", "g"],
            Action::Bottom => &["end", "G"],
            Action::PageUp => &["pageup"],
            Action::PageDown => &["pagedown"],
            Action::Details => &["enter"],
            Action::Filter => &["/"],
            Action::Flagged => &["f"],
            Action::NextProfile => &["p"],
            Action::Pipelines => &["v"],
            Action::Sort => &["s"],
            Action::Open => &["o"],
            Action::Copy => &["y"],
            Action::PollNow => &["r"],
        }
    }

    /// The action named `name` in `[keys]`.
    pub fn named(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A character (its case is the key's: `G` is shift-g).
    Char(char),
    /// A function key, F1–F24.
    F(u8),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

/// A key with its modifiers, as written in `[keys]` and as the dashboard receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    /// Only for keys that are not characters (a character carries its case).
    pub shift: bool,
}

impl Key {
    /// A key with no modifier.
    pub fn plain(code: KeyCode) -> Self {
        Key { code, ctrl: false, alt: false, shift: false }
    }

    /// Reads `"ctrl-c"`, `"shift-tab"`, `"f5"`, `"G"`, `"?"`, `"space"` (names are case-insensitive).
    pub fn parse(s: &str) -> Result<Key, String> {
        const HINT: &str = "write keys like \"q\", \"G\", \"ctrl-c\", \"alt-x\", \"shift-tab\", \"f5\", \"enter\", \
                            \"space\"";
        let bad = || format!("cannot read key {s:?} ({HINT})");
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = s;
        // A lone "-" is the minus key, not a separator.
        while let Some((modifier, tail)) = rest.split_once('-').filter(|(m, t)| !m.is_empty() && !t.is_empty()) {
            match modifier.to_ascii_lowercase().as_str() {
                "ctrl" => ctrl = true,
                "alt" | "meta" => alt = true,
                "shift" => shift = true,
                _ => return Err(bad()),
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && c != ' ' => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => {
                    shift = true;
                    KeyCode::Tab
                }
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "minus" => KeyCode::Char('-'),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        };
        Ok(Key::normal(code, ctrl, alt, shift))
    }

    /// One spelling per key: shift on a character becomes its case, ctrl on a letter is the lower-case letter.
    pub fn normal(code: KeyCode, ctrl: bool, alt: bool, shift: bool) -> Key {
        match code {
            KeyCode::Char(c) if ctrl && c.is_ascii_alphabetic() => {
                Key { code: KeyCode::Char(c.to_ascii_lowercase()), ctrl, alt, shift: false }
            }
            KeyCode::Char(c) if shift => {
                Key { code: KeyCode::Char(c.to_uppercase().next().unwrap_or(c)), ctrl, alt, shift: false }
            }
            KeyCode::Char(_) => Key { code, ctrl, alt, shift: false },
            _ => Key { code, ctrl, alt, shift },
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, name) in [(self.ctrl, "ctrl-"), (self.alt, "alt-"), (self.shift, "shift-")] {
            if on {
                f.write_str(name)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
        }
    }
}

/// Which key does what: the defaults, with each action named in `[keys]` taking the keys given there (and those
/// keys leaving the defaults of other actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<(Key, Action)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::with(&[]).unwrap_or(KeyMap { bindings: Vec::new() })
    }
}

impl KeyMap {
    /// The defaults, with `configured` actions bound to their keys instead. Errors name the key bound twice
    /// within `configured` (the caller knows where each was written).
    pub fn with(configured: &[(Action, Vec<Key>)]) -> Result<KeyMap, (Key, Action, Action)> {
        let mut bindings: Vec<(Key, Action)> = Vec::new();
        for (action, keys) in configured {
            for key in keys {
                match bindings.iter().find(|(k, _)| k == key) {
                    Some((_, other)) if other != action => return Err((*key, *other, *action)),
                    Some(_) => {}
                    None => bindings.push((*key, *action)),
                }
            }
        }
        for action in Action::ALL {
            if configured.iter().any(|(a, _)| *a == action) {
                continue;
            }
            for name in action.defaults() {
                let Ok(key) = Key::parse(name) else { continue };
                if !bindings.iter().any(|(k, _)| *k == key) {
                    bindings.push((key, action));
                }
            }
        }
        Ok(KeyMap { bindings })
    }

    /// The action of `key`.
    pub fn action(&self, key: &Key) -> Option<Action> {
        self.bindings.iter().find(|(k, _)| k == key).map(|(_, a)| *a)
    }

    /// The keys of `action`, in the order they were given.
    pub fn keys(&self, action: Action) -> Vec<Key> {
        self.bindings.iter().filter(|(_, a)| *a == action).map(|(k, _)| *k).collect()
    }

    /// The keys of `action` as help shows them (`q ctrl-c`), or `(unbound)`.
    pub fn shown(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys(action).iter().map(Key::to_string).collect();
        if keys.is_empty() { "(unbound)".into() } else { keys.join(" ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_people_write_them_and_show_the_same_way() {
        let cases = [
            ("q", "q"),
            ("G", "G"),
            ("shift-g", "G"),
            ("ctrl-c", "ctrl-c"),
            ("Ctrl-C", "ctrl-c"),
            ("alt-x", "alt-x"),
            ("shift-tab", "shift-tab"),
            ("backtab", "shift-tab"),
            ("F5", "f5"),
            ("enter", "enter"),
            ("space", "space"),
            ("?", "?"),
            ("-", "-"),
            ("ctrl--", "ctrl--"),
            ("pgdn", "pagedown"),
        ];
        for (written, shown) in cases {
            assert_eq!(Key::parse(written).map(|k| k.to_string()).as_deref(), Ok(shown), "{written}");
        }
        for bad in ["", "ctrl+c", "hyper-x", "f25", "f0", "enterr", "ab", "ctrl-", " "] {
            assert!(Key::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Key::parse("ctrl+c").unwrap_err().contains("\"ctrl-c\""));
    }

    #[test]
    fn every_default_parses_and_no_key_has_two_defaults() {
        let map = KeyMap::default();
        for a in Action::ALL {
            assert_eq!(map.keys(a).len(), a.defaults().len(), "{}", a.name());
            assert_eq!(Action::named(a.name()), Some(a));
        }
    }

    #[test]
    fn configured_keys_replace_defaults_and_take_keys_from_other_actions() {
        let x = Key::parse("x").unwrap();
        let f = Key::parse("f").unwrap();
        let map = KeyMap::with(&[(Action::Quit, vec![x]), (Action::Filter, vec![f])]).unwrap();
        assert_eq!(map.action(&x), Some(Action::Quit));
        assert_eq!(map.action(&Key::parse("q").unwrap()), None, "q is no longer quit");
        assert_eq!(map.action(&f), Some(Action::Filter));
        assert_eq!(map.shown(Action::Flagged), "(unbound)", "flagged lost f to filter");
        assert_eq!(map.shown(Action::Quit), "x");
        assert_eq!(
            KeyMap::with(&[(Action::Quit, vec![x]), (Action::Filter, vec![x])]),
            Err((x, Action::Quit, Action::Filter))
        );
    }
}

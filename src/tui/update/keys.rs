//! Keys: a terminal key event becomes a [`Key`], the key map says which [`Action`] it is, and the action changes the
//! state. The filter being typed takes every key as text (Enter keeps it, Esc clears it); Ctrl-C always quits.

use crossterm::event::{KeyCode as Code, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;

use crate::config::keys::{Action, Key, KeyCode};
use crate::tui::app::{App, Popup};
use crate::tui::msg::Effect;
use crate::tui::panes::details;
use crate::tui::view::{Pane, Sort};

/// The key of a terminal event, as `[keys]` writes it (`None` for keys it has no name for).
pub fn key_of(k: &KeyEvent) -> Option<Key> {
    let code = match k.code {
        Code::Char(c) => KeyCode::Char(c),
        Code::F(n) => KeyCode::F(n),
        Code::Enter => KeyCode::Enter,
        Code::Esc => KeyCode::Esc,
        Code::Tab => KeyCode::Tab,
        Code::BackTab => return Some(Key::normal(KeyCode::Tab, false, false, true)),
        Code::Backspace => KeyCode::Backspace,
        Code::Delete => KeyCode::Delete,
        Code::Insert => KeyCode::Insert,
        Code::Up => KeyCode::Up,
        Code::Down => KeyCode::Down,
        Code::Left => KeyCode::Left,
        Code::Right => KeyCode::Right,
        Code::Home => KeyCode::Home,
        Code::End => KeyCode::End,
        Code::PageUp => KeyCode::PageUp,
        Code::PageDown => KeyCode::PageDown,
        _ => return None,
    };
    let m = k.modifiers;
    Some(Key::normal(
        code,
        m.contains(KeyModifiers::CONTROL),
        m.contains(KeyModifiers::ALT),
        m.contains(KeyModifiers::SHIFT),
    ))
}

impl App {
    pub(super) fn on_key(&mut self, k: KeyEvent, now: Timestamp) -> Effect {
        if k.kind == KeyEventKind::Release {
            return Effect::None;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, Code::Char('c' | 'C')) {
            self.exit = Some(0);
            return Effect::None;
        }
        if self.editing {
            self.on_filter_key(k);
            return Effect::None;
        }
        let Some(action) = key_of(&k).and_then(|key| self.keys.action(&key)) else { return Effect::None };
        if self.popup.is_some() {
            return self.on_popup_action(action, now);
        }
        match action {
            Action::Quit => self.exit = Some(0),
            Action::Back if self.filters.pipeline.is_some() => {
                self.filters.pipeline = None;
                self.refilter();
            }
            Action::Back if !self.filters.text.is_empty() => {
                self.filters.text.clear();
                self.refilter();
            }
            Action::Back if self.focus == Pane::Pipelines => self.focus = self.back_to,
            Action::Back => self.exit = Some(0),
            Action::NextPane => self.focus_on(self.focus.next()),
            Action::PrevPane => self.focus_on(self.focus.prev()),
            Action::Left => self.focus_on(Pane::Pushes),
            Action::Right => self.focus_on(Pane::Executions),
            Action::Pipelines if self.focus == Pane::Pipelines => self.focus = self.back_to,
            Action::Pipelines => self.focus_on(Pane::Pipelines),
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::Top => self.select(self.focus, 0),
            Action::Bottom => self.select(self.focus, usize::MAX),
            Action::PageDown => self.move_by(self.page()),
            Action::PageUp => self.move_by(-self.page()),
            Action::Details => self.open_details(),
            Action::PollNow => return Effect::PollNow,
            Action::Filter => self.editing = true,
            Action::Flagged => {
                self.filters.flagged_only = !self.filters.flagged_only;
                self.refilter();
            }
            Action::NextProfile => {
                self.profile_filter = match self.profile_filter {
                    None if !self.metas.is_empty() => Some(0),
                    Some(i) if i + 1 < self.metas.len() => Some(i + 1),
                    _ => None,
                };
                self.refilter();
            }
            Action::Sort => {
                self.sort = match self.sort {
                    Sort::Attention => Sort::Time,
                    Sort::Time => Sort::Attention,
                };
                let what = match self.sort {
                    Sort::Attention => "pushes: untriggered first, then pending, then by time",
                    Sort::Time => "pushes: newest first",
                };
                self.notify(now, what.into(), false);
                self.refilter();
            }
            Action::Help => {
                self.popup_scroll = 0;
                self.popup = Some(Popup::Help);
            }
            Action::Open => return self.open(now),
            Action::Copy => return self.copy(now),
        }
        Effect::None
    }

    /// Focuses `pane`, remembering which of the two side-by-side panes the pipelines view returns to.
    fn focus_on(&mut self, pane: Pane) {
        if self.focus != Pane::Pipelines {
            self.back_to = self.focus;
        }
        self.focus = pane;
        self.follow();
    }

    fn on_filter_key(&mut self, k: KeyEvent) {
        match k.code {
            Code::Enter => self.editing = false,
            Code::Esc => {
                self.editing = false;
                self.filters.text.clear();
            }
            Code::Backspace => {
                self.filters.text.pop();
            }
            Code::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => self.filters.text.clear(),
            Code::Char(c) if !k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                self.filters.text.push(c);
            }
            Code::Down => self.move_by(1),
            Code::Up => self.move_by(-1),
            _ => return,
        }
        self.refilter();
    }

    fn on_popup_action(&mut self, action: Action, now: Timestamp) -> Effect {
        match action {
            Action::Quit => self.exit = Some(0),
            Action::Back | Action::Details | Action::Help => self.popup = None,
            Action::Down => self.scroll_popup(1, now),
            Action::Up => self.scroll_popup(-1, now),
            Action::PageDown => self.scroll_popup(10, now),
            Action::PageUp => self.scroll_popup(-10, now),
            Action::Top => self.popup_scroll = 0,
            Action::Bottom => self.popup_scroll = details::scroll_limit(self, now),
            Action::Open => return self.open(now),
            Action::Copy => return self.copy(now),
            _ => {}
        }
        Effect::None
    }
}

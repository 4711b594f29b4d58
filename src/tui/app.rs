//! The dashboard's state and its one entry point, `update(msg, now)`: no I/O and no clock, so it is unit-tested.
//!
//! Per profile it keeps the latest good snapshot, the last error, whether a poll is in flight and when the last
//! poll succeeded. The `Analysis` is rebuilt when a poll finishes (or a pending push reaches its deadline), never
//! per frame; the panes' rows and selections are recomputed from it.

use std::cell::Cell;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::layout::{Position, Rect};

use super::msg::{Effect, Msg};
use super::theme::Theme;
use super::view::{self, Cursor, ExecKey, ExecRow, Filters, PushKey};
use crate::analysis::Analysis;
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::poll::PollEvent;

/// What the dashboard knows about one profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileState {
    /// The latest good data (or the partial data of a failed first poll).
    pub snapshot: Option<ProfileSnapshot>,
    /// The error of the latest poll, if it failed; older data is then stale.
    pub error: Option<String>,
    /// A poll is in flight.
    pub polling: bool,
    /// When the last successful poll finished.
    pub last_success: Option<Timestamp>,
    /// When the last poll (successful or not) finished; the next one starts `refresh` later.
    pub last_finished: Option<Timestamp>,
}

/// The two panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Pushes,
    Executions,
}

/// A window drawn over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The key list.
    Help,
    /// Details of one push.
    Push(PushKey),
    /// Details of one execution.
    Execution(ExecKey),
}

/// The whole state of the dashboard.
#[derive(Debug)]
pub struct App {
    pub metas: Vec<ProfileMeta>,
    pub profiles: Vec<ProfileState>,
    pub grace: Duration,
    pub refresh: Duration,
    /// Zone for absolute times (the system's; UTC in tests).
    pub tz: TimeZone,
    pub theme: Theme,
    pub analysis: Analysis,
    /// Visible pushes: indices into `report.pushes`.
    pub push_rows: Vec<usize>,
    /// Visible executions.
    pub exec_rows: Vec<ExecRow>,
    pub pushes: Cursor<PushKey>,
    pub execs: Cursor<ExecKey>,
    pub focus: Pane,
    pub filters: Filters,
    /// The text filter is being typed.
    pub editing: bool,
    /// Index into `metas` of the only profile shown.
    pub profile_filter: Option<usize>,
    pub popup: Option<Popup>,
    /// First line shown in the popup.
    pub popup_scroll: u16,
    /// Largest useful `popup_scroll` at the last draw.
    pub popup_max: Cell<u16>,
    /// Set when the dashboard should end, with the process exit code.
    pub exit: Option<u8>,
    /// When a pending push becomes untriggered (the analysis is redone then).
    pub next_deadline: Option<Timestamp>,
    /// New data arrived since the analysis was made: [`App::settle`] redoes it, once per burst of messages.
    pub stale: bool,
}

impl App {
    /// A dashboard for `metas`, with nothing polled yet.
    pub fn new(metas: Vec<ProfileMeta>, grace: Duration, refresh: Duration, tz: TimeZone, theme: Theme) -> Self {
        let analysis = Analysis::new(&[], &[], Timestamp::UNIX_EPOCH, grace);
        Self {
            profiles: vec![ProfileState::default(); metas.len()],
            metas,
            grace,
            refresh,
            tz,
            theme,
            analysis,
            push_rows: Vec::new(),
            exec_rows: Vec::new(),
            pushes: Cursor::default(),
            execs: Cursor::default(),
            focus: Pane::Pushes,
            filters: Filters::default(),
            editing: false,
            profile_filter: None,
            popup: None,
            popup_scroll: 0,
            popup_max: Cell::new(0),
            exit: None,
            next_deadline: None,
            stale: false,
        }
    }

    /// Applies one message; `now` is the loop's clock reading.
    ///
    /// Poll results only mark the analysis stale; the loop calls [`App::settle`] once the burst of waiting messages
    /// is drained. Input acts on what is on screen, so it settles first.
    pub fn update(&mut self, msg: Msg, now: Timestamp) -> Effect {
        match msg {
            Msg::Input(Event::Key(k)) => {
                self.settle(now);
                self.on_key(k)
            }
            Msg::Input(Event::Mouse(m)) => {
                self.settle(now);
                self.on_mouse(m);
                Effect::None
            }
            Msg::Input(_) => Effect::None,
            Msg::Poll(ev) => {
                self.on_poll(ev);
                Effect::None
            }
            Msg::Tick => {
                if self.next_deadline.is_some_and(|d| d <= now) {
                    self.stale = true;
                }
                Effect::None
            }
            Msg::Signal(code) => {
                self.exit = Some(code);
                Effect::None
            }
        }
    }

    /// True while a spinner is on screen (some poll in flight), so the loop ticks faster.
    pub fn busy(&self) -> bool {
        self.profiles.iter().any(|p| p.polling)
    }

    /// True before any profile has data or an answer.
    pub fn loading(&self) -> bool {
        self.profiles.iter().all(|p| p.snapshot.is_none() && p.last_finished.is_none())
    }

    /// When the next poll starts, or `None` while one is in flight or before the first has finished.
    pub fn next_poll(&self) -> Option<Timestamp> {
        if self.busy() {
            return None;
        }
        let refresh = SignedDuration::try_from(self.refresh).unwrap_or(SignedDuration::MAX);
        self.profiles.iter().filter_map(|p| p.last_finished?.checked_add(refresh).ok()).min()
    }

    fn on_poll(&mut self, ev: PollEvent) {
        match ev {
            PollEvent::Started { profile } => {
                if let Some(p) = self.profiles.get_mut(profile) {
                    p.polling = true;
                }
            }
            PollEvent::Finished { profile, at, snapshot } => {
                let Some(p) = self.profiles.get_mut(profile) else {
                    return;
                };
                p.polling = false;
                p.last_finished = Some(at);
                let mut snapshot = *snapshot;
                match snapshot.error_line() {
                    None => {
                        p.snapshot = Some(snapshot);
                        p.error = None;
                        p.last_success = Some(at);
                    }
                    Some(err) => {
                        p.error = Some(err);
                        let partial = snapshot.identity.is_some()
                            || !snapshot.pushes.is_empty()
                            || !snapshot.pipelines.is_empty();
                        if p.snapshot.is_none() && partial {
                            snapshot.errors.clear();
                            p.snapshot = Some(snapshot);
                        }
                    }
                }
                self.stale = true;
            }
        }
    }

    /// Analyses every profile's latest data again, if anything changed since the last time, and re-derives the
    /// rows.
    pub fn settle(&mut self, now: Timestamp) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let empty = ProfileSnapshot::default();
        let snaps: Vec<&ProfileSnapshot> =
            self.profiles.iter().map(|p| p.snapshot.as_ref().unwrap_or(&empty)).collect();
        self.analysis = Analysis::new(&self.metas, &snaps, now, self.grace);
        self.next_deadline = self.analysis.next_deadline();
        self.refilter();
    }

    /// Re-derives the visible rows from the report and the filters, keeping each selection on its item.
    pub fn refilter(&mut self) {
        self.filters.profile = self.profile_filter.and_then(|i| self.metas.get(i)).map(|m| m.name.clone());
        self.push_rows = view::push_rows(&self.analysis, &self.filters);
        self.exec_rows = view::exec_rows(&self.analysis, &self.filters);
        let (report, rows) = (&self.analysis, &self.push_rows);
        self.pushes.reselect(rows.len(), |i| PushKey::of(&report.pushes[rows[i]]));
        let rows = &self.exec_rows;
        self.execs.reselect(rows.len(), |i| exec_key(report, rows[i]));
    }

    fn move_by(&mut self, delta: isize) {
        let report = &self.analysis;
        match self.focus {
            Pane::Pushes => {
                let rows = &self.push_rows;
                self.pushes.step(delta, rows.len(), |i| PushKey::of(&report.pushes[rows[i]]));
            }
            Pane::Executions => {
                let rows = &self.exec_rows;
                self.execs.step(delta, rows.len(), |i| exec_key(report, rows[i]));
            }
        }
    }

    fn select(&mut self, pane: Pane, i: usize) {
        let report = &self.analysis;
        match pane {
            Pane::Pushes => {
                let rows = &self.push_rows;
                self.pushes.select(i, rows.len(), |i| PushKey::of(&report.pushes[rows[i]]));
            }
            Pane::Executions => {
                let rows = &self.exec_rows;
                self.execs.select(i, rows.len(), |i| exec_key(report, rows[i]));
            }
        }
    }

    fn page(&self) -> isize {
        match self.focus {
            Pane::Pushes => self.pushes.page_size(),
            Pane::Executions => self.execs.page_size(),
        }
    }

    fn open_details(&mut self) {
        self.popup_scroll = 0;
        self.popup = match self.focus {
            Pane::Pushes => self.pushes.key.clone().map(Popup::Push),
            Pane::Executions => self.execs.key.clone().map(Popup::Execution),
        };
    }

    fn on_key(&mut self, k: KeyEvent) -> Effect {
        if k.kind == KeyEventKind::Release {
            return Effect::None;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, KeyCode::Char('c' | 'C')) {
            self.exit = Some(0);
            return Effect::None;
        }
        if self.editing {
            self.on_filter_key(k);
            return Effect::None;
        }
        if self.popup.is_some() {
            self.on_popup_key(k);
            return Effect::None;
        }
        match k.code {
            KeyCode::Char('q') => self.exit = Some(0),
            KeyCode::Esc if !self.filters.text.is_empty() => {
                self.filters.text.clear();
                self.refilter();
            }
            KeyCode::Esc => self.exit = Some(0),
            KeyCode::Tab | KeyCode::BackTab => {
                self.focus = match self.focus {
                    Pane::Pushes => Pane::Executions,
                    Pane::Executions => Pane::Pushes,
                }
            }
            KeyCode::Left | KeyCode::Char('h') => self.focus = Pane::Pushes,
            KeyCode::Right | KeyCode::Char('l') => self.focus = Pane::Executions,
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::Home | KeyCode::Char('g') => self.select(self.focus, 0),
            KeyCode::End | KeyCode::Char('G') => self.select(self.focus, usize::MAX),
            KeyCode::PageDown => self.move_by(self.page()),
            KeyCode::PageUp => self.move_by(-self.page()),
            KeyCode::Enter => self.open_details(),
            KeyCode::Char('r') => return Effect::PollNow,
            KeyCode::Char('/') => self.editing = true,
            KeyCode::Char('f') => {
                self.filters.flagged_only = !self.filters.flagged_only;
                self.refilter();
            }
            KeyCode::Char('p') => {
                self.profile_filter = match self.profile_filter {
                    None if !self.metas.is_empty() => Some(0),
                    Some(i) if i + 1 < self.metas.len() => Some(i + 1),
                    _ => None,
                };
                self.refilter();
            }
            KeyCode::Char('?') => {
                self.popup_scroll = 0;
                self.popup = Some(Popup::Help);
            }
            _ => {}
        }
        Effect::None
    }

    fn on_filter_key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Enter => self.editing = false,
            KeyCode::Esc => {
                self.editing = false;
                self.filters.text.clear();
            }
            KeyCode::Backspace => {
                self.filters.text.pop();
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => self.filters.text.clear(),
            KeyCode::Char(c) if !k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                self.filters.text.push(c);
            }
            KeyCode::Down => self.move_by(1),
            KeyCode::Up => self.move_by(-1),
            _ => return,
        }
        self.refilter();
    }

    fn on_popup_key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('q') => self.exit = Some(0),
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => self.popup = None,
            KeyCode::Down | KeyCode::Char('j') => self.scroll_popup(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll_popup(-1),
            KeyCode::PageDown => self.scroll_popup(10),
            KeyCode::PageUp => self.scroll_popup(-10),
            KeyCode::Home | KeyCode::Char('g') => self.popup_scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.popup_scroll = self.popup_max.get(),
            _ => {}
        }
    }

    fn scroll_popup(&mut self, delta: i32) {
        let s = i32::from(self.popup_scroll).saturating_add(delta).clamp(0, i32::from(self.popup_max.get()));
        self.popup_scroll = u16::try_from(s).unwrap_or(0);
    }

    fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        let p = Position { x, y };
        if self.pushes.area.get().contains(p) {
            Some(Pane::Pushes)
        } else if self.execs.area.get().contains(p) {
            Some(Pane::Executions)
        } else {
            None
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        let delta = match m.kind {
            MouseEventKind::ScrollDown => 1,
            MouseEventKind::ScrollUp => -1,
            MouseEventKind::Down(MouseButton::Left) if self.popup.is_none() => {
                let Some(pane) = self.pane_at(m.column, m.row) else {
                    return;
                };
                self.focus = pane;
                let (area, offset) = match pane {
                    Pane::Pushes => (self.pushes.area.get(), self.pushes.offset.get()),
                    Pane::Executions => (self.execs.area.get(), self.execs.offset.get()),
                };
                // Border and column header above the first row.
                if let Some(row) = m.row.checked_sub(area.y + 2) {
                    let len = match pane {
                        Pane::Pushes => self.push_rows.len(),
                        Pane::Executions => self.exec_rows.len(),
                    };
                    let i = offset + usize::from(row);
                    if i < len {
                        self.select(pane, i);
                    }
                }
                return;
            }
            _ => return,
        };
        if self.popup.is_some() {
            self.scroll_popup(delta);
            return;
        }
        if let Some(pane) = self.pane_at(m.column, m.row) {
            self.focus = pane;
        }
        self.move_by(isize::try_from(delta).unwrap_or(0));
    }

    /// Records where `pane` was drawn (called by the drawing code, read by the mouse handling).
    pub fn set_pane_area(&self, pane: Pane, area: Rect) {
        match pane {
            Pane::Pushes => self.pushes.area.set(area),
            Pane::Executions => self.execs.area.set(area),
        }
    }
}

fn exec_key(report: &Analysis, row: ExecRow) -> ExecKey {
    row.get(report).map(|(p, e)| ExecKey::of(p, e)).unwrap_or_default()
}

#[cfg(test)]
mod tests;

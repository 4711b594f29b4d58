//! `App::update(msg, now)`: the one way the dashboard's state changes. No I/O and no clock, so it is unit-tested.
//!
//! Poll results rebuild the `Analysis` once per burst of messages (`settle`), never per frame; the panes' rows and
//! selections are recomputed from it. Layout facts (where the panes are, how many rows they show, how far a popup
//! scrolls) come from the terminal size through the same pure functions the drawing code uses.

use crossterm::event::{Event, MouseButton, MouseEvent, MouseEventKind};
use jiff::Timestamp;
use ratatui::layout::Rect;

use super::app::{App, Popup};
use super::layout::{Screen, list_height, list_row_at};
use super::msg::{Effect, Msg};
use super::panes::details;
use super::view::{self, ExecKey, ExecRow, Pane, PipeKey, PushKey};
use crate::analysis::Analysis;
use crate::model::ProfileSnapshot;
use crate::poller::PollEvent;

impl App {
    /// Applies one message; `now` is the loop's clock reading.
    ///
    /// Poll results only mark the analysis stale; the loop calls [`App::settle`] once the burst of waiting messages
    /// is drained. Input acts on what is on screen, so it settles first.
    pub fn update(&mut self, msg: Msg, now: Timestamp) -> Effect {
        match msg {
            Msg::Input(Event::Key(k)) => {
                self.settle(now);
                let effect = self.on_key(k, now);
                self.follow();
                effect
            }
            Msg::Input(Event::Mouse(m)) => {
                self.settle(now);
                self.on_mouse(m, now);
                self.follow();
                Effect::None
            }
            Msg::Input(Event::Resize(w, h)) => {
                self.area = Rect::new(0, 0, w, h);
                self.follow();
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
            Msg::OpenFailed(why) => {
                self.notify(now, why, true);
                Effect::None
            }
        }
    }

    fn on_poll(&mut self, ev: PollEvent) {
        match ev {
            PollEvent::Started { profile } => {
                if let Some(p) = self.profiles.get_mut(profile) {
                    p.polling = true;
                }
            }
            PollEvent::Read { profile, snapshot } => {
                // A profile with nothing on screen yet shows its core read while the explain step goes on; one
                // already shown keeps its last whole poll until the next ends.
                if let Some(p) = self.profiles.get_mut(profile)
                    && p.snapshot.is_none()
                    && snapshot.error_line().is_none()
                {
                    p.snapshot = Some(*snapshot);
                    self.stale = true;
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
                            || !snapshot.images.is_empty()
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
    pub(super) fn refilter(&mut self) {
        let meta = self.profile_filter.and_then(|i| self.metas.get(i));
        self.filters.profile = meta.map(|m| m.name.clone());
        self.filters.region = meta.map(|m| m.region.clone());
        self.push_rows = view::push_rows(&self.analysis, &self.filters, self.sort);
        self.exec_rows = view::exec_rows(&self.analysis, &self.filters);
        self.pipe_rows = view::pipe_rows(&self.analysis, &self.filters);
        let (report, rows) = (&self.analysis, &self.push_rows);
        self.pushes.reselect(rows.len(), |i| PushKey::of(&report.pushes[rows[i]]));
        let rows = &self.exec_rows;
        self.execs.reselect(rows.len(), |i| exec_key(report, rows[i]));
        let rows = &self.pipe_rows;
        self.pipes.reselect(rows.len(), |i| PipeKey::of(&report.pipelines[rows[i].pipeline]));
        self.follow();
    }

    /// Where everything is drawn at the current terminal size (`None` while it is too small for the dashboard).
    pub fn screen(&self) -> Option<Screen> {
        Screen::of(self.area, self.metas.len())
    }

    /// Scrolls both panes so that their selections are in view, each moving as little as possible.
    pub(super) fn follow(&mut self) {
        let Some(screen) = self.screen() else { return };
        self.pushes.follow(list_height(screen.pushes), self.push_rows.len());
        self.execs.follow(list_height(screen.executions), self.exec_rows.len());
        self.pipes.follow(list_height(screen.body), self.pipe_rows.len());
    }

    pub(super) fn move_by(&mut self, delta: isize) {
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
            Pane::Pipelines => {
                let rows = &self.pipe_rows;
                self.pipes.step(delta, rows.len(), |i| PipeKey::of(&report.pipelines[rows[i].pipeline]));
            }
        }
    }

    pub(super) fn select(&mut self, pane: Pane, i: usize) {
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
            Pane::Pipelines => {
                let rows = &self.pipe_rows;
                self.pipes.select(i, rows.len(), |i| PipeKey::of(&report.pipelines[rows[i].pipeline]));
            }
        }
    }

    /// The PgUp/PgDn step: the rows the focused pane shows (at least one).
    pub(super) fn page(&self) -> isize {
        let rows = self.screen().map_or(0, |s| list_height(s.pane(self.focus)));
        isize::try_from(rows.max(1)).unwrap_or(1)
    }

    pub(super) fn open_details(&mut self) {
        self.popup_scroll = 0;
        self.popup = match self.focus {
            Pane::Pushes => self.pushes.key.clone().map(Popup::Push),
            Pane::Executions => self.execs.key.clone().map(Popup::Execution),
            Pane::Pipelines => {
                // A pipeline's details are its pushes and runs: filter both panes to it.
                if let Some(k) = self.pipes.key.clone() {
                    self.filters.pipeline = Some(k);
                    self.focus = self.back_to;
                    self.refilter();
                }
                None
            }
        };
    }

    pub(super) fn scroll_popup(&mut self, delta: i32, now: Timestamp) {
        let max = details::scroll_limit(self, now);
        let s = i32::from(self.popup_scroll).saturating_add(delta).clamp(0, i32::from(max));
        self.popup_scroll = u16::try_from(s).unwrap_or(0);
    }

    fn on_mouse(&mut self, m: MouseEvent, now: Timestamp) {
        let screen = self.screen();
        let pane = screen.and_then(|s| s.pane_at(m.column, m.row, self.focus));
        let delta = match m.kind {
            MouseEventKind::ScrollDown => 1,
            MouseEventKind::ScrollUp => -1,
            MouseEventKind::Down(MouseButton::Left) if self.popup.is_none() => {
                let (Some(screen), Some(pane)) = (screen, pane) else { return };
                self.focus = pane;
                if let Some(row) = list_row_at(screen.pane(pane), m.row) {
                    let (offset, len) = match pane {
                        Pane::Pushes => (self.pushes.offset, self.push_rows.len()),
                        Pane::Executions => (self.execs.offset, self.exec_rows.len()),
                        Pane::Pipelines => (self.pipes.offset, self.pipe_rows.len()),
                    };
                    if offset + row < len {
                        self.select(pane, offset + row);
                    }
                }
                return;
            }
            _ => return,
        };
        if self.popup.is_some() {
            self.scroll_popup(delta, now);
            return;
        }
        if let Some(pane) = pane {
            self.focus = pane;
        }
        self.move_by(isize::try_from(delta).unwrap_or(0));
    }
}

pub(super) fn exec_key(report: &Analysis, row: ExecRow) -> ExecKey {
    row.get(report).map(|(p, e)| ExecKey::of(p, e)).unwrap_or_default()
}

mod act;
mod keys;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod ux_tests;

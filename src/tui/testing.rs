//! Test fixtures shared by the state and snapshot tests: a fixed clock, the deterministic demo, key messages.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::msg::Msg;
use super::theme::Theme;
use super::ui;
use crate::model::ProfileSnapshot;
use crate::poll::PollEvent;
use crate::source::Source;
use crate::source::demo::DemoSource;

/// The demo's story starts here.
pub fn epoch() -> Timestamp {
    Timestamp::from_second(1_764_000_000).expect("valid epoch")
}

/// `secs` after the epoch.
pub fn at(secs: i64) -> Timestamp {
    epoch().checked_add(SignedDuration::from_secs(secs)).expect("in range")
}

/// The default "now" of the tests: the newest web push (+120 s) has a run in progress (+124 s).
pub fn now() -> Timestamp {
    at(130)
}

/// The demo without its periodic failure.
pub fn demo() -> DemoSource {
    DemoSource::new(epoch()).without_failures()
}

/// A dashboard on the demo's profiles with nothing polled, in colour, times in UTC.
pub fn app() -> App {
    App::new(
        demo().profiles().to_vec(),
        Duration::from_secs(300),
        Duration::from_secs(5),
        TimeZone::UTC,
        Theme { color: true },
    )
}

/// The message of a finished poll of `profile`.
pub fn finished(profile: usize, snapshot: ProfileSnapshot, at: Timestamp) -> Msg {
    Msg::Poll(PollEvent::Finished { profile, at, snapshot: Box::new(snapshot) })
}

/// Feeds both demo profiles as polled at `t`.
pub fn feed(app: &mut App, t: Timestamp) {
    let d = demo();
    for i in 0..2 {
        app.update(finished(i, d.snapshot(i, t), t), t);
    }
    app.settle(t);
}

/// A dashboard with both profiles polled at `now()`.
pub fn loaded() -> App {
    let mut a = app();
    feed(&mut a, now());
    a
}

/// A key press.
pub fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A character key press.
pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// Ctrl + `c`.
pub fn ctrl(c: char) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

/// Draws `app` at `w`×`h` and returns the terminal.
pub fn render(app: &App, t: Timestamp, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, app, t)).expect("draw");
    term
}

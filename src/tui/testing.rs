//! Helpers shared by the state and screen tests: a dashboard fed with the hand-built story of `fixtures`, key and
//! mouse messages, drawing into a `TestBackend`; and the demo, for the few screenshots that show it on purpose.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::app::App;
use super::fixtures::{self, GRACE, REFRESH};
use super::msg::Msg;
use super::theme::Theme;
use super::ui;
use crate::analysis::fixtures::metas;
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::poller::PollEvent;
use crate::source::Source;
use crate::source::demo::DemoSource;

pub use super::fixtures::now;
pub use crate::analysis::fixtures::ts;

fn dashboard(metas: Vec<ProfileMeta>) -> App {
    App::new(metas, GRACE, REFRESH, TimeZone::UTC, Theme::of(true))
}

/// A dashboard on account-a and account-b with nothing polled, in colour, times in UTC.
pub fn app() -> App {
    dashboard(metas())
}

/// The message of a finished poll of `profile`.
pub fn finished(profile: usize, snapshot: ProfileSnapshot, at: Timestamp) -> Msg {
    Msg::Poll(PollEvent::Finished { profile, at, snapshot: Box::new(snapshot) })
}

/// Feeds `snapshots` (in profile order) as polled at `t`, then lets the dashboard settle.
pub fn feed(app: &mut App, snapshots: Vec<ProfileSnapshot>, t: Timestamp) {
    for (i, snapshot) in snapshots.into_iter().enumerate() {
        app.update(finished(i, snapshot, t), t);
    }
    app.settle(t);
}

/// A dashboard with both profiles of the story polled at [`now`].
pub fn loaded() -> App {
    let mut a = app();
    feed(&mut a, vec![fixtures::account_a(), fixtures::account_b()], now());
    a
}

/// A dashboard with both profiles of the story polled at [`now`], pushes newest first (`sort` pressed once): for the
/// tests of moving, scrolling and selecting along the list in time order.
pub fn loaded_by_time() -> App {
    let mut a = app();
    a.sort = super::view::Sort::Time;
    feed(&mut a, vec![fixtures::account_a(), fixtures::account_b()], now());
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

/// Typing `text`, one key at a time.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(ch(c), now());
    }
}

/// The terminal became `w`×`h`.
pub fn resize(w: u16, h: u16) -> Msg {
    Msg::Input(Event::Resize(w, h))
}

/// The mouse event `kind` at column `x`, line `y`.
pub fn mouse(kind: MouseEventKind, x: u16, y: u16) -> Msg {
    Msg::Input(Event::Mouse(MouseEvent { kind, column: x, row: y, modifiers: KeyModifiers::NONE }))
}

/// A left click at column `x`, line `y`.
pub fn click(x: u16, y: u16) -> Msg {
    mouse(MouseEventKind::Down(MouseButton::Left), x, y)
}

/// Draws `app` at `w`×`h` at `t`, as it is (whatever size it last heard of), and returns the terminal.
pub fn render(app: &App, t: Timestamp, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, app, t)).expect("draw");
    term
}

/// Resizes the terminal of `app` to `w`×`h` and returns what it shows at `t`, line by line.
pub fn screen_at(app: &mut App, t: Timestamp, w: u16, h: u16) -> String {
    app.update(resize(w, h), t);
    render(app, t, w, h).backend().to_string()
}

/// [`screen_at`] at [`now`].
pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    screen_at(app, now(), w, h)
}

/// The text of each line of `buf`.
pub fn lines(buf: &Buffer) -> Vec<String> {
    let w = usize::from(buf.area.width);
    buf.content.chunks(w).map(|row| row.iter().map(|c| c.symbol()).collect()).collect()
}

/// The first line of `buf` that contains `needle`, and its cells.
pub fn line_with<'a>(buf: &'a Buffer, needle: &str) -> (u16, Vec<&'a ratatui::buffer::Cell>) {
    let w = usize::from(buf.area.width);
    let y = lines(buf).iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line contains {needle:?}"));
    (u16::try_from(y).expect("small"), buf.content[y * w..(y + 1) * w].iter().collect())
}

/// The demo's story starts here.
fn demo_epoch() -> Timestamp {
    Timestamp::from_second(1_764_000_000).expect("valid epoch")
}

/// The demo at 130 s into its story: its newest web push (+120 s) has a run in progress (+124 s).
pub fn demo_now() -> Timestamp {
    demo_epoch().checked_add(SignedDuration::from_secs(130)).expect("in range")
}

/// A dashboard with both demo profiles polled at [`demo_now`] (without the demo's periodic failure).
pub fn demo_loaded() -> App {
    let demo = DemoSource::new(demo_epoch()).without_failures();
    let mut a = dashboard(demo.profiles().to_vec());
    let t = demo_now();
    feed(&mut a, (0..2).map(|i| demo.snapshot(i, t)).collect(), t);
    a
}

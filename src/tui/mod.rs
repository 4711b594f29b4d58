//! The interactive dashboard: terminal setup and restore, and the event loop that feeds one message type into
//! `App::update` and draws once per burst of messages.
//!
//! Terminal input is read on a dedicated thread (blocking on `event::read`) and forwarded into a tokio channel;
//! poll results arrive from the `Poller`, whose tasks end when the dashboard quits; ticks come only as fast as the
//! screen needs (a spinner, or once a second for ages). The terminal is restored on quit, on error, on panic and on
//! SIGTERM/SIGHUP/SIGINT. Each new analysis goes to the notifications (`crate::notify`), which ring the bell for a
//! newly untriggered push.

pub mod app;
pub mod layout;
pub mod msg;
pub mod panes;
pub mod theme;
pub mod ui;
mod update;
pub mod view;

use std::io::{self, IsTerminal, Stdout};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::Settings;
use crate::exit;
use crate::notify::Notifications;
use crate::poller::{PollEvent, Poller};
use crate::source::Source;
use app::App;
use msg::{Effect, Msg};
use theme::Theme;

/// Tick while a spinner is visible.
const FAST_TICK: Duration = Duration::from_millis(150);
/// Tick otherwise (ages move by the second).
const SLOW_TICK: Duration = Duration::from_secs(1);
/// How long quitting waits for the poll tasks to end.
const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

/// Runs the dashboard on `source` until the user quits; returns the process exit code. Each analysis is handed to
/// `notifications`; a newly untriggered push rings the bell unless `[notify] bell = false`.
pub async fn run<S: Source>(source: Arc<S>, settings: &Settings, notifications: Notifications) -> u8 {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        eprintln!("pipewatch: error: the dashboard needs a terminal; use --once for a one-shot report");
        return exit::USAGE;
    }
    let theme = Theme { color: crate::display::use_color(&io::stdout()) };
    let app = App::new(source.profiles().to_vec(), settings.grace, settings.refresh, TimeZone::system(), theme);
    install_panic_hook();
    let mut terminal = match setup() {
        Ok(t) => t,
        Err(e) => {
            restore();
            eprintln!("pipewatch: error: cannot set up the terminal: {e}");
            return exit::USAGE;
        }
    };
    let result = event_loop(&mut terminal, app, source, settings, notifications).await;
    restore();
    let _ = terminal.show_cursor();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pipewatch: error: terminal: {e}");
            exit::PROFILE_FAILED
        }
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn setup() -> io::Result<Term> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    // A plain clear: `Terminal::clear` would query the cursor position, which not every terminal answers.
    execute!(out, EnterAlternateScreen, EnableMouseCapture, Clear(ClearType::All))?;
    let mut t = Terminal::new(CrosstermBackend::new(out))?;
    t.hide_cursor()?;
    Ok(t)
}

/// Leaves the alternate screen, turns mouse capture and raw mode off and shows the cursor. Safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
}

/// Restores the terminal before the default hook prints a panic of the UI thread, so the message is readable.
///
/// A panic on another thread (a poll task, caught by tokio) leaves the dashboard running, so it keeps the screen.
fn install_panic_hook() {
    let ui = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
            restore();
        }
        previous(info);
    }));
}

/// Forwards terminal events from a blocking reader thread into the loop's channel.
fn spawn_input(tx: mpsc::UnboundedSender<Msg>) -> io::Result<()> {
    std::thread::Builder::new().name("pipewatch-input".into()).spawn(move || {
        while let Ok(ev) = crossterm::event::read() {
            if tx.send(Msg::Input(ev)).is_err() {
                break;
            }
        }
    })?;
    Ok(())
}

/// The only clock read of the dashboard: once before each draw and once per burst of messages.
fn clock() -> Timestamp {
    Timestamp::now()
}

async fn event_loop<S: Source>(
    terminal: &mut Term,
    mut app: App,
    source: Arc<S>,
    settings: &Settings,
    mut notifications: Notifications,
) -> io::Result<u8> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (poll_tx, mut poll_rx) = mpsc::unbounded_channel::<PollEvent>();
    spawn_input(tx)?;
    let mut poller = Poller::spawn(source, settings.refresh, settings.lookback, settings.timeout, poll_tx);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // Later sizes arrive as resize events.
    let size = terminal.size()?;
    app.update(Msg::Input(Event::Resize(size.width, size.height)), clock());

    loop {
        let now = clock();
        terminal.draw(|f| ui::draw(f, &app, now))?;
        let tick = if app.busy() || app.loading() { FAST_TICK } else { SLOW_TICK };
        let first = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                // The input thread ended (stdin closed): nothing more can be asked of us.
                None => Msg::Signal(exit::HEALTHY),
            },
            Some(ev) = poll_rx.recv() => Msg::Poll(ev),
            _ = tokio::time::sleep(tick) => Msg::Tick,
            _ = sigterm.recv() => Msg::Signal(128 + 15),
            _ = sighup.recv() => Msg::Signal(128 + 1),
            _ = sigint.recv() => Msg::Signal(128 + 2),
        };
        let now = clock();
        let mut effect = app.update(first, now);
        // Drain what else is already waiting, then draw once.
        loop {
            let m = match (rx.try_recv(), poll_rx.try_recv()) {
                (Ok(m), Ok(ev)) => {
                    effect = merge(effect, app.update(m, now));
                    Msg::Poll(ev)
                }
                (Ok(m), Err(_)) => m,
                (Err(_), Ok(ev)) => Msg::Poll(ev),
                (Err(_), Err(_)) => break,
            };
            effect = merge(effect, app.update(m, now));
        }
        let reanalysed = app.stale;
        app.settle(now);
        if reanalysed && notifications.observe(&app.analysis) > 0 && notifications.bell() {
            ring(terminal);
        }
        if effect == Effect::PollNow {
            poller.poll_now();
        }
        if let Some(code) = app.exit {
            // Every poll task ends before the terminal is given back; a task that does not end in time is dropped.
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, poller.shutdown()).await;
            return Ok(code);
        }
    }
}

/// The terminal bell (BEL moves nothing on screen); a terminal that cannot take it is not worth failing for.
fn ring(terminal: &mut Term) {
    use std::io::Write;
    let out = terminal.backend_mut();
    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
}

fn merge(a: Effect, b: Effect) -> Effect {
    if a == Effect::PollNow || b == Effect::PollNow { Effect::PollNow } else { Effect::None }
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

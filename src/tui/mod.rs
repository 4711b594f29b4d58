//! The interactive dashboard: terminal setup and restore, and the event loop that feeds one message type into
//! `App::update` and draws once per burst of messages.
//!
//! Terminal input is read on a dedicated thread (blocking on `event::read`) and forwarded into a tokio channel;
//! poll results arrive from the `Poller`, whose tasks end when the dashboard quits; ticks come only as fast as the
//! screen needs (a spinner, or once a second for ages). The terminal is restored on quit, on error, on panic and on
//! SIGTERM/SIGHUP/SIGINT.

pub mod app;
pub mod effects;
pub mod layout;
pub mod msg;
pub mod panes;
pub mod theme;
pub mod ui;
mod update;
pub mod view;

use std::io::{self, IsTerminal, Stdout, Write};
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

use crate::config::{Settings, Ui};
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
/// The least time between two analyses of every profile while polls come in: with hundreds of profiles finishing
/// one after another, analysing after each would cost profiles² a refresh (`serve` measured 60 % of a core at 500
/// profiles and a 10 s refresh, BENCHMARKS.md). The first poll after a quiet spell is analysed (and painted) at once.
const MIN_REANALYSIS: Duration = Duration::from_millis(250);
/// How long quitting waits for the poll tasks to end.
const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

/// Runs the dashboard on `source` until the user quits, with the keys and theme of `ui`; returns the process exit
/// code. Each analysis is handed to `notifications`; a newly untriggered push rings the bell unless
/// `[notify] bell = false`.
pub async fn run<S: Source>(source: Arc<S>, settings: &Settings, ui: &Ui, notifications: Notifications) -> u8 {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        eprintln!("pipewatch: error: the dashboard needs a terminal; use --once for a one-shot report");
        return exit::USAGE;
    }
    let theme = Theme::configured(&ui.theme, crate::display::use_color(&io::stdout()));
    let app = App::new(source.profiles().to_vec(), settings.grace, settings.refresh, TimeZone::system(), theme)
        .with_keys(ui.keys.clone());
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
    spawn_input(tx.clone())?;
    let in_tmux = std::env::var_os("TMUX").is_some();
    let hyperlinks = hyperlinks_supported();
    let mut poller =
        Poller::spawn(source, settings.refresh, settings.lookback, settings.grace, settings.timeout, poll_tx);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // Later sizes arrive as resize events.
    let size = terminal.size()?;
    app.update(Msg::Input(Event::Resize(size.width, size.height)), clock());
    let (started, mut painted) = (tokio::time::Instant::now(), 0);
    let mut analysed: Option<tokio::time::Instant> = None;

    loop {
        let now = clock();
        terminal.draw(|f| ui::draw(f, &app, now))?;
        // For scripts/bench-org-dashboard.sh (PIPEWATCH_LOG with stderr not a terminal): when each profile's first
        // poll is on screen.
        let shown = app.profiles.iter().filter(|p| p.snapshot.is_some() || p.last_finished.is_some()).count();
        if shown > painted {
            painted = shown;
            let elapsed_ms = started.elapsed().as_millis();
            tracing::debug!(painted, of = app.profiles.len(), elapsed_ms, "frame");
        }
        if hyperlinks {
            link_popup(terminal, &app, now)?;
        }
        let tick = if app.busy() || app.loading() || app.stale { FAST_TICK } else { SLOW_TICK };
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
        let mut effects = vec![app.update(first, now)];
        // Drain what else is already waiting, then draw once.
        loop {
            let m = match (rx.try_recv(), poll_rx.try_recv()) {
                (Ok(m), Ok(ev)) => {
                    effects.push(app.update(m, now));
                    Msg::Poll(ev)
                }
                (Ok(m), Err(_)) => m,
                (Err(_), Ok(ev)) => Msg::Poll(ev),
                (Err(_), Err(_)) => break,
            };
            effects.push(app.update(m, now));
        }
        let reanalysed = app.stale && analysed.is_none_or(|at| at.elapsed() >= MIN_REANALYSIS);
        if reanalysed {
            app.settle(now);
            analysed = Some(tokio::time::Instant::now());
        }
        if reanalysed && notifications.observe(&app.analysis) > 0 && notifications.bell() {
            ring(terminal);
        }
        let mut polled = false;
        for effect in effects {
            match effect {
                Effect::None => {}
                Effect::PollNow if !polled => {
                    polled = true;
                    poller.poll_now();
                }
                Effect::PollNow => {}
                Effect::Open(url) => effects::open(url, tx.clone()),
                Effect::Copy(text) => {
                    let out = terminal.backend_mut();
                    out.write_all(&effects::osc52(&text, in_tmux))?;
                    out.flush()?;
                }
            }
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
    let out = terminal.backend_mut();
    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
}

/// Whether to write OSC 8 hyperlinks: not on the Linux console nor a dumb terminal (they may print the sequence),
/// and not when `PIPEWATCH_HYPERLINKS=0`. Terminals without OSC 8 ignore the sequence.
fn hyperlinks_supported() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    std::env::var("PIPEWATCH_HYPERLINKS").map_or(true, |v| v != "0") && !matches!(term.as_str(), "dumb" | "linux")
}

/// Writes the open details popup's console link again, as an OSC 8 hyperlink over the cells the frame just drew
/// (the same text and style), so that a click opens it. The cursor is put back where the frame left it.
fn link_popup(terminal: &mut Term, app: &App, now: Timestamp) -> io::Result<()> {
    let Some((at, url, shown)) = app.screen().and(panes::details::link(app, app.area, now)) else {
        return Ok(());
    };
    let Some(link) = effects::osc8(&url, &shown) else { return Ok(()) };
    let style = if app.theme.color { format!("\x1b[0;4;{}m", link_colour(app)) } else { "\x1b[0;4m".to_string() };
    let out = terminal.backend_mut();
    write!(out, "\x1b7\x1b[{};{}H{style}{link}\x1b[0m\x1b8", at.y + 1, at.x + 1)?;
    out.flush()
}

/// The SGR foreground of the theme's link colour.
fn link_colour(app: &App) -> String {
    use ratatui::style::Color;
    match app.theme.palette.link {
        Color::Rgb(r, g, b) => format!("38;2;{r};{g};{b}"),
        Color::Indexed(i) => format!("38;5;{i}"),
        Color::Black => "30".into(),
        Color::Red => "31".into(),
        Color::Green => "32".into(),
        Color::Yellow => "33".into(),
        Color::Blue => "34".into(),
        Color::Magenta => "35".into(),
        Color::Cyan => "36".into(),
        Color::Gray => "37".into(),
        Color::DarkGray => "90".into(),
        Color::LightRed => "91".into(),
        Color::LightGreen => "92".into(),
        Color::LightYellow => "93".into(),
        Color::LightBlue => "94".into(),
        Color::LightMagenta => "95".into(),
        Color::LightCyan => "96".into(),
        Color::White => "97".into(),
        Color::Reset => "39".into(),
    }
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

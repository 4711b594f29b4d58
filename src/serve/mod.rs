//! `pipewatch serve`: polls every profile like the dashboard and serves what it found over HTTP, for Prometheus
//! (`/metrics`), scripts (`/api/report`) and orchestrators (`/healthz`, `/readyz`).
//!
//! The background [`Poller`] feeds one loop that applies each burst of poll results to the [`feed::Feed`] and builds
//! one new [`board::Board`] (an analysis) per burst, or when a pending push reaches its grace deadline; the board is
//! swapped whole into a watch channel that every request reads ([`http`]), and handed to the notifications. SIGTERM
//! and SIGINT stop polling and the server; requests in flight finish first.

pub mod board;
pub mod feed;
pub mod http;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::config::Settings;
use crate::exit;
use crate::notify::Notifications;
use crate::poller::{PollEvent, Poller};
use crate::source::Source;
use feed::Feed;

/// The address `serve` listens on unless `--listen` says otherwise: loopback only, so nothing is exposed to the
/// network without the user's say-so.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

/// How long stopping waits for the poll tasks, then for requests in flight.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// The least time between two analyses of every profile. Hundreds of profiles finish their polls one after another
/// within a second or two of each refresh; analysing all of them after each would cost profiles² a refresh (500
/// profiles at a 10 s refresh: 60 % of a core, BENCHMARKS.md). The first change after a quiet spell is analysed at
/// once; the rest within this.
const MIN_REANALYSIS: Duration = Duration::from_secs(1);

/// Why `serve` cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listening socket cannot be opened (address in use, not an address of this host, a privileged port).
    #[error("cannot listen on {addr}: {error} (choose another address with --listen ADDR:PORT)")]
    Listen { addr: SocketAddr, error: std::io::Error },
    /// The signal handlers cannot be installed.
    #[error("cannot watch for signals: {0}")]
    Signals(std::io::Error),
}

/// Polls `source` and serves until SIGTERM or SIGINT; returns the exit code (0).
pub async fn run<S: Source>(
    source: Arc<S>,
    settings: &Settings,
    listen: SocketAddr,
    mut notifications: Notifications,
) -> Result<u8, ServeError> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|error| ServeError::Listen { addr: listen, error })?;
    let mut sigterm = signal(SignalKind::terminate()).map_err(ServeError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(ServeError::Signals)?;
    let local = listener.local_addr().unwrap_or(listen);

    let mut feed = Feed::new(source.profiles().to_vec(), settings.grace, settings.refresh);
    let (publish, latest) = watch::channel(Arc::new(feed.board(Timestamp::now())));
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, latest, until_true(stopped)));
    tracing::info!(
        "serving http://{local}/metrics, /api/report, /healthz and /readyz for {} profiles (refresh {})",
        source.profiles().len(),
        humantime::format_duration(settings.refresh)
    );

    let (poll_tx, mut polls) = mpsc::unbounded_channel::<PollEvent>();
    let mut poller =
        Poller::spawn(source, settings.refresh, settings.lookback, settings.grace, settings.timeout, poll_tx);
    let mut deadline: Option<Timestamp> = None;
    // Data changed since the last analysis, and when that analysis was.
    let (mut changed, mut analysed) = (false, None::<tokio::time::Instant>);
    loop {
        let next_analysis = analysed.filter(|_| changed).map(|at| at + MIN_REANALYSIS);
        changed |= tokio::select! {
            Some(event) = polls.recv() => feed.apply(event),
            () = sleep_until(deadline) => true,
            () = sleep_until_instant(next_analysis) => false,
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        };
        // Everything already waiting is one burst: one analysis for all of it.
        while let Ok(event) = polls.try_recv() {
            changed |= feed.apply(event);
        }
        if changed && analysed.is_none_or(|at| at.elapsed() >= MIN_REANALYSIS) {
            let board = feed.board(Timestamp::now());
            deadline = board.analysis.next_deadline();
            notifications.observe(&board.analysis);
            publish.send_replace(Arc::new(board));
            (changed, analysed) = (false, Some(tokio::time::Instant::now()));
        }
    }

    tracing::info!("serve: stopping");
    let _ = tokio::time::timeout(SHUTDOWN_WAIT, poller.shutdown()).await;
    let _ = stop.send(true);
    if tokio::time::timeout(SHUTDOWN_WAIT, server).await.is_err() {
        tracing::warn!("serve: requests still open after {}; closing them", humantime::format_duration(SHUTDOWN_WAIT));
    }
    Ok(exit::HEALTHY)
}

/// Resolves once the flag turns true (or its sender is gone).
async fn until_true(mut flag: watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

/// Sleeps until `at`; forever without one.
async fn sleep_until_instant(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `deadline` (the next pending push's end of grace); forever without one.
async fn sleep_until(deadline: Option<Timestamp>) {
    match deadline {
        Some(at) => {
            let wait = at.duration_since(Timestamp::now());
            tokio::time::sleep(Duration::try_from(wait).unwrap_or(Duration::ZERO)).await;
        }
        None => std::future::pending().await,
    }
}

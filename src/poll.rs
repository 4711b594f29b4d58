//! The poller: runs profile polls concurrently, each bounded by the timeout, and reports results as messages.
//!
//! One task per profile; a profile never waits for another, and a hung profile is cut off at its timeout.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};

use crate::model::{ErrorKind, PollError, ProfileSnapshot};
use crate::source::{PollRequest, Source};

/// Polls one profile, turning a timeout into an error snapshot.
pub async fn poll_profile<S: Source>(source: &S, index: usize, req: PollRequest, timeout: Duration) -> ProfileSnapshot {
    let started = tokio::time::Instant::now();
    let snapshot = match tokio::time::timeout(timeout, source.poll(index, req)).await {
        Ok(snapshot) => snapshot,
        Err(_) => ProfileSnapshot::failed(PollError::new(
            ErrorKind::TimedOut,
            format!("poll timed out after {} (endpoint not answering?)", humantime::format_duration(timeout)),
        )),
    };
    tracing::debug!(
        profile = source.profiles().get(index).map_or("?", |p| p.name.as_str()),
        elapsed = ?started.elapsed(),
        errors = snapshot.errors.len(),
        warnings = snapshot.warnings.len(),
        "poll finished"
    );
    snapshot
}

/// Polls every profile once at `now`, concurrently; the result is in profile order.
pub async fn poll_all<S: Source>(
    source: Arc<S>,
    now: Timestamp,
    lookback: Duration,
    timeout: Duration,
) -> Vec<ProfileSnapshot> {
    let req = PollRequest { now, lookback };
    let tasks: Vec<_> = (0..source.profiles().len())
        .map(|i| {
            let source = Arc::clone(&source);
            tokio::spawn(async move { poll_profile(source.as_ref(), i, req, timeout).await })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap_or_else(|e| {
            ProfileSnapshot::failed(PollError::new(ErrorKind::Internal, format!("poll task failed: {e}")))
        }));
    }
    out
}

/// A message from the background pollers to the front end.
#[derive(Debug)]
pub enum PollEvent {
    /// A poll of `profile` started.
    Started { profile: usize },
    /// A poll of `profile` finished (successfully or not) at `at`.
    Finished { profile: usize, at: Timestamp, snapshot: Box<ProfileSnapshot> },
}

/// Handle to the background pollers.
#[derive(Debug, Clone)]
pub struct Poller {
    wake: Arc<Notify>,
}

impl Poller {
    /// Starts one polling task per profile, each polling at once and then every `refresh`.
    ///
    /// A profile's next poll starts only after its previous one ended, so polls never pile up.
    pub fn spawn<S: Source>(
        source: Arc<S>,
        refresh: Duration,
        lookback: Duration,
        timeout: Duration,
        tx: mpsc::UnboundedSender<PollEvent>,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        for profile in 0..source.profiles().len() {
            let source = Arc::clone(&source);
            let tx = tx.clone();
            let wake = Arc::clone(&wake);
            tokio::spawn(async move {
                loop {
                    if tx.send(PollEvent::Started { profile }).is_err() {
                        return;
                    }
                    let req = PollRequest { now: Timestamp::now(), lookback };
                    let snapshot = poll_profile(source.as_ref(), profile, req, timeout).await;
                    let done = PollEvent::Finished { profile, at: Timestamp::now(), snapshot: Box::new(snapshot) };
                    if tx.send(done).is_err() {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(refresh) => {}
                        _ = wake.notified() => {}
                    }
                }
            });
        }
        Self { wake }
    }

    /// Asks every idle profile to poll now (a profile mid-poll finishes its poll first).
    pub fn poll_now(&self) {
        self.wake.notify_waiters();
    }
}

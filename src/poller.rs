//! The poller: runs polls of the profiles concurrently, each bounded by the timeout, and reports them as messages.
//!
//! "A poll" is one read of one profile by a source ([`Source::poll`]). [`poll_every_profile`] makes one poll of every
//! profile (`--once`); a [`Poller`] owns one task per profile that polls again and again (the dashboard) until it is
//! shut down or dropped. A profile never waits for another, and a hung poll is cut off at its timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use crate::model::{ErrorKind, PollError, ProfileSnapshot};
use crate::source::{PollRequest, Source};

/// Makes one poll of profile `index`, cut off after `timeout` (the snapshot then says so).
pub async fn poll_within<S: Source>(source: &S, index: usize, req: PollRequest, timeout: Duration) -> ProfileSnapshot {
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

/// Makes one poll of every profile at `now`, concurrently; the snapshots are in profile order.
pub async fn poll_every_profile<S: Source>(
    source: Arc<S>,
    now: Timestamp,
    lookback: Duration,
    timeout: Duration,
) -> Vec<ProfileSnapshot> {
    let req = PollRequest { now, lookback };
    let count = source.profiles().len();
    let mut tasks = JoinSet::new();
    let mut profile_of = HashMap::with_capacity(count);
    for i in 0..count {
        let source = Arc::clone(&source);
        let task = tasks.spawn(async move { poll_within(source.as_ref(), i, req, timeout).await });
        profile_of.insert(task.id(), i);
    }
    let mut out = vec![ProfileSnapshot::default(); count];
    while let Some(done) = tasks.join_next_with_id().await {
        let (id, snapshot) = match done {
            Ok(done) => done,
            Err(e) => {
                let error = PollError::new(ErrorKind::Internal, format!("poll task failed: {e}"));
                (e.id(), ProfileSnapshot::failed(error))
            }
        };
        if let Some(&i) = profile_of.get(&id) {
            out[i] = snapshot;
        }
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

/// The background polling of every profile: owns one task per profile; shutting it down (or dropping it) ends them.
#[derive(Debug)]
pub struct Poller {
    wake: Arc<Notify>,
    tasks: JoinSet<()>,
}

impl Poller {
    /// Starts one task per profile, each polling at once and then every `refresh`.
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
        let mut tasks = JoinSet::new();
        for profile in 0..source.profiles().len() {
            let source = Arc::clone(&source);
            let tx = tx.clone();
            let wake = Arc::clone(&wake);
            tasks.spawn(async move {
                loop {
                    if tx.send(PollEvent::Started { profile }).is_err() {
                        return;
                    }
                    let req = PollRequest { now: Timestamp::now(), lookback };
                    let snapshot = poll_within(source.as_ref(), profile, req, timeout).await;
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
        Self { wake, tasks }
    }

    /// Asks every idle profile to poll now (a profile mid-poll finishes its poll first).
    pub fn poll_now(&self) {
        self.wake.notify_waiters();
    }

    /// How many of the profiles' tasks have not ended yet.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Cancels every task (a poll in flight is cut, a sleep wakes) and waits until all have ended.
    ///
    /// Dropping the poller cancels them too, without waiting.
    pub async fn shutdown(&mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests;

//! The poller: runs polls of the profiles concurrently, each bounded by the timeout, and reports them as messages.
//!
//! "A poll" is one read of one profile by a source, in two steps within the profile's one timeout: the core read
//! ([`Source::poll`]), then, only when the analysis says something needs explaining ([`needs`]), the explain step
//! ([`Source::explain`]) with the time left. [`poll_every_profile`] makes one poll of every profile (`--once`); a
//! [`Poller`] owns one task per profile that polls again and again (the dashboard) until it is shut down or
//! dropped; it reports a poll's core read before its explain step (`PollEvent::Read`), so that the dashboard paints
//! a profile as soon as its data is in. A profile never waits for another, and a hung poll is cut off at its
//! timeout: a hung core read fails the profile, a hung explain step only leaves its checks "not checked".

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::analysis::needs::needs;
use crate::model::{Diagnostics, ErrorKind, Lookup, PollError, ProfileSnapshot};
use crate::source::{PollRequest, Source};

/// Why CloudTrail and EventBridge were not read when nothing needed explaining.
const NOTHING_TO_EXPLAIN: &str = "not read: every push is accounted for";

/// Makes one poll of profile `index` once the source is ready for it ([`Source::prepare`], outside the timeout): the
/// core read, then the explain step if needed, both within `timeout` (the snapshot says what was cut off).
pub async fn poll_within<S: Source>(source: &S, index: usize, req: PollRequest, timeout: Duration) -> ProfileSnapshot {
    poll_reporting(source, index, req, timeout, |_| {}).await
}

/// [`poll_within`], handing the core read's snapshot to `on_read` when an explain step follows it, so that the
/// dashboard can paint the profile meanwhile.
pub async fn poll_reporting<S: Source>(
    source: &S,
    index: usize,
    req: PollRequest,
    timeout: Duration,
    on_read: impl FnOnce(&ProfileSnapshot),
) -> ProfileSnapshot {
    source.prepare(index).await;
    let started = Instant::now();
    let deadline = started + timeout;
    let mut snapshot = match tokio::time::timeout_at(deadline, source.poll(index, req)).await {
        Ok(snapshot) => snapshot,
        Err(_) => {
            return ProfileSnapshot::failed(PollError::new(
                ErrorKind::TimedOut,
                format!("poll timed out after {} (endpoint not answering?)", humantime::format_duration(timeout)),
            ));
        }
    };
    let needs = needs(&snapshot, req.now, req.grace);
    if !needs.is_empty() {
        on_read(&snapshot);
    }
    // The core read's part of the diagnostics (the registry's replication, which other profiles' pushes may need).
    let replication = std::mem::take(&mut snapshot.diagnostics.replication);
    if needs.is_empty() {
        snapshot.diagnostics = Diagnostics { replication, ..not_read(NOTHING_TO_EXPLAIN) };
    } else {
        let explain_started = Instant::now();
        let budget = deadline.saturating_duration_since(explain_started);
        match tokio::time::timeout_at(deadline, source.explain(index, req, &snapshot, &needs, budget)).await {
            Ok(explanation) => {
                snapshot.diagnostics = Diagnostics { replication, ..explanation.diagnostics };
                snapshot.warnings.extend(explanation.warnings);
                snapshot.stats.absorb(explanation.stats);
            }
            Err(_) => {
                let why =
                    format!("the poll's timeout ({}) ran out while explaining", humantime::format_duration(timeout));
                snapshot.warnings.push(format!(
                    "CloudTrail and EventBridge not checked: {why}; what was read is kept and the next poll goes on \
                     from there (a longer `timeout` leaves more time)"
                ));
                snapshot.diagnostics = Diagnostics { replication, ..not_read(&why) };
            }
        }
        snapshot.stats.phases.push(("explain".into(), explain_started.elapsed()));
    }
    snapshot.stats.phases.push(("total".into(), started.elapsed()));
    tracing::debug!(
        profile = source.profiles().get(index).map_or("?", |p| p.name.as_str()),
        elapsed = ?started.elapsed(),
        explained = !needs.is_empty(),
        errors = snapshot.errors.len(),
        warnings = snapshot.warnings.len(),
        "poll finished"
    );
    snapshot
}

/// Diagnostics of an explain step that did not run (or was cut off), for `why`.
fn not_read(why: &str) -> Diagnostics {
    Diagnostics {
        put_images: Lookup::Skipped(why.into()),
        rules: Lookup::Skipped(why.into()),
        other_rules: Lookup::Skipped(why.into()),
        trails: Lookup::Skipped(why.into()),
        failed_invocations: Lookup::Skipped(why.into()),
        replication: Lookup::Skipped(why.into()),
    }
}

/// Makes one poll of every profile for `req`, concurrently; the snapshots are in profile order.
pub async fn poll_every_profile<S: Source>(
    source: Arc<S>,
    req: PollRequest,
    timeout: Duration,
) -> Vec<ProfileSnapshot> {
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
    /// The core read of a poll of `profile` ended and its explain step goes on: what was read so far.
    Read { profile: usize, snapshot: Box<ProfileSnapshot> },
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
    /// Starts one task per profile, each polling at once and then every `refresh` (reading `lookback` back, with
    /// pushes given `grace` to start their run).
    ///
    /// A profile's next poll starts only after its previous one ended, so polls never pile up.
    pub fn spawn<S: Source>(
        source: Arc<S>,
        refresh: Duration,
        lookback: Duration,
        grace: Duration,
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
                    let req = PollRequest { now: Timestamp::now(), lookback, grace };
                    let read = |s: &ProfileSnapshot| {
                        let _ = tx.send(PollEvent::Read { profile, snapshot: Box::new(s.clone()) });
                    };
                    let snapshot = poll_reporting(source.as_ref(), profile, req, timeout, read).await;
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

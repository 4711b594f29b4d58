//! Notifications without Prometheus: each newly untriggered push is announced once, by a command, a webhook and
//! (in the dashboard) the terminal bell, for the dashboard and `serve` alike.
//!
//! The front end hands every new [`Analysis`] to [`Notifications::observe`], which only compares and queues: each
//! configured sink (the command, the webhook) has its own task with a bounded queue ([`sink`]) that delivers, retries
//! with backoff and records what it delivered in the state file ([`store`]), so a hung command or a dead webhook
//! never delays polling, drawing, the other sink or the HTTP server. What was delivered is remembered across
//! restarts; when the state file cannot be read or written, the pushes already untriggered when a profile's data
//! first arrives are taken as announced (a logged warning, never a storm of repeated notifications).

mod command;
mod message;
mod sink;
mod store;
mod webhook;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::analysis::correlate::PushStatus;
use crate::analysis::{Analysis, PushVerdict};
use crate::config::Notify;
use crate::report::json;
use sink::{Deliver, Job};
use store::{Opened, Store};

/// Jobs waiting for one sink; past this a push is offered again with the next analysis.
const QUEUE: usize = 1024;

/// One push, as notifications remember it: a profile's image (a digest in a repository).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PushKey {
    pub profile: String,
    pub repository: String,
    pub digest: String,
}

impl PushKey {
    /// The key of `verdict`'s push.
    pub fn of(verdict: &PushVerdict) -> Self {
        Self {
            profile: verdict.profile.clone(),
            repository: verdict.push.repository.clone(),
            digest: verdict.push.digest.clone(),
        }
    }
}

/// Where a push is announced besides the bell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// `[notify] command`.
    Command,
    /// `[notify] webhook`.
    Webhook,
}

impl SinkKind {
    /// The name the state file and the logs use.
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Command => "command",
            SinkKind::Webhook => "webhook",
        }
    }

    fn bit(self) -> u8 {
        match self {
            SinkKind::Command => 1,
            SinkKind::Webhook => 2,
        }
    }
}

/// A set of sinks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sinks(u8);

impl Sinks {
    fn with(self, kind: SinkKind) -> Self {
        Sinks(self.0 | kind.bit())
    }

    fn has(self, kind: SinkKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// What is known about one untriggered push.
#[derive(Debug, Clone, Copy)]
struct Entry {
    pushed_at: Timestamp,
    /// Sinks that need nothing more for it: delivered (in an earlier run or this one), taken as announced, queued,
    /// being retried, or given up on in this run.
    queued: Sinks,
}

/// The announcing of newly untriggered pushes: which ones are new, and the tasks that deliver them.
#[derive(Debug)]
pub struct Notifications {
    bell: bool,
    sinks: Vec<(SinkKind, mpsc::Sender<Job>)>,
    store: Option<Arc<Mutex<Store>>>,
    entries: HashMap<PushKey, Entry>,
    /// When the state file cannot be trusted: profiles whose data has arrived (their untriggered pushes of that
    /// moment were taken as announced). `None` otherwise.
    baselined: Option<HashSet<String>>,
    /// Entries older than this (by push time) are forgotten.
    retention: Duration,
    /// A full queue was reported (once per run).
    warned_full: bool,
}

impl Notifications {
    /// Only the bell (the demo): nothing is delivered or remembered beyond this run.
    pub fn in_memory(bell: bool) -> Self {
        Self {
            bell,
            sinks: Vec::new(),
            store: None,
            entries: HashMap::new(),
            baselined: None,
            retention: Duration::MAX,
            warned_full: false,
        }
    }

    /// The notifications `config` asks for; starts one task per sink (call within the tokio runtime). Pushes
    /// older than `lookback` (plus a day) are forgotten: they are never read again.
    pub fn start(config: &Notify, lookback: Duration) -> Self {
        Self::start_with(config, lookback, Store::open)
    }

    /// [`Notifications::start`] with the state file `open` gives (tests use their own).
    fn start_with(config: &Notify, lookback: Duration, open: impl FnOnce(Duration) -> (Store, Opened)) -> Self {
        let retention = lookback.saturating_add(Duration::from_secs(24 * 60 * 60));
        let mut this = Self { retention, ..Self::in_memory(config.bell) };
        let mut delivers = Vec::new();
        if let Some(argv) = &config.command {
            delivers.push((SinkKind::Command, Deliver::command(argv.clone(), config.timeout)));
        }
        if let Some(url) = &config.webhook {
            match Deliver::webhook(url, config.timeout) {
                Ok(deliver) => delivers.push((SinkKind::Webhook, deliver)),
                Err(e) => tracing::error!("notify: the webhook cannot be used: {e}"),
            }
        }
        if delivers.is_empty() {
            return this;
        }
        let (store, opened) = open(retention);
        let configured = delivers.iter().fold(Sinks::default(), |s, (kind, _)| s.with(*kind));
        match opened {
            Opened::Fresh => tracing::info!("notify: remembering announced pushes in {}", store.shown_path()),
            Opened::Loaded => {
                for (key, pushed_at, delivered) in store.records() {
                    let delivered = delivered.iter().fold(Sinks::default(), |s, k| s.with(*k));
                    let queued = Sinks(delivered.0 & configured.0);
                    this.entries.insert(key.clone(), Entry { pushed_at, queued });
                }
            }
            Opened::Baseline(why) => {
                tracing::warn!(
                    "notify: {why}; the pushes already untriggered when each profile's data first arrives are taken \
                     as announced (only pushes that become untriggered later are announced)"
                );
                this.baselined = Some(HashSet::new());
            }
        }
        let store = Arc::new(Mutex::new(store));
        this.sinks = delivers
            .into_iter()
            .map(|(kind, deliver)| (kind, sink::spawn(kind, deliver, Arc::clone(&store))))
            .collect();
        this.store = Some(store);
        this
    }

    /// Whether the dashboard rings its bell for a newly untriggered push.
    pub fn bell(&self) -> bool {
        self.bell
    }

    /// Looks for untriggered pushes not seen before and queues them for every sink that has not delivered them;
    /// returns how many were new. Never blocks: a full queue leaves the push for the next analysis.
    pub fn observe(&mut self, analysis: &Analysis) -> usize {
        self.baseline(analysis);
        let mut new = 0;
        for verdict in analysis.pushes.iter().filter(|v| v.status == PushStatus::Untriggered) {
            let key = PushKey::of(verdict);
            let entry = self.entries.entry(key.clone()).or_insert_with(|| {
                new += 1;
                Entry { pushed_at: verdict.push.pushed_at, queued: Sinks::default() }
            });
            let mut message = None;
            for (kind, queue) in &self.sinks {
                if entry.queued.has(*kind) {
                    continue;
                }
                let message = message.get_or_insert_with(|| {
                    let console = json::console_of(analysis, &verdict.profile);
                    Arc::new(message::Message::of(verdict, console.as_ref()))
                });
                let job = Job { key: key.clone(), pushed_at: verdict.push.pushed_at, message: Arc::clone(message) };
                match queue.try_send(job) {
                    Ok(()) => entry.queued = entry.queued.with(*kind),
                    Err(_) if !self.warned_full => {
                        self.warned_full = true;
                        tracing::warn!(
                            "notify: {} is {QUEUE} pushes behind; the rest wait for the next poll",
                            kind.as_str()
                        );
                    }
                    Err(_) => {}
                }
            }
        }
        self.forget_old(analysis.generated_at);
        new
    }

    /// Without a trustworthy state file: the first time a profile's data is in the analysis, its untriggered pushes
    /// are taken as announced (and recorded so, if the file can be written).
    fn baseline(&mut self, analysis: &Analysis) {
        let Some(baselined) = &mut self.baselined else { return };
        let arrived: Vec<&str> = analysis
            .profiles
            .iter()
            .filter(|p| p.identity.is_some() && !baselined.contains(&p.name))
            .map(|p| p.name.as_str())
            .collect();
        if arrived.is_empty() {
            return;
        }
        let all = self.sinks.iter().fold(Sinks::default(), |s, (kind, _)| s.with(*kind));
        let kinds: Vec<SinkKind> = self.sinks.iter().map(|(kind, _)| *kind).collect();
        let mut taken = Vec::new();
        for verdict in analysis.pushes.iter().filter(|v| v.status == PushStatus::Untriggered) {
            if arrived.contains(&verdict.profile.as_str()) {
                let key = PushKey::of(verdict);
                let pushed_at = verdict.push.pushed_at;
                self.entries.insert(key.clone(), Entry { pushed_at, queued: all });
                taken.push((key, pushed_at));
            }
        }
        baselined.extend(arrived.iter().map(|p| p.to_string()));
        if !taken.is_empty() {
            tracing::info!("notify: {} untriggered pushes taken as already announced", taken.len());
            if let Some(store) = &self.store
                && let Ok(mut store) = store.lock()
            {
                store.record(&taken, &kinds);
            }
        }
    }

    /// Forgets pushes older than the retention (they are out of every lookback).
    fn forget_old(&mut self, now: Timestamp) {
        let retention = SignedDuration::try_from(self.retention).unwrap_or(SignedDuration::MAX);
        let Ok(oldest) = now.checked_sub(retention) else { return };
        self.entries.retain(|_, e| e.pushed_at >= oldest);
    }
}

#[cfg(test)]
mod tests;

//! One sink (the command or the webhook): a task with a bounded queue that delivers each push, retries failures
//! with backoff, and records deliveries in the state file.
//!
//! A push waiting for its retry never holds back the next push's first attempt; each attempt is bounded by the
//! `[notify] timeout`, so a hung command or a dead webhook slows only its own sink.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::message::Message;
use super::store::Store;
use super::{PushKey, QUEUE, SinkKind, command, webhook};

/// Attempts per push before the sink gives up on it (until the next start).
pub(super) const MAX_ATTEMPTS: u32 = 12;
/// The wait before the first retry; it doubles with each failure, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// One push to announce.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub(super) key: PushKey,
    pub(super) pushed_at: Timestamp,
    pub(super) message: Arc<Message>,
}

/// How a sink delivers.
#[derive(Debug)]
pub(super) enum Deliver {
    Command(command::Command),
    Webhook(Box<webhook::Webhook>),
}

impl Deliver {
    pub(super) fn command(argv: Vec<String>, timeout: Duration) -> Self {
        Deliver::Command(command::Command { argv, timeout })
    }

    pub(super) fn webhook(url: &str, timeout: Duration) -> Result<Self, String> {
        webhook::Webhook::new(url, timeout).map(|w| Deliver::Webhook(Box::new(w)))
    }

    /// Delivers one message; the error is one line for the log (never the webhook URL or the command's arguments).
    async fn send(&self, message: &Message) -> Result<(), String> {
        match self {
            Deliver::Command(c) => c.run(&message.push_json).await,
            Deliver::Webhook(w) => w.post(&message.webhook_json).await,
        }
    }

    /// Where it delivers, for logs.
    fn target(&self) -> String {
        match self {
            Deliver::Command(c) => c.program(),
            Deliver::Webhook(w) => w.host(),
        }
    }
}

/// The wait before attempt `attempt + 1` after `attempt` failed ones.
pub(super) fn backoff(failed: u32) -> Duration {
    let factor = 2u32.saturating_pow(failed.saturating_sub(1));
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Starts the task of sink `kind`; it ends when the returned sender is dropped.
pub(super) fn spawn(kind: SinkKind, deliver: Deliver, store: Arc<Mutex<Store>>) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(run(kind, deliver, store, rx));
    tx
}

/// A push whose last attempt failed.
struct Retry {
    due: Instant,
    failed: u32,
    job: Job,
}

async fn run(kind: SinkKind, deliver: Deliver, store: Arc<Mutex<Store>>, mut rx: mpsc::Receiver<Job>) {
    let mut retries: Vec<Retry> = Vec::new();
    loop {
        let next_due = retries.iter().map(|r| r.due).min();
        let (job, failed) = tokio::select! {
            job = rx.recv() => match job {
                Some(job) => (job, 0),
                None => return,
            },
            _ = sleep_until(next_due), if next_due.is_some() => {
                let now = Instant::now();
                let Some(i) = retries.iter().position(|r| r.due <= now) else { continue };
                let r = retries.swap_remove(i);
                (r.job, r.failed)
            }
        };
        match deliver.send(&job.message).await {
            Ok(()) => {
                tracing::info!("notify: {} announced to {} ({})", job.message.what, kind.as_str(), deliver.target());
                if let Ok(mut store) = store.lock() {
                    store.record(&[(job.key.clone(), job.pushed_at)], &[kind]);
                }
            }
            Err(e) => {
                let failed = failed + 1;
                if failed >= MAX_ATTEMPTS {
                    tracing::error!(
                        "notify: giving up on announcing {} to {} ({}) after {failed} attempts: {e}",
                        job.message.what,
                        kind.as_str(),
                        deliver.target()
                    );
                } else {
                    let wait = backoff(failed);
                    tracing::warn!(
                        "notify: announcing {} to {} ({}) failed, retrying in {}: {e}",
                        job.message.what,
                        kind.as_str(),
                        deliver.target(),
                        humantime::format_duration(wait)
                    );
                    retries.push(Retry { due: Instant::now() + wait, failed, job });
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_five_minutes() {
        let waits: Vec<u64> = (1..MAX_ATTEMPTS).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }
}

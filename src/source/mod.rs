//! The data-source seam: one trait, two implementations (AWS and the built-in demo).
//!
//! Everything above this module (poller, correlation, reports, TUI) runs the same code whichever source feeds it.

pub mod aws;
pub mod demo;

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

use crate::model::{ProfileMeta, ProfileSnapshot};

/// What one poll asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollRequest {
    /// The moment the poll starts; lookback is measured from it.
    pub now: Timestamp,
    /// How far back pushes and executions are read.
    pub lookback: Duration,
}

impl PollRequest {
    /// The oldest moment of interest (`now - lookback`).
    pub fn since(&self) -> Timestamp {
        jiff::SignedDuration::try_from(self.lookback)
            .ok()
            .and_then(|d| self.now.checked_sub(d).ok())
            .unwrap_or(Timestamp::MIN)
    }
}

/// A source of per-profile snapshots.
///
/// `poll` never fails as a whole: errors are written into the snapshot so that partial data survives.
pub trait Source: Send + Sync + 'static {
    /// The profiles this source serves, in display order.
    fn profiles(&self) -> &[ProfileMeta];

    /// Polls profile `index` once.
    fn poll(&self, index: usize, req: PollRequest) -> impl Future<Output = ProfileSnapshot> + Send;
}

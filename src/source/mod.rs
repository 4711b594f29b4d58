//! The data-source seam: one trait, two implementations (AWS and the built-in demo).
//!
//! Everything above this module (poller, correlation, reports, TUI) runs the same code whichever source feeds it.

pub mod aws;
pub mod demo;

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

use crate::analysis::needs::Needs;
use crate::model::{Diagnostics, PollStats, ProfileMeta, ProfileSnapshot};

/// What one poll asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollRequest {
    /// The moment the poll starts; lookback is measured from it.
    pub now: Timestamp,
    /// How far back pushes and executions are read.
    pub lookback: Duration,
    /// How long a watched push may wait for its run (decides which pushes need explaining).
    pub grace: Duration,
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

/// What the explain step of one poll found: the diagnostics of the pushes that needed explaining, problems worth a
/// warning, and what it cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    pub diagnostics: Diagnostics,
    pub warnings: Vec<String>,
    pub stats: PollStats,
}

/// A source of per-profile snapshots.
///
/// A poll has two steps, both run by the poller within the profile's one timeout: [`Source::poll`] reads the core
/// data (identity, pipelines, runs, images); then, only when the analysis finds something that needs explaining
/// ([`crate::analysis::needs`]), [`Source::explain`] reads what explains it (CloudTrail records, trigger rules).
/// Neither fails as a whole: errors are written into what they return, so that partial data survives.
pub trait Source: Send + Sync + 'static {
    /// The profiles this source serves, in display order.
    fn profiles(&self) -> &[ProfileMeta];

    /// Waits, before the poll of profile `index` and outside its timeout, for what pipewatch itself queues that
    /// poll behind: the AWS source's turn in an AssumeRole quota (`[settings] assume_role_rate`), which at 500
    /// profiles and 10 a second lasts up to 50 s. Makes no request, and ends within the quota's wait.
    ///
    /// The default waits for nothing.
    fn prepare(&self, index: usize) -> impl Future<Output = ()> + Send {
        let _ = index;
        std::future::ready(())
    }

    /// Reads the core data of profile `index` once.
    fn poll(&self, index: usize, req: PollRequest) -> impl Future<Output = ProfileSnapshot> + Send;

    /// Reads what explains `needs` in `snapshot` (the core data this same poll read), within `budget` (the time
    /// left of the poll's timeout: past it the poller cuts the step off, so a source should wrap up before).
    ///
    /// The default explains nothing (every lookup "not checked").
    fn explain(
        &self,
        index: usize,
        req: PollRequest,
        snapshot: &ProfileSnapshot,
        needs: &Needs,
        budget: Duration,
    ) -> impl Future<Output = Explanation> + Send {
        let _ = (index, req, snapshot, needs, budget);
        std::future::ready(Explanation::default())
    }
}

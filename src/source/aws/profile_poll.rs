//! One poll of one profile in progress, as every reader sees it: the clients, what to read, what the profile
//! remembers, the call budget and the time window.

use jiff::Timestamp;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::clients::ProfileClients;
use super::memory::ProfileMemory;
use super::quota::AccountQuota;
use super::stats::CallStats;

/// Requests in flight at once inside one profile.
pub(super) const PROFILE_IN_FLIGHT: usize = 4;

/// What to read in a profile besides what its pipelines watch.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// Only these pipelines (None: every pipeline of the account).
    pub pipelines: Option<Vec<String>>,
    /// Extra repositories to read.
    pub repositories: Vec<String>,
    /// Read CloudTrail `PutImage` records.
    pub cloudtrail: bool,
    /// Check EventBridge rules.
    pub eventbridge: bool,
    /// The account the credentials must act in (the account of `role_arn`); a poll answered by another account is
    /// a failure, and its data is dropped.
    pub account: Option<String>,
    /// The partition of `role_arn` (`aws`, `aws-cn`, `aws-us-gov`), when the profile assumes a role.
    pub partition: Option<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            pipelines: None,
            repositories: Vec::new(),
            cloudtrail: true,
            eventbridge: true,
            account: None,
            partition: None,
        }
    }
}

/// Everything one poll of one profile needs.
pub(super) struct ProfilePoll<'a> {
    pub clients: &'a ProfileClients,
    pub scope: &'a Scope,
    pub memory: &'a ProfileMemory,
    /// Requests in flight across every profile.
    pub limit: &'a Semaphore,
    /// The request quota of the account and region, shared with the other profiles polling them.
    pub quota: &'a AccountQuota,
    pub stats: &'a CallStats,
    /// The oldest moment of interest.
    pub since: Timestamp,
    /// The moment the poll started.
    pub now: Timestamp,
}

impl ProfilePoll<'_> {
    /// Waits for a slot under the global cap and for `api`'s quota in the account, and counts one call of `api`.
    /// The slot comes first: a request leaves when its quota says, never in a bunch released by the cap.
    pub async fn slot(&self, api: &'static str) -> Option<SemaphorePermit<'_>> {
        self.stats.call(api);
        let slot = self.limit.acquire().await.ok();
        self.quota.take(api).await;
        slot
    }

    /// Takes the next page of a paginator (`next`: its `.next()`) in a slot under the global cap and within `api`'s
    /// quota, counting a call of `api` when a page (or an error) came: a paginator sends its next request only when
    /// asked for a page, and sends none once the last page was read (the quota gets that request back).
    pub async fn page<T>(&self, api: &'static str, next: impl Future<Output = Option<T>>) -> Option<T> {
        let _slot = self.limit.acquire().await.ok();
        self.quota.take(api).await;
        let page = next.await;
        if page.is_some() {
            self.stats.call(api);
        } else {
            self.quota.refund(api);
        }
        page
    }

    /// Runs `f`, recording its wall time as `phase`.
    pub async fn timed<T>(&self, phase: &'static str, f: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        self.stats.phase(phase, start.elapsed());
        out
    }
}

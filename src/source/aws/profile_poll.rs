//! One poll of one profile in progress, as every reader sees it: the clients, what to read, what the profile
//! remembers, the call budget and the time window.

use jiff::Timestamp;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::clients::ProfileClients;
use super::memory::ProfileMemory;
use super::quota::AccountQuota;
use super::stats::CallStats;

/// Requests in flight at once inside one profile, per kind of read (definitions, runs, images, rules): the burst of
/// the account's quota of one API (`quota::API_RATE`), so that the pipelines of an account of up to that many are
/// read in one round trip.
pub(super) const PROFILE_IN_FLIGHT: usize = 8;

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

    /// Runs `f`, recording its wall time as `phase`.
    pub async fn timed<T>(&self, phase: &'static str, f: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        self.stats.phase(phase, start.elapsed());
        out
    }
}

/// The token of the next page: the one a page returned, unless it is empty or the one just sent (a service that
/// returned the same token again would be paged forever; the SDK's paginators stop there too). Pages are followed by
/// hand rather than with the SDK's paginators, which hold a channel of a few kilobytes each from the moment they are
/// made: thousands of them waited for a slot at once at 200 profiles (heaptrack: 24 MB at the peak; BENCHMARKS.md,
/// "Organization scale").
pub(super) fn next_token(returned: Option<&str>, sent: Option<&str>) -> Option<String> {
    returned.filter(|t| !t.is_empty() && Some(*t) != sent).map(str::to_string)
}

//! CloudTrail `PutImage` records (LookupEvents) of the pushes that need explaining: who pushed each, and with which
//! tag. A failure here is a warning and a "not checked", never a profile failure.
//!
//! Only the windows of time around those pushes are read (`StartTime`/`EndTime`), merged where they overlap, newest
//! first, minus what the profile already read completely. A read cut short (by the time left, the page cap or
//! throttling) keeps its records and its `NextToken` and goes on from there on the next poll that still needs it. A
//! window read to its last page counts as complete only when the read started after CloudTrail's delivery delay
//! had passed for all of it; before that it is provisional, and read again (no sooner than [`REREAD_AFTER`]) while
//! its pushes still need it. Calls are paced by the account and region's [`RateLimiter`].

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use super::convert;
use super::errors::poll_error;
use super::limiter::RateLimiter;
use super::memory::{PartialRead, TrailCache};
use super::profile_poll::ProfilePoll;
use crate::analysis::diagnose::CLOUDTRAIL_DELAY;
use crate::analysis::needs::{Needs, RECORD_MARGIN, Why};
use crate::model::{CloudTrailRead, ErrorKind, Lookup, PollError, TimeWindow, Windows};

/// Pages of [`TRAIL_PAGE`] events read at most per poll (at 2 pages a second, 10 s of a profile's poll).
pub(super) const MAX_TRAIL_PAGES: usize = 20;
/// Events per LookupEvents page (the API's maximum).
const TRAIL_PAGE: i32 = 50;
/// A window read before the delivery delay passed is read again no sooner than this.
pub(super) const REREAD_AFTER: Duration = Duration::from_secs(60);

/// Windows to read no further apart than this (the width of one push's window) are read as one. LookupEvents allows 2
/// calls a second per account and region, and the events of a gap this narrow cost an extra page only when more than
/// 50 `PutImage` calls fell in it, where a window of its own always costs a call. Pushes made every 20 minutes, each
/// needing its window, took 3 to 4 calls half a second apart at 10 profiles (BENCHMARKS.md, "Organization scale").
const BRIDGE: SignedDuration = SignedDuration::from_secs(2 * RECORD_MARGIN.as_secs() as i64);

const API: &str = "cloudtrail:LookupEvents";

/// What the read produced: the records and coverage (or why CloudTrail could not be read), and warnings.
#[derive(Debug)]
pub(super) struct TrailOutcome {
    pub read: Lookup<CloudTrailRead>,
    pub warnings: Vec<String>,
}

/// Where the read of the wanted windows stopped before reading them all.
#[derive(Debug)]
enum Stop {
    /// The time the poll left for explaining ran out.
    Time,
    /// [`MAX_TRAIL_PAGES`] pages were read.
    PageCap,
    /// LookupEvents stayed throttled through the SDK's retries.
    Throttled,
    /// Any other failure: CloudTrail cannot be read now (a permission, an unreadable answer, ...).
    Failed(PollError),
}

/// One window to read this poll: resumed (with a token) or fresh.
#[derive(Debug)]
struct Job {
    window: TimeWindow,
    started: Timestamp,
    token: Option<String>,
}

/// Where the account's calls go, for the warnings: the caller identity's account and the profile's region.
pub(super) struct Place<'a> {
    pub account: Option<&'a str>,
    pub region: &'a str,
}

/// Reads what `needs` wants of CloudTrail and is not known yet, until `deadline`, and returns everything the profile
/// knows of CloudTrail within the lookback.
pub(super) async fn read(
    p: &ProfilePoll<'_>,
    needs: &Needs,
    place: Place<'_>,
    limiter: &RateLimiter,
    deadline: Instant,
) -> TrailOutcome {
    let (since, now) = (p.since, p.now);
    let mut cache = p.memory.trail.lock().await;
    cache.forget_before(since);
    let mut jobs = plan(&mut cache, needs, since, now);
    let mut stop = None;
    let mut pages = 0;
    let mut unfinished = Vec::new();
    for mut job in jobs.drain(..) {
        if stop.is_none() {
            match read_window(p, &mut cache, &mut job, place.account, limiter, deadline, &mut pages).await {
                Ok(()) => continue,
                Err(s) => stop = Some(s),
            }
        }
        // Unread or cut short: a read that got a token goes on from it next time; one that never started is planned
        // again from what is still needed then.
        if let Some(token) = job.token {
            unfinished.push(PartialRead { window: job.window, started: job.started, token });
        }
    }
    cache.partial.extend(unfinished);

    let read = CloudTrailRead {
        records: cache.records.values().cloned().collect(),
        read_until: now,
        complete: cache.complete.clone(),
    };
    let (unchecked, total) = (unchecked(needs, &read), needs.records.len());
    let mut warnings = Vec::new();
    let read = match stop {
        None => Lookup::Done(read),
        Some(Stop::Failed(e)) => {
            let why = format!("{API} failed: {}", e.message);
            warnings.push(format!("pushes not attributed: {why} (needs {API})"));
            Lookup::Skipped(why)
        }
        Some(Stop::Throttled) => {
            let where_ = match place.account {
                Some(a) => format!("account {a}, region {}", place.region),
                None => format!("region {}", place.region),
            };
            warnings.push(format!(
                "CloudTrail LookupEvents is throttled in {where_} (AWS allows 2 requests per second per account and \
                 region, for all callers together): {} of {total} pushes to explain not checked yet; what was read \
                 is kept and the next poll goes on from there. If this lasts, look for other tools calling \
                 LookupEvents in that account and region.",
                unchecked
            ));
            Lookup::Done(read)
        }
        Some(Stop::Time) => {
            warnings.push(format!(
                "CloudTrail: the time around {} of {total} pushes to explain was not read completely within this \
                 poll's time; what was read is kept and the next poll goes on from there (a longer `timeout` \
                 finishes it sooner)",
                unchecked
            ));
            Lookup::Done(read)
        }
        Some(Stop::PageCap) => {
            warnings.push(format!(
                "CloudTrail: more than {} PutImage events around the pushes to explain; {} of {total} pushes not \
                 checked yet, the next poll goes on from there",
                MAX_TRAIL_PAGES * TRAIL_PAGE as usize,
                unchecked
            ));
            Lookup::Done(read)
        }
    };
    TrailOutcome { read, warnings }
}

/// The windows to read this poll, newest first: what `needs` wants within the lookback, minus what is known
/// (complete windows, recently read provisional ones, pushes whose record is already here), with the cut-short
/// reads that overlap it resumed as they started. Cut-short reads nothing wants any more are dropped.
fn plan(cache: &mut TrailCache, needs: &Needs, since: Timestamp, now: Timestamp) -> Vec<Job> {
    let known: HashSet<(&str, &str)> =
        cache.records.values().filter_map(|r| Some((r.repository.as_str(), r.digest.as_deref()?))).collect();
    let reread = SignedDuration::try_from(REREAD_AFTER).unwrap_or(SignedDuration::ZERO);
    let recently: Vec<TimeWindow> =
        cache.provisional.iter().filter(|(_, at)| now.duration_since(*at) < reread).map(|p| p.0).collect();
    let wanted = Windows::of(
        needs
            .records
            .iter()
            .filter(|n| n.why == Why::MovedTag || !known.contains(&(n.repository.as_str(), n.digest.as_str())))
            .map(|n| n.window.clip(since, now))
            // Read provisionally a moment ago (up to that moment): again only after a while.
            .filter(|w| !recently.iter().any(|r| r.overlaps(w))),
    );
    let to_read = wanted.minus(&cache.complete).bridged(BRIDGE);

    cache.partial.retain(|r| to_read.as_slice().iter().any(|w| w.overlaps(&r.window)));
    let resumed = Windows::of(cache.partial.iter().map(|r| r.window));
    let mut jobs: Vec<Job> = cache
        .partial
        .drain(..)
        .map(|r| Job { window: r.window, started: r.started, token: Some(r.token) })
        .chain(to_read.minus(&resumed).as_slice().iter().map(|&window| Job { window, started: now, token: None }))
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.window.end));
    jobs
}

/// Reads one window from its token (or its start) to its last page, recording each page in `cache` as it comes.
async fn read_window(
    p: &ProfilePoll<'_>,
    cache: &mut TrailCache,
    job: &mut Job,
    account: Option<&str>,
    limiter: &RateLimiter,
    deadline: Instant,
    pages: &mut usize,
) -> Result<(), Stop> {
    let put_image = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value("PutImage")
        .build()
        .map_err(|e| Stop::Failed(PollError::of_call(API, ErrorKind::Internal, e.to_string())))?;
    loop {
        if *pages >= MAX_TRAIL_PAGES {
            return Err(Stop::PageCap);
        }
        let request = p
            .clients
            .explain()
            .cloudtrail
            .lookup_events()
            .lookup_attributes(put_image.clone())
            .start_time(convert::datetime(job.window.start))
            .end_time(convert::datetime(job.window.end))
            .max_results(TRAIL_PAGE)
            .set_next_token(job.token.clone());
        let page = tokio::time::timeout_at(deadline, async {
            limiter.wait().await;
            let _slot = p.slot(API).await;
            request.customize().config_override(p.clients.auth()).send().await
        })
        .await
        .map_err(|_| Stop::Time)?
        .map_err(|e| {
            let e = poll_error(API, &e);
            if e.kind == ErrorKind::Throttled { Stop::Throttled } else { Stop::Failed(e) }
        })?;
        *pages += 1;
        for rec in page.events().iter().filter_map(|ev| convert::put_image_record(ev, account)) {
            let key = if rec.event_id.is_empty() {
                format!("{}/{:?}", rec.event_time, rec.digest)
            } else {
                rec.event_id.clone()
            };
            cache.records.insert(key, rec);
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => job.token = Some(t.to_string()),
            _ => {
                finish(cache, job);
                return Ok(());
            }
        }
    }
}

/// Records a window read to its last page: complete if the read started after the delivery delay had passed for
/// all of it, else provisional.
fn finish(cache: &mut TrailCache, job: &Job) {
    let delay = SignedDuration::try_from(CLOUDTRAIL_DELAY).unwrap_or(SignedDuration::ZERO);
    let settled = job.window.end.saturating_add(delay).is_ok_and(|t| job.started >= t);
    if settled {
        cache.complete.insert(job.window);
        let complete = &cache.complete;
        cache.provisional.retain(|(w, _)| !complete.covers(w));
    } else {
        cache.provisional.retain(|(w, _)| !job.window.contains(w));
        cache.provisional.push((job.window, job.started));
    }
}

/// How many wanted pushes the read can say nothing about: no record of theirs and their window not complete.
fn unchecked(needs: &Needs, read: &CloudTrailRead) -> usize {
    needs
        .records
        .iter()
        .filter(|n| {
            let found =
                read.records.iter().any(|r| r.repository == n.repository && r.digest.as_ref() == Some(&n.digest));
            !read.covers(&n.window) && (n.why == Why::MovedTag || !found)
        })
        .count()
}

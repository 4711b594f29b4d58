//! CloudTrail `PutImage` records (LookupEvents), read incrementally and paced to the API's limit: who pushed each
//! image. A failure here is a warning and a skipped check, never a profile failure.

use std::time::Duration;

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use jiff::SignedDuration;

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{CloudTrailRead, ErrorKind, PollError};

/// Records arrive late (about 5 minutes): each incremental read re-reads this much of the window already read.
const TRAIL_OVERLAP: Duration = Duration::from_secs(15 * 60);
/// Pages of [`TRAIL_PAGE`] events read at most per poll.
const MAX_TRAIL_PAGES: usize = 20;
/// Events per LookupEvents page (the API's maximum).
const TRAIL_PAGE: i32 = 50;

/// What a CloudTrail read produced: the records, and a note when the read stopped at the page cap.
pub(super) type TrailRead = (CloudTrailRead, Option<String>);

/// Reads the `PutImage` records since the last read (or `since` the first time), merged with what was read before.
/// `account` is the profile's, for records that name no recipient.
pub(super) async fn read(p: &ProfilePoll<'_>, account: Option<&str>) -> Result<TrailRead, PollError> {
    let api = "cloudtrail:LookupEvents";
    let (since, now) = (p.since, p.now);
    let mut cache = p.memory.trail.lock().await;
    let overlap = SignedDuration::try_from(TRAIL_OVERLAP).unwrap_or(SignedDuration::ZERO);
    let start = match cache.read_until {
        Some(u) => u.saturating_sub(overlap).unwrap_or(u).max(since),
        None => since,
    };
    let put_image = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value("PutImage")
        .build()
        .map_err(|e| PollError::of_call(api, ErrorKind::Internal, e.to_string()))?;
    let mut pages = p
        .clients
        .cloudtrail
        .lookup_events()
        .lookup_attributes(put_image)
        .start_time(convert::datetime(start))
        .end_time(convert::datetime(now))
        .into_paginator()
        .page_size(TRAIL_PAGE)
        .send();
    let mut read = 0;
    let mut truncated = None;
    let mut fresh = Vec::new();
    loop {
        p.memory.limiter.wait().await;
        let Some(page) = p.page(api, pages.next()).await else { break };
        let page = page.map_err(|e| poll_error(api, &e))?;
        read += 1;
        fresh.extend(page.events().iter().filter_map(|ev| convert::put_image_record(ev, account)));
        // Stop before pacing a request that would find nothing, and at the page cap (the paginator stream is dropped
        // unread: no further request is sent).
        if page.next_token().is_none_or(str::is_empty) {
            break;
        }
        if read >= MAX_TRAIL_PAGES {
            truncated = Some(format!(
                "CloudTrail: more than {} PutImage events since {start}; only the newest were read",
                read * TRAIL_PAGE as usize
            ));
            break;
        }
    }
    for rec in fresh {
        let key =
            if rec.event_id.is_empty() { format!("{}/{:?}", rec.event_time, rec.digest) } else { rec.event_id.clone() };
        cache.records.insert(key, rec);
    }
    cache.records.retain(|_, r| r.event_time >= since);
    cache.read_until = Some(now);
    Ok((CloudTrailRead { records: cache.records.values().cloned().collect(), read_until: now }, truncated))
}

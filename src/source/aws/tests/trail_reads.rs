//! CloudTrail reads that finish and never overstate: windows around the pushes that need them, reads that resume
//! where they stopped (page cap, throttling), windows read before the delivery delay read again, and one pace per
//! account and region across profiles.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
use aws_sdk_ecr::operation::describe_images::DescribeImagesOutput;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::chain::HopKind;
use crate::analysis::correlate::PushStatus;

/// The finding's message and the push hop's evidence for the (only) push of `snap`, at `req`.
fn what_is_said(snap: &ProfileSnapshot, req: PollRequest) -> (String, String) {
    let report = report_at(snap, req);
    let push = &report.pushes[0];
    let message = push.findings.first().map(|f| f.message.clone()).unwrap_or_default();
    let hop = push.chain.iter().find(|h| h.hop == HopKind::Push).map(|h| h.evidence.clone()).unwrap_or_default();
    (message, hop)
}

fn requests(seen: &Seen) -> Vec<(i64, i64, Option<String>)> {
    seen.lock().unwrap().iter().map(|(s, e, t, _)| (*s, *e, t.clone())).collect()
}

#[tokio::test(start_paused = true)]
async fn a_read_cut_at_the_page_cap_resumes_where_it_stopped_and_only_then_says_no_record() {
    let seen = Seen::default();
    // 25 pages of other images' records around the push.
    let pages =
        mock!(aws_sdk_cloudtrail::Client::lookup_events).match_requests(recorder(&seen)).then_compute_output(|r| {
            let n: i64 = r.next_token().map_or(0, |t| t.parse().unwrap());
            let event = trail_event(&format!("e{n}"), "111111111111", &format!("sha256:{n}"), -3500 - n);
            lookup_page(vec![event], (n < 24).then(|| (n + 1).to_string()).as_deref())
        });
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&pages], &[&names, &describe]);
    let source = source(c, Scope::default());

    let first = poll_at(&source, request()).await;
    assert_eq!(pages.num_calls(), 20, "the page cap");
    assert_eq!(
        first.warnings,
        [
            "CloudTrail: more than 1000 PutImage events around the pushes to explain; 1 of 1 pushes not checked yet, the \
          next poll goes on from there"
        ]
    );
    let (message, hop) = what_is_said(&first, request());
    assert!(
        message.contains(
            "could not check CloudTrail from 2025-11-24T14:55:00Z to 2025-11-24T15:05:00Z (not read completely yet"
        ),
        "{message}"
    );
    assert!(!message.contains("no PutImage record"), "{message}");
    assert_eq!(hop, "CloudTrail from 2025-11-24T14:55:00Z to 2025-11-24T15:05:00Z is not read completely yet");

    let second = poll_at(&source, later(60)).await;
    assert_eq!(pages.num_calls(), 25, "the rest, from where the first poll stopped");
    let all = requests(&seen);
    assert_eq!(all[20], (-3900, -3300, Some("20".to_string())), "the same window with the token it was given");
    assert!(all.iter().all(|(s, e, _)| (*s, *e) == (-3900, -3300)), "{all:?}");
    assert!(second.warnings.is_empty(), "{:?}", second.warnings);
    assert_eq!(second.diagnostics.put_images.done().unwrap().records.len(), 25, "the first poll's records are kept");
    let (message, hop) = what_is_said(&second, later(60));
    assert!(
        message.contains("CloudTrail: no PutImage record for this digest from 2025-11-24T14:55:00Z to 2025-11-24T15:05:00Z (read completely)"),
        "{message}"
    );
    assert!(hop.starts_with("CloudTrail holds no PutImage record of this image from"), "{hop}");

    poll_at(&source, later(120)).await;
    assert_eq!(pages.num_calls(), 25, "a window read completely is not read again");
}

#[tokio::test(start_paused = true)]
async fn a_throttled_read_keeps_its_progress_and_tells_what_to_do() {
    let throttling = Arc::new(AtomicBool::new(true));
    let seen = Seen::default();
    let first_page = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests({
            let rec = recorder(&seen);
            move |r| rec(r) && r.next_token().is_none()
        })
        .then_output(|| lookup_page(vec![trail_event("e1", "111111111111", "sha256:other", -3500)], Some("t2")));
    let on = Arc::clone(&throttling);
    let throttled = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| r.next_token() == Some("t2") && on.load(Ordering::SeqCst))
        .then_error(|| {
            LookupEventsError::generic(
                ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
            )
        });
    let second_page = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests({
            let rec = recorder(&seen);
            move |r| rec(r) && r.next_token() == Some("t2")
        })
        .then_output(|| lookup_page(vec![trail_event("e2", "222222222222", DIGEST, -3600)], None));
    let (names, describe) = rules_for_web();
    let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
    let c =
        clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[&first_page, &throttled, &second_page], &[&names, &describe]);
    let source = source(c, Scope::default());

    let first = poll_at(&source, request()).await;
    assert_eq!(throttled.num_calls(), 3, "the SDK's attempts");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        first.warnings,
        ["CloudTrail LookupEvents is throttled in account 111111111111, region us-east-1 (AWS allows 2 requests per \
          second per account and region, for all callers together): 1 of 1 pushes to explain not checked yet; what \
          was read is kept and the next poll goes on from there. If this lasts, look for other tools calling \
          LookupEvents in that account and region."]
    );
    assert!(!first.warnings[0].contains("Rate exceeded"), "people are told what happened, not the SDK's words");
    assert_eq!(first.diagnostics.put_images.done().unwrap().records.len(), 1, "the first page is kept");
    assert_eq!(report_at(&first, request()).pushes[0].pusher, None);

    throttling.store(false, Ordering::SeqCst);
    let second = poll_at(&source, later(30)).await;
    assert!(second.warnings.is_empty(), "{:?}", second.warnings);
    assert_eq!((first_page.num_calls(), second_page.num_calls()), (1, 1), "resumed at the second page");
    assert_eq!(requests(&seen).last().unwrap(), &(-3900, -3300, Some("t2".to_string())));
    let report = report_at(&second, later(30));
    assert_eq!(report.pushes[0].pusher.as_ref().map(|p| p.account.as_str()), Some("222222222222"));
    assert_eq!(report.pushes[0].findings[0].code.as_str(), "cross_account_push");
}

#[tokio::test(start_paused = true)]
async fn a_window_read_before_the_delivery_delay_is_provisional_and_read_again() {
    let seen = Seen::default();
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(recorder(&seen))
        .then_output(|| lookup_page(vec![], None));
    // web:latest pushed a minute before NOW, no run yet.
    let young = mock!(aws_sdk_ecr::Client::describe_images).then_output(|| {
        DescribeImagesOutput::builder()
            .image_details(
                ImageDetail::builder().image_digest(DIGEST).image_tags("latest").image_pushed_at(dt(-60)).build(),
            )
            .build()
    });
    let (names, describe) = rules_for_web();
    let (id, lp, gp, ex) = (identity_ok(), list_pipelines(), get_pipeline(), no_runs());
    let c = clients_with(&[&id], &[&lp, &gp, &ex], &[&young], &[&lookup], &[&names, &describe]);
    let source = source(c, Scope::default());

    let mut said = Vec::new();
    for secs in [0, 30, 90, 1200, 1300] {
        let snap = poll_at(&source, later(secs)).await;
        said.push((secs, lookup.num_calls(), report_at(&snap, later(secs)).pushes[0].status));
        if secs == 90 {
            let (_, hop) = what_is_said(&snap, later(secs));
            assert_eq!(hop, "no CloudTrail PutImage record of this image was read", "too young to say more");
        }
        if secs == 1200 {
            let (message, _) = what_is_said(&snap, later(secs));
            assert!(message.contains("no PutImage record for this digest from"), "{message}");
            assert!(message.contains("(read completely)"), "{message}");
        }
    }
    use PushStatus::{Pending, Untriggered};
    assert_eq!(
        said,
        [(0, 1, Pending), (30, 1, Pending), (90, 2, Pending), (1200, 3, Untriggered), (1300, 3, Untriggered)],
        "read at once, not again within a minute, again after it, then once after the delivery delay for good"
    );
    // Each read ends at the poll's now (the push's window reaches into the future at first).
    assert_eq!(requests(&seen), [(-360, 0, None), (-360, 90, None), (-360, 240, None)]);
}

#[tokio::test(start_paused = true)]
async fn two_profiles_in_one_account_and_region_share_its_pace() {
    let seen = Seen::default();
    let paged = || {
        mock!(aws_sdk_cloudtrail::Client::lookup_events).match_requests(recorder(&seen)).then_compute_output(|r| {
            let n: u32 = r.next_token().map_or(0, |t| t.parse().unwrap());
            lookup_page(vec![], (n < 2).then(|| (n + 1).to_string()).as_deref())
        })
    };
    let (lookup_a, lookup_b) = (paged(), paged());
    let (names, describe) = rules_for_web();
    let profile = |lookup: &Rule| {
        let (id, lp, gp, im, ex) = (identity_ok(), list_pipelines(), get_pipeline(), images(), no_runs());
        clients_with(&[&id], &[&lp, &gp, &ex], &[&im], &[lookup], &[&names, &describe])
    };
    let source = Arc::new(AwsSource::with_clients(vec![
        (profile(&lookup_a), Scope::default()),
        (profile(&lookup_b), Scope::default()),
    ]));
    crate::poller::poll_every_profile(Arc::clone(&source), request(), TIMEOUT).await;

    assert_eq!((lookup_a.num_calls(), lookup_b.num_calls()), (3, 3));
    let mut at: Vec<tokio::time::Instant> = seen.lock().unwrap().iter().map(|(.., t)| *t).collect();
    at.sort();
    at.dedup();
    assert_eq!(at.len(), 6, "{at:?}");
    assert!(at.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(500)), "2 per second together: {at:?}");
}

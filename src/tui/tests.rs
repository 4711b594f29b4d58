//! Whole screens (ratatui `TestBackend` + insta) on the hand-built story of `fixtures` at a fixed `now`, a few
//! screenshots of the demo kept on purpose, and style assertions where colour carries meaning (snapshots hold text
//! only).

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::style::{Color, Modifier};

use super::app::App;
use super::fixtures::{self, ACCOUNT_B};
use super::msg::Msg;
use super::testing::{
    app, ch, demo_loaded, demo_now, feed, finished, key, line_with, loaded, loaded_by_time, now, render, screen,
    screen_at, ts, type_text,
};
use super::theme::Theme;
use crate::model::{ErrorKind, Identity, PollError, ProfileSnapshot};
use crate::poller::PollEvent;

/// Selects the first push matching `text` through the filter, then clears the filter.
fn select(a: &mut App, text: &str) {
    type_text(a, &format!("/{text}"));
    a.update(key(KeyCode::Enter), now());
    a.update(key(KeyCode::Esc), now());
}

/// The demo as a user sees it. These screenshots show the demo's story, so they are expected to change whenever the
/// demo changes (review them and accept the new ones then); every other test runs on the hand-built story.
#[test]
fn demo_screenshots() {
    let t = demo_now();
    let mut a = demo_loaded();
    assert_snapshot!("demo_80x24", screen_at(&mut a, t, 80, 24));
    assert_snapshot!("demo_200x50", screen_at(&mut a, t, 200, 50));
    for c in "/api".chars() {
        a.update(ch(c), t);
    }
    a.update(key(KeyCode::Enter), t);
    a.update(key(KeyCode::Esc), t);
    a.update(key(KeyCode::Enter), t);
    assert_snapshot!("demo_push_details_80x24", screen_at(&mut a, t, 80, 24));
    // A buildx push: its platforms and what is attached to it, listed in its details.
    a.update(key(KeyCode::Esc), t);
    for c in "/build-1003".chars() {
        a.update(ch(c), t);
    }
    a.update(key(KeyCode::Enter), t);
    a.update(key(KeyCode::Esc), t);
    a.update(key(KeyCode::Enter), t);
    assert_snapshot!("demo_buildx_push_details_80x24", screen_at(&mut a, t, 80, 24));
    // A push whose rule is disabled, released by hand: untriggered, with the run that deployed it.
    a.update(key(KeyCode::Esc), t);
    for c in "/batch".chars() {
        a.update(ch(c), t);
    }
    a.update(key(KeyCode::Enter), t);
    a.update(key(KeyCode::Esc), t);
    a.update(key(KeyCode::Enter), t);
    assert_snapshot!("demo_released_by_hand_details_120x50", screen_at(&mut a, t, 120, 50));
}

#[test]
fn loading() {
    let mut a = app();
    a.update(Msg::Poll(PollEvent::Started { profile: 0 }), now());
    a.update(Msg::Poll(PollEvent::Started { profile: 1 }), now());
    assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn healthy() {
    assert_snapshot!("healthy_80x24", screen(&mut loaded(), 80, 24));
    assert_snapshot!("healthy_200x50", screen(&mut loaded(), 200, 50));
}

#[test]
fn too_small() {
    assert_snapshot!(screen(&mut loaded(), 40, 10));
}

#[test]
fn flagged_push_selected() {
    let mut a = loaded();
    select(&mut a, "api");
    assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn failed_profile_with_stale_data() {
    let mut a = loaded();
    a.update(Msg::Poll(PollEvent::Started { profile: 1 }), now());
    let expired = "ExpiredTokenException: The security token included in the request is expired";
    let err = PollError::of_call("sts:GetCallerIdentity", ErrorKind::ExpiredCredentials, expired);
    a.update(finished(1, ProfileSnapshot::failed(err), now()), now());
    assert_snapshot!("failed_profile_80x24", screen(&mut a, 80, 24));
    assert_snapshot!("failed_profile_200x50", screen(&mut a, 200, 50));
}

#[test]
fn empty_account() {
    let mut a = app();
    let empty = ProfileSnapshot {
        identity: Some(Identity {
            account: ACCOUNT_B.into(),
            arn: format!("arn:aws:sts::{ACCOUNT_B}:assumed-role/pipewatch-read/pipewatch"),
            user_id: "AROA:pipewatch".into(),
        }),
        ..ProfileSnapshot::default()
    };
    feed(&mut a, vec![fixtures::account_a(), empty], now());
    a.update(ch('p'), now());
    a.update(ch('p'), now());
    assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn filter_active() {
    let mut a = loaded();
    type_text(&mut a, "/web-dep");
    assert_snapshot!("filter_typing", screen(&mut a, 80, 24));
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("filter_kept", screen(&mut a, 80, 24));
}

#[test]
fn flagged_only() {
    let mut a = loaded();
    a.update(ch('f'), now());
    assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn help_overlay() {
    let mut a = loaded();
    a.update(ch('?'), now());
    assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn push_details_untriggered() {
    let mut a = loaded();
    select(&mut a, "api");
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("push_details_80x24", screen(&mut a, 80, 24));
    assert_snapshot!("push_details_200x50", screen(&mut a, 200, 50));
}

#[test]
fn push_details_cross_account() {
    let mut a = loaded();
    select(&mut a, "report");
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!(screen(&mut a, 120, 40));
}

#[test]
fn push_details_pending() {
    let mut a = app();
    feed(&mut a, vec![fixtures::account_a_waiting(), fixtures::account_b()], now());
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!(screen_at(&mut a, ts(30), 120, 40));
}

#[test]
fn execution_details() {
    let mut a = loaded();
    a.update(key(KeyCode::Tab), now());
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("execution_details_80x24", screen(&mut a, 80, 24));
    assert_snapshot!("execution_details_200x50", screen(&mut a, 200, 50));
}

#[test]
fn untriggered_row_is_red_and_bold() {
    let term = render(&loaded(), now(), 120, 40);
    let (_, row) = line_with(term.backend().buffer(), "api:latest");
    // Inside the pushes pane (skip the border and the highlight column), every cell of the row is red and bold.
    for c in &row[2..60] {
        assert_eq!(c.fg, Color::Red, "{:?}", c.symbol());
        assert!(c.modifier.contains(Modifier::BOLD));
    }
    let (_, healthy) = line_with(term.backend().buffer(), "ok triggered");
    assert_eq!(healthy[2].fg, Color::Green);
    assert_ne!(healthy[20].fg, Color::Red);
}

#[test]
fn selected_row_is_reversed_in_the_focused_pane() {
    let term = render(&loaded_by_time(), now(), 120, 40);
    let (_, row) = line_with(term.backend().buffer(), ">ok triggered");
    assert!(row[5].modifier.contains(Modifier::REVERSED));
}

#[test]
fn no_color_keeps_markers_and_bold_but_no_colour() {
    let mut a = loaded();
    a.theme = Theme::of(false);
    let term = render(&a, now(), 120, 40);
    let buf = term.backend().buffer();
    assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    let (_, row) = line_with(buf, "api:latest");
    assert!(row[5].modifier.contains(Modifier::BOLD));
    assert!(row.iter().map(|c| c.symbol()).collect::<String>().contains("!! UNTRIGGERED"));
}

#[test]
fn warnings_show_in_the_profile_line() {
    let mut a = app();
    let mut snap = fixtures::account_b();
    snap.warnings.push("ecr:DescribeImages ci-old: RepositoryNotFoundException".into());
    a.update(finished(1, snap, now()), now());
    let text = screen(&mut a, 200, 50);
    assert!(text.contains("warning: ecr:DescribeImages ci-old: RepositoryNotFoundException"), "{text}");
}

#[test]
fn failed_profile_line_is_red() {
    let mut a = loaded();
    a.update(finished(1, ProfileSnapshot::failed(PollError::new(ErrorKind::Service, "boom")), now()), now());
    let term = render(&a, now(), 120, 40);
    let (_, row) = line_with(term.backend().buffer(), "ERROR (stale data): boom");
    assert!(row.iter().any(|c| c.symbol() == "E" && c.fg == Color::Red));
}

#[test]
fn hostile_strings_are_cleaned_before_they_reach_the_screen() {
    let mut a = app();
    a.sort = super::view::Sort::Time;
    let mut snap = fixtures::account_a();
    snap.images[0].tags = vec!["evil\x1b[2J\u{202E}tag".into()];
    feed(&mut a, vec![snap, fixtures::account_b()], now());
    a.update(key(KeyCode::Enter), now());
    let text = screen(&mut a, 200, 50);
    assert!(!text.contains('\x1b') && !text.contains('\u{202E}'));
    assert!(text.contains("evil^[[2J<U+202E>tag"), "{text}");
}

#[test]
fn every_size_shows_the_dashboard_or_says_it_is_too_small() {
    let mut a = loaded();
    a.update(ch('?'), now());
    for (w, h) in [(1, 1), (20, 5), (59, 14), (59, 40), (200, 14)] {
        let text = screen(&mut a, w, h);
        assert!(!text.contains("pipewatch") && !text.contains("keys"), "{w}x{h}:\n{text}");
        // The message starts with "terminal too small"; a 1×1 terminal has room for its first letter only.
        let wanted = if w < 20 { "t" } else { "too small" };
        assert!(text.contains(wanted), "{w}x{h}:\n{text}");
    }
    for (w, h) in [(60, 15), (61, 16), (80, 24), (120, 40), (250, 80)] {
        let text = screen(&mut a, w, h);
        assert!(text.contains(" pipewatch ") && text.contains("keys (Esc closes)"), "{w}x{h}:\n{text}");
    }
    a.update(key(KeyCode::Esc), now());
    a.update(key(KeyCode::Enter), now());
    for (w, h) in [(60, 15), (80, 24)] {
        let text = screen(&mut a, w, h);
        // Attention first: the selected push is the untriggered api:latest.
        assert!(text.contains(" push api:latest ") && text.contains("Esc closes"), "{w}x{h}:\n{text}");
    }
}

#[test]
fn a_stale_pipeline_is_marked_in_the_executions_pane_and_its_details() {
    let mut a = app();
    let mut snap = fixtures::account_b();
    let why = "codepipeline:ListPipelineExecutions report-deploy: ThrottlingException: Rate exceeded";
    snap.stale_pipelines = vec![crate::model::StalePipeline { pipeline: "report-deploy".into(), reason: why.into() }];
    feed(&mut a, vec![fixtures::account_a(), snap], now());
    let text = screen(&mut a, 200, 50);
    assert!(text.contains("report-deploy (stale)"), "{text}");
    type_text(&mut a, "/report-deploy");
    a.update(key(KeyCode::Enter), now());
    a.update(key(KeyCode::Tab), now());
    a.update(key(KeyCode::Enter), now());
    let text = screen(&mut a, 200, 50);
    assert!(text.contains("the data of an earlier poll (codepipeline:ListPipelineExecutions report-deploy:"), "{text}");
}

/// One profile polled in two regions: every pane names the region beside the profile (`account-a@eu-west-1`), and
/// the profile filter steps through the regions one at a time.
#[test]
fn a_profile_in_two_regions_shows_each_region() {
    let metas = vec![
        crate::model::ProfileMeta { name: "account-a".into(), region: "us-east-1".into() },
        crate::model::ProfileMeta { name: "account-a".into(), region: "eu-west-1".into() },
    ];
    let mut a = App::new(metas, fixtures::GRACE, fixtures::REFRESH, jiff::tz::TimeZone::UTC, Theme::of(true));
    // eu-west-1 holds account-b's story, read as account-a (one identity for both regions).
    let mut eu = fixtures::account_b();
    eu.identity = fixtures::account_a().identity;
    feed(&mut a, vec![fixtures::account_a(), eu], now());
    let shown = screen(&mut a, 200, 50);
    assert_snapshot!("two_regions_200x50", shown);
    for place in ["account-a@us-east-1", "account-a@eu-west-1"] {
        assert!(shown.lines().filter(|l| l.contains(place)).count() >= 2, "{place} in both panes:\n{shown}");
    }
    a.update(ch('p'), now());
    a.update(ch('p'), now());
    let shown = screen(&mut a, 200, 50);
    assert!(shown.contains("[profile account-a@eu-west-1]"), "{shown}");
    assert!(!shown.contains("account-a@us-east-1"), "only eu-west-1's rows:\n{shown}");
}

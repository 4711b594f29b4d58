//! Snapshot tests of whole screens (ratatui `TestBackend` + insta) on the deterministic demo at a fixed `now`, and
//! style assertions where colour carries meaning (snapshots hold text only).

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::app::App;
use super::msg::Msg;
use super::testing::{app, at, ch, demo, feed, finished, key, loaded, now, render};
use super::theme::Theme;
use crate::model::{ErrorKind, Identity, PollError, ProfileSnapshot};
use crate::poll::PollEvent;

fn screen(app: &App, w: u16, h: u16) -> String {
    render(app, now(), w, h).backend().to_string()
}

fn select_api(a: &mut App) {
    for c in "/api".chars() {
        a.update(ch(c), now());
    }
    a.update(key(KeyCode::Enter), now());
    a.update(key(KeyCode::Esc), now());
}

#[test]
fn loading() {
    let mut a = app();
    a.update(Msg::Poll(PollEvent::Started { profile: 0 }), now());
    a.update(Msg::Poll(PollEvent::Started { profile: 1 }), now());
    assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn healthy_80x24() {
    assert_snapshot!(screen(&loaded(), 80, 24));
}

#[test]
fn healthy_200x50() {
    assert_snapshot!(screen(&loaded(), 200, 50));
}

#[test]
fn too_small() {
    assert_snapshot!(screen(&loaded(), 40, 10));
}

#[test]
fn flagged_push_selected() {
    let mut a = loaded();
    select_api(&mut a);
    assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn failed_profile_with_stale_data() {
    let mut a = loaded();
    a.update(Msg::Poll(PollEvent::Started { profile: 1 }), now());
    let expired = "ExpiredTokenException: The security token included in the request is expired";
    let err = PollError::of_call("sts:GetCallerIdentity", ErrorKind::ExpiredCredentials, expired);
    a.update(finished(1, ProfileSnapshot::failed(err), now()), now());
    assert_snapshot!("failed_profile_80x24", screen(&a, 80, 24));
    assert_snapshot!("failed_profile_200x50", screen(&a, 200, 50));
}

#[test]
fn empty_account() {
    let mut a = app();
    feed(&mut a, now());
    let empty = ProfileSnapshot {
        identity: Some(Identity {
            account: "222222222222".into(),
            arn: "arn:aws:sts::222222222222:assumed-role/pipewatch-read/pipewatch".into(),
            user_id: "AROA:pipewatch".into(),
        }),
        ..ProfileSnapshot::default()
    };
    a.update(finished(1, empty, now()), now());
    a.update(ch('p'), now());
    a.update(ch('p'), now());
    assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn filter_active() {
    let mut a = loaded();
    for c in "/web-dep".chars() {
        a.update(ch(c), now());
    }
    assert_snapshot!("filter_typing", screen(&a, 80, 24));
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("filter_kept", screen(&a, 80, 24));
}

#[test]
fn flagged_only() {
    let mut a = loaded();
    a.update(ch('f'), now());
    assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn help_overlay() {
    let mut a = loaded();
    a.update(ch('?'), now());
    assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn push_details_untriggered() {
    let mut a = loaded();
    select_api(&mut a);
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("push_details_80x24", screen(&a, 80, 24));
    assert_snapshot!("push_details_200x50", screen(&a, 200, 50));
}

#[test]
fn push_details_pending() {
    let mut a = app();
    feed(&mut a, at(121));
    a.update(key(KeyCode::Enter), at(121));
    assert_snapshot!(render(&a, at(150), 120, 40).backend().to_string());
}

#[test]
fn execution_details() {
    let mut a = loaded();
    a.update(key(KeyCode::Tab), now());
    a.update(key(KeyCode::Enter), now());
    assert_snapshot!("execution_details_80x24", screen(&a, 80, 24));
    assert_snapshot!("execution_details_200x50", screen(&a, 200, 50));
}

/// Cells of the first row whose text contains `needle`.
fn row_with<'a>(buf: &'a Buffer, needle: &str) -> Vec<&'a ratatui::buffer::Cell> {
    let w = usize::from(buf.area.width);
    buf.content
        .chunks(w)
        .find(|row| row.iter().map(|c| c.symbol()).collect::<String>().contains(needle))
        .map(|row| row.iter().collect())
        .unwrap_or_else(|| panic!("no row contains {needle:?}"))
}

#[test]
fn untriggered_row_is_red_and_bold() {
    let term = render(&loaded(), now(), 120, 40);
    let row = row_with(term.backend().buffer(), "api:latest");
    // Inside the pushes pane (skip the border and the highlight column), every cell of the row is red and bold.
    for c in &row[2..60] {
        assert_eq!(c.fg, Color::Red, "{:?}", c.symbol());
        assert!(c.modifier.contains(Modifier::BOLD));
    }
    let healthy = row_with(term.backend().buffer(), "ok triggered");
    assert_eq!(healthy[2].fg, Color::Green);
    assert_ne!(healthy[20].fg, Color::Red);
}

#[test]
fn selected_row_is_reversed_in_the_focused_pane() {
    let term = render(&loaded(), now(), 120, 40);
    let row = row_with(term.backend().buffer(), ">ok triggered");
    assert!(row[5].modifier.contains(Modifier::REVERSED));
}

#[test]
fn no_color_keeps_markers_and_bold_but_no_colour() {
    let mut a = loaded();
    a.theme = Theme { color: false };
    let term = render(&a, now(), 120, 40);
    let buf = term.backend().buffer();
    assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    let row = row_with(buf, "api:latest");
    assert!(row[5].modifier.contains(Modifier::BOLD));
}

#[test]
fn warnings_show_in_the_profile_line() {
    let mut a = app();
    let mut snap = demo().snapshot(1, now());
    snap.warnings.push("ecr:DescribeImages ci-old: RepositoryNotFoundException".into());
    a.update(finished(1, snap, now()), now());
    let text = screen(&a, 200, 50);
    assert!(text.contains("warning: ecr:DescribeImages ci-old: RepositoryNotFoundException"), "{text}");
}

#[test]
fn failed_profile_line_is_red() {
    let mut a = loaded();
    a.update(finished(1, ProfileSnapshot::failed(PollError::new(ErrorKind::Service, "boom")), now()), now());
    let term = render(&a, now(), 120, 40);
    let row = row_with(term.backend().buffer(), "ERROR (stale data): boom");
    assert!(row.iter().any(|c| c.symbol() == "E" && c.fg == Color::Red));
}

#[test]
fn hostile_strings_are_cleaned_before_they_reach_the_screen() {
    let mut a = app();
    let mut snap = demo().snapshot(0, now());
    snap.pushes[0].tags = vec!["evil\x1b[2J\u{202E}tag".into()];
    a.update(finished(0, snap, now()), now());
    a.update(finished(1, demo().snapshot(1, now()), now()), now());
    a.update(key(KeyCode::Enter), now());
    let text = screen(&a, 200, 50);
    assert!(!text.contains('\x1b') && !text.contains('\u{202E}'));
    assert!(text.contains("evil^[[2J<U+202E>tag"), "{text}");
}

#[test]
fn every_size_from_tiny_to_large_draws_without_panicking() {
    let mut a = loaded();
    a.update(ch('?'), now());
    for (w, h) in [(1, 1), (59, 14), (60, 15), (61, 16), (80, 24), (120, 40), (250, 80)] {
        render(&a, now(), w, h);
    }
    a.update(key(KeyCode::Esc), now());
    a.update(key(KeyCode::Enter), now());
    for (w, h) in [(60, 15), (80, 24)] {
        render(&a, now(), w, h);
    }
}

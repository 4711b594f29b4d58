//! State tests: every key, filters, profile cycling, popups, selection stability across refreshes, poll results.

use crossterm::event::KeyModifiers;
use crossterm::event::{Event, KeyCode, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::*;
use crate::analysis::correlate::PushStatus;
use crate::model::{ErrorKind, PollError};
use crate::tui::testing::{app, at, ch, ctrl, demo, feed, finished, key, loaded, now};

fn selected_push(a: &App) -> &crate::analysis::PushVerdict {
    &a.analysis.pushes[a.push_rows[a.pushes.index]]
}

fn select_push(a: &mut App, repository: &str) {
    a.update(ch('g'), now());
    for _ in 0..a.push_rows.len() {
        if selected_push(a).push.repository == repository {
            return;
        }
        a.update(ch('j'), now());
    }
    panic!("no {repository} push");
}

#[test]
fn starts_loading_and_polls_fill_it() {
    let mut a = app();
    assert!(a.loading());
    assert!(!a.busy());
    a.update(Msg::Poll(PollEvent::Started { profile: 0 }), now());
    assert!(a.busy());
    assert_eq!(a.next_poll(), None);
    feed(&mut a, now());
    assert!(!a.loading() && !a.busy());
    assert_eq!(a.profiles[0].last_success, Some(now()));
    assert_eq!(a.next_poll(), Some(at(135)));
    assert_eq!(a.push_rows.len(), a.analysis.pushes.len());
    assert_eq!(a.pushes.index, 0);
    // The demo's stuck pipelines: api, worker and batch in account-a; legacy, admin, report and jobs in account-b.
    assert_eq!(a.analysis.counts().untriggered, 7);
}

#[test]
fn quit_keys() {
    for m in [ch('q'), key(KeyCode::Esc), ctrl('c')] {
        let mut a = loaded();
        a.update(m, now());
        assert_eq!(a.exit, Some(0));
    }
    let mut a = loaded();
    a.update(Msg::Signal(143), now());
    assert_eq!(a.exit, Some(143));
}

#[test]
fn esc_closes_popup_then_clears_filter_then_quits() {
    let mut a = loaded();
    for c in "/web".chars() {
        a.update(ch(c), now());
    }
    a.update(key(KeyCode::Enter), now());
    a.update(key(KeyCode::Enter), now());
    assert!(matches!(a.popup, Some(Popup::Push(_))));
    a.update(key(KeyCode::Esc), now());
    assert_eq!(a.popup, None);
    assert_eq!(a.filters.text, "web");
    a.update(key(KeyCode::Esc), now());
    assert_eq!(a.filters.text, "");
    assert_eq!(a.exit, None);
    a.update(key(KeyCode::Esc), now());
    assert_eq!(a.exit, Some(0));
}

#[test]
fn q_quits_even_from_a_popup_but_types_in_the_filter() {
    let mut a = loaded();
    a.update(ch('/'), now());
    a.update(ch('q'), now());
    assert_eq!((a.exit, a.filters.text.as_str()), (None, "q"));
    a.update(ctrl('c'), now());
    assert_eq!(a.exit, Some(0));
    let mut a = loaded();
    a.update(ch('?'), now());
    a.update(ch('q'), now());
    assert_eq!(a.exit, Some(0));
}

#[test]
fn pane_switching() {
    let mut a = loaded();
    assert_eq!(a.focus, Pane::Pushes);
    a.update(key(KeyCode::Tab), now());
    assert_eq!(a.focus, Pane::Executions);
    a.update(key(KeyCode::Tab), now());
    assert_eq!(a.focus, Pane::Pushes);
    a.update(key(KeyCode::Right), now());
    assert_eq!(a.focus, Pane::Executions);
    a.update(key(KeyCode::Right), now());
    assert_eq!(a.focus, Pane::Executions);
    a.update(key(KeyCode::Left), now());
    assert_eq!(a.focus, Pane::Pushes);
    a.update(key(KeyCode::BackTab), now());
    assert_eq!(a.focus, Pane::Executions);
}

#[test]
fn movement_keys() {
    let mut a = loaded();
    let n = a.push_rows.len();
    a.pushes.page.set(5);
    let cases = [
        (ch('j'), 1),
        (key(KeyCode::Down), 2),
        (ch('k'), 1),
        (key(KeyCode::Up), 0),
        (key(KeyCode::Up), 0),
        (key(KeyCode::PageDown), 5),
        (key(KeyCode::PageDown), 10),
        (key(KeyCode::PageUp), 5),
        (ch('G'), n - 1),
        (ch('j'), n - 1),
        (ch('g'), 0),
        (key(KeyCode::End), n - 1),
        (key(KeyCode::Home), 0),
    ];
    for (i, (m, want)) in cases.into_iter().enumerate() {
        a.update(m, now());
        assert_eq!(a.pushes.index, want, "step {i}");
        assert!(a.pushes.key.as_ref().is_some_and(|k| k.is(selected_push(&a))));
    }
    // The executions pane has its own cursor.
    a.update(key(KeyCode::Tab), now());
    a.update(ch('j'), now());
    assert_eq!((a.pushes.index, a.execs.index), (0, 1));
}

#[test]
fn enter_opens_details_of_the_focused_selection() {
    let mut a = loaded();
    select_push(&mut a, "api");
    a.update(key(KeyCode::Enter), now());
    let Some(Popup::Push(k)) = &a.popup else { panic!("{:?}", a.popup) };
    assert_eq!((k.profile.as_str(), k.repository.as_str()), ("account-a", "api"));
    // Keys other than close and scroll do nothing while a popup is open.
    a.update(ch('j'), now());
    a.update(ch('f'), now());
    assert!(!a.filters.flagged_only);
    assert_eq!(selected_push(&a).push.repository, "api");
    a.update(key(KeyCode::Enter), now());
    assert_eq!(a.popup, None);

    a.update(key(KeyCode::Tab), now());
    a.update(key(KeyCode::Enter), now());
    let Some(Popup::Execution(k)) = &a.popup else { panic!("{:?}", a.popup) };
    assert_eq!(k.pipeline, "web-deploy");
}

#[test]
fn popup_scrolls_within_its_bounds() {
    let mut a = loaded();
    a.update(key(KeyCode::Enter), now());
    a.popup_max.set(3);
    for _ in 0..5 {
        a.update(ch('j'), now());
    }
    assert_eq!(a.popup_scroll, 3);
    a.update(ch('k'), now());
    assert_eq!(a.popup_scroll, 2);
    a.update(ch('g'), now());
    assert_eq!(a.popup_scroll, 0);
    a.update(ch('G'), now());
    assert_eq!(a.popup_scroll, 3);
}

#[test]
fn help_toggles() {
    let mut a = loaded();
    a.update(ch('?'), now());
    assert_eq!(a.popup, Some(Popup::Help));
    a.update(ch('?'), now());
    assert_eq!(a.popup, None);
    a.update(ch('?'), now());
    a.update(key(KeyCode::Esc), now());
    assert_eq!((a.popup.clone(), a.exit), (None, None));
}

#[test]
fn r_asks_for_a_poll() {
    let mut a = loaded();
    assert_eq!(a.update(ch('r'), now()), Effect::PollNow);
    assert_eq!(a.update(ch('j'), now()), Effect::None);
}

#[test]
fn text_filter_matches_repository_tag_pipeline_and_profile() {
    let mut a = loaded();
    let total = a.push_rows.len();
    a.update(ch('/'), now());
    assert!(a.editing);
    for c in "API".chars() {
        a.update(ch(c), now());
    }
    assert_eq!(a.push_rows.len(), 1);
    assert_eq!(selected_push(&a).push.repository, "api");
    assert_eq!(a.exec_rows.len(), 1);
    a.update(key(KeyCode::Backspace), now());
    a.update(key(KeyCode::Backspace), now());
    a.update(key(KeyCode::Backspace), now());
    assert_eq!(a.push_rows.len(), total);
    for (text, pushes) in [("build-1002", 1), ("web-deploy", 31), ("account-b", 10), ("nothing-like-this", 0)] {
        a.update(ctrl('u'), now());
        for c in text.chars() {
            a.update(ch(c), now());
        }
        assert_eq!(a.push_rows.len(), pushes, "{text}");
    }
    a.update(ctrl('u'), now());
    for c in "ci-tools".chars() {
        a.update(ch(c), now());
    }
    a.update(key(KeyCode::Enter), now());
    assert!(!a.editing);
    assert_eq!(a.filters.text, "ci-tools");
    assert_eq!(a.exec_rows.len(), 0);
    // While not editing, letters are keys again.
    a.update(ch('j'), now());
    assert_eq!(a.pushes.index, 1);
    // Esc while editing clears the text.
    a.update(ch('/'), now());
    a.update(key(KeyCode::Esc), now());
    assert!(!a.editing);
    assert_eq!(a.push_rows.len(), total);
    assert_eq!(a.exit, None);
}

#[test]
fn flagged_only_shows_untriggered_pushes_and_their_pipelines() {
    let mut a = loaded();
    a.update(ch('f'), now());
    assert!(a.filters.flagged_only);
    assert_eq!(a.push_rows.len(), 7);
    assert!(a.push_rows.iter().all(|&i| a.analysis.pushes[i].status == PushStatus::Untriggered));
    assert_eq!(selected_push(&a).push.repository, "api");
    // Only the runs of pipelines watching a flagged push: api-deploy's and report-deploy's.
    let pipelines: std::collections::BTreeSet<_> =
        a.exec_rows.iter().filter_map(|r| r.get(&a.analysis).map(|(p, _)| p.name.clone())).collect();
    assert_eq!(pipelines.into_iter().collect::<Vec<_>>(), ["api-deploy", "report-deploy"]);
    a.update(ch('f'), now());
    assert_eq!(a.push_rows.len(), a.analysis.pushes.len());
    // The selection stayed on the flagged push.
    assert_eq!(selected_push(&a).push.repository, "api");
}

#[test]
fn p_cycles_all_then_each_profile() {
    let mut a = loaded();
    let mut seen = Vec::new();
    for _ in 0..4 {
        a.update(ch('p'), now());
        let profiles: std::collections::BTreeSet<_> =
            a.push_rows.iter().map(|&i| a.analysis.pushes[i].profile.clone()).collect();
        seen.push((a.filters.profile.clone(), profiles.into_iter().collect::<Vec<_>>()));
    }
    let s = |x: &str| x.to_string();
    assert_eq!(
        seen,
        vec![
            (Some(s("account-a")), vec![s("account-a")]),
            (Some(s("account-b")), vec![s("account-b")]),
            (None, vec![s("account-a"), s("account-b")]),
            (Some(s("account-a")), vec![s("account-a")]),
        ]
    );
    a.update(ch('p'), now());
    assert!(!a.exec_rows.is_empty());
    assert!(
        a.exec_rows.iter().all(|r| r.get(&a.analysis).is_some_and(|(p, _)| p.profile == "account-b")),
        "only account-b's runs"
    );
}

#[test]
fn selection_stays_on_its_item_when_a_new_push_arrives_on_top() {
    let mut a = loaded();
    a.update(ch('j'), now());
    a.update(ch('j'), now());
    let before = a.pushes.key.clone();
    let index = a.pushes.index;
    a.update(key(KeyCode::Tab), now());
    a.update(ch('j'), now());
    let exec_before = a.execs.key.clone();
    // 40 s later a new web push (and its run) is on top of both lists.
    feed(&mut a, at(170));
    assert_eq!(a.pushes.key, before);
    assert_eq!(a.pushes.index, index + 1);
    assert_eq!(a.execs.key, exec_before);
    assert_eq!(a.execs.index, 2);
}

#[test]
fn selection_falls_back_to_the_same_position_when_its_item_is_gone() {
    let mut a = loaded();
    a.update(ch('G'), now());
    let last = a.push_rows.len() - 1;
    let mut snap = demo().snapshot(0, now());
    snap.pushes.truncate(3);
    a.update(finished(0, snap, now()), now());
    a.settle(now());
    assert!(a.pushes.index < a.push_rows.len());
    assert!(a.pushes.index < last);
    assert!(a.pushes.key.as_ref().is_some_and(|k| k.is(selected_push(&a))));
}

#[test]
fn a_failed_poll_keeps_the_last_good_data_and_shows_the_error() {
    let mut a = loaded();
    let pushes = a.analysis.pushes.len();
    let expired = ProfileSnapshot::failed(PollError::new(ErrorKind::ExpiredCredentials, "ExpiredTokenException"));
    a.update(finished(1, expired, at(135)), at(135));
    let b = &a.profiles[1];
    assert_eq!(b.error.as_deref(), Some("ExpiredTokenException"));
    assert!(b.snapshot.is_some());
    assert_eq!(b.last_success, Some(now()));
    assert_eq!(b.last_finished, Some(at(135)));
    assert_eq!(a.analysis.pushes.len(), pushes);
    // The next good poll clears the error.
    a.update(finished(1, demo().snapshot(1, at(140)), at(140)), at(140));
    assert_eq!(a.profiles[1].error, None);
    assert_eq!(a.profiles[1].last_success, Some(at(140)));
}

#[test]
fn a_failed_first_poll_keeps_partial_data() {
    let mut a = app();
    let mut snap = demo().snapshot(0, now());
    snap.errors.push(PollError::of_call("codepipeline:ListPipelines", ErrorKind::AccessDenied, "AccessDenied"));
    snap.pipelines.clear();
    a.update(finished(0, snap, now()), now());
    a.settle(now());
    let p = &a.profiles[0];
    assert!(p.error.is_some() && p.snapshot.is_some() && p.last_success.is_none());
    assert!(!a.analysis.pushes.is_empty());
    a.update(finished(1, ProfileSnapshot::failed(PollError::new(ErrorKind::TimedOut, "timeout")), now()), now());
    assert!(a.profiles[1].snapshot.is_none());
}

#[test]
fn a_pending_push_is_flagged_on_a_tick_after_its_grace_period() {
    let mut a = app();
    // At +121 s the newest web push (+120 s) has no run yet: pending.
    feed(&mut a, at(121));
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Pending);
    assert_eq!(a.next_deadline, Some(at(120 + 300 + 1)));
    a.update(Msg::Tick, at(400));
    a.settle(at(400));
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Pending);
    a.update(Msg::Tick, at(421));
    a.settle(at(421));
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Untriggered);
    assert_eq!(a.next_deadline, None);
}

#[test]
fn mouse_wheel_scrolls_the_pane_under_the_pointer_and_click_selects() {
    let mut a = loaded();
    a.set_pane_area(Pane::Pushes, Rect::new(0, 3, 40, 20));
    a.set_pane_area(Pane::Executions, Rect::new(40, 3, 40, 20));
    let mouse =
        |kind, column, row| Msg::Input(Event::Mouse(MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }));
    a.update(mouse(MouseEventKind::ScrollDown, 50, 10), now());
    assert_eq!((a.focus, a.execs.index, a.pushes.index), (Pane::Executions, 1, 0));
    a.update(mouse(MouseEventKind::ScrollDown, 10, 10), now());
    a.update(mouse(MouseEventKind::ScrollDown, 10, 10), now());
    a.update(mouse(MouseEventKind::ScrollUp, 10, 10), now());
    assert_eq!((a.focus, a.pushes.index), (Pane::Pushes, 1));
    // Row 3 is the border, 4 the column header, 5 the first row.
    a.update(mouse(MouseEventKind::Down(crossterm::event::MouseButton::Left), 45, 8), now());
    assert_eq!((a.focus, a.execs.index), (Pane::Executions, 3));
}

#[test]
fn key_releases_and_unknown_keys_are_ignored() {
    let mut a = loaded();
    let mut release = crossterm::event::KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = crossterm::event::KeyEventKind::Release;
    a.update(Msg::Input(Event::Key(release)), now());
    a.update(ch('z'), now());
    a.update(Msg::Input(Event::Resize(80, 24)), now());
    assert_eq!(a.exit, None);
}

//! State tests on the hand-built story (`tui::fixtures`): every key, filters, profile cycling, popups, scrolling,
//! the mouse, selection stability across refreshes, poll results.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use super::*;
use crate::analysis::correlate::PushStatus;
use crate::analysis::{Counts, PushVerdict};
use crate::model::{ErrorKind, PollError};
use crate::tui::fixtures::{
    self, EXECUTIONS, PUSHES, PUSHES_A, PUSHES_B, TRIGGERED, UNTRIGGERED, UNWATCHED, WEB_NEWEST_BUILD, WEB_PUSHES,
};
use crate::tui::testing::{
    app, ch, click, ctrl, feed, finished, key, line_with, lines, loaded, loaded_by_time, mouse, now, render, resize,
    screen, ts, type_text,
};

fn selected_push(a: &App) -> &PushVerdict {
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

fn pipelines_shown(a: &App) -> Vec<String> {
    let names: std::collections::BTreeSet<_> =
        a.exec_rows.iter().filter_map(|r| r.get(&a.analysis).map(|(p, _)| p.name.clone())).collect();
    names.into_iter().collect()
}

#[test]
fn a_profile_is_painted_from_its_core_read_while_its_explain_step_goes_on() {
    let mut a = app();
    a.update(Msg::Poll(PollEvent::Started { profile: 0 }), now());
    let read = |snapshot| Msg::Poll(PollEvent::Read { profile: 0, snapshot: Box::new(snapshot) });
    a.update(read(fixtures::account_a()), now());
    a.settle(now());
    assert_eq!(a.push_rows.len(), PUSHES_A, "account-a's rows before its poll ended");
    assert!(a.busy(), "its poll is still going");
    assert_eq!(a.profiles[0].last_finished, None);
    a.update(finished(0, fixtures::account_a(), now()), now());
    // Once shown, a profile keeps its last whole poll while the next one explains.
    let mut empty = fixtures::account_a();
    empty.images.clear();
    a.update(read(empty), now());
    a.settle(now());
    assert_eq!(a.push_rows.len(), PUSHES_A);
}

#[test]
fn starts_loading_and_polls_fill_it() {
    let mut a = app();
    assert!(a.loading());
    assert!(!a.busy());
    a.update(Msg::Poll(PollEvent::Started { profile: 0 }), now());
    assert!(a.busy());
    assert_eq!(a.next_poll(), None);
    feed(&mut a, vec![fixtures::account_a(), fixtures::account_b()], now());
    assert!(!a.loading() && !a.busy());
    assert_eq!(a.profiles[0].last_success, Some(now()));
    assert_eq!(a.next_poll(), Some(now() + fixtures::REFRESH));
    assert_eq!((a.push_rows.len(), a.exec_rows.len()), (PUSHES, EXECUTIONS));
    assert_eq!(a.pushes.index, 0);
    let counts = Counts {
        untriggered: UNTRIGGERED,
        pending: 0,
        triggered: TRIGGERED,
        unwatched: UNWATCHED,
        ..Counts::default()
    };
    assert_eq!(a.analysis.counts(), counts);
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
    type_text(&mut a, "/web");
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
    type_text(&mut a, "/q");
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
    let steps = [
        (key(KeyCode::Tab), Pane::Executions),
        (key(KeyCode::Tab), Pane::Pipelines),
        (key(KeyCode::Tab), Pane::Pushes),
        (key(KeyCode::Right), Pane::Executions),
        (key(KeyCode::Right), Pane::Executions),
        (key(KeyCode::Left), Pane::Pushes),
        (key(KeyCode::BackTab), Pane::Pipelines),
        (key(KeyCode::BackTab), Pane::Executions),
        (ch('v'), Pane::Pipelines),
        (ch('v'), Pane::Executions),
        (ch('v'), Pane::Pipelines),
        (key(KeyCode::Esc), Pane::Executions),
    ];
    for (i, (m, want)) in steps.into_iter().enumerate() {
        a.update(m, now());
        assert_eq!(a.focus, want, "step {i}");
    }
}

#[test]
fn movement_keys() {
    let mut a = loaded();
    a.update(resize(80, 24), now());
    // PgUp/PgDn move by the rows the pane shows.
    let page = list_height(a.screen().expect("big enough").pushes);
    let last = PUSHES - 1;
    let cases = [
        (ch('j'), 1),
        (key(KeyCode::Down), 2),
        (ch('k'), 1),
        (key(KeyCode::Up), 0),
        (key(KeyCode::Up), 0),
        (key(KeyCode::PageDown), page),
        (key(KeyCode::PageDown), last),
        (key(KeyCode::PageUp), last - page),
        (ch('G'), last),
        (ch('j'), last),
        (ch('g'), 0),
        (key(KeyCode::End), last),
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

/// The pushes pane's rows as shown at 80×24 (lines 5 to 21: below the header, the border and the column names).
fn pushes_shown(a: &mut App) -> Vec<String> {
    a.update(resize(80, 24), now());
    let shown = lines(render(a, now(), 80, 24).backend().buffer());
    shown[5..22].iter().map(|l| l.chars().take(48).collect()).collect()
}

#[test]
fn scrolling_moves_the_list_as_little_as_possible() {
    let mut a = loaded_by_time();
    let first = pushes_shown(&mut a);
    assert!(first[0].contains(">ok triggered") && first[0].contains("web:latest +1"), "{first:#?}");
    for _ in 0..16 {
        a.update(ch('j'), now());
    }
    // The selection reached the last row shown: nothing moved yet.
    let shown = pushes_shown(&mut a);
    assert!(shown[0].contains("web:latest +1") && shown[16].starts_with("│>"), "{shown:#?}");
    // One more row: the list moves by one.
    a.update(ch('j'), now());
    let shown = pushes_shown(&mut a);
    assert_eq!(shown[..16], first[1..17]);
    assert!(shown[16].starts_with("│>"), "{shown:#?}");
    // Back up within the rows shown: the list stays; above them: it moves by one again.
    for _ in 0..16 {
        a.update(ch('k'), now());
    }
    assert!(pushes_shown(&mut a)[0].starts_with("│>"));
    assert!(pushes_shown(&mut a)[0].contains(&format!("web:build-{}", WEB_NEWEST_BUILD - 1)));
    a.update(ch('k'), now());
    assert_eq!(pushes_shown(&mut a), first);
}

#[test]
fn a_smaller_terminal_keeps_the_selection_in_view() {
    let mut a = loaded_by_time();
    assert!(screen(&mut a, 120, 40).contains("report:latest"), "every push fits at 120×40");
    a.update(ch('G'), now());
    let small = screen(&mut a, 80, 24);
    assert!(small.lines().any(|l| l.contains(">!! UNTRIGGERED") && l.contains("report:latest")), "{small}");
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
    assert_eq!((k.pipeline.as_str(), k.id.clone()), ("web-deploy", fixtures::web_run_id(WEB_NEWEST_BUILD)));
}

#[test]
fn popup_scrolls_within_its_bounds() {
    let mut a = loaded();
    select_push(&mut a, "api");
    a.update(key(KeyCode::Enter), now());
    // At the smallest size the details of the api push do not fit.
    let top = screen(&mut a, 80, 15);
    assert!(top.contains("Status      !! UNTRIGGERED") && top.contains("j/k scroll"), "{top}");
    for _ in 0..100 {
        a.update(ch('j'), now());
    }
    let bottom = screen(&mut a, 80, 15);
    // The last line is the chain's last hop.
    assert!(!bottom.contains("Status") && bottom.contains("started within the grace period"), "{bottom}");
    // The scroll stopped at the last line: one step back up shows another screen, one down the same again.
    a.update(ch('k'), now());
    assert_ne!(screen(&mut a, 80, 15), bottom);
    a.update(ch('j'), now());
    assert_eq!(screen(&mut a, 80, 15), bottom);
    a.update(ch('g'), now());
    assert_eq!(screen(&mut a, 80, 15), top);
    a.update(ch('G'), now());
    assert_eq!(screen(&mut a, 80, 15), bottom);
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
    a.update(ch('/'), now());
    assert!(a.editing);
    type_text(&mut a, "API");
    assert_eq!((a.push_rows.len(), a.exec_rows.len()), (1, 1));
    assert_eq!(selected_push(&a).push.repository, "api");
    for _ in 0..3 {
        a.update(key(KeyCode::Backspace), now());
    }
    assert_eq!(a.push_rows.len(), PUSHES);
    let build = format!("build-{}", WEB_NEWEST_BUILD - 10);
    for (text, pushes, executions) in [
        (build.as_str(), 1, 0),
        ("web-deploy", WEB_PUSHES, WEB_PUSHES),
        ("account-b", PUSHES_B, 1),
        ("ci-tools", 1, 0),
        ("nothing-like-this", 0, 0),
    ] {
        a.update(ctrl('u'), now());
        type_text(&mut a, text);
        assert_eq!((a.push_rows.len(), a.exec_rows.len()), (pushes, executions), "{text}");
    }
    a.update(ctrl('u'), now());
    type_text(&mut a, "account-b");
    a.update(key(KeyCode::Enter), now());
    assert!(!a.editing);
    assert_eq!(a.filters.text, "account-b");
    // While not editing, letters are keys again.
    a.update(ch('j'), now());
    assert_eq!(a.pushes.index, 1);
    // Esc while editing clears the text.
    a.update(ch('/'), now());
    a.update(key(KeyCode::Esc), now());
    assert!(!a.editing);
    assert_eq!(a.push_rows.len(), PUSHES);
    assert_eq!(a.exit, None);
}

#[test]
fn flagged_only_shows_untriggered_pushes_and_their_pipelines() {
    let mut a = loaded();
    a.update(ch('f'), now());
    assert!(a.filters.flagged_only);
    assert_eq!(a.push_rows.len(), UNTRIGGERED);
    assert!(a.push_rows.iter().all(|&i| a.analysis.pushes[i].status == PushStatus::Untriggered));
    assert_eq!(selected_push(&a).push.repository, "api");
    // Only the runs of pipelines watching a flagged push.
    assert_eq!(pipelines_shown(&a), ["api-deploy", "report-deploy"]);
    a.update(ch('f'), now());
    assert_eq!(a.push_rows.len(), PUSHES);
    // The selection stayed on the flagged push.
    assert_eq!(selected_push(&a).push.repository, "api");
}

#[test]
fn p_cycles_all_then_each_profile() {
    let mut a = loaded();
    let mut seen = Vec::new();
    for _ in 0..4 {
        a.update(ch('p'), now());
        seen.push((a.filters.profile.clone(), a.push_rows.len(), pipelines_shown(&a)));
    }
    let s = |x: &str| Some(x.to_string());
    let (web_and_api, report) =
        (vec!["api-deploy".to_string(), "web-deploy".into()], vec!["report-deploy".to_string()]);
    let all = vec!["api-deploy".to_string(), "report-deploy".into(), "web-deploy".into()];
    assert_eq!(
        seen,
        vec![
            (s("account-a"), PUSHES_A, web_and_api.clone()),
            (s("account-b"), PUSHES_B, report),
            (None, PUSHES, all),
            (s("account-a"), PUSHES_A, web_and_api),
        ]
    );
}

#[test]
fn selection_stays_on_its_item_when_a_new_push_arrives_on_top() {
    let mut a = loaded();
    a.update(ch('j'), now());
    a.update(ch('j'), now());
    let (push, push_index) = (a.pushes.key.clone(), a.pushes.index);
    a.update(key(KeyCode::Tab), now());
    a.update(ch('j'), now());
    let (exec, exec_index) = (a.execs.key.clone(), a.execs.index);
    // A minute later a new web push and its run are on top of both lists.
    feed(&mut a, vec![fixtures::account_a_later(), fixtures::account_b()], ts(60));
    assert_eq!(a.push_rows.len(), PUSHES + 1);
    assert_eq!((&a.pushes.key, a.pushes.index), (&push, push_index + 1));
    assert_eq!((&a.execs.key, a.execs.index), (&exec, exec_index + 1));
}

#[test]
fn selection_falls_back_to_the_same_position_when_its_item_is_gone() {
    let mut a = loaded_by_time();
    select_push(&mut a, "api");
    let index = a.pushes.index;
    let mut without_api = fixtures::account_a();
    without_api.images.retain(|p| p.repository != "api");
    feed(&mut a, vec![without_api.clone(), fixtures::account_b()], now());
    // The push below it moved up into its place.
    assert_eq!(a.pushes.index, index);
    assert!(a.pushes.key.as_ref().is_some_and(|k| k.is(selected_push(&a))));
    assert_eq!(selected_push(&a).push.tags, [format!("build-{}", WEB_NEWEST_BUILD - index + 1)]);
    // Fewer rows than its position: the last one.
    without_api.images.truncate(3);
    feed(&mut a, vec![without_api, fixtures::account_b()], now());
    assert_eq!(a.pushes.index, a.push_rows.len() - 1);
    assert!(a.pushes.key.as_ref().is_some_and(|k| k.is(selected_push(&a))));
}

#[test]
fn a_failed_poll_keeps_the_last_good_data_and_shows_the_error() {
    let mut a = loaded();
    let expired = ProfileSnapshot::failed(PollError::new(ErrorKind::ExpiredCredentials, "ExpiredTokenException"));
    a.update(finished(1, expired, ts(5)), ts(5));
    a.settle(ts(5));
    let b = &a.profiles[1];
    assert_eq!(b.error.as_deref(), Some("ExpiredTokenException"));
    assert!(b.snapshot.is_some());
    assert_eq!((b.last_success, b.last_finished), (Some(now()), Some(ts(5))));
    assert_eq!(a.analysis.pushes.len(), PUSHES);
    // The next good poll clears the error.
    a.update(finished(1, fixtures::account_b(), ts(10)), ts(10));
    assert_eq!((a.profiles[1].error.as_deref(), a.profiles[1].last_success), (None, Some(ts(10))));
}

#[test]
fn a_failed_first_poll_keeps_partial_data() {
    let mut a = app();
    let mut snap = fixtures::account_a();
    snap.errors.push(PollError::of_call("codepipeline:ListPipelines", ErrorKind::AccessDenied, "AccessDenied"));
    snap.pipelines.clear();
    a.update(finished(0, snap, now()), now());
    a.settle(now());
    let p = &a.profiles[0];
    assert!(p.error.is_some() && p.snapshot.is_some() && p.last_success.is_none());
    assert_eq!(a.analysis.pushes.len(), PUSHES_A);
    a.update(finished(1, ProfileSnapshot::failed(PollError::new(ErrorKind::TimedOut, "timeout")), now()), now());
    assert!(a.profiles[1].snapshot.is_none());
}

#[test]
fn a_pending_push_is_flagged_on_a_tick_after_its_grace_period() {
    let mut a = app();
    feed(&mut a, vec![fixtures::account_a_waiting(), fixtures::account_b()], now());
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Pending);
    let deadline = fixtures::waiting_deadline();
    assert_eq!(a.next_deadline, Some(deadline));
    let before = deadline - jiff::SignedDuration::from_secs(1);
    a.update(Msg::Tick, before);
    a.settle(before);
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Pending);
    a.update(Msg::Tick, deadline);
    a.settle(deadline);
    assert_eq!(a.analysis.pushes[0].status, PushStatus::Untriggered);
    assert_eq!(a.next_deadline, None);
}

#[test]
fn mouse_wheel_scrolls_the_pane_under_the_pointer_and_click_selects() {
    let mut a = loaded_by_time();
    a.update(resize(80, 24), now());
    let s = a.screen().expect("big enough");
    let (pushes_x, execs_x) = (s.pushes.x + 10, s.executions.x + 10);
    a.update(mouse(MouseEventKind::ScrollDown, execs_x, 10), now());
    assert_eq!((a.focus, a.execs.index, a.pushes.index), (Pane::Executions, 1, 0));
    a.update(mouse(MouseEventKind::ScrollDown, pushes_x, 10), now());
    a.update(mouse(MouseEventKind::ScrollDown, pushes_x, 10), now());
    a.update(mouse(MouseEventKind::ScrollUp, pushes_x, 10), now());
    assert_eq!((a.focus, a.pushes.index), (Pane::Pushes, 1));
    // A click on the line that shows a push selects that push, wherever the list is scrolled to.
    for scrolled in [false, true] {
        if scrolled {
            a.update(ch('G'), now());
            assert!(a.pushes.offset > 0);
        }
        let term = render(&a, now(), 80, 24);
        let (y, _) = line_with(term.backend().buffer(), "api:latest");
        a.update(key(KeyCode::Tab), now());
        a.update(click(pushes_x, y), now());
        assert_eq!((a.focus, selected_push(&a).push.repository.as_str()), (Pane::Pushes, "api"));
    }
    // The executions' border is line 3, their column names line 4, their first row line 5.
    a.update(click(execs_x, 8), now());
    assert_eq!((a.focus, a.execs.index), (Pane::Executions, 3));
    let shown = lines(render(&a, now(), 80, 24).backend().buffer());
    assert!(shown[8].chars().skip(s.executions.x.into()).collect::<String>().starts_with("│>"), "{shown:#?}");
    // Neither the column names nor the bottom border select anything.
    for y in [4, s.executions.bottom() - 1] {
        a.update(click(execs_x, y), now());
        assert_eq!(a.execs.index, 3);
    }
}

#[test]
fn key_releases_and_unknown_keys_are_ignored() {
    let mut a = loaded();
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    a.update(Msg::Input(Event::Key(release)), now());
    a.update(ch('z'), now());
    a.update(resize(80, 24), now());
    assert_eq!((a.exit, a.pushes.index, a.focus), (None, 0, Pane::Pushes));
}

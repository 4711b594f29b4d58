//! The dashboard's keys as configured, the attention sort, the pipelines view, and what `open` and `copy` hand to
//! the loop (the bytes they become are asserted in the PTY test).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;

use crate::analysis::correlate::PushStatus;
use crate::config::keys::{Action, Key, KeyMap};
use crate::tui::app::App;
use crate::tui::fixtures::{ACCOUNT_A, WEB_NEWEST_BUILD, digest, web_run_id};
use crate::tui::msg::{Effect, Msg};
use crate::tui::panes::details;
use crate::tui::testing::{ch, key, loaded, now, screen};
use crate::tui::view::{Pane, Sort};

fn keys(bindings: &[(Action, &[&str])]) -> KeyMap {
    let configured: Vec<(Action, Vec<Key>)> =
        bindings.iter().map(|(a, ks)| (*a, ks.iter().map(|k| Key::parse(k).unwrap()).collect())).collect();
    KeyMap::with(&configured).unwrap()
}

fn ctrl_key(c: char) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

#[test]
fn remapped_keys_do_what_the_config_says_and_help_lists_them() {
    let mut a = loaded().with_keys(keys(&[(Action::Quit, &["x"]), (Action::Filter, &["ctrl-f", "F3"])]));
    a.update(ch('q'), now());
    assert_eq!(a.exit, None, "q is no longer quit");
    a.update(ctrl_key('f'), now());
    assert!(a.editing, "ctrl-f starts the filter");
    a.update(key(KeyCode::Esc), now());
    a.update(key(KeyCode::F(3)), now());
    assert!(a.editing, "F3 too");
    a.update(key(KeyCode::Esc), now());
    a.update(ch('?'), now());
    assert_snapshot!("help_with_configured_keys", screen(&mut a, 80, 24));
    a.update(key(KeyCode::Esc), now());
    a.update(ch('x'), now());
    assert_eq!(a.exit, Some(0));
}

#[test]
fn pushes_come_attention_first_and_s_sorts_by_time() {
    let mut a = loaded();
    let statuses = |a: &App| -> Vec<PushStatus> { a.push_rows.iter().map(|&i| a.analysis.pushes[i].status).collect() };
    assert_eq!(statuses(&a)[..2], [PushStatus::Untriggered, PushStatus::Untriggered]);
    assert!(statuses(&a)[2..].iter().all(|s| *s != PushStatus::Untriggered));
    a.update(ch('s'), now());
    assert_eq!(a.sort, Sort::Time);
    let newest = &a.analysis.pushes[a.push_rows[0]];
    assert_eq!(newest.push.digest, digest("web", WEB_NEWEST_BUILD));
    assert!(a.notice.as_ref().is_some_and(|n| n.text == "pushes: newest first"));
    // The selection stays on its push whatever the order.
    assert_eq!(a.pushes.key.as_ref().map(|k| k.repository.as_str()), Some("api"));
    assert!(screen(&mut a, 120, 30).contains("[newest first]"));
}

#[test]
fn the_pipelines_view_lists_the_worst_first_and_enter_filters_to_one() {
    let mut a = loaded();
    a.update(ch('v'), now());
    assert_eq!(a.focus, Pane::Pipelines);
    let names: Vec<&str> = a.pipe_rows.iter().map(|r| a.analysis.pipelines[r.pipeline].name.as_str()).collect();
    // Untriggered pushes first (api-deploy, report-deploy), then web-deploy (its last run is in progress).
    assert_eq!(names, ["api-deploy", "report-deploy", "web-deploy"]);
    assert_snapshot!("pipelines_view_80x24", screen(&mut a, 80, 24));
    a.update(ch('G'), now());
    a.update(key(KeyCode::Enter), now());
    assert_eq!(a.focus, Pane::Pushes, "back to the panes, filtered");
    assert!(a.push_rows.iter().all(|&i| a.analysis.pushes[i].watched_by == ["web-deploy"]));
    assert!(a.exec_rows.iter().all(|r| r.get(&a.analysis).is_some_and(|(p, _)| p.name == "web-deploy")));
    assert!(screen(&mut a, 120, 30).contains("[pipeline web-deploy]"));
    a.update(key(KeyCode::Esc), now());
    assert_eq!(a.filters.pipeline, None, "Esc leaves the pipeline's filter first");
    assert_eq!(a.exit, None);
}

#[test]
fn open_and_copy_hand_the_selection_to_the_loop() {
    let mut a = loaded();
    let region = "ap-northeast-1";
    let image = format!(
        "https://{region}.console.aws.amazon.com/ecr/repositories/private/{ACCOUNT_A}/api/_/image/{}/details?region={region}",
        digest("api", 1)
    );
    assert_eq!(a.update(ch('o'), now()), Effect::Open(image.clone()));
    assert_eq!(a.notice.as_ref().map(|n| n.text.as_str()), Some("opening the image in the AWS console…"));
    assert_eq!(a.update(ch('y'), now()), Effect::Copy(digest("api", 1)));
    assert!(a.notice.as_ref().is_some_and(|n| n.text == "copied digest 000000016170 (OSC 52)"), "{:?}", a.notice);
    // In a popup, the popup's item; its link is drawn on its last row.
    a.update(key(KeyCode::Enter), now());
    screen(&mut a, 120, 40);
    let (at, url, shown) = details::link(&a, a.area, now()).expect("a link row");
    assert_eq!(url, image);
    assert!(url.starts_with(shown.trim_end_matches('…')));
    assert!(screen(&mut a, 120, 40).lines().nth(usize::from(at.y)).is_some_and(|l| l.contains(&shown)));
    a.update(key(KeyCode::Esc), now());
    // The executions pane: the run's timeline and its id.
    a.update(key(KeyCode::Tab), now());
    let run = web_run_id(WEB_NEWEST_BUILD);
    assert_eq!(
        a.update(ch('o'), now()),
        Effect::Open(format!(
            "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-deploy/executions/{run}/timeline?region={region}"
        ))
    );
    assert_eq!(a.update(ch('y'), now()), Effect::Copy(run));
    // The pipelines view: the pipeline's page, and its link on the clipboard.
    a.update(ch('v'), now());
    let page = format!(
        "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/api-deploy/view?region={region}"
    );
    assert_eq!(a.update(ch('o'), now()), Effect::Open(page.clone()));
    assert_eq!(a.update(ch('y'), now()), Effect::Copy(page));
}

#[test]
fn an_item_without_a_known_account_has_no_link_and_says_so() {
    let mut a = crate::tui::testing::app();
    let mut snap = crate::tui::fixtures::account_a();
    snap.identity = None;
    crate::tui::testing::feed(&mut a, vec![snap, crate::tui::fixtures::account_b()], now());
    assert_eq!(a.update(ch('o'), now()), Effect::None);
    assert!(a.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("no console link")));
    assert!(screen(&mut a, 120, 30).contains("no console link"));
    let failed = a.update(Msg::OpenFailed("could not open the link: cannot run xdg-open".into()), now());
    assert_eq!(failed, Effect::None);
    assert!(screen(&mut a, 120, 30).contains("cannot run xdg-open"));
}

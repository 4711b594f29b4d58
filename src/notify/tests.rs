//! Which pushes are new, what is queued for each sink, and what a restart remembers (the sinks' delivery itself
//! is tested in `command`, `webhook` and `sink`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::analysis::fixtures::{account_a, metas, ts};
use crate::config::Notify;
use crate::model::{Image, ProfileSnapshot};

const GRACE: Duration = Duration::from_secs(300);
/// The fixtures are dated: a long lookback keeps them in the state file, which forgets by the wall clock.
const LOOKBACK: Duration = Duration::from_secs(20 * 365 * 86_400);

/// account-a's fixture (one untriggered push, web:latest) plus `extra` untriggered pushes of web:latest, and an
/// account-b that has not answered yet (no identity).
fn analysis(extra: &[&str]) -> Analysis {
    let mut a = account_a();
    for (i, digest) in extra.iter().enumerate() {
        a.images.push(Image {
            repository: "web".into(),
            digest: (*digest).into(),
            tags: vec![format!("v{i}"), "latest".into()],
            pushed_at: ts(-800 + i as i64),
            ..Image::default()
        });
    }
    let b = ProfileSnapshot::default();
    Analysis::new(&metas(), &[&a, &b], ts(0), GRACE)
}

fn untriggered(a: &Analysis) -> usize {
    a.pushes.iter().filter(|p| p.status == PushStatus::Untriggered).count()
}

/// A command appending each push it gets to `out`, one JSON document after another.
fn config(out: &Path) -> Notify {
    let script = format!("cat >> '{}'", out.display());
    Notify { command: Some(vec!["sh".into(), "-c".into(), script]), ..Notify::default() }
}

fn start(config: &Notify, state: &Path) -> Notifications {
    let state = state.to_path_buf();
    Notifications::start_with(config, LOOKBACK, move |retention| Store::open_at(state, retention))
}

/// The `repository` of every push the command got so far (waits until `expected` arrived, at most 10 s).
fn received(out: &PathBuf, expected: usize) -> Vec<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let pushes: Vec<serde_json::Value> =
            serde_json::Deserializer::from_str(&text).into_iter().map(Result::unwrap).collect();
        if pushes.len() >= expected {
            return pushes.iter().map(|p| p["digest"].as_str().unwrap().to_owned()).collect();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the command did not get {expected} pushes")
}

/// Waits until the state file records `digest` (the sink writes it right after the command ends), at most 10 s.
fn recorded(state: &Path, digest: &str) {
    for _ in 0..100 {
        if std::fs::read_to_string(state).unwrap_or_default().contains(digest) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{digest} is not in {}", state.display())
}

#[test]
fn each_untriggered_push_is_new_once() {
    let mut n = Notifications::in_memory(true);
    let first = analysis(&[]);
    assert_eq!(untriggered(&first), 1);
    assert_eq!(n.observe(&first), 1);
    assert_eq!(n.observe(&first), 0, "the same analysis again");
    assert_eq!(n.observe(&analysis(&["sha256:b1", "sha256:b2"])), 2);
    assert!(n.bell());
    assert!(!Notifications::in_memory(false).bell());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_gets_each_push_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state").join("notified.json"));

    let mut n = start(&config(&out), &state);
    let first = analysis(&[]);
    assert_eq!(n.observe(&first), 1);
    assert_eq!(n.observe(&first), 0);
    let want = first.pushes.iter().find(|p| p.status == PushStatus::Untriggered).unwrap().push.digest.clone();
    assert_eq!(received(&out, 1), std::slice::from_ref(&want));
    recorded(&state, &want);
    drop(n);

    // A restart: the delivered push is known, only the new one goes out.
    let mut n = start(&config(&out), &state);
    let second = analysis(&["sha256:new"]);
    assert_eq!(n.observe(&second), 1);
    assert_eq!(received(&out, 2), [want.clone(), "sha256:new".to_owned()]);
    recorded(&state, "sha256:new");
    drop(n);

    // A third start sees both as delivered: nothing is queued.
    let mut n = start(&config(&out), &state);
    assert_eq!(n.observe(&second), 0);
    assert!(n.entries.values().all(|e| e.queued.has(SinkKind::Command)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_takes_what_is_untriggered_as_announced() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("notified.json"));
    std::fs::write(&state, "garbage").unwrap();

    let mut n = start(&config(&out), &state);
    // account-a's data is there: its untriggered push is taken as announced, not sent.
    assert_eq!(n.observe(&analysis(&[])), 0);
    // A push that becomes untriggered later is announced.
    assert_eq!(n.observe(&analysis(&["sha256:later"])), 1);
    assert_eq!(received(&out, 1), ["sha256:later"]);
    recorded(&state, "sha256:later");
    drop(n);

    // The baseline was recorded: a restart sends nothing again.
    let mut n = start(&config(&out), &state);
    assert_eq!(n.observe(&analysis(&["sha256:later"])), 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(received(&out, 1), ["sha256:later"]);
}

#[test]
fn a_profile_without_data_is_not_taken_as_announced() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("notified.json");
    std::fs::write(&state, "garbage").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _guard = runtime.enter();
    let mut n = start(&config(&dir.path().join("out")), &state);
    n.observe(&analysis(&[]));
    let baselined = n.baselined.as_ref().unwrap();
    assert!(baselined.contains("account-a") && !baselined.contains("account-b"), "{baselined:?}");
}

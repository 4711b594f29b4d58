//! The exposition of a hand-built board in both formats (snapshots), and label values from hostile names.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::analysis::Analysis;
use crate::analysis::fixtures::{account_a, metas, ts};
use crate::model::ProfileSnapshot;
use crate::serve::board::PollRecord;

/// account-a polled (one untriggered push, one triggered), account-b failed twice in a row, nothing else polled.
fn board() -> Arc<Board> {
    let b = ProfileSnapshot::default();
    let analysis = Analysis::new(&metas(), &[&account_a(), &b], ts(0), Duration::from_secs(300));
    let calls = BTreeMap::from([("ecr:DescribeImages".to_owned(), 2), ("sts:GetCallerIdentity".to_owned(), 1)]);
    let errors = BTreeMap::from([
        (("poll".to_owned(), "timed_out"), 1),
        (("sts:GetCallerIdentity".to_owned(), "expired_credentials"), 1),
    ]);
    Arc::new(Board {
        analysis,
        polls: vec![
            PollRecord {
                profile: "account-a".into(),
                region: "ap-northeast-1".into(),
                last_poll: Some(ts(-1)),
                up: true,
                duration: Some(Duration::from_millis(250)),
                failures_in_a_row: 0,
                calls,
                errors: BTreeMap::new(),
            },
            PollRecord {
                profile: "account-b".into(),
                region: "ap-northeast-1".into(),
                last_poll: Some(ts(-2)),
                up: false,
                duration: Some(Duration::from_secs(10)),
                failures_in_a_row: 2,
                calls: BTreeMap::new(),
                errors,
            },
        ],
        refresh: Duration::from_secs(30),
    })
}

#[test]
fn text_exposition() {
    insta::assert_snapshot!(render(board(), Format::Text));
}

#[test]
fn openmetrics_exposition() {
    insta::assert_snapshot!(render(board(), Format::OpenMetrics));
}

#[test]
fn a_profile_not_polled_yet_has_no_series() {
    let mut board = (*board()).clone();
    board.polls[1].last_poll = None;
    let text = render(Arc::new(board), Format::Text);
    assert!(text.contains("pipewatch_up{profile=\"account-a\",region=\"ap-northeast-1\"} 1\n"), "{text}");
    assert!(!text.contains("account-b"), "{text}");
}

#[test]
fn hostile_names_are_escaped_and_made_visible_in_label_values() {
    let hostile_profile = "a\"b\\c\nd";
    let mut snap = account_a();
    snap.images[1].repository = "web\u{1b}]0;pwned\u{7}".into();
    snap.images[1].tags = vec!["latest\u{202e}gpj.exe".into(), "v\"1\\".into()];
    snap.pipelines[0].sources[0].repository = snap.images[1].repository.clone();
    snap.pipelines[0].sources[0].tag = "latest\u{202e}gpj.exe".into();
    snap.pipelines[0].name = "deploy\r\n# TYPE x counter".into();
    let mut metas = metas();
    metas[0].name = hostile_profile.into();
    let b = ProfileSnapshot::default();
    let analysis = Analysis::new(&metas, &[&snap, &b], ts(0), Duration::from_secs(300));
    let polls = vec![PollRecord {
        profile: hostile_profile.into(),
        region: "ap-northeast-1".into(),
        last_poll: Some(ts(0)),
        up: true,
        calls: BTreeMap::from([("api\"\\\n".to_owned(), 1)]),
        ..PollRecord::default()
    }];
    let board = Arc::new(Board { analysis, polls, refresh: Duration::from_secs(30) });
    for format in [Format::Text, Format::OpenMetrics] {
        let text = render(Arc::clone(&board), format);
        let raw: Vec<char> = text.chars().filter(|&c| crate::sanitize::is_hostile(c) && c != '\n').collect();
        assert!(raw.is_empty(), "{format:?}: raw {raw:?} in\n{text}");
        // Every line is a comment or a sample: no value broke out of its quotes onto a line of its own.
        for line in text.lines() {
            assert!(line.starts_with("# ") || line.starts_with("pipewatch_"), "{format:?}: {line:?}");
        }
        let expected = concat!(
            r#"pipewatch_untriggered_push_info{profile="a\"b\\c d",region="ap-northeast-1",repository="web^[]0;pwned^G","#,
            r#"tag="latest<U+202E>gpj.exe,v\"1\\",pipeline="deploy  # TYPE x counter",code="unknown"} 1"#,
        );
        assert!(text.contains(expected), "{format:?}: {expected} missing in\n{text}");
        assert!(
            text.contains(r#"pipewatch_api_calls_total{profile="a\"b\\c d",region="ap-northeast-1",api="api\"\\ "} 1"#),
            "{text}"
        );
    }
}

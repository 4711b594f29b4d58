//! Rendering one 200x50 dashboard frame with 10,000 pushes and 10,000 executions loaded (target: under 1 ms; only the
//! visible rows are built).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use pipewatch::model::{
    ExecStatus, Execution, Identity, Image, Pipeline, ProfileMeta, ProfileSnapshot, Revision, WatchedSource,
};
use pipewatch::poller::PollEvent;
use pipewatch::tui::app::App;
use pipewatch::tui::msg::Msg;
use pipewatch::tui::theme::Theme;
use pipewatch::tui::ui;

fn n() -> i64 {
    std::env::var("PIPEWATCH_RENDER_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

fn snapshot(now: Timestamp) -> ProfileSnapshot {
    let at = |s: i64| now.checked_sub(SignedDuration::from_secs(s)).unwrap_or(now);
    let digest = |i: i64| format!("sha256:{i:064x}");
    let pipelines = (0..10)
        .map(|p| Pipeline {
            name: format!("deploy-{p}"),
            sources: vec![WatchedSource {
                action: "Source".into(),
                repository: format!("repo-{p}"),
                tag: "latest".into(),
            }],
            executions: (0..n() / 10)
                .map(|k| {
                    let i = k * 10 + p;
                    Execution {
                        id: format!("exec-{i:08}"),
                        status: if i % 7 == 0 { ExecStatus::Failed } else { ExecStatus::Succeeded },
                        trigger: "CloudWatchEvent".into(),
                        trigger_detail: None,
                        started_at: at(i * 8 - 4),
                        updated_at: None,
                        revisions: vec![Revision { action: "Source".into(), revision_id: digest(i), summary: None }],
                        status_summary: None,
                    }
                })
                .collect(),
        })
        .collect();
    let pushes = (0..n())
        .map(|i| Image {
            repository: format!("repo-{}", i % 10),
            digest: digest(i),
            tags: vec![format!("build-{i}")],
            pushed_at: at(i * 8),
            ..Image::default()
        })
        .collect();
    ProfileSnapshot {
        identity: Some(Identity {
            account: "111111111111".into(),
            arn: "arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch".into(),
            user_id: "AROA:pipewatch".into(),
        }),
        pipelines,
        images: pushes,
        ..ProfileSnapshot::default()
    }
}

fn render(c: &mut Criterion) {
    let now = Timestamp::from_second(1_764_000_000).unwrap();
    let metas = vec![ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() }];
    let mut app = App::new(metas, Duration::from_secs(300), Duration::from_secs(30), TimeZone::UTC, Theme::of(true));
    let snap = Box::new(snapshot(now));
    app.update(Msg::Poll(PollEvent::Finished { profile: 0, at: now, snapshot: snap }), now);
    app.settle(now);
    assert_eq!(app.analysis.pushes.len(), n() as usize);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("render 200x50 frame, 10k pushes + 10k executions", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(f, black_box(&app), now)).unwrap();
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);

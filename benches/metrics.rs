//! `/metrics` of `pipewatch serve` with 50 profiles and 10,000 pushes: rendering the exposition in both formats
//! (what a scrape costs besides the socket), and its size.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use pipewatch::analysis::Analysis;
use pipewatch::serve::board::{Board, PollRecord};
use pipewatch::serve::metrics::{Format, render};

mod support;

const PROFILES: usize = 50;
const PUSHES: usize = 10_000;
const GRACE: Duration = Duration::from_secs(300);

/// 50 accounts sharing 10,000 pushes, each with the calls of a steady-state poll and a few failures.
fn board() -> Arc<Board> {
    let (metas, snaps) = support::accounts(PROFILES, PUSHES);
    let refs: Vec<_> = snaps.iter().collect();
    let now = snaps.iter().map(support::now_after).max().expect("profiles");
    let apis = [
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
        "codepipeline:ListPipelines",
        "codepipeline:GetPipeline",
        "codepipeline:ListPipelineExecutions",
        "ecr:DescribeImages",
        "cloudtrail:LookupEvents",
        "events:ListRuleNamesByTarget",
        "events:DescribeRule",
    ];
    let polls = metas
        .iter()
        .enumerate()
        .map(|(i, m)| PollRecord {
            profile: m.name.clone(),
            region: m.region.clone(),
            last_poll: Some(now),
            up: i % 10 != 0,
            duration: Some(Duration::from_millis(400)),
            failures_in_a_row: u64::from(i % 10 == 0),
            calls: apis.iter().map(|a| (a.to_string(), 1_000 + i as u64)).collect(),
            errors: BTreeMap::from([
                (("ecr:DescribeImages".to_owned(), "throttled"), 3),
                (("poll".to_owned(), "timed_out"), 1),
            ]),
        })
        .collect();
    Arc::new(Board { analysis: Analysis::new(&metas, &refs, now, GRACE), polls, refresh: Duration::from_secs(30) })
}

fn metrics(c: &mut Criterion) {
    let board = board();
    let counts = board.analysis.counts();
    for format in [Format::Text, Format::OpenMetrics] {
        let body = render(Arc::clone(&board), format);
        let series = body.lines().filter(|l| !l.starts_with('#')).count();
        eprintln!(
            "{format:?}: {} bytes, {series} series ({} untriggered pushes of {PUSHES})",
            body.len(),
            counts.untriggered
        );
    }
    let mut group = c.benchmark_group("metrics_50x10k");
    group.throughput(Throughput::Elements(PUSHES as u64));
    group.bench_function("text", |b| b.iter(|| render(black_box(Arc::clone(&board)), Format::Text)));
    group.bench_function("openmetrics", |b| b.iter(|| render(black_box(Arc::clone(&board)), Format::OpenMetrics)));
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);

//! Pure-code benchmarks: push-to-run correlation at 1k, 10k and 100k pushes × executions, and the JSON report of
//! 10k pushes. Run with `cargo bench` (or `cargo bench --bench correlate`); figures and targets are in BENCHMARKS.md.

mod support;

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pipewatch::analysis::Analysis;
use pipewatch::analysis::correlate::correlate_parts;
use pipewatch::analysis::pushes::group;
use pipewatch::report;

/// Grace period used throughout (the default of the config).
const GRACE: Duration = Duration::from_secs(300);

/// Sizes of the correlation benchmark: pushes, and as many executions. `PIPEWATCH_BENCH_SIZES=1000,30000,1000000`
/// measures others (BENCHMARKS.md uses it to show where the time per push jumps).
fn sizes() -> Vec<usize> {
    match std::env::var("PIPEWATCH_BENCH_SIZES") {
        Ok(list) => list.split(',').map(|n| n.trim().parse().expect("PIPEWATCH_BENCH_SIZES: numbers")).collect(),
        Err(_) => vec![1_000, 10_000, 100_000],
    }
}

fn correlation(c: &mut Criterion) {
    let mut bench = c.benchmark_group("correlate");
    for n in sizes() {
        let snap = support::snapshot(n, n, 42);
        let now = support::now_after(&snap);
        bench.throughput(Throughput::Elements(n as u64));
        bench.sample_size(match n {
            ..100_000 => 100,
            100_000..300_000 => 30,
            _ => 10,
        });
        let pushes = group(&snap.images, &snap.indexes);
        bench.bench_with_input(BenchmarkId::from_parameter(n), &snap, |b, snap| {
            b.iter(|| correlate_parts(black_box(&snap.pipelines), black_box(&pushes), now, GRACE))
        });
    }
    bench.finish();
}

fn json_report(c: &mut Criterion) {
    const PUSHES: usize = 10_000;
    let (metas, snaps) = support::accounts(3, PUSHES);
    let refs: Vec<_> = snaps.iter().collect();
    let now = snaps.iter().map(support::now_after).max().expect("three accounts");

    let mut group = c.benchmark_group("report_10k");
    group.throughput(Throughput::Elements(PUSHES as u64));
    group.bench_function("build", |b| b.iter(|| Analysis::new(black_box(&metas), black_box(&refs), now, GRACE)));
    let built = Analysis::new(&metas, &refs, now, GRACE);
    group.bench_function("json_write", |b| {
        b.iter(|| report::json::write(black_box(&built), io::sink()).expect("a sink never fails"))
    });
    // What `--once --output json` does after polling: build, write, free.
    group.bench_function("build_and_json_write", |b| {
        b.iter(|| {
            let r = Analysis::new(black_box(&metas), black_box(&refs), now, GRACE);
            report::json::write(&r, io::sink()).expect("a sink never fails");
        })
    });
    group.finish();
}

criterion_group!(benches, correlation, json_report);
criterion_main!(benches);

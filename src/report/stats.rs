//! `--stats`: what each profile's poll cost, in API calls and phase times (written to stderr).

use std::io::{self, Write};

use crate::model::{ProfileMeta, ProfileSnapshot};

/// Writes one block per profile: calls per API, then phase times, then a total line.
pub fn write(metas: &[ProfileMeta], snapshots: &[ProfileSnapshot], mut out: impl Write) -> io::Result<()> {
    let mut total = 0u32;
    for (meta, snap) in metas.iter().zip(snapshots) {
        let calls: u32 = snap.stats.calls.iter().map(|(_, n)| n).sum();
        total += calls;
        writeln!(out, "stats {}: {calls} API calls", crate::sanitize::clean(&meta.name))?;
        for (api, n) in &snap.stats.calls {
            writeln!(out, "  {api:<40} {n:>5}")?;
        }
        for (phase, took) in &snap.stats.phases {
            writeln!(out, "  phase {phase:<34} {:>7.1} ms", took.as_secs_f64() * 1000.0)?;
        }
    }
    writeln!(out, "stats: {total} API calls across {} profiles", metas.len())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::PollStats;

    #[test]
    fn writes_calls_and_phases_per_profile() {
        let metas = [ProfileMeta { name: "a".into(), region: "r".into() }];
        let snap = ProfileSnapshot {
            stats: PollStats {
                calls: vec![("ecr:DescribeImages".into(), 2), ("sts:AssumeRole".into(), 1)],
                phases: vec![("images".into(), Duration::from_micros(12_500))],
            },
            ..ProfileSnapshot::default()
        };
        let mut buf = Vec::new();
        write(&metas, &[snap], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "stats a: 3 API calls\n  ecr:DescribeImages                           2\n  sts:AssumeRole                               1\n  phase images                                12.5 ms\nstats: 3 API calls across 1 profiles\n"
        );
    }
}

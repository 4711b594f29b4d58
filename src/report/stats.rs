//! `--stats`: what each profile's poll cost, in API calls and phase times (written to stderr).

use std::io::{self, Write};

use crate::model::{ProfileMeta, ProfileSnapshot};

/// Writes one block per profile: calls per API, then phase times, then a total line.
pub fn write(metas: &[ProfileMeta], snapshots: &[ProfileSnapshot], mut out: impl Write) -> io::Result<()> {
    let mut total = 0u32;
    for (meta, snap) in metas.iter().zip(snapshots) {
        let calls: u32 = snap.stats.calls.iter().map(|(_, n)| n).sum();
        total += calls;
        // A profile polled in several regions has a block per region, named `profile@region`.
        let several = metas.iter().filter(|m| m.name == meta.name).count() > 1;
        let place = crate::display::place(&meta.name, &meta.region, several);
        writeln!(out, "stats {}: {calls} API calls", crate::sanitize::clean(&place))?;
        for (api, n) in &snap.stats.calls {
            writeln!(out, "  {api:<40} {n:>5}")?;
        }
        for (phase, took) in &snap.stats.phases {
            writeln!(out, "  phase {phase:<34} {:>7.1} ms", took.as_secs_f64() * 1000.0)?;
        }
    }
    // A profile is counted once however many regions it polls.
    let mut names: Vec<&str> = metas.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() == metas.len() {
        writeln!(out, "stats: {total} API calls across {} profiles", names.len())
    } else {
        writeln!(out, "stats: {total} API calls across {} profiles in {} regional polls", names.len(), metas.len())
    }
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

    #[test]
    fn a_profile_of_several_regions_has_a_block_per_region() {
        let metas = [
            ProfileMeta { name: "a".into(), region: "us-east-1".into() },
            ProfileMeta { name: "a".into(), region: "eu-west-1".into() },
            ProfileMeta { name: "b".into(), region: "us-east-1".into() },
        ];
        let snaps = [ProfileSnapshot::default(), ProfileSnapshot::default(), ProfileSnapshot::default()];
        let mut buf = Vec::new();
        write(&metas, &snaps, &mut buf).unwrap();
        let heads: Vec<String> = String::from_utf8(buf).unwrap().lines().map(str::to_string).collect();
        assert_eq!(
            heads,
            [
                "stats a@us-east-1: 0 API calls",
                "stats a@eu-west-1: 0 API calls",
                "stats b: 0 API calls",
                "stats: 0 API calls across 2 profiles in 3 regional polls"
            ]
        );
    }
}

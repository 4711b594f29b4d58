#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md in one command: criterion (correlation, report, rendering, /metrics), the moto scale
# comparison against the aws CLI, and the latency run. SOAK=1 adds the 10-minute soaks of the dashboard
# (scripts/soak.sh) and of `pipewatch serve` (scripts/soak-serve.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench
scripts/bench-scale.sh
scripts/bench-latency.sh
if [[ ${SOAK:-0} == 1 ]]; then
    scripts/soak.sh
    scripts/soak-serve.sh
fi

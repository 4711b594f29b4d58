#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md in one command: criterion (correlation, report, rendering), the moto scale
# comparison against the aws CLI, and the latency run. SOAK=1 adds the 10-minute soak (scripts/soak.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench
scripts/bench-scale.sh
scripts/bench-latency.sh
if [[ ${SOAK:-0} == 1 ]]; then
    scripts/soak.sh
fi

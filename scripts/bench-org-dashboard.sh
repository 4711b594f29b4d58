#!/usr/bin/env bash
# The dashboard at organization scale (issue 12, "Measurements"): the time from the dashboard's start to the first
# profile painted and to every profile painted, over N profiles (200 by default) x 5 pipelines x 3 repositories
# against `awsim serve` answering every request after 100 ms.
#
# Usage: scripts/bench-org-dashboard.sh      (N=200, RUNS=3, LATENCY=100ms, RATE=10, ASSUME_RATE= as in
#                                             scripts/bench-org.sh; needs tmux)
#
# It builds the release binaries, starts `awsim serve`, and runs the dashboard RUNS times in a detached 200x50 tmux
# session with PIPEWATCH_LOG=pipewatch::tui=debug and stderr to a file: with stderr not a terminal, the dashboard
# logs one `painted` line per frame that shows more profiles than the one before (`painted` profiles of `of`, at
# `elapsed_ms` since the dashboard started polling). "Painted" counts a profile whose first poll ended (its header
# and rows, or its error) in a frame drawn. Work files go to target/bench-org/.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200}
RUNS=${RUNS:-3}
LATENCY=${LATENCY:-100ms}
RATE=${RATE:-10}
ASSUME_RATE=${ASSUME_RATE-}
WORK=target/bench-org
mkdir -p "$WORK"
# shellcheck source=scripts/awsim-common.sh
source scripts/awsim-common.sh
port=$(free_port)
cfg=$PWD/$WORK/dash-$N.toml
"$AWSIM" serve --accounts "$N" --pipelines 5 --repositories 3 --latency "$LATENCY" --rate "$RATE" \
    --assume-role-rate "${ASSUME_RATE:-1000000000}" --port "$port" --config-out "$cfg" \
    >"$WORK/dash-awsim.out" 2>"$WORK/dash-awsim.err" &
AWSIM_PID=$!
SESSION=pipewatch-bench-$$
trap 'tmux kill-session -t $SESSION 2>/dev/null || true; kill $AWSIM_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [[ -s $cfg ]] && break
    sleep 0.1
done

printf '%-5s %12s %12s %12s\n' run first_ms all_ms frames
for r in $(seq "$RUNS"); do
    log=$PWD/$WORK/dash-$N-$r.log
    rm -f "$log"
    tmux new-session -d -s "$SESSION" -x 200 -y 50 \
        "env PIPEWATCH_LOG=pipewatch::tui=debug $BIN --config $cfg --refresh 10m 2>$log"
    for _ in $(seq 300); do
        grep -q "painted=$N of=$N" "$log" 2>/dev/null && break
        sleep 0.1
    done
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    first=$(grep -m1 -o 'elapsed_ms=[0-9]*' "$log" | cut -d= -f2)
    all=$(grep "painted=$N of=$N" "$log" | grep -m1 -o 'elapsed_ms=[0-9]*' | cut -d= -f2)
    printf '%-5s %12s %12s %12s\n' "$r" "${first:-?}" "${all:-never}" "$(grep -c painted= "$log")"
    sleep 2
done

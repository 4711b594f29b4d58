#!/usr/bin/env bash
# Soak: the dashboard on --demo with a 1 s refresh for SOAK_SECONDS (default 600), in a detached tmux session.
# The demo's account-b fails every 6th poll (an expired session) and recovers on the next, so a fault toggles
# all along. Every 10 s the script samples the process's resident memory (VmRSS), its thread count and CPU time,
# and reads the screen: both profiles must show a poll no older than 3 s ("polled Ns ago") — a missed refresh
# would show an older age. Results: target/soak/samples.csv and a summary on stdout; exit 1 if a check failed.
#
# Usage: scripts/soak.sh        (needs tmux; builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${SOAK_SECONDS:-600}
WORK=target/soak
mkdir -p "$WORK"
cargo build --release --quiet
tmux kill-session -t pw-soak 2>/dev/null || true
tmux new-session -d -s pw-soak -x 160 -y 45 "target/release/pipewatch --demo --refresh 1s"
sleep 3
PID=$(pgrep -x pipewatch | head -1)
TICK=$(getconf CLK_TCK)
echo "t_s,rss_kb,threads,cpu_s,max_poll_age_s" >"$WORK/samples.csv"
fail=0
start=$(date +%s)
while (( $(date +%s) - start < SECONDS_TOTAL )); do
    sleep 10
    t=$(( $(date +%s) - start ))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    threads=$(awk '/Threads/ {print $2}' "/proc/$PID/status")
    cpu=$(awk -v tick="$TICK" '{printf "%.2f", ($14 + $15) / tick}' "/proc/$PID/stat")
    screen=$(tmux capture-pane -t pw-soak -p)
    age=$(grep -oE 'polled [0-9]+s ago' <<<"$screen" | grep -oE '[0-9]+' | sort -n | tail -1)
    age=${age:-999}
    echo "$t,$rss,$threads,$cpu,$age" >>"$WORK/samples.csv"
    if (( age > 3 )); then
        echo "t=${t}s: a profile was last polled ${age}s ago" >&2
        fail=1
    fi
done
tmux send-keys -t pw-soak q
sleep 1
awk -F, 'NR == 2 {r0 = $2; t0 = $3} NR > 1 {r = $2; t = $3; if ($2 > rmax) rmax = $2; c = $4}
    END {printf "samples: %d; RSS first %d kB, last %d kB, max %d kB; threads first %d, last %d; CPU %.1f s in %d s (%.2f%% of a core)\n",
         NR - 1, r0, r, rmax, t0, t, c, $1, 100 * c / $1}' "$WORK/samples.csv"
exit $fail

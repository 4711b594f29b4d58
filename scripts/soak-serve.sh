#!/usr/bin/env bash
# Soak of `pipewatch serve --demo --refresh 5s` for SOAK_SECONDS (default 600): Prometheus-like scrapes of /metrics
# every 15 s, and every 10 s a sample of the process's resident memory (VmRSS), thread count and CPU time. Every
# scrape must answer 200 with both profiles polled within the last 7 s (refresh 5 s plus the demo's latency).
# Results: target/soak-serve/samples.csv and a summary on stdout; exit 1 if a check failed.
#
# Usage: scripts/soak-serve.sh        (builds the release binary first; needs curl)
#        SOAK_BIN=target/debug/pipewatch scripts/soak-serve.sh    (that binary instead, nothing built)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${SOAK_SECONDS:-600}
PORT=${SOAK_PORT:-19464}
WORK=target/soak-serve
mkdir -p "$WORK"
BIN=${SOAK_BIN:-}
if [[ -z $BIN ]]; then
    cargo build --release --quiet
    BIN=target/release/pipewatch
fi
"$BIN" serve --demo --refresh 5s --listen "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
sleep 3
TICK=$(getconf CLK_TCK)
echo "t_s,rss_kb,threads,cpu_s,max_poll_age_s,metrics_bytes" >"$WORK/samples.csv"
fail=0
scrapes=0
start=$(date +%s)
last_scrape=0
while (( $(date +%s) - start < SECONDS_TOTAL )); do
    sleep 10
    t=$(( $(date +%s) - start ))
    age=-1
    bytes=0
    if (( t - last_scrape >= 15 )); then
        last_scrape=$t
        scrapes=$((scrapes + 1))
        body=$(curl -sf "http://127.0.0.1:$PORT/metrics") || { echo "t=${t}s: /metrics failed" >&2; fail=1; body=""; }
        bytes=${#body}
        now=$(date +%s.%N)
        age=$(awk -v now="$now" '/^pipewatch_last_poll_timestamp_seconds/ {a = now - $2; if (a > m) m = a} END {printf "%.1f", m}' <<<"$body")
        if awk -v a="$age" 'BEGIN {exit !(a > 7)}'; then
            echo "t=${t}s: a profile was last polled ${age}s ago" >&2
            fail=1
        fi
    fi
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    threads=$(awk '/Threads/ {print $2}' "/proc/$PID/status")
    cpu=$(awk -v tick="$TICK" '{printf "%.2f", ($14 + $15) / tick}' "/proc/$PID/stat")
    echo "$t,$rss,$threads,$cpu,$age,$bytes" >>"$WORK/samples.csv"
done
kill -TERM $PID
wait $PID && rc=0 || rc=$?
if (( rc != 0 )); then echo "serve exited $rc on SIGTERM" >&2; fail=1; fi
awk -F, 'NR == 2 {r0 = $2; t0 = $3} NR > 1 {r = $2; t = $3; if ($2 > rmax) rmax = $2; if (rmin == 0 || $2 < rmin) rmin = $2; c = $4}
    NR == 8 {r1 = $2}
    END {printf "samples: %d; RSS first %d kB, after 1 min %d kB, last %d kB, min %d kB, max %d kB; threads first %d, last %d; CPU %.1f s in %d s (%.2f%% of a core)\n",
         NR - 1, r0, r1, r, rmin, rmax, t0, t, c, $1, 100 * c / $1}' "$WORK/samples.csv"
echo "scrapes: $scrapes; SIGTERM exit code: $rc"
exit $fail

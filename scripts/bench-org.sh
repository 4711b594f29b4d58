#!/usr/bin/env bash
# Organization-scale benchmark (issue 12, "Measurements"): `pipewatch --once --output json` over 1, 10, 50, 200 and
# 500 profiles (one account each) x 5 pipelines x 3 repositories, against `awsim serve` answering every request
# after 100 ms, all sizes in one run.
#
# Usage: scripts/bench-org.sh            (SIZES="1 10 50 200 500", RUNS=3, LATENCY=100ms, RATE=10, PUSHES=4,
#                                         ASSUME_RATE=, PACE=; RATE= for no limits in awsim)
#
# From the repository root it builds the release binaries of pipewatch and awsim, then per size: starts
# `awsim serve` (127.0.0.1, a free port; RATE requests per second and as many in a burst per account, region and
# API, LookupEvents at AWS's 2/s; sts:AssumeRole, which every profile sends in the one source account, at
# ASSUME_RATE a second, unlimited when empty: AWS publishes no STS rate) which writes the config (with
# `assume_role_rate = PACE` in its [settings] when PACE is set: pipewatch's own AssumeRole pacing); makes one
# warm-up run; then RUNS runs, each after clearing awsim's request log (POST /_awsim/clear), each under
# /usr/bin/time -v (wall time, user + system CPU time, peak RSS), and reads the log (GET /_awsim/requests) for
# the requests made and those throttled. Then, for sizes above 1, it times alone (`--profile`, RUNS runs against
# the same awsim) the profile of the first run with the most LookupEvents calls (then the most requests): paced at
# AWS's 2 a second per account, its CloudTrail windows make the longest dependent chain of one profile in that world,
# which the issue's ratio compares the whole run to. It prints one row
# per size (medians of the runs; peak RSS: the largest; `alone_s` and `ratio` = wall / alone_s), and the longest
# dependent chain of the 1-profile run: its number of waves of requests (a wave: requests arriving within 50 ms of
# the one before), times the latency. Work files go to target/bench-org/.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1 10 50 200 500"}
RUNS=${RUNS:-3}
LATENCY=${LATENCY:-100ms}
RATE=${RATE-10}
ASSUME_RATE=${ASSUME_RATE-}
PACE=${PACE-}
PUSHES=${PUSHES:-4}
WORK=target/bench-org
mkdir -p "$WORK"
# shellcheck source=scripts/awsim-common.sh
source scripts/awsim-common.sh

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

AWSIM_PID=
trap '[[ -n $AWSIM_PID ]] && kill $AWSIM_PID 2>/dev/null || true' EXIT

printf '%-9s %9s %9s %9s %10s %10s %6s %9s %7s\n' profiles wall_s requests throttled cpu_s peak_MiB exit \
    alone_s ratio
for n in $SIZES; do
    port=$(free_port)
    cfg="$WORK/config-$n.toml"
    "$AWSIM" serve --accounts "$n" --pipelines 5 --repositories 3 --pushes "$PUSHES" --latency "$LATENCY" \
        ${RATE:+--rate "$RATE"} --assume-role-rate "${ASSUME_RATE:-1000000000}" --port "$port" \
        --config-out "$cfg" >"$WORK/awsim-$n.out" 2>"$WORK/awsim-$n.err" &
    AWSIM_PID=$!
    for _ in $(seq 100); do
        [[ -s $cfg ]] && curl -s -o /dev/null "http://127.0.0.1:$port/_awsim/requests" && break
        sleep 0.1
    done
    [[ -n $PACE ]] && sed -i "s/^\[settings\]\$/[settings]\nassume_role_rate = $PACE/" "$cfg"
    "$BIN" --once --output json --config "$cfg" >/dev/null 2>&1 || true # warm-up (page cache, awsim's buckets)
    sleep 2 # let the buckets refill
    walls=() cpus=() reqs=() thr=() rss=0 code=0
    for r in $(seq "$RUNS"); do
        curl -s -X POST "http://127.0.0.1:$port/_awsim/clear" >/dev/null
        set +e
        /usr/bin/time -v -o "$WORK/time-$n-$r.txt" "$BIN" --once --output json --config "$cfg" \
            >"$WORK/out-$n.json" 2>"$WORK/err-$n.txt"
        code=$?
        set -e
        curl -s "http://127.0.0.1:$port/_awsim/requests" >"$WORK/requests-$n-$r.tsv"
        walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$WORK/time-$n-$r.txt")")
        cpus+=("$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$WORK/time-$n-$r.txt")")
        kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-$n-$r.txt")
        ((kb > rss)) && rss=$kb
        reqs+=("$(($(wc -l <"$WORK/requests-$n-$r.tsv") - 1))")
        thr+=("$(awk -F'\t' 'NR > 1 && $5 ~ /^Throttl/' "$WORK/requests-$n-$r.tsv" | wc -l)")
        sleep 2
    done
    wall=$(printf '%s\n' "${walls[@]}" | median)
    alone=- ratio=-
    if ((n > 1)); then
        slowest=$(awk -F'\t' 'NR > 1 {k = $2 "-" $3; all[k]++; if ($4 == "cloudtrail:LookupEvents") lookups[k]++}
            END {for (k in all) print lookups[k] + 0, all[k], k}' "$WORK/requests-$n-1.tsv" |
            sort -n -k1,1 -k2,2 | tail -1 | cut -d' ' -f3)
        alones=()
        for r in $(seq "$RUNS"); do
            sleep 2
            /usr/bin/time -f %e -o "$WORK/alone-$n-$r.txt" "$BIN" --once --output json --config "$cfg" \
                --profile "a$slowest" >/dev/null 2>&1 || true
            alones+=("$(cat "$WORK/alone-$n-$r.txt" | tail -1)")
        done
        alone=$(printf '%s\n' "${alones[@]}" | median)
        ratio=$(echo "$wall / $alone" | bc -l | xargs printf '%.2f')
    fi
    kill "$AWSIM_PID" 2>/dev/null || true
    wait "$AWSIM_PID" 2>/dev/null || true
    AWSIM_PID=
    printf '%-9s %9s %9s %9s %10s %10.1f %6s %9s %7s\n' "$n" \
        "$wall" "$(printf '%s\n' "${reqs[@]}" | median)" \
        "$(printf '%s\n' "${thr[@]}" | median)" "$(printf '%s\n' "${cpus[@]}" | median)" \
        "$(echo "$rss / 1024" | bc -l)" "$code" "$alone" "$ratio"
done

# The longest dependent chain of one profile: waves of requests in the 1-profile runs.
if [[ -f $WORK/requests-1-1.tsv ]]; then
    waves=$(awk -F'\t' 'NR > 1 {print $1}' "$WORK/requests-1-1.tsv" | sort -n |
        awk 'NR == 1 || $1 - prev > 50 {w++} {prev = $1} END {print w}')
    echo "longest chain of one profile: $waves waves of requests (x $LATENCY)"
    awk -F'\t' 'NR > 1 {print $1, $4}' "$WORK/requests-1-1.tsv" | sort -n |
        awk 'NR == 1 {t0 = $1} {printf "  +%5d ms  %s\n", $1 - t0, $2}'
fi

#!/usr/bin/env bash
# Scale benchmark (targets 1 and 5 of BENCHMARKS.md): `pipewatch --once --output json` against the same reads
# done with sequential `aws` CLI calls (scripts/cli-baseline.sh), on a moto server seeded with the scale scenario:
# 3 accounts reached through AssumeRole, each with 5 ECR repositories of 40 tagged images and 5 pipelines of
# 20 executions (scripts/seed-scale.py).
#
# Usage: scripts/bench-scale.sh            (RUNS=7 by default; e.g. `RUNS=11 scripts/bench-scale.sh`)
#
# What it does, from the repository root:
#   1. creates target/moto-venv (python3 -m venv) if absent and installs `moto[server]==5.2.5` and `awscli`
#      into it (reused when present);
#   2. `cargo build --release` (the first release build takes ~5 minutes on 2 cores);
#   3. starts `moto_server -H 127.0.0.1 -p PORT` on a free port (stopped on exit), seeds it, and writes a
#      pipewatch config with one profile per account (`role_arn`, `endpoint_url`, `region`, and
#      `cloudtrail = false`, `eventbridge = false` so that pipewatch makes the same reads as the CLI script);
#   4. checks that both sides read the whole scenario (600 images, 15 pipelines, 300 executions), then runs
#      each side once to warm up and RUNS times more, alternating, and prints both medians, the ratio, and the
#      peak RSS of pipewatch (max resident set size from /usr/bin/time, or VmHWM when it is missing).
# Both sides run with AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
# AWS_EC2_METADATA_DISABLED=true. Work files (config, outputs, moto log) go to target/bench-scale/.
# Needs python3 (with venv), curl, and network access to PyPI the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-7}
ACCOUNTS=(111111111111 222222222222 333333333333)
VENV=target/moto-venv
WORK=target/bench-scale
mkdir -p "$WORK"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
export AWS_DEFAULT_REGION=ap-northeast-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE || true
# Keep the AWS CLI away from any ~/.aws of the machine.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# 1. moto and the AWS CLI.
if [[ ! -x $VENV/bin/python ]]; then
    echo "== creating $VENV"
    python3 -m venv "$VENV"
fi
if [[ ! -x $VENV/bin/moto_server ]] || ! "$VENV/bin/python" -c 'import moto; assert moto.__version__ == "5.2.5"' \
    2>/dev/null; then
    echo "== installing moto[server]==5.2.5 into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
if [[ ! -x $VENV/bin/aws ]]; then
    echo "== installing awscli into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check awscli
fi
export PATH="$PWD/$VENV/bin:$PATH"

# 2. pipewatch.
echo "== cargo build --release"
cargo build --release --quiet
PIPEWATCH=$PWD/target/release/pipewatch

# 3. moto, seeded.
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
echo "== starting moto on $ENDPOINT"
moto_server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf -o /dev/null "$ENDPOINT/moto-api/" && break
    kill -0 "$MOTO_PID" 2>/dev/null || { echo "moto exited; see $WORK/moto.log" >&2; exit 1; }
    sleep 0.1
done
curl -sf -o /dev/null "$ENDPOINT/moto-api/" || { echo "moto did not answer on $ENDPOINT" >&2; exit 1; }
echo "== seeding"
"$VENV/bin/python" scripts/seed-scale.py "$ENDPOINT" "${ACCOUNTS[@]}"

CONFIG=$WORK/config.toml
{
    echo "# Written by scripts/bench-scale.sh for moto at $ENDPOINT."
    echo "[settings]"
    echo 'region = "ap-northeast-1"'
    echo 'timeout = "60s"'
    for a in "${ACCOUNTS[@]}"; do
        echo
        echo "[profiles.account-$a]"
        echo "role_arn = \"arn:aws:iam::$a:role/pipewatch-read\""
        echo "endpoint_url = \"$ENDPOINT\""
        echo 'region = "ap-northeast-1"'
        # The same reads as the CLI script: no CloudTrail (moto does not implement LookupEvents) and no
        # EventBridge rule check.
        echo 'cloudtrail = false'
        echo 'eventbridge = false'
    done
} >"$CONFIG"

run_pipewatch() {
    # Exit 0 (healthy) and 1 (untriggered pushes) are both a complete report.
    local rc=0
    "$PIPEWATCH" --once --output json --config "$CONFIG" >"$WORK/pipewatch.json" 2>"$WORK/pipewatch.err" || rc=$?
    if [[ $rc -gt 1 ]]; then
        echo "pipewatch exited $rc:" >&2
        cat "$WORK/pipewatch.err" >&2
        exit 1
    fi
}
run_cli() {
    scripts/cli-baseline.sh "$ENDPOINT" "${ACCOUNTS[@]}" >"$WORK/cli.out"
}
now_ns() { date +%s%N; }

# 4. Both sides read everything.
run_pipewatch
run_cli
read -r pw_pushes pw_pipes pw_execs pw_errors < <("$VENV/bin/python" - "$WORK/pipewatch.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
errors = sum(1 for p in r["profiles"] if p["error"])
print(len(r["pushes"]), len(r["pipelines"]), sum(len(p["executions"]) for p in r["pipelines"]), errors)
PY
)
pw_calls=$("$PIPEWATCH" --once --stats --output json --config "$CONFIG" 2>&1 >/dev/null \
    | sed -n 's/^stats: \([0-9]*\) API calls.*/\1/p' || true)
# The CLI script makes 2 calls per account (assume-role, get-caller-identity), 1 list-pipelines, and 2 per pipeline
# and 1 per repository (one page each at this size).
cli_images=$(grep -c '"imageDigest"' "$WORK/cli.out" || true)
cli_execs=$(grep -c '"pipelineExecutionId"' "$WORK/cli.out" || true)
cli_pipes=$(grep -c '^# pipeline ' "$WORK/cli.out" || true)
echo "pipewatch read: $pw_pushes images, $pw_pipes pipelines, $pw_execs executions, $pw_errors failed profiles"
echo "CLI script read: $cli_images images, $cli_pipes pipelines, $cli_execs executions"
cli_repos=$(grep -c '^# repository ' "$WORK/cli.out" || true)
echo "API calls: pipewatch ${pw_calls:-?} (--stats), CLI script $((${#ACCOUNTS[@]} * 3 + cli_pipes * 2 + cli_repos))"
if [[ "$pw_pushes $pw_pipes $pw_execs $pw_errors" != "600 15 300 0" || "$cli_images $cli_pipes $cli_execs" != "600 15 300" ]]
then
    echo "the two sides did not read the whole scenario; see $WORK/" >&2
    exit 1
fi

HAVE_TIME=false
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
    HAVE_TIME=true
fi
peak_kb() {
    # Runs pipewatch once more, reporting its peak RSS in kB.
    if $HAVE_TIME; then
        /usr/bin/time -f %M -o "$WORK/rss" "$PIPEWATCH" --once --output json --config "$CONFIG" >/dev/null 2>&1 || true
        cat "$WORK/rss"
    else
        # VmHWM of the process just before it exits: poll /proc while it runs.
        "$PIPEWATCH" --once --output json --config "$CONFIG" >/dev/null 2>&1 &
        local pid=$! hwm=0 v
        while kill -0 "$pid" 2>/dev/null; do
            v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            [[ -n $v && $v -gt $hwm ]] && hwm=$v
            sleep 0.005
        done
        wait "$pid" || true
        echo "$hwm"
    fi
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "== timing: $RUNS runs each, alternating (after one warm-up run each above)"
pw_ms=()
cli_ms=()
for i in $(seq "$RUNS"); do
    t0=$(now_ns)
    run_pipewatch
    t1=$(now_ns)
    run_cli
    t2=$(now_ns)
    pw_ms+=("$(((t1 - t0) / 1000))")
    cli_ms+=("$(((t2 - t1) / 1000))")
    awk -v i="$i" -v p="${pw_ms[-1]}" -v c="${cli_ms[-1]}" \
        'BEGIN { printf "  run %2d: pipewatch %8.1f ms   CLI script %9.1f ms\n", i, p / 1000, c / 1000 }'
done
pw_med=$(printf '%s\n' "${pw_ms[@]}" | median)
cli_med=$(printf '%s\n' "${cli_ms[@]}" | median)

rss=()
for _ in 1 2 3; do
    rss+=("$(peak_kb)")
done
rss_max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)

echo "== results ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
awk -v p="$pw_med" -v c="$cli_med" -v r="$rss_max" -v runs="$RUNS" -v how="$($HAVE_TIME && echo /usr/bin/time || echo VmHWM)" 'BEGIN {
    printf "pipewatch --once --output json: median %.1f ms over %d runs\n", p / 1000, runs
    printf "scripts/cli-baseline.sh:        median %.1f ms over %d runs\n", c / 1000, runs
    printf "ratio (CLI / pipewatch):        %.1fx (target: >= 20x)\n", c / p
    printf "pipewatch peak RSS:             %.1f MiB (max of 3 runs, %s; target: < 40 MB)\n", r / 1024, how
}'

#!/usr/bin/env bash
# Latency benchmark (target 2 of BENCHMARKS.md): `pipewatch --once` with 100 ms added to every request, for 1, 10 and
# 50 profiles, against the longest chain of dependent calls of one profile.
#
# Usage: scripts/bench-latency.sh      (RUNS=5 and DELAY_MS=100 by default)
#
# From the repository root it: creates target/moto-venv with moto[server]==5.2.5 if absent; builds the release
# binary; starts moto and scripts/latency_proxy.py (127.0.0.1 only) in front of it; seeds 50 accounts through
# tests/support/seed.py (each: 2 repositories of 3 images, 2 pipelines watching them with 3 executions each, one
# EventBridge rule per pipeline); then times RUNS runs of `pipewatch --once --output json` per profile count and
# prints the medians, the chain, the ratios and the `--stats` call counts. CloudTrail is switched off in the
# profiles because moto does not serve LookupEvents (its HTTP 500s would be retried and measure nothing useful).
# Work files go to target/bench-latency/.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
DELAY_MS=${DELAY_MS:-100}
VENV=target/moto-venv
WORK=target/bench-latency
mkdir -p "$WORK"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true

if [[ ! -x $VENV/bin/moto_server ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
cargo build --release --quiet
BIN=target/release/pipewatch

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MOTO_PORT=$(free_port)
PROXY_PORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
python3 scripts/latency_proxy.py "$PROXY_PORT" "$MOTO_PORT" "$DELAY_MS" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
trap 'kill $MOTO_PID $PROXY_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" && break
    sleep 0.3
done

echo "== seeding 50 accounts"
"$VENV/bin/python" - "$MOTO_PORT" <<'PY' | "$VENV/bin/python" tests/support/seed.py >"$WORK/seeded.json"
import json, sys
port = sys.argv[1]
accounts = []
for i in range(50):
    acct = f"{700000000000 + i:012d}"
    repos = [{"name": r, "images": [{"seed": f"{r}{n}", "tags": [f"v{n}"] + (["latest"] if n == 2 else [])}
                                   for n in range(3)]} for r in ("web", "api")]
    pipes = [{"name": f"{r}-deploy", "sources": [{"repository": r}], "start_executions": 3} for r in ("web", "api")]
    rules = [{"name": f"{r}-rule", "repository": r, "tag": "latest", "pipeline": f"{r}-deploy"} for r in ("web", "api")]
    accounts.append({"id": acct, "repositories": repos, "pipelines": pipes, "rules": rules})
print(json.dumps({"endpoint": f"http://127.0.0.1:{port}", "accounts": accounts}))
PY

config() { # N ENDPOINT_PORT -> config path
    local n=$1 port=$2 f="$WORK/config-$1-$2.toml"
    printf '[settings]\nregion = "ap-northeast-1"\ntimeout = "60s"\n' >"$f"
    for i in $(seq 0 $((n - 1))); do
        printf '[profiles.p%02d]\nrole_arn = "arn:aws:iam::%012d:role/pipewatch-read"\nendpoint_url = "http://127.0.0.1:%s"\ncloudtrail = false\n' \
            "$i" $((700000000000 + i)) "$port" >>"$f"
    done
    echo "$f"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

time_runs() { # CONFIG -> median seconds
    local cfg=$1 t
    "$BIN" --once --output json --config "$cfg" >/dev/null 2>&1 || true # warm-up
    for _ in $(seq "$RUNS"); do
        /usr/bin/env time -f %e -o "$WORK/time.txt" "$BIN" --once --output json --config "$cfg" >"$WORK/out.json" \
            2>/dev/null || true
        tail -1 "$WORK/time.txt"
    done | median
}

if ! /usr/bin/env time -f %e true >/dev/null 2>&1; then
    echo "needs GNU time (apt-get install -y time)" >&2
    exit 1
fi

# The chain of one profile: AssumeRole -> ListPipelines -> GetPipeline -> ListRuleNamesByTarget -> DescribeRule.
CHAIN_CALLS=5
CHAIN=$(awk -v d="$DELAY_MS" -v c=$CHAIN_CALLS 'BEGIN {printf "%.3f", d * c / 1000}')
T0=$(time_runs "$(config 1 "$MOTO_PORT")")
T1=$(time_runs "$(config 1 "$PROXY_PORT")")
T10=$(time_runs "$(config 10 "$PROXY_PORT")")
T50=$(time_runs "$(config 50 "$PROXY_PORT")")
T50_0=$(time_runs "$(config 50 "$MOTO_PORT")")
"$BIN" --once --output json --stats --config "$(config 10 "$PROXY_PORT")" 2>"$WORK/stats-10.txt" >/dev/null || true
echo
echo "delay per request: ${DELAY_MS} ms; chain of dependent calls: $CHAIN_CALLS -> ${CHAIN} s"
echo "1 profile, no delay:   ${T0} s"
echo "1 profile:             ${T1} s"
echo "10 profiles:           ${T10} s  (ratio to chain: $(awk -v a="$T10" -v b="$CHAIN" 'BEGIN {printf "%.2f", a / b}'); target <= 1.5)"
echo "50 profiles:           ${T50} s  (ratio to 10 profiles: $(awk -v a="$T50" -v b="$T10" 'BEGIN {printf "%.2f", a / b}'); target <= 2)"
echo "50 profiles, no delay: ${T50_0} s  (moto's own throughput: the floor of the 50-profile figure)"
echo "calls of one 10-profile poll:"
tail -1 "$WORK/stats-10.txt"

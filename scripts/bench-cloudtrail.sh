#!/usr/bin/env bash
# CloudTrail benchmark (issue 10, item 7): `pipewatch --once` on the scale scenario of scripts/bench-scale.sh (600
# pushes in 3 accounts) with CloudTrail and EventBridge switched on, against moto behind scripts/cloudtrail_proxy.py,
# which serves LookupEvents from the PutImage calls of the seeding, 50 events a page, at 2 requests per second per
# account (a token bucket holding 2, ThrottlingException past it). A fourth profile reads account 111111111111
# through a second role, so two profiles share that account's LookupEvents limit.
#
# Usage: scripts/bench-cloudtrail.sh                  (this tree; RUNS=5 by default)
#        BEFORE=<git rev> scripts/bench-cloudtrail.sh  (also builds <rev> and runs it the same way, alternating)
#
# Two scenarios, each run RUNS times per binary (after one warm-up run):
#   healthy      every push accounted for (the newest image of each repository triggered its pipeline's run)
#   untriggered  plus, in each account, app-6:latest pushed with no run (`--now` 6 minutes ahead, so it is past
#                the 5-minute grace)
# For each: median wall time, LookupEvents answered and throttled (from the proxy), and the profiles whose report
# carries a CloudTrail warning. Work files go to target/bench-cloudtrail/. Needs python3 with venv and curl; the
# first run installs moto into target/moto-venv and builds release binaries (minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
ACCOUNTS=(111111111111 222222222222 333333333333)
VENV=target/moto-venv
WORK=target/bench-cloudtrail
mkdir -p "$WORK"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
export AWS_DEFAULT_REGION=ap-northeast-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import moto; assert moto.__version__ == "5.2.5"' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
PY=$VENV/bin/python

echo "== cargo build --release"
cargo build --release --quiet
cp target/release/pipewatch "$WORK/pipewatch-after"
BINS=(after)
if [[ -n ${BEFORE:-} ]]; then
    echo "== building $BEFORE"
    rm -rf "$WORK/before-src"
    mkdir -p "$WORK/before-src"
    git archive "$BEFORE" | tar -x -C "$WORK/before-src"
    # The same target directory: the dependencies are built once.
    CARGO_TARGET_DIR=$PWD/target cargo build --release --quiet --manifest-path "$WORK/before-src/Cargo.toml"
    cp target/release/pipewatch "$WORK/pipewatch-before"
    cargo build --release --quiet # put this tree's binary back
    BINS=(before after)
fi

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
MOTO_PORT=$(free_port)
PROXY_PORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
"$PY" scripts/cloudtrail_proxy.py "$PROXY_PORT" "$MOTO_PORT" 2 2>"$WORK/proxy.log" &
PROXY_PID=$!
trap 'kill "$MOTO_PID" "$PROXY_PID" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
ENDPOINT=http://127.0.0.1:$PROXY_PORT
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" && curl -sf -o /dev/null "$ENDPOINT/stats" && break
    sleep 0.1
done

echo "== seeding 600 pushes in 3 accounts through the proxy"
"$PY" scripts/seed-scale.py "$ENDPOINT" "${ACCOUNTS[@]}"

config() {
    echo '[settings]'
    echo 'region = "ap-northeast-1"'
    echo 'timeout = "30s"'
    for a in "${ACCOUNTS[@]}"; do
        printf '\n[profiles.account-%s]\nrole_arn = "arn:aws:iam::%s:role/pipewatch-read"\nendpoint_url = "%s"\n' \
            "$a" "$a" "$ENDPOINT"
    done
    printf '\n[profiles.account-%s-ops]\nrole_arn = "arn:aws:iam::%s:role/pipewatch-ops"\nendpoint_url = "%s"\n' \
        "${ACCOUNTS[0]}" "${ACCOUNTS[0]}" "$ENDPOINT"
}
config >"$WORK/config.toml"

stats() { curl -sf "$ENDPOINT/stats"; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# One run: prints "ms lookups throttled warned_profiles exit".
one_run() {
    local bin=$1
    shift
    local before after t0 t1 rc=0
    before=$(stats)
    t0=$(date +%s%N)
    "$WORK/pipewatch-$bin" --once --output json --config "$WORK/config.toml" "$@" >"$WORK/out.json" \
        2>"$WORK/err.txt" || rc=$?
    t1=$(date +%s%N)
    after=$(stats)
    "$PY" - "$before" "$after" "$WORK/out.json" "$(((t1 - t0) / 1000000))" "$rc" <<'PY'
import json, sys
b, a, doc = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
warned = sum(1 for p in doc["profiles"] if any("CloudTrail" in w or "LookupEvents" in w for w in p["warnings"]))
print(sys.argv[4], a["lookup_ok"] - b["lookup_ok"], a["lookup_throttled"] - b["lookup_throttled"], warned, sys.argv[5])
PY
}

scenario() {
    local name=$1
    shift
    echo "== scenario $name ($RUNS runs per binary, alternating, after one warm-up each)"
    for bin in "${BINS[@]}"; do one_run "$bin" "$@" >/dev/null; done
    declare -A ms lookups throttled warned codes
    for i in $(seq "$RUNS"); do
        for bin in "${BINS[@]}"; do
            read -r t l th w rc < <(one_run "$bin" "$@")
            ms[$bin]+="$t "
            lookups[$bin]+="$l "
            throttled[$bin]+="$th "
            warned[$bin]+="$w "
            codes[$bin]+="$rc "
            printf '  run %d %-6s %6d ms  LookupEvents %3d answered %3d throttled  %d profiles warned  exit %d\n' \
                "$i" "$bin" "$t" "$l" "$th" "$w" "$rc"
        done
    done
    for bin in "${BINS[@]}"; do
        printf '%-12s %-6s median %6s ms; LookupEvents per run: %s answered, %s throttled; profiles warned: %s; exit %s\n' \
            "$name" "$bin" "$(printf '%s\n' ${ms[$bin]} | median)" "$(printf '%s\n' ${lookups[$bin]} | median)" \
            "$(printf '%s\n' ${throttled[$bin]} | median)" "$(printf '%s\n' ${warned[$bin]} | median)" \
            "$(printf '%s\n' ${codes[$bin]} | sort -u | tr '\n' ' ')" | tee -a "$WORK/results.txt"
    done
}

: >"$WORK/results.txt"
scenario healthy

echo "== seeding app-6:latest with no run in each account"
"$PY" - "$ENDPOINT" "${ACCOUNTS[@]}" <<'PY'
import json, sys
sys.path.insert(0, "scripts")
import importlib
seed = importlib.import_module("seed-scale")
endpoint, accounts = sys.argv[1], sys.argv[2:]
for account in accounts:
    s = seed.session_for(endpoint, account)
    ecr, cp = s.client("ecr", endpoint_url=endpoint), s.client("codepipeline", endpoint_url=endpoint)
    ecr.create_repository(repositoryName="app-6")
    ecr.put_image(repositoryName="app-6", imageManifest=seed.manifest(account, "app-6", 1), imageTag="latest")
    decl = cp.get_pipeline(name="deploy-1")["pipeline"]
    decl["name"] = "deploy-6"
    decl["stages"][0]["actions"][0]["configuration"]["RepositoryName"] = "app-6"
    cp.create_pipeline(pipeline=decl)
print("seeded app-6 in", len(accounts), "accounts")
PY
AHEAD=$(date -u -d '+6 min' +%Y-%m-%dT%H:%M:%SZ)
scenario untriggered --now "$AHEAD"

echo "== results"
cat "$WORK/results.txt"

#!/usr/bin/env bash
# `make hostile` (issue #10): schemathesis against /api/v1/openapi.json of
# a live server holding the demo data, with an API key of every scope.
# Fails on any 5xx, any answer the document does not describe (status,
# content type or body schema), any schema-violating request the server
# accepted, and any panic or ERROR line in the server's log.
#
#   RECALL_BIN        binary to serve (default target/release/recall)
#   HOSTILE_EXAMPLES  test cases per operation and phase (default 50)
#   HOSTILE_TIME      seconds at most for the whole run (default 600)
#   HOSTILE_SEED      generation seed, for a run that can be repeated
#
# A JUnit report, the summary and the server log land in target/hostile/.
#
# Every schemathesis check runs, less the two that schemathesis.toml
# beside this script turns off, with the reasons.

set -euo pipefail
cd "$(dirname "$0")/../../.."

bin=${RECALL_BIN:-target/release/recall}
examples=${HOSTILE_EXAMPLES:-50}
max_time=${HOSTILE_TIME:-600}
seed=${HOSTILE_SEED:-10}
out=target/hostile
mkdir -p "$out"
data=$(mktemp -d /tmp/recall-hostile.XXXXXX)
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" && wait "$pid" || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

RECALL_DEMO_PASSWORD=hostile-demo-password RECALL_LOG=warn \
    "$bin" serve --demo --data-dir "$data" --addr 127.0.0.1:0 --expiry-interval 0 \
    >"$data/stdout" 2>"$out/server.log" &
pid=$!
base=
for _ in $(seq 1 240); do
    base=$(sed -n 's/^Recall is running at //p' "$data/stdout")
    [[ -n $base ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$out/server.log"; echo "server exited" >&2; exit 1; }
    sleep 0.5
done
[[ -n $base ]] || { echo "server did not start" >&2; exit 1; }
key=$("$bin" apikey create --name hostile --data-dir "$data" 2>/dev/null)

echo "schemathesis $(st --version | awk '{print $NF}') against $base/api/v1/openapi.json"
status=0
st --config-file server/tests/hostile/schemathesis.toml run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $key" \
    --max-examples "$examples" --max-time "$max_time" --seed "$seed" \
    --generation-database none --no-color --workers 2 \
    --report junit --report-dir "$out" \
    | tee "$out/summary.txt" || status=$?

if ! kill -0 "$pid" 2>/dev/null; then
    echo "the server died during the run" >&2
    status=1
fi
if grep -E "panicked|ERROR" "$out/server.log"; then
    echo "the server logged the panics or errors above" >&2
    status=1
fi
exit "$status"

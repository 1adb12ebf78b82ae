#!/usr/bin/env bash
# schemathesis (from PyPI) against a real onconet server with its own OpenAPI document: every
# check, every phase (examples, coverage, fuzzing, stateful), with an admin token so protected
# routes are exercised. Prints "N passed, M failed" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${MAX_EXAMPLES:-200}"
VENV=target/venv
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==4.32.5"
fi
cargo build --quiet --locked --bin onconet
DATA=$(mktemp -d /tmp/onconet-st.XXXXXX)
chmod 755 "$DATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ONCONET_RATE_LIMIT_PER_SECOND=0 ONCONET_DAILY_SNAPSHOT=false ONCONET_LOG_FORMAT=json \
  ./target/debug/onconet serve --demo --bind "127.0.0.1:$PORT" --data-dir "$DATA" \
  --reference-data "${ONCONET_REFERENCE_DATA:-../shared/data/nl}" > "$DATA/server.log" 2>&1 &
SERVER=$!
cleanup() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null && break
  kill -0 "$SERVER" 2>/dev/null || {
    cat "$DATA/server.log"; echo "PostgreSQL's log:"; tail -n 30 "$DATA/log/postgres.log" 2>/dev/null; exit 1; }
  sleep 1
done
TOKEN=$(./target/debug/onconet token --role admin --data-dir "$DATA")
# ST_ARGS adds options for a run by hand, e.g. ST_ARGS='--include-path-regex ^/console'.
# One worker: with two threads, hypothesis can call ast.parse in both at once, and CPython 3.11
# then fails spuriously with "AST constructor recursion depth mismatch" (python/cpython#106905);
# that stopped CI once, in schemathesis's own code.
set +e
"$VENV/bin/st" --config-file tests/schemathesis/schemathesis.toml run "http://127.0.0.1:$PORT/openapi.json" \
  --checks all --max-examples "$MAX_EXAMPLES" --workers 1 --seed 1 \
  -H "Authorization: Bearer $TOKEN" --no-color ${ST_ARGS:-} 2>&1 | tee "$DATA/st.log"
status=${PIPESTATUS[0]}
set -e
# A request the server could not handle is logged as an error by onconet (malformed HTTP that
# actix itself refuses is logged by actix_http and is the client's fault).
# (No `grep -q` or `head` at the end of a pipe: under pipefail the writer's SIGPIPE would turn
# "found" into "not found".)
errors=$(grep '"level":"ERROR"' "$DATA/server.log" | grep '"target":"onconet' || true)
if [ -n "$errors" ]; then
  echo "the server logged $(wc -l <<<"$errors") errors during the run (first 20):"; sed -n 1,20p <<<"$errors"
  status=1
fi
line=$(grep -E '[0-9]+ generated, ' "$DATA/st.log" | tail -1)
generated=$(echo "$line" | sed -E 's/^ *([0-9]+) generated.*/\1/')
failed=$(echo "$line" | grep -oE '[0-9]+ found' | grep -oE '[0-9]+' || echo 0)
echo "schemathesis: ${generated:-0} cases generated"
echo "$(( ${generated:-0} - ${failed:-0} )) passed, ${failed:-0} failed"
exit "$status"

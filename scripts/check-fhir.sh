#!/usr/bin/env bash
# Every FHIR document of a real server validates against FHIR R4 (fhir.resources, PyPI):
# first with the demo data (`onconet serve --demo`), then with a 500-network synthetic
# registry loaded on top (`onconet-bench synth`, members and contacts added by
# tests/fhir/enrich.py, then `onconet-bench load`). Pulls every page of every view and
# of its _history, reads resources one by one (all for the demo; FHIR_READS per type for the
# big registry, default 100), and prints "Type: N valid / M" per resource type.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NETWORKS="${NETWORKS:-500}"
READS="${FHIR_READS:-100}"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
PY=$(scripts/venv.sh fhir)
cargo build --quiet --locked --bin onconet --bin onconet-bench
ONCONET=$ROOT/target/debug/onconet
BENCH=$ROOT/target/debug/onconet-bench
WORK=$(mktemp -d /tmp/onconet-fhir.XXXXXX)
chmod 755 "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
ONCONET_RATE_LIMIT_PER_SECOND=0 ONCONET_DAILY_SNAPSHOT=false ONCONET_LOG_FORMAT=json \
  "$ONCONET" serve --demo --bind "127.0.0.1:$PORT" --data-dir "$WORK/data" --reference-data "$REF" \
  > "$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  curl -sf "$BASE/readyz" > /dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { tail -n 30 "$WORK/server.log"; exit 1; }
  sleep 1
done
curl -sf "$BASE/readyz" > /dev/null || { echo "the server did not become ready" >&2; exit 1; }

check() { # label, reads per type
  local label=$1 status=0
  echo "== $label: $(curl -sf "$BASE/v1/networks?per_page=1" | sed -n 's/.*"total_items":\([0-9]*\).*/\1/p') published networks"
  "$PY" tests/fhir/crawl.py "$BASE" "$WORK/$label" --reads "$2"
  if cat "$WORK/$label"/*.ndjson | grep -q 'PRIVATE-SENTINEL'; then
    echo "a non-public contact appears in a FHIR document" >&2; status=1
  fi
  echo "-- every resource of every search page (each once):"
  "$PY" tests/fhir/validate.py "$WORK/$label/search.ndjson" || status=1
  echo "-- every document fetched (search and history pages, reads, instance histories, metadata, errors):"
  "$PY" tests/fhir/validate.py "$WORK/$label/search.ndjson" "$WORK/$label/history.ndjson" "$WORK/$label/other.ndjson" || status=1
  return $status
}

status=0
check demo 1000000 || status=1
"$BENCH" synth --seed 42 --count "$NETWORKS" --reference-data "$REF" --out "$WORK/synth-plain.jsonl"
# synth makes areas only: add seeded members (memberships to map) and a private contact each.
"$PY" tests/fhir/enrich.py "$WORK/synth-plain.jsonl" "$WORK/synth.jsonl" --seed 42
TOKEN=$("$ONCONET" token --role iknl_staff --data-dir "$WORK/data")
ONCONET_TOKEN="$TOKEN" "$BENCH" load --url "$BASE" --concurrency 4 "$WORK/synth.jsonl"
check "demo+$NETWORKS" "$READS" || status=1
errors=$(grep '"level":"ERROR"' "$WORK/server.log" || true)
if [ -n "$errors" ]; then
  echo "the server logged errors:"; sed -n 1,20p <<<"$errors"; status=1
fi
[ $status = 0 ] && echo "check-fhir: every document valid" || echo "check-fhir: FAILED"
exit $status

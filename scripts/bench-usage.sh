#!/usr/bin/env bash
# The anonymous usage counts (issue 17), checked and measured in one command:
#
#   scripts/bench-usage.sh
#
# 1. builds the release binaries, starts `onconet serve` with a fresh data dir on 127.0.0.1,
#    imports the CBS municipality and province layers and a seeded synthetic registry
#    (~500 networks, as scripts/bench-search.sh);
# 2. exactness: 10,000 find-a-network searches (scripts/bench/usage_exact.py) over 60
#    municipalities and 4 filters, then /v1/usage must show every count of 5 or more exactly
#    and none below 5;
# 3. privacy: some of those searches carry a token with a known subject and come from a second
#    loopback address; a pg_dump of the database and the server's logs (every request logged)
#    must hold neither;
# 4. speed: wrk against /v1/search with counting off and on, alternately (off, on, off, on),
#    fresh server each time (measured once it is idle); prints every run's req/s, the means and
#    the difference, next to the spread between runs of the same setting (the noise); and that
#    each run with counting on counted every search wrk completed (up to those in flight).
#
# Knobs: BENCH_SEED, BENCH_NETWORKS, BENCH_SEARCHES (10000), BENCH_DURATION (s, per wrk run),
# BENCH_CONNECTIONS, BENCH_THREADS, BENCH_KEEP (1: keep the data dir), ONCONET_REFERENCE_DATA.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
SEED="${BENCH_SEED:-42}"
NETWORKS="${BENCH_NETWORKS:-500}"
SEARCHES="${BENCH_SEARCHES:-10000}"
DURATION="${BENCH_DURATION:-15}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
PROBE_ADDRESS=127.0.0.9
PROBE_SUB="usage-bench-probe-$RANDOM$RANDOM"

die() { echo "bench-usage: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

for f in gemeenten-2024.geojson provincies-2024.geojson bevolking-gemeenten-2024.csv; do
  [ -r "$REF/$f" ] || die "missing $REF/$f (set ONCONET_REFERENCE_DATA to the CBS data folder)"
done

step "packages and release build"
scripts/setup.sh
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
PGMAJ="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
PG_DUMP="/usr/lib/postgresql/$PGMAJ/bin/pg_dump"
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"

WORK="$(mktemp -d /tmp/onconet-usage.XXXXXX)"
chmod 755 "$WORK"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-usage: kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. a registry ------------------------------------------------------------------------
step "server with every request logged (data dir $DATA)"
export ONCONET_USAGE_FLUSH_SECONDS=2
ONCONET_LOG_REQUESTS=true ONCONET_USAGE_COUNTS=true start_server
FIRST_LOG="$WORK/serve.log"
"$ONCONET" regions import --layer municipality "$REF/gemeenten-2024.geojson" \
  --population "$REF/bevolking-gemeenten-2024.csv" --data-dir "$DATA" </dev/null
"$ONCONET" regions import --layer province "$REF/provincies-2024.geojson" --data-dir "$DATA" </dev/null
for _ in $(seq 1 300); do
  curl -fsS "$BASE/v1/regions/province/PV20" >/dev/null 2>&1 && break
  sleep 0.1
done
"$BENCH" synth --seed "$SEED" --count "$NETWORKS" --reference-data "$REF" --out "$WORK/synth.jsonl"
STAFF="$("$ONCONET" token --role iknl_staff --data-dir "$DATA")"
ONCONET_TOKEN="$STAFF" "$BENCH" load --url "$BASE" --concurrency 8 "$WORK/synth.jsonl"
published="$(curl -fsS "$BASE/v1/networks?per_page=1" | sed -n 's/.*"total_items":\([0-9]*\).*/\1/p')"
echo "published networks: $published"

# --- 2. exactness -------------------------------------------------------------------------
step "exactness: $SEARCHES searches, then /v1/usage"
PROBE="$("$ONCONET" token --role ros_adviser --org ros-probe --sub "$PROBE_SUB" --data-dir "$DATA")"
python3 scripts/bench/usage_exact.py "$BASE" "$STAFF" "$PROBE" "$PROBE_ADDRESS" "$SEARCHES" "$SEED" \
  | tee "$WORK/exact.out"
EXACT_LINES="$(grep '^usage-exact:' "$WORK/exact.out")"

# --- 3. privacy ---------------------------------------------------------------------------
step "privacy: the dump and the logs hold neither $PROBE_ADDRESS nor the probe's subject"
"$PG_DUMP" --no-owner --data-only "$DB_URL" >"$WORK/dump.sql" 2>"$WORK/pg_dump.err" ||
  { cat "$WORK/pg_dump.err" >&2; die "pg_dump failed"; }
"$PG_DUMP" --no-owner --data-only --table usage_counts "$DB_URL" >"$WORK/usage.sql"
usage_rows="$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}	finder_search	' "$WORK/usage.sql" || true)"
log_lines="$(wc -l <"$FIRST_LOG")"
request_lines="$(grep -c '/v1/search' "$FIRST_LOG" || true)"
privacy=ok
for needle in "$PROBE_ADDRESS" "$PROBE_SUB"; do
  for f in "$WORK/usage.sql" "$WORK/dump.sql" "$FIRST_LOG" "$WORK/serve.out"; do
    if grep -qF "$needle" "$f"; then
      echo "bench-usage: FOUND $needle in $(basename "$f")"
      privacy=failed
    fi
  done
done
[ "$usage_rows" -gt 0 ] || privacy="failed (no usage rows in the dump: the check would prove nothing)"
[ "$request_lines" -ge "$SEARCHES" ] || privacy="failed (only $request_lines search lines logged: the check would prove nothing)"
PRIVACY_LINE="privacy: $privacy; grep for $PROBE_ADDRESS and the probe subject in a full pg_dump ($(wc -l <"$WORK/dump.sql") lines; usage_counts $usage_rows finder rows) and the server log ($log_lines lines, $request_lines search requests logged)"
echo "$PRIVACY_LINE"
stop_server

# --- 4. speed -----------------------------------------------------------------------------
"$BENCH" points --seed 7 --count 10000 --out "$WORK/paths.txt"
RESULTS=()
COUNT_STATUS=ok
# Waits (at most a minute) until the machine is below 15 % CPU over a second.
wait_idle() {
  local a1 a2 a3 a4 a5 a6 a7 b1 b2 b3 b4 b5 b6 b7 busy total
  for _ in $(seq 1 60); do
    read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat
    sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
    busy=$(( (b1 + b2 + b3 + b5 + b6 + b7) - (a1 + a2 + a3 + a5 + a6 + a7) ))
    total=$(( busy + b4 - a4 ))
    [ $(( total > 0 ? 100 * busy / total : 0 )) -lt 15 ] && return 0
  done
}
declare -A SUM=() RUNS=() MIN=() MAX=()
for mode in off on off on; do
  counts=false; [ "$mode" = on ] && counts=true
  step "wrk: GET /v1/search, counting $mode; -t$THREADS -c$CONNECTIONS ${DURATION}s"
  ONCONET_USAGE_COUNTS=$counts start_server
  # A fresh server builds its coverage overlays in the background: measure once it is idle.
  wait_idle
  busy_before "wrk ($mode)"
  BENCH_PATHS="$WORK/paths.txt" timeout 30 wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
    -s scripts/bench/search.lua "$BASE" >"$WORK/warm.out" 2>&1 || true # warm-up, not measured
  run() {
    BENCH_PATHS="$WORK/paths.txt" timeout $(( DURATION + 30 )) wrk -t"$THREADS" -c"$CONNECTIONS" \
      -d"${DURATION}s" --latency -s scripts/bench/search.lua "$BASE" >"$WORK/wrk.out" 2>&1 ||
      { cat "$WORK/wrk.out" >&2; die "wrk failed"; }
  }
  with_steal "wrk ($mode)" run
  grep -E '^Requests/sec|^ +99%' "$WORK/wrk.out"
  if grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out"; then die "wrk saw errors"; fi
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")"
  RESULTS+=("counting $mode: $rps req/s (steal $STEAL %)")
  SUM[$mode]="$(awk -v a="${SUM[$mode]:-0}" -v b="$rps" 'BEGIN { print a + b }')"
  RUNS[$mode]=$(( ${RUNS[$mode]:-0} + 1 ))
  MIN[$mode]="$(awk -v a="${MIN[$mode]:-1e18}" -v b="$rps" 'BEGIN { print (b < a ? b : a) }')"
  MAX[$mode]="$(awk -v a="${MAX[$mode]:-0}" -v b="$rps" 'BEGIN { print (b > a ? b : a) }')"
  if [ "$mode" = on ]; then
    # Every search of this run and its warm-up was counted: wrk's completed requests, plus
    # at most the ones in flight when it stopped (one per connection and run).
    sleep 3
    counted="$(curl -fsS -H "Authorization: Bearer $STAFF" "$BASE/v1/usage" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["finder_searches"])')"
    sent=$(( $(awk '/requests in/ {print $1}' "$WORK/warm.out") + $(awk '/requests in/ {print $1}' "$WORK/wrk.out") ))
    gained=$(( counted - ${COUNTED_BEFORE:-$SEARCHES} ))
    COUNTED_BEFORE=$counted
    verdict="ok"
    if [ "$gained" -lt "$sent" ] || [ "$gained" -gt $(( sent + 2 * CONNECTIONS )) ]; then verdict="MISMATCH"; COUNT_STATUS=failed; fi
    RESULTS+=("  counted $gained searches for this run; wrk completed $sent (warm-up included, in-flight at the end not): $verdict")
  fi
  stop_server
done

mean() { awk -v s="${SUM[$1]}" -v n="${RUNS[$1]}" 'BEGIN { printf "%.0f", s / n }'; }
spread() { awk -v a="${MIN[$1]}" -v b="${MAX[$1]}" -v s="${SUM[$1]}" -v n="${RUNS[$1]}" \
  'BEGIN { printf "%.1f", 100 * (b - a) / (s / n) }'; }
OFF="$(mean off)"; ON="$(mean on)"
DIFF="$(awk -v a="$OFF" -v b="$ON" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')"
NOISE="$(awk -v a="$(spread off)" -v b="$(spread on)" 'BEGIN { printf "%.1f", (a > b ? a : b) }')"
VERDICT="$(awk -v d="$DIFF" -v n="$NOISE" 'BEGIN { d = d < 0 ? -d : d; print (d <= n || d <= 3 ? "within noise" : "NOT within noise") }')"

step "summary"
printf '%s\n' "$EXACT_LINES"
echo "$PRIVACY_LINE"
printf '%s\n' "${RESULTS[@]}"
echo "search without counting: $OFF req/s (mean of ${RUNS[off]}); with counting: $ON req/s (mean of ${RUNS[on]}); difference $DIFF %; spread between runs of one setting up to $NOISE %: $VERDICT"
if [ ${#BUSY_NOTES[@]} -gt 0 ]; then printf 'note: %s\n' "${BUSY_NOTES[@]}"; fi
[ "$privacy" = ok ] && [ "$COUNT_STATUS" = ok ] || exit 1

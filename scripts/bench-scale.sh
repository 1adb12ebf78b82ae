#!/usr/bin/env bash
# Ten times the data (issue 18, item 5; see docs/BENCHMARKS.md, "Scale"): the same measurements
# at each registry size of BENCH_SIZES (default "500 5000"), one fresh server each:
#
#   scripts/bench-scale.sh
#
# 1. starts `onconet serve` on a free port of 127.0.0.1 with a fresh data dir (its own
#    PostgreSQL), imports the CBS municipality (with population), province and PC4 layers, and
#    creates + publishes a seeded SYNTHETIC registry of that size through the API
#    (onconet-bench synth / load);
# 2. search: wrk on the default /v1/search at random points (req/s), then the open-loop client
#    at BENCH_OPENLOOP_RATE req/s (p99, coordinated omission corrected);
# 3. the national coverage report for the municipality and PC4 layers, cold and after one edit
#    (scripts/bench/scale.py), and the server's resident memory with every layer loaded and
#    both reports cached;
# 4. cold start: stops the server (and its PostgreSQL) and starts it again on the imported data
#    dir; prints the time until /readyz answers 200, until the search index holds every network,
#    and until the PC4 coverage overlay is built (it is built in the background), and the
#    memory then.
#
# Ends with one table of both sizes. Everything it starts it stops; it talks only to 127.0.0.1.
# Knobs (environment): BENCH_SIZES, BENCH_SEED (42), BENCH_DURATION (s, 20),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_OPENLOOP_RATE (10000),
# BENCH_OPENLOOP_DURATION (s, 15), BENCH_EDITS (5), BENCH_RESTART_LIMIT (s, 600: how long to
# wait for the restarted server and its PC4 overlay), BENCH_KEEP (1: keep the data dirs),
# ONCONET_REFERENCE_DATA (the CBS data folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
SIZES="${BENCH_SIZES:-500 5000}"
SEED="${BENCH_SEED:-42}"
DURATION="${BENCH_DURATION:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
OPENLOOP_RATE="${BENCH_OPENLOOP_RATE:-10000}"
OPENLOOP_DURATION="${BENCH_OPENLOOP_DURATION:-15}"
EDITS="${BENCH_EDITS:-5}"
RESTART_LIMIT="${BENCH_RESTART_LIMIT:-600}"

die() { echo "bench-scale: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

for f in gemeenten-2024.geojson provincies-2024.geojson pc4-2020.geojson bevolking-gemeenten-2024.csv; do
  [ -r "$REF/$f" ] || die "missing $REF/$f (set ONCONET_REFERENCE_DATA to the CBS data folder)"
done

step "packages"
scripts/setup.sh
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
command -v python3 >/dev/null || die "python3 is needed"

step "release build"
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"

WORK="$(mktemp -d /tmp/onconet-bench-scale.XXXXXX)"
chmod 755 "$WORK"
SERVER_PID=""
DATA=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-scale: kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() { # name with labels: its value on /metrics, or nothing
  curl -fsS "$BASE/metrics" 2>/dev/null | awk -v m="$1" '$1 == m { print $2 }'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

ROWS=()
for N in $SIZES; do
  DATA="$WORK/data-$N"
  step "$N networks: server (data dir $DATA)"
  start_server

  step "$N networks: region layers"
  import_cbs_layers

  step "$N networks: synthetic registry (seed $SEED)"
  load_synthetic "$N" "$WORK/synth-$N.jsonl"
  published="$PUBLISHED"

  step "$N networks: wrk on the default /v1/search (-t$THREADS -c$CONNECTIONS ${DURATION}s)"
  "$BENCH" points --seed 7 --count 10000 --out "$WORK/paths.txt"
  BENCH_PATHS="$WORK/paths.txt" timeout 30 wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
    -s scripts/bench/search.lua "$BASE" >/dev/null 2>&1 || true # warm-up, not counted
  busy_before "wrk ($N)"
  run_wrk() {
    BENCH_PATHS="$WORK/paths.txt" timeout $(( DURATION + 30 )) wrk -t"$THREADS" -c"$CONNECTIONS" \
      -d"${DURATION}s" --latency -s scripts/bench/search.lua "$BASE" >"$WORK/wrk.out" 2>&1 ||
      { cat "$WORK/wrk.out" >&2; die "wrk failed"; }
  }
  with_steal "wrk ($N)" run_wrk
  cat "$WORK/wrk.out"
  if grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out"; then die "wrk saw errors"; fi
  RPS="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.out")"

  step "$N networks: open loop, $OPENLOOP_RATE req/s for $OPENLOOP_DURATION s"
  busy_before "open loop ($N)"
  with_steal "open loop ($N)" timeout $(( OPENLOOP_DURATION + 60 )) "$BENCH" openloop --url "$BASE" \
    --rate "$OPENLOOP_RATE" --duration "$OPENLOOP_DURATION" --connections 64 --threads 1 >"$WORK/openloop.out"
  cat "$WORK/openloop.out"
  P99="$(sed -n 's/^RESULT openloop .* p99_ms=\([0-9.]*\) .*/\1/p' "$WORK/openloop.out")"
  ACHIEVED="$(sed -n 's/^RESULT openloop .* achieved=\([0-9]*\) .*/\1/p' "$WORK/openloop.out")"

  # The overlays are brought in line in the background after the load: a report is "cold"
  # when it is the first for its layer (a cache miss), not when its overlay is still building.
  for _ in $(seq 1 3000); do
    [ "$(metric 'onconet_coverage_overlay_cells{layer="pc4"}')" -gt 0 ] 2>/dev/null &&
      [ "$(curl -fsS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/v1/coverage?layer=province")" = 200 ] && break
    sleep 0.1
  done

  step "$N networks: coverage reports cold and after one edit; memory"
  busy_before "coverage ($N)"
  BASE="$BASE" TOKEN="$TOKEN" PID="$SERVER_PID" EDITS="$EDITS" LAYERS="municipality pc4" \
    python3 scripts/bench/scale.py | tee "$WORK/scale.out"
  field() { sed -n "s/^RESULT $1 .*$2=\([0-9.]*\).*/\1/p" "$WORK/scale.out"; }
  MUNI="$(field municipality cold_ms) / $(field municipality after_edit_median_ms) (max $(field municipality after_edit_max_ms))"
  PC4="$(field pc4 cold_ms) / $(field pc4 after_edit_median_ms) (max $(field pc4 after_edit_max_ms))"
  RSS="$(sed -n 's/^RESULT rss_mb=\([0-9]*\) peak_mb=\([0-9]*\)/\1 (peak \2)/p' "$WORK/scale.out")"

  step "$N networks: cold start on the imported data dir"
  stop_server
  t0="$(now)"
  ONCONET_RATE_LIMIT_PER_SECOND=0 "$ONCONET" serve --bind 127.0.0.1:0 --workers 2 --data-dir "$DATA" \
    >"$WORK/restart.out" 2>"$WORK/restart.log" &
  SERVER_PID=$!
  READY="" INDEXED="" OVERLAY="" BASE=""
  deadline=$(( $(date +%s) + RESTART_LIMIT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/restart.log" >&2; die "the restarted server exited"; }
    [ -n "$BASE" ] || BASE="$(grep -m 1 -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/restart.log" || true)"
    if [ -n "$BASE" ]; then
      [ -n "$READY" ] || { curl -fsS "$BASE/readyz" >/dev/null 2>&1 && READY="$(since "$t0")"; }
      if [ -n "$READY" ] && [ -z "$INDEXED" ] && [ "$(metric onconet_search_index_networks)" = "$published" ]; then
        INDEXED="$(since "$t0")"
      fi
      if [ -n "$READY" ] && [ -z "$OVERLAY" ] && [ "$(metric 'onconet_coverage_overlay_cells{layer="pc4"}')" -gt 0 ] 2>/dev/null; then
        OVERLAY="$(since "$t0")"
      fi
      [ -n "$READY" ] && [ -n "$INDEXED" ] && [ -n "$OVERLAY" ] && break
    fi
    sleep 0.02
  done
  [ -n "$READY" ] && [ -n "$INDEXED" ] || die "the restarted server did not get ready within $RESTART_LIMIT s"
  OVERLAY="${OVERLAY:-over $RESTART_LIMIT}"
  RSS_RESTART="$(rss_mb "$SERVER_PID")"
  echo "ready (/readyz 200) after $READY s; search index holds $published networks after $INDEXED s; PC4 overlay built after $OVERLAY s; RSS then $RSS_RESTART MiB"
  stop_server
  SERVER_PID=""

  ROWS+=("| $published | $RPS | $P99 (at $ACHIEVED req/s) | $MUNI | $PC4 | $RSS / $RSS_RESTART | $READY / $INDEXED / $OVERLAY | $LOAD_S |")
done

step "summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), seed $SEED, SYNTHETIC registries)"
cat <<EOF
| networks | search req/s (wrk -t$THREADS -c$CONNECTIONS) | open-loop p99 ms | municipality report cold / after one edit, ms | PC4 report cold / after one edit, ms | RSS MiB: after the reports / after a restart | restart: ready / index full / PC4 overlay, s | load through the API, s |
|---|---|---|---|---|---|---|---|
EOF
for r in "${ROWS[@]}"; do echo "$r"; done
echo "goals: p99 <= 5 ms at both sizes; report after one edit <= 50 ms; RSS <= 300 MB at 5,000 networks; ready <= 5 s"
for l in "${BUSY_NOTES[@]}"; do echo "NOISE: $l"; done

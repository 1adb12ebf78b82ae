#!/usr/bin/env bash
# Cold start and memory on an imported data dir (issue 18, item 5), alone and repeatable:
#
#   scripts/bench-restart.sh DATA_DIR [ROUNDS]
#
# DATA_DIR is a data dir with a registry in it, e.g. the 5,000-network one that
# `BENCH_KEEP=1 BENCH_SIZES=5000 scripts/bench-scale.sh` leaves. Each round starts
# `onconet serve` on it (a free port of 127.0.0.1, rate limit off), and prints the time until
# /readyz answers 200 and the server's RSS 2 s later, the search index's read and build times
# (from its log), then the time until the PC4 coverage overlay is built (it is built in the
# background) and the RSS 5 s after that; then stops the server. ROUNDS defaults to 2: single
# runs on a shared machine vary by a second.
#
# ONCONET (default target/release/onconet, built here when missing) picks the binary, so two
# builds can be compared on the same data dir; a build with `--features heap-stats` (e.g.
# `cargo build --release --features heap-stats --bin onconet --target-dir /tmp/heap`) adds its
# live heap beside each RSS. Everything it starts it stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="${1:?usage: scripts/bench-restart.sh DATA_DIR [ROUNDS]}"
ROUNDS="${2:-2}"
LIMIT="${BENCH_RESTART_LIMIT:-600}"
die() { echo "bench-restart: $*" >&2; exit 1; }
[ -d "$DATA" ] || die "no data dir at $DATA"
if [ -z "${ONCONET:-}" ]; then
  cargo build --release --locked --bin onconet
  ONCONET="$ROOT/target/release/onconet"
fi
WORK="$(mktemp -d /tmp/onconet-bench-restart.XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID"
    wait "$PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# A build with `--features heap-stats` logs its live heap: the last figure, when there is one.
live_heap() {
  grep -o 'heap-stats: live [0-9]* MiB' "$WORK/serve.log" | tail -n 1 |
    awk '{ printf " (live heap %s MiB)", $3 }' || true
}
rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

for round in $(seq 1 "$ROUNDS"); do
  t0="$(now)"
  ONCONET_RATE_LIMIT_PER_SECOND=0 "$ONCONET" serve --bind 127.0.0.1:0 --workers 2 --data-dir "$DATA" \
    >"$WORK/serve.out" 2>"$WORK/serve.log" &
  PID=$!
  BASE="" READY="" RSS_READY="" OVERLAY="" RSS_OVERLAY=""
  deadline=$(( $(date +%s) + LIMIT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "the server exited"; }
    [ -n "$BASE" ] || BASE="$(grep -m 1 -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.log" || true)"
    if [ -n "$BASE" ] && curl -fsS "$BASE/readyz" >/dev/null 2>&1; then
      READY="$(since "$t0")"
      break
    fi
    sleep 0.02
  done
  [ -n "$READY" ] || die "not ready within $LIMIT s"
  sleep 2
  RSS_READY="$(rss_mb "$PID") MiB$(live_heap)"
  INDEX="$(grep -m 1 -o '"read_s":[0-9.]*,"build_s":[0-9.]*' "$WORK/serve.log" |
    awk -F'[:,]' '{ printf "read %.2f s, build %.2f s", $2, $4 }')"
  while [ "$(date +%s)" -lt "$deadline" ]; do
    cells="$(curl -fsS "$BASE/metrics" 2>/dev/null |
      awk '$1 == "onconet_coverage_overlay_cells{layer=\"pc4\"}" { print $2 }')"
    if [ -n "$cells" ] && [ "${cells%.*}" -gt 0 ]; then
      OVERLAY="$(since "$t0")"
      break
    fi
    sleep 0.2
  done
  if [ -n "$OVERLAY" ]; then
    sleep 5
    RSS_OVERLAY="$(rss_mb "$PID") MiB$(live_heap)"
  fi
  echo "round $round: ready after $READY s, RSS $RSS_READY (search index: $INDEX); PC4 overlay built after ${OVERLAY:-over $LIMIT} s, RSS ${RSS_OVERLAY:-?}"
  kill "$PID"
  wait "$PID" || true
  PID=""
done

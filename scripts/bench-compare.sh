#!/usr/bin/env bash
# Two or more server variants on the same imported data dir, in alternating rounds (issue 18,
# item 5: the comparisons behind docs/BENCHMARKS.md, seventeenth session):
#
#   scripts/bench-compare.sh DATA_DIR VARIANT VARIANT...
#
# A VARIANT is a binary, with settings in front if wanted, as one argument:
#   scripts/bench-compare.sh /tmp/data-5000 target/release/onconet \
#     "ONCONET_HUGE_PAGES=false target/release/onconet"
# DATA_DIR is a data dir with a registry in it (`BENCH_KEEP=1 BENCH_SIZES=5000
# scripts/bench-scale.sh` leaves one). Each round starts every variant in turn (a free port of
# 127.0.0.1, 2 workers, rate limit off), waits until its PC4 coverage overlay is built and it has
# gone idle, and prints one line: the RSS (and the live heap, for a `--features heap-stats`
# build), search req/s from two `wrk -t2 -c32` runs on the default /v1/search at the seeded
# points of bench-scale, the open-loop p50 and p99 at BENCH_OPENLOOP_RATE req/s, and the RSS
# after all that load. Knobs: BENCH_ROUNDS (2), BENCH_DURATION (s per wrk run, 15),
# BENCH_OPENLOOP_RATE (10000), BENCH_OPENLOOP_DURATION (s, 15). Everything it starts it stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { echo "bench-compare: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: scripts/bench-compare.sh DATA_DIR VARIANT VARIANT..."
DATA="$1"
shift
[ -d "$DATA" ] || die "no data dir at $DATA"
ROUNDS="${BENCH_ROUNDS:-2}"
DURATION="${BENCH_DURATION:-15}"
OPENLOOP_RATE="${BENCH_OPENLOOP_RATE:-10000}"
OPENLOOP_DURATION="${BENCH_OPENLOOP_DURATION:-15}"
command -v wrk >/dev/null || die "wrk is needed (scripts/bench-scale.sh installs it)"
cargo build --release --locked --bin onconet-bench
BENCH="$ROOT/target/release/onconet-bench"

WORK="$(mktemp -d /tmp/onconet-bench-compare.XXXXXX)"
ONCONET=""
SERVER_PID=""
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"
cleanup() {
  stop_pid "$SERVER_PID"
  [ -n "$ONCONET" ] && "$ONCONET" db stop --data-dir "$DATA" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BENCH" points --seed 7 --count 10000 --out "$WORK/paths.txt"
rss() { # pid: RSS in MiB, and the live heap of a heap-stats build
  awk '/^VmRSS:/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status"
  grep -o 'heap-stats: live [0-9]* MiB' "$WORK/serve.log" | tail -n 1 |
    awk '{ printf " (live heap %s MiB)", $3 }' || true
}
search() { # url: req/s of one wrk run
  BENCH_PATHS="$WORK/paths.txt" wrk -t2 -c32 -d"${DURATION}s" -s scripts/bench/search.lua "$1" |
    awk '/^Requests\/sec:/ { printf "%d", $2 }'
}

for round in $(seq 1 "$ROUNDS"); do
  for variant in "$@"; do
    read -r -a words <<<"$variant"
    ONCONET="${words[${#words[@]} - 1]}"
    [ -x "$ONCONET" ] || die "no binary at $ONCONET"
    settings=("${words[@]:0:${#words[@]}-1}")
    for s in "${settings[@]}"; do export "${s?}"; done
    start_onconet serve >/dev/null
    SERVER_PID=$STARTED_PID
    for s in "${settings[@]}"; do unset "${s%%=*}"; done
    for _ in $(seq 1 600); do
      cells="$(curl -fsS "$STARTED_URL/metrics" 2>/dev/null |
        awk '$1 == "onconet_coverage_overlay_cells{layer=\"pc4\"}" { print $2 }')"
      [ -n "$cells" ] && [ "${cells%.*}" -gt 0 ] && break
      sleep 1
    done
    wait_idle "$SERVER_PID" 120 >/dev/null
    before="$(rss "$SERVER_PID")"
    BENCH_PATHS="$WORK/paths.txt" wrk -t2 -c32 -d3s -s scripts/bench/search.lua "$STARTED_URL" >/dev/null
    first="$(search "$STARTED_URL")"
    second="$(search "$STARTED_URL")"
    openloop="$("$BENCH" openloop --url "$STARTED_URL" --rate "$OPENLOOP_RATE" \
      --duration "$OPENLOOP_DURATION" --connections 64 --threads 1 |
      sed -n 's/^RESULT openloop .*achieved=\([0-9]*\) p50_ms=\([0-9.]*\) .*p99_ms=\([0-9.]*\) .*/p50 \2 ms, p99 \3 ms (\1 req\/s achieved)/p')"
    sleep 3
    echo "round $round, $variant: RSS $before idle, $(rss "$SERVER_PID") after the load; search $first and $second req/s; open loop at $OPENLOOP_RATE req/s: $openloop"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
  done
done

#!/usr/bin/env bash
# Checks issue 3's "a network created or edited through the API is found by /v1/search within
# 1 s of the 2xx, also on a second server process using the same database", in one command:
#
#   scripts/check-propagation.sh
#
# Builds the release binaries, starts two `onconet serve` processes on one data dir (the second
# uses the embedded PostgreSQL the first started), and runs `onconet-bench propagation`: rounds
# of create + publish, move (PATCH) and archive on the first, each polled on both through
# /v1/search until it shows. Prints the median and largest delay per step and server; exits
# non-zero when a change takes longer than PROPAGATION_LIMIT_MS (default 1000) or never shows.
# Knobs: PROPAGATION_ROUNDS (default 20), PROPAGATION_LIMIT_MS. Talks only to 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { echo "check-propagation: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

step "packages and release build"
scripts/setup.sh
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"

WORK="$(mktemp -d /tmp/onconet-propagation.XXXXXX)"
chmod 755 "$WORK"
DATA="$WORK/data"
SERVER_PID=""
PEER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  # The peer first: the first server owns the embedded PostgreSQL and stops it.
  stop_pid "$PEER_PID"
  stop_server
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "first server (data dir $DATA)"
start_server
step "second server process on the same database"
start_onconet peer
PEER_PID=$STARTED_PID
PEER=$STARTED_URL

step "propagation: writes on $BASE, searches on both"
TOKEN="$("$ONCONET" token --role iknl_staff --data-dir "$DATA")"
ONCONET_TOKEN="$TOKEN" "$BENCH" propagation --url "$BASE" --peer "$PEER" \
  --rounds "${PROPAGATION_ROUNDS:-20}" --limit-ms "${PROPAGATION_LIMIT_MS:-1000}"

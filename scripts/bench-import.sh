#!/usr/bin/env bash
# Bulk import at scale, in one command (see docs/BENCHMARKS.md):
#
#   scripts/bench-import.sh            # 10,000 rows; BENCH_ROWS=N for another size
#
# 1. builds the release binaries; a fresh data dir with its own PostgreSQL and the CBS region
#    layers (one `onconet serve --demo` start);
# 2. generates a seeded SYNTHETIC registry of BENCH_ROWS networks and writes it as a CSV and an
#    XLSX file with Dutch headings (`onconet-bench files`; each row has an external id, each
#    file its own ROS);
# 3. for each file: `onconet networks import` (time and peak memory as it prints them), the
#    revisions it wrote, then the same file again (must be 0 created, 0 updated, 0 new
#    revisions);
# 4. a copy of the CSV with one broken row at the end: refused, and nothing written.
#
# Everything it starts it stops; it talks only to 127.0.0.1 and the cluster's Unix socket.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
export ONCONET_REFERENCE_DATA="$REF"
ROWS="${BENCH_ROWS:-10000}"
die() { echo "bench-import: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

step "release build"
scripts/setup.sh >/dev/null
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"
PGMAJ="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
PSQL="/usr/lib/postgresql/$PGMAJ/bin/psql"

WORK="$(mktemp -d /tmp/onconet-bench-import.XXXXXX)"
chmod 755 "$WORK"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  stop_server
  [ -n "${DATA:-}" ] && "$ONCONET" db stop --data-dir "$DATA" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

step "a fresh registry with the CBS region layers"
ONCONET_RATE_LIMIT_PER_SECOND=0 "$ONCONET" serve --bind 127.0.0.1:0 --data-dir "$DATA" --demo \
  >"$WORK/setup.out" 2>"$WORK/setup.log" &
SERVER_PID=$!
for _ in $(seq 1 900); do
  url="$(grep -m 1 -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/setup.log" || true)"
  [ -n "$url" ] && curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/setup.log" >&2; die "the server did not start"; }
  sleep 0.2
done
stop_pid "$SERVER_PID"
SERVER_PID=""
"$ONCONET" db start --data-dir "$DATA" >/dev/null
DB_URL="$("$ONCONET" db status --data-dir "$DATA" | sed -n 's/^running: //p')"
revisions() { "$PSQL" -qtAX "$DB_URL" -c "SELECT count(*) FROM network_revisions"; }
networks() { "$PSQL" -qtAX "$DB_URL" -c "SELECT count(*) FROM networks"; }

step "$ROWS SYNTHETIC networks as CSV and XLSX"
"$BENCH" synth --count "$ROWS" --seed 42 --out "$WORK/synth.ndjson"
"$BENCH" files --synth "$WORK/synth.ndjson" --out-dir "$WORK"

RESULTS=()
import() { # file, label
  local before after line cpu steal
  before="$(revisions)"
  cpu="$(head -n 1 /proc/stat)"
  line="$("$ONCONET" networks import "$1" --data-dir "$DATA" 2>"$WORK/import.log" | tail -n 1)" \
    || { tail -n 20 "$WORK/import.log" >&2; die "$2 failed"; }
  # Time the hypervisor gave to other guests meanwhile: a run with much steal is slower for
  # reasons not in this code.
  steal="$(steal_pct "$cpu" "$(head -n 1 /proc/stat)")"
  after="$(revisions)"
  line="${line/\/*\//}"
  echo "$2: $line; $((after - before)) new revisions; host steal $steal %"
  RESULTS+=("$2: $line; $((after - before)) new revisions; host steal $steal %")
  LAST_NEW_REVISIONS=$((after - before))
}
for f in csv xlsx; do
  step "import $f"
  import "$WORK/networks.$f" "$f import"
  [ "$LAST_NEW_REVISIONS" -eq "$ROWS" ] || die "the $f import wrote $LAST_NEW_REVISIONS revisions, expected $ROWS"
  import "$WORK/networks.$f" "$f re-import"
  [ "$LAST_NEW_REVISIONS" -eq 0 ] || die "re-importing $f wrote $LAST_NEW_REVISIONS revisions"
  grep -q " 0 created, 0 updated, $ROWS unchanged" <<<"${RESULTS[-1]}" || die "re-importing $f changed networks"
done

step "a broken row at the end of the CSV"
cp "$WORK/networks.csv" "$WORK/broken.csv"
printf ',BROKEN-1,Kapot,oncology_care_network,local,,,,,,,astrology,,GM9999,,,,,,,,,,,\r\n' >>"$WORK/broken.csv"
n_before="$(networks)"; r_before="$(revisions)"
if "$ONCONET" networks import "$WORK/broken.csv" --data-dir "$DATA" >"$WORK/broken.out" 2>"$WORK/broken.log"; then
  die "the broken file was imported"
fi
grep -E "line $((ROWS + 2))" "$WORK/broken.log" | sed 's/^/  /' | head -n 3
[ "$(networks)" = "$n_before" ] && [ "$(revisions)" = "$r_before" ] || die "the broken file wrote something"
RESULTS+=("broken file: refused at line $((ROWS + 2)); networks $n_before -> $(networks), revisions $r_before -> $(revisions)")

step "results ($ROWS rows, release build, $(nproc) cores)"
printf '  %s\n' "${RESULTS[@]}"

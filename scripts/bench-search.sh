#!/usr/bin/env bash
# Benchmark and cross-check of GET /v1/search, in one command (see docs/BENCHMARKS.md):
#
#   scripts/bench-search.sh
#
# 1. installs wrk and PostGIS from Debian's packages when missing, builds the release binaries;
# 2. starts `onconet serve` on a free port of 127.0.0.1 with a fresh data dir (its own
#    PostgreSQL), imports the CBS municipality, province and PC4 layers, and compares the
#    region areas it serves with the data file's (municipalities within 0.5 %);
# 3. generates a seeded SYNTHETIC registry (~500 networks) and creates + publishes it through the
#    API;
# 4. copies every published area into PostGIS (database bench_postgis in the same cluster),
#    cuts it with ST_Subdivide, and checks /v1/search against ST_Covers on random points;
# 5. wrk against /v1/search and pgbench against PostGIS, same clients, threads and duration;
#    prints both rates and their ratio: against ST_Covers on the subdivided areas (the
#    point-in-polygon question of radius_km=0), and against the like-for-like peer
#    (scripts/bench/pgbench-nearest.sql: the 20 nearest published networks within 25 km as one
#    JSON array of stored public profiles, checked against /v1/search by onconet-bench
#    peer-check);
# 6. the open-loop latency run (constant rate, coordinated omission corrected), prints p99.
#
# Everything it starts it stops; it talks only to 127.0.0.1 and the cluster's Unix socket.
# Knobs (environment): BENCH_SEED, BENCH_NETWORKS, BENCH_DURATION (s), BENCH_CONNECTIONS,
# BENCH_THREADS, BENCH_CHECK_POINTS, BENCH_OPENLOOP_RATE, BENCH_OPENLOOP_DURATION (s),
# BENCH_VARIANTS (1: also short wrk runs with radius_km=0, per_page=1, GeoJSON and /healthz),
# BENCH_KEEP (1: keep the data dir), ONCONET_REFERENCE_DATA (the CBS data folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
SEED="${BENCH_SEED:-42}"
NETWORKS="${BENCH_NETWORKS:-500}"
DURATION="${BENCH_DURATION:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
CHECK_POINTS="${BENCH_CHECK_POINTS:-1000}"
OPENLOOP_RATE="${BENCH_OPENLOOP_RATE:-10000}"
OPENLOOP_DURATION="${BENCH_OPENLOOP_DURATION:-15}"
VARIANTS="${BENCH_VARIANTS:-1}"

die() { echo "bench-search: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

for f in gemeenten-2024.geojson provincies-2024.geojson pc4-2020.geojson bevolking-gemeenten-2024.csv; do
  [ -r "$REF/$f" ] || die "missing $REF/$f (set ONCONET_REFERENCE_DATA to the CBS data folder)"
done

# --- 1. packages and binaries -------------------------------------------------------------
step "packages"
scripts/setup.sh
PGMAJ="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -e "/usr/share/postgresql/$PGMAJ/extension/postgis.control" ] || missing+=("postgresql-$PGMAJ-postgis-3")
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian packages"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
PGBENCH="/usr/lib/postgresql/$PGMAJ/bin/pgbench"
PSQL="/usr/lib/postgresql/$PGMAJ/bin/psql"
[ -x "$PGBENCH" ] || PGBENCH="$(command -v pgbench)"
[ -x "$PSQL" ] || PSQL="$(command -v psql)"
echo "wrk: $(command -v wrk); pgbench: $PGBENCH; PostgreSQL $PGMAJ with PostGIS"

step "release build"
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"

# --- 2. a fresh server ----------------------------------------------------------------------
WORK="$(mktemp -d /tmp/onconet-bench.XXXXXX)"
chmod 755 "$WORK"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench-search: kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "server (data dir $DATA)"
start_server

step "region layers"
import_cbs_layers

# Issue 3: the areas the server computed agree with the data's within 0.5 % (municipalities,
# and PC4 too).
step "region areas against the data file"
areas_status=0
{ "$BENCH" areas --url "$BASE" "$REF/gemeenten-2024.geojson" &&
  "$BENCH" areas --url "$BASE" --layer pc4 "$REF/pc4-2020.geojson"; } | tee "$WORK/areas.out" || areas_status=$?
AREAS_LINES="$(grep '^areas: [0-9]' "$WORK/areas.out" || echo 'areas: failed')"

# --- 3. the synthetic registry ------------------------------------------------------------
step "synthetic registry (seed $SEED, $NETWORKS networks)"
load_synthetic "$NETWORKS" "$WORK/synth.jsonl"
published="$PUBLISHED"

# --- 4. PostGIS and the correctness check --------------------------------------------------
step "PostGIS copy and correctness check"
POSTGIS_URL="${DB_URL%/*}/bench_postgis"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DB_URL" -c 'CREATE DATABASE bench_postgis'
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$POSTGIS_URL" -c 'CREATE EXTENSION postgis'
"$BENCH" export --url "$BASE" --postgis "$POSTGIS_URL"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$POSTGIS_URL" -f scripts/bench/subdivide.sql
check_status=0
"$BENCH" check --no-export --url "$BASE" --postgis "$POSTGIS_URL" --points "$CHECK_POINTS" \
  --seed 1 --subdivided bench_areas_sub | tee "$WORK/check.out" || check_status=$?
CHECK_LINE="$(grep '^check: mismatches' "$WORK/check.out" || echo 'check: failed')"
# The like-for-like peer: the default search's question (nearest 20 within 25 km, as JSON).
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$POSTGIS_URL" -f scripts/bench/nearest.sql
"$BENCH" peer-check --url "$BASE" --postgis "$POSTGIS_URL" --points 300 --seed 2 \
  --script scripts/bench/pgbench-nearest.sql | tee "$WORK/peer.out" || check_status=$?
PEER_LINE="$(grep '^RESULT peer-check' "$WORK/peer.out" || echo 'peer-check: failed')"

# --- 5. throughput: wrk against the API, pgbench against PostGIS ---------------------------
"$BENCH" points --seed 7 --count 10000 --out "$WORK/paths.txt"
# CPU time (user + system, children reaped included) of a process, in clock ticks.
CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
per_op_us() { # ticks, operations
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }'
}
ratio() { # rate, PostGIS rate
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
run_wrk() { # duration, paths file
  local t0
  t0="$(cpu_ticks "$SERVER_PID")"
  BENCH_PATHS="$2" timeout $(( $1 + 30 )) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1s" --latency \
    -s scripts/bench/search.lua "$BASE" >"$WORK/wrk.out" 2>&1 || { cat "$WORK/wrk.out" >&2; die "wrk failed"; }
  cat "$WORK/wrk.out"
  if grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out"; then die "wrk saw errors"; fi
  WRK_RPS="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")"
  WRK_CPU_US="$(per_op_us $(( $(cpu_ticks "$SERVER_PID") - t0 )) "$(awk '/requests in/ {print $1}' "$WORK/wrk.out")")"
  echo "server CPU per request: $WRK_CPU_US us (user + system, all threads)"
}

step "wrk: GET /v1/search at random points, default radius (25 km) and page size (20); -t$THREADS -c$CONNECTIONS ${DURATION}s"
head -n 1 "$WORK/paths.txt"
busy_before "wrk"
BENCH_PATHS="$WORK/paths.txt" timeout 30 wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
  -s scripts/bench/search.lua "$BASE" >/dev/null 2>&1 || true # warm-up, not counted
with_steal "wrk" run_wrk "$DURATION" "$WORK/paths.txt"
API_RPS="$WRK_RPS"
API_CPU_US="$WRK_CPU_US"
API_STEAL="$STEAL"

# pgbench with one of scripts/bench/pgbench-*.sql: sets PGB_TPS, PGB_CPU_US (PostgreSQL CPU per
# query, all backends) and PGB_STEAL.
run_pgbench() { # script
  local pg_t0
  grep -v '^--' "$1"
  busy_before "pgbench $1"
  # Backends exit when pgbench disconnects; the postmaster reaps them and adds up their CPU time.
  POSTMASTER_PID="$(head -n 1 "$DATA/pg/postmaster.pid")"
  pg_t0="$(cpu_ticks "$POSTMASTER_PID")"
  pgbench_once() {
    timeout $(( DURATION + 60 )) "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
      -f "$1" "$POSTGIS_URL" >"$WORK/pgbench.out" 2>&1 ||
      { cat "$WORK/pgbench.out" >&2; die "pgbench failed"; }
  }
  with_steal "pgbench $1" pgbench_once "$1"
  PGB_STEAL="$STEAL"
  grep -E '^(number of (clients|threads|transactions actually processed|failed)|latency average|tps)' "$WORK/pgbench.out"
  PGB_TPS="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/pgbench.out")"
  sleep 1
  PGB_CPU_US="$(per_op_us $(( $(cpu_ticks "$POSTMASTER_PID") - pg_t0 )) "$(awk '/actually processed/ {print $NF}' "$WORK/pgbench.out")")"
  echo "PostgreSQL CPU per query: $PGB_CPU_US us (user + system, all backends)"
}

step "pgbench: ST_Covers on the ST_Subdivide'd areas; -c$CONNECTIONS -j$THREADS -T$DURATION -M prepared"
run_pgbench scripts/bench/pgbench-covers.sql
PG_TPS="$PGB_TPS"; PG_CPU_US="$PGB_CPU_US"; PG_STEAL="$PGB_STEAL"

step "pgbench: the like-for-like peer (nearest 20 within 25 km as JSON); -c$CONNECTIONS -j$THREADS -T$DURATION -M prepared"
run_pgbench scripts/bench/pgbench-nearest.sql
NEAR_TPS="$PGB_TPS"; NEAR_CPU_US="$PGB_CPU_US"; NEAR_STEAL="$PGB_STEAL"
NEAR_RATIO="$(ratio "$API_RPS" "$NEAR_TPS")"
RATIO="$(ratio "$API_RPS" "$PG_TPS")"

VARIANT_LINES=()
if [ "$VARIANTS" = 1 ]; then
  # Where the time goes: the same load without the 25 km neighbourhood, with one result per
  # page, both, as GeoJSON (each network's area too), and GET /healthz (the HTTP stack alone).
  for v in "view=summary" "radius_km=0" "per_page=1" "radius_km=0 per_page=1" "format=geojson" "healthz"; do
    args=()
    case "$v" in *radius_km=0*) args+=(--radius-km 0) ;; esac
    case "$v" in *per_page=1*) args+=(--per-page 1) ;; esac
    if [ "$v" = healthz ]; then
      echo /healthz >"$WORK/paths-variant.txt"
    elif [ "$v" = format=geojson ] || [ "$v" = view=summary ]; then
      sed "s/\$/\\&$v/" "$WORK/paths.txt" >"$WORK/paths-variant.txt"
    else
      "$BENCH" points --seed 7 --count 10000 "${args[@]}" --out "$WORK/paths-variant.txt"
    fi
    step "wrk variant: $v (10 s)"
    busy_before "wrk $v"
    with_steal "wrk $v" run_wrk 10 "$WORK/paths-variant.txt"
    line="  wrk variant $v: $WRK_RPS req/s, server CPU $WRK_CPU_US us per request, steal $STEAL %"
    if [ "$v" = view=summary ]; then
      # the default question with the compact answer: against the like-for-like peer
      line="$line; ratio to the PostGIS peer $(ratio "$WRK_RPS" "$NEAR_TPS")"
    elif [ "$v" != healthz ] && [ "$v" != format=geojson ]; then
      # radius_km=0 asks exactly pgbench's question: which areas cover the point.
      line="$line; ratio to PostGIS $(ratio "$WRK_RPS" "$PG_TPS")"
    fi
    VARIANT_LINES+=("$line")
  done
fi

# --- 6. latency at a constant rate ----------------------------------------------------------
step "open loop: $OPENLOOP_RATE req/s for $OPENLOOP_DURATION s"
busy_before "open loop"
timeout $(( OPENLOOP_DURATION + 60 )) "$BENCH" openloop --url "$BASE" --rate "$OPENLOOP_RATE" \
  --duration "$OPENLOOP_DURATION" --connections 64 --threads 1 | tee "$WORK/openloop.out"
P99="$(sed -n 's/^RESULT openloop .* p99_ms=\([0-9.]*\) .*/\1/p' "$WORK/openloop.out")"
ACHIEVED="$(sed -n 's/^RESULT openloop .* achieved=\([0-9]*\) .*/\1/p' "$WORK/openloop.out")"

# --- summary ----------------------------------------------------------------------------------
step "summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
cat <<EOF
registry: $published published networks ($NETWORKS SYNTHETIC, seed $SEED)
/v1/search (wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s, default radius): $API_RPS req/s   (target >= 30000); server CPU $API_CPU_US us per request; steal $API_STEAL %
PostGIS ST_Covers on subdivided areas (pgbench, same -c/-j/-T):  $PG_TPS tps; PostgreSQL CPU $PG_CPU_US us per query; steal $PG_STEAL %
ratio API / PostGIS ST_Covers: $RATIO   (target >= 2.5)
PostGIS like-for-like peer, nearest 20 within 25 km as JSON (pgbench, same -c/-j/-T): $NEAR_TPS tps; PostgreSQL CPU $NEAR_CPU_US us per query; steal $NEAR_STEAL %
ratio API / PostGIS peer: $NEAR_RATIO   (target >= 5)
$PEER_LINE   (mismatches target: 0)
open loop at $OPENLOOP_RATE req/s (achieved $ACHIEVED): p99 $P99 ms   (target <= 5)
$CHECK_LINE on $CHECK_POINTS points   (target: 0)
$AREAS_LINES
EOF
for l in "${VARIANT_LINES[@]}"; do echo "$l"; done
for l in "${BUSY_NOTES[@]}"; do echo "NOISE: $l"; done
if [ "$check_status" -ne 0 ]; then exit "$check_status"; fi
exit "$areas_status"

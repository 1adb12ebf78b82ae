# Shared by scripts/bench-search.sh and scripts/bench-coverage.sh (sourced, not run): step
# headings, the check for other work loading the machine, and starting and stopping the onconet
# server under test. Expects ONCONET, DATA, WORK and a `die` function.

step() { printf '\n== %s\n' "$*"; }
# CPU use of the whole machine over one second while our own processes idle: anything well
# above 0 is other work (a compiler, tests) competing with the measurement that follows.
BUSY_NOTES=()
busy_before() { # label
  local a b
  read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat
  sleep 1
  read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
  a=$(( (b1 + b2 + b3 + b5 + b6 + b7) - (a1 + a2 + a3 + a5 + a6 + a7) ))
  b=$(( a + b4 - a4 ))
  local pct=$(( b > 0 ? 100 * a / b : 0 ))
  echo "machine busy before $1: $pct % of CPU"
  if [ "$pct" -ge 10 ]; then BUSY_NOTES+=("$1: machine $pct % busy with other work just before"); fi
}

# Steal time between two `cpu` lines of /proc/stat, in % of all CPU time between them: time the
# hypervisor gave to other guests. A run on a busy host is slower for reasons not in this code,
# and says so here.
steal_pct() { # earlier line, later line
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x); split(b, y); t = 0
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    printf "%d", (t > 0 ? 100 * (y[9] - x[9]) / t : 0)
  }'
}

# Runs a measured command and notes the steal time during it in STEAL (and in BUSY_NOTES when
# it is 5 % or more).
with_steal() { # label, command...
  local label=$1 before
  shift
  before="$(head -n 1 /proc/stat)"
  "$@"
  STEAL="$(steal_pct "$before" "$(head -n 1 /proc/stat)")"
  echo "steal during $label: $STEAL % of CPU time"
  if [ "$STEAL" -ge 5 ]; then BUSY_NOTES+=("$label: the host took $STEAL % of CPU time (steal) during the run"); fi
}

# Starts `onconet serve` on a free port of 127.0.0.1 and the data dir DATA, with the per-client
# rate limit off (all load comes from one address: the benchmarks measure the API, not the
# limiter), its output in $WORK/NAME.out and .log, and waits until it is ready. Sets STARTED_PID
# and STARTED_URL. A second process on the same DATA uses the PostgreSQL the first started.
start_onconet() { # name
  ONCONET_RATE_LIMIT_PER_SECOND=0 "$ONCONET" serve --bind 127.0.0.1:0 --workers 2 --data-dir "$DATA" \
    >"$WORK/$1.out" 2>"$WORK/$1.log" &
  STARTED_PID=$!
  STARTED_URL=""
  for _ in $(seq 1 600); do
    kill -0 "$STARTED_PID" 2>/dev/null || { cat "$WORK/$1.log" >&2; die "$1: the server did not start"; }
    STARTED_URL="$(grep -m 1 -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/$1.log" || true)"
    [ -n "$STARTED_URL" ] && curl -fsS "$STARTED_URL/readyz" >/dev/null 2>&1 && break
    STARTED_URL=""
    sleep 0.2
  done
  [ -n "$STARTED_URL" ] || die "$1: the server did not become ready within 2 minutes"
  echo "$1: $STARTED_URL (pid $STARTED_PID)"
}

# Stops a process with SIGTERM, then SIGKILL after 10 s.
stop_pid() { # pid
  if [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
  fi
}

# The server under test (start_onconet "serve"): sets SERVER_PID, BASE (its URL) and DB_URL
# (its embedded PostgreSQL).
start_server() {
  start_onconet serve
  SERVER_PID=$STARTED_PID
  BASE=$STARTED_URL
  DB_URL="$("$ONCONET" db status --data-dir "$DATA" | sed -n 's/^running: //p')"
  [ -n "$DB_URL" ] || die "the embedded PostgreSQL is not running"
}

# Stops the server (SIGTERM, then SIGKILL after 10 s) and, after a failure too, its cluster.
stop_server() {
  stop_pid "${SERVER_PID:-}"
  # The server stops the cluster it started; make sure of it after a failure too.
  [ -d "$DATA" ] && "$ONCONET" db stop --data-dir "$DATA" >/dev/null 2>&1 || true
}

# Waits (up to $2 s, default 600) until process $1 has used under 5 % of a core for a second: a
# server that has just been loaded brings its coverage overlays in line in the background, and a
# measurement taken meanwhile would time that work too.
wait_idle() { # pid [limit]
  local pid=$1 limit=${2:-600} hz t0 t1 start
  hz="$(getconf CLK_TCK)"
  start=$(date +%s)
  while [ $(( $(date +%s) - start )) -lt "$limit" ]; do
    t0="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    sleep 1
    t1="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    if [ $(( (t1 - t0) * 100 )) -lt $(( hz * 5 )) ]; then
      echo "server idle after $(( $(date +%s) - start )) s"
      return 0
    fi
  done
  echo "server still busy after $limit s"
}

# Imports the CBS municipality (with population), province and PC4 layers into the server's
# data dir and waits until the server has picked all three up. Expects REF, ONCONET, DATA, BASE.
import_cbs_layers() {
  "$ONCONET" regions import --layer municipality "$REF/gemeenten-2024.geojson" \
    --population "$REF/bevolking-gemeenten-2024.csv" --data-dir "$DATA" </dev/null
  "$ONCONET" regions import --layer province "$REF/provincies-2024.geojson" --data-dir "$DATA" </dev/null
  "$ONCONET" regions import --layer pc4 "$REF/pc4-2020.geojson" --data-dir "$DATA" </dev/null
  # The server picks the layers up through LISTEN/NOTIFY.
  for _ in $(seq 1 300); do
    if curl -fsS "$BASE/v1/regions/municipality/GM0014" >/dev/null 2>&1 &&
       curl -fsS "$BASE/v1/regions/province/PV20" >/dev/null 2>&1 &&
       curl -fsS "$BASE/v1/regions/pc4/9713" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  die "the server did not pick up the region layers"
}

# Writes the seeded synthetic registry of $1 networks to $2, creates and publishes it through
# the API, and waits until the server has gone idle (it brings its coverage overlays in line
# in the background). Sets TOKEN (a staff token), PUBLISHED and LOAD_S (seconds the load took).
# Expects SEED, REF, ONCONET, BENCH, DATA, BASE and SERVER_PID.
load_synthetic() { # count, file
  local t0
  "$BENCH" synth --seed "$SEED" --count "$1" --reference-data "$REF" --out "$2"
  TOKEN="$("$ONCONET" token --role iknl_staff --data-dir "$DATA")"
  t0="$(date +%s.%N)"
  ONCONET_TOKEN="$TOKEN" "$BENCH" load --url "$BASE" --concurrency 8 "$2"
  LOAD_S="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
  PUBLISHED="$(curl -fsS "$BASE/v1/networks?per_page=1" | sed -n 's/.*"total_items":\([0-9]*\).*/\1/p')"
  echo "published networks: $PUBLISHED (loaded in $LOAD_S s)"
  wait_idle "$SERVER_PID"
}

#!/usr/bin/env bash
# The browser test: the <onconet-finder> widget on a foreign-origin host page, /docs, the
# coverage map and the console, in Debian's headless Chromium driven by playwright-core
# (tests/browser).
#
# Installs what is missing (chromium from apt; playwright-core, axe-core and oidc-provider with
# `npm ci`), builds the debug binary and starts, each with a throw-away data dir on a free port:
#   - `onconet serve --demo` in development mode (development sign-in), for the widget and the
#     console's stories;
#   - a real OpenID provider (tests/oidc/provider.mjs) and a second `onconet serve --demo` that
#     signs in through it (ONCONET_OIDC_*, its keys as ONCONET_JWKS), for the sign-in story.
# Runs the tests and always stops the servers. Exits with the tests' status; the last line of
# output is "N passed, M failed". Screenshots and the servers' logs: artifacts/.
#
# Environment: ONCONET_REFERENCE_DATA (default ../shared/data/nl next to the checkout),
# CHROMIUM (default /usr/bin/chromium), READY_TIMEOUT (seconds, default 300).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
export ONCONET_REFERENCE_DATA="${ONCONET_REFERENCE_DATA:-$(cd "$ROOT/.." && pwd)/shared/data/nl}"

# name → pid and data dir of what we started.
declare -A PIDS=()
declare -A DIRS=()
SUMMARY_PRINTED=0

log() { echo "browser-test: $*" >&2; }

stop_process() {
  local name=$1 pid=${PIDS[$1]:-}
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop on SIGTERM within 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  fi
  unset "PIDS[$name]"
  local dir=${DIRS[$name]:-}
  if [[ -n "$dir" && -d "$dir" ]]; then
    mkdir -p "$ROOT/artifacts"
    [[ -f "$dir/server.log" ]] && cp "$dir/server.log" "$ROOT/artifacts/browser-test-$name.log"
    # Normally the server stopped its PostgreSQL; make sure, then drop the data.
    if [[ -d "$dir/pg" ]]; then
      target/debug/onconet db stop --data-dir "$dir" >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  fi
  unset "DIRS[$name]"
}

stop_all() {
  for name in dev oidc provider; do stop_process "$name"; done
}

on_exit() {
  local status=$?
  stop_all
  if [[ $SUMMARY_PRINTED -eq 0 ]]; then
    log "set-up failed (exit status $status) after $((SECONDS - START)) s"
    echo "0 passed, 1 failed"
    [[ $status -ne 0 ]] || status=1
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# --- what is missing ------------------------------------------------------------------------
if [[ ! -x "$CHROMIUM" ]]; then
  log "installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# The locked versions of the test's packages (playwright-core, axe-core; oidc-provider).
scripts/npm-deps.sh tests/browser tests/oidc

log "building target/debug/onconet"
step=$SECONDS
cargo build --quiet --locked --bin onconet
log "built in $((SECONDS - step)) s"
BIN="$ROOT/target/debug/onconet"
mkdir -p "$ROOT/artifacts"

# --- the OpenID provider --------------------------------------------------------------------
DIRS[provider]="$(mktemp -d /tmp/onconet-oidc.XXXXXX)"
(cd tests/oidc && exec node provider.mjs --port 0 >"${DIRS[provider]}/ready.json" 2>"${DIRS[provider]}/server.log") &
PIDS[provider]=$!
for _ in $(seq 1 100); do
  [[ -s "${DIRS[provider]}/ready.json" ]] && break
  kill -0 "${PIDS[provider]}" 2>/dev/null || { log "the OpenID provider did not start:"; cat "${DIRS[provider]}/server.log" >&2; exit 1; }
  sleep 0.1
done
ISSUER=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).issuer)' "${DIRS[provider]}/ready.json")
log "OpenID provider at $ISSUER"

# --- the servers ----------------------------------------------------------------------------
# start_server NAME [VAR=value ...]: `onconet serve --demo` on a free port, in the background.
# The embedded PostgreSQL runs as `postgres` when we are root: the data dir must be reachable.
declare -A URLS=()
start_server() {
  local name=$1
  shift
  local dir port
  dir="$(mktemp -d /tmp/onconet-browser.XXXXXX)"
  chmod 755 "$dir"
  port=$(free_port)
  DIRS[$name]=$dir
  URLS[$name]="http://127.0.0.1:$port"
  log "starting $name: onconet serve --demo on ${URLS[$name]} (data dir $dir)"
  env ONCONET_LOG_FORMAT=json "$@" "$BIN" serve --demo --bind "127.0.0.1:$port" --data-dir "$dir" \
    >"$dir/server.log" 2>&1 &
  PIDS[$name]=$!
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS -o /dev/null "${URLS[$name]}/readyz" 2>/dev/null; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      log "$name exited before it was ready; its log, then PostgreSQL's:"
      tail -n 40 "${DIRS[$name]}/server.log" >&2
      tail -n 30 "${DIRS[$name]}/log/postgres.log" >&2 2>/dev/null || true
      exit 1
    fi
    if ((SECONDS > deadline)); then
      log "$name was not ready within $READY_TIMEOUT s; its log:"
      tail -n 40 "${DIRS[$name]}/server.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

step=$SECONDS
# Usage counts reach the database within a second (the dashboard test shows the demand they make).
start_server dev ONCONET_USAGE_FLUSH_SECONDS=1
start_server oidc ONCONET_JWKS="$ISSUER/jwks" ONCONET_JWT_ISSUER="$ISSUER" ONCONET_JWT_AUDIENCE=onconet \
  ONCONET_OIDC_ISSUER="$ISSUER" ONCONET_OIDC_CLIENT_ID=onconet-console ONCONET_OIDC_CLIENT_SECRET=test-secret
wait_ready dev
wait_ready oidc
log "servers ready in $((SECONDS - step)) s (reference regions and demo networks loaded)"

STAFF_TOKEN=$("$BIN" token --role iknl_staff --data-dir "${DIRS[dev]}")

# --- the test -------------------------------------------------------------------------------
TAP="${DIRS[dev]}/results.tap"
status=0
(cd tests/browser && ONCONET_URL="${URLS[dev]}" ONCONET_STAFF_TOKEN="$STAFF_TOKEN" \
  ONCONET_DATA_DIR="${DIRS[dev]}" \
  ONCONET_OIDC_URL="${URLS[oidc]}" ONCONET_OIDC_ISSUER="$ISSUER" CHROMIUM="$CHROMIUM" \
  node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    widget.test.mjs console.test.mjs console-verification.test.mjs console-programme.test.mjs console-oidc.test.mjs console-merge.test.mjs) || status=$?

passed=$(awk '/^# pass /{print $3}' "$TAP" 2>/dev/null || true)
failed=$(awk '/^# fail /{print $3}' "$TAP" 2>/dev/null || true)
skipped=$(awk '/^# skipped /{print $3}' "$TAP" 2>/dev/null || true)
passed=${passed:-0}
failed=${failed:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # the runner itself failed
  log "the test runner exited with status $status; the servers' logs:"
  tail -n 40 "${DIRS[dev]}/server.log" "${DIRS[oidc]}/server.log" >&2
fi
cp "$TAP" "$ROOT/artifacts/browser-test.tap" 2>/dev/null || true
stop_all
log "screenshots and the servers' logs in $ROOT/artifacts/; ${skipped:-0} skipped; took $((SECONDS - START)) s"
SUMMARY_PRINTED=1
echo "$passed passed, $failed failed"
exit "$status"

#!/usr/bin/env bash
# The browser test: the <onconet-finder> widget on a foreign-origin host page, /docs, the
# coverage map and the console (development sign-in, My networks, axe-core), in Debian's
# headless Chromium driven by playwright-core (tests/browser).
#
# Installs what is missing (chromium from apt, playwright-core and axe-core with `npm ci`), builds the debug
# binary, starts `onconet serve --demo` on a free port with a throw-away data dir, mints an
# IKNL staff token, runs the test and always stops the server. Exits with the test's status;
# the last line of output is "N passed, M failed". Screenshots: artifacts/*.png.
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

DATA_DIR=""
SERVER_PID=""
SUMMARY_PRINTED=0

log() { echo "browser-test: $*" >&2; }

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping the server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server did not stop on SIGTERM within 30 s; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [[ -n "$DATA_DIR" && -d "$DATA_DIR" ]]; then
    if [[ -f "$DATA_DIR/server.log" ]]; then
      mkdir -p "$ROOT/artifacts"
      cp "$DATA_DIR/server.log" "$ROOT/artifacts/browser-test-server.log"
    fi
    # Normally the server stopped its PostgreSQL; make sure, then drop the data.
    if [[ -d "$DATA_DIR/pg" ]]; then
      target/debug/onconet db stop --data-dir "$DATA_DIR" >/dev/null 2>&1 || true
    fi
    rm -rf "$DATA_DIR"
  fi
  DATA_DIR=""
}

on_exit() {
  local status=$?
  stop_server
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

# --- what is missing ------------------------------------------------------------------------
if [[ ! -x "$CHROMIUM" ]]; then
  log "installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  log "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi
# The locked versions of the test's packages against those installed (playwright-core, axe-core).
versions() {
  node -e '
    const lock = require("./tests/browser/package-lock.json").packages;
    const names = ["playwright-core", "axe-core"];
    const which = process.argv[1];
    console.log(names.map((n) => {
      if (which === "locked") return `${n}@${lock["node_modules/" + n].version}`;
      try { return `${n}@${require("./tests/browser/node_modules/" + n + "/package.json").version}`; }
      catch { return `${n}@none`; }
    }).join(" "));' "$1"
}
locked=$(versions locked)
installed=$(versions installed)
if [[ "$locked" != "$installed" ]]; then
  log "installing $locked (npm ci; found: $installed)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

log "building target/debug/onconet"
step=$SECONDS
cargo build --quiet --locked --bin onconet
log "built in $((SECONDS - step)) s"
BIN="$ROOT/target/debug/onconet"

# --- the server -----------------------------------------------------------------------------
# The embedded PostgreSQL runs as `postgres` when we are root: the data dir must be reachable.
DATA_DIR="$(mktemp -d /tmp/onconet-browser.XXXXXX)"
chmod 755 "$DATA_DIR"
PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
URL="http://127.0.0.1:$PORT"
log "starting onconet serve --demo on $URL (data dir $DATA_DIR, reference data $ONCONET_REFERENCE_DATA)"
ONCONET_LOG_FORMAT=json "$BIN" serve --demo --bind "127.0.0.1:$PORT" --data-dir "$DATA_DIR" \
  >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
step=$SECONDS

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server exited before it was ready; its log, then PostgreSQL's:"
    tail -n 40 "$DATA_DIR/server.log" >&2
    tail -n 30 "$DATA_DIR/log/postgres.log" >&2 2>/dev/null || true
    SERVER_PID=""
    exit 1
  fi
  if ((SECONDS > deadline)); then
    log "the server was not ready within $READY_TIMEOUT s; its log:"
    tail -n 40 "$DATA_DIR/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
log "server ready in $((SECONDS - step)) s (reference regions and demo networks loaded)"

STAFF_TOKEN=$("$BIN" token --role iknl_staff --data-dir "$DATA_DIR")

# --- the test -------------------------------------------------------------------------------
TAP="$DATA_DIR/results.tap"
status=0
(cd tests/browser && ONCONET_URL="$URL" ONCONET_STAFF_TOKEN="$STAFF_TOKEN" CHROMIUM="$CHROMIUM" \
  node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    widget.test.mjs console.test.mjs console-merge.test.mjs) || status=$?

passed=$(awk '/^# pass /{print $3}' "$TAP" 2>/dev/null || true)
failed=$(awk '/^# fail /{print $3}' "$TAP" 2>/dev/null || true)
skipped=$(awk '/^# skipped /{print $3}' "$TAP" 2>/dev/null || true)
passed=${passed:-0}
failed=${failed:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # the runner itself failed
  log "the test runner exited with status $status; the server's log:"
  tail -n 40 "$DATA_DIR/server.log" >&2
fi
stop_server
log "screenshots and the server log in $ROOT/artifacts/; ${skipped:-0} skipped; took $((SECONDS - START)) s"
SUMMARY_PRINTED=1
echo "$passed passed, $failed failed"
exit "$status"

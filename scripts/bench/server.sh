# Shared by scripts/bench-search.sh and scripts/bench-coverage.sh (sourced, not run): start and
# stop the onconet server under test. Expects ONCONET, DATA, WORK and a `die` function.

# Starts `onconet serve` on a free port of 127.0.0.1 with the per-client rate limit off (all load
# comes from one address: the benchmarks measure the API, not the limiter) and waits until it is
# ready. Sets SERVER_PID, BASE (its URL) and DB_URL (its embedded PostgreSQL).
start_server() {
  ONCONET_RATE_LIMIT_PER_SECOND=0 "$ONCONET" serve --bind 127.0.0.1:0 --workers 2 --data-dir "$DATA" \
    >"$WORK/serve.out" 2>"$WORK/serve.log" &
  SERVER_PID=$!
  BASE=""
  for _ in $(seq 1 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "the server did not start"; }
    BASE="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.log" | head -n 1 || true)"
    [ -n "$BASE" ] && curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    BASE=""
    sleep 0.2
  done
  [ -n "$BASE" ] || die "the server did not become ready within 2 minutes"
  echo "server: $BASE (pid $SERVER_PID)"
  DB_URL="$("$ONCONET" db status --data-dir "$DATA" | sed -n 's/^running: //p')"
  [ -n "$DB_URL" ] || die "the embedded PostgreSQL is not running"
}

# Stops the server (SIGTERM, then SIGKILL after 10 s) and, after a failure too, its cluster.
stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  # The server stops the cluster it started; make sure of it after a failure too.
  [ -d "$DATA" ] && "$ONCONET" db stop --data-dir "$DATA" >/dev/null 2>&1 || true
}

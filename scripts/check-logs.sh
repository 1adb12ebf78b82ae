#!/usr/bin/env bash
# Fails when the logs of a test run hold non-public contact data or a secret: the
# PRIVATE-SENTINEL marker or a value of a PRIVATE_* constant of
# crates/test_support/src/fixtures.rs (contacts, the webhook secret; a phone number also as bare
# digits), in any file of the log folder; or who asked: a client address or user agent
# (`http.client_ip`, `http.user_agent`). Also fails when the folder holds too few lines,
# or no request lines, to mean anything, and first proves on planted logs that it can fail.
#
#   scripts/check-logs.sh            # checks $ONCONET_TEST_LOG_DIR, default target/test-logs
#   MIN_LOG_LINES=1000               # fewest lines a run must have logged
#
# `make test` clears the folder before the Rust tests and runs this right after them.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG_DIR="${ONCONET_TEST_LOG_DIR:-target/test-logs}"
MIN_LOG_LINES="${MIN_LOG_LINES:-1000}"
FIXTURES=crates/test_support/src/fixtures.rs

# The strings that must never be logged, one a line.
patterns() {
    local values
    values=$(sed -n 's/^pub const PRIVATE_[A-Z_]*: &str = "\(.*\)";$/\1/p' "$FIXTURES")
    if [ -z "$values" ] || ! grep -q 'PRIVATE-SENTINEL' <<<"$values"; then
        echo "check-logs: no PRIVATE_* constants with the PRIVATE-SENTINEL marker in $FIXTURES" >&2
        return 1
    fi
    printf '%s\n' "$values"
    # Phone numbers also as bare digits (a number echoed by a parser loses its spaces).
    grep -E '^[+0-9 ()-]+$' <<<"$values" | tr -cd '0-9\n' | grep -E '^[0-9]{6,}$' || true
}

# scan DIR MIN_LINES: 0 when DIR holds enough log lines, request lines, and no pattern.
scan() {
    local dir=$1 min=$2 files lines requests hits who
    if [ ! -d "$dir" ]; then
        echo "check-logs: no log folder $dir (did the Rust tests run?)" >&2
        return 1
    fi
    files=$(find "$dir" -type f | wc -l)
    lines=$(find "$dir" -type f -exec cat {} + | wc -l)
    # A request line: a finished tracing-actix-web span, with its status.
    requests=$(find "$dir" -type f -exec cat {} + | grep '"message":"close"' | grep -c '"http.status_code"' || true)
    if [ "$lines" -lt "$min" ] || [ "$requests" -eq 0 ]; then
        echo "check-logs: $dir holds $lines lines in $files files, $requests request lines; expected at least $min lines and some requests" >&2
        return 1
    fi
    # File, line and the matched value only: never echo the rest of a line that leaked.
    hits=$(grep -rnoiF -f <(patterns) "$dir" | sort -u || true)
    if [ -n "$hits" ]; then
        echo "check-logs: non-public contact data in the logs of $dir (file:line:value):" >&2
        sed -n 1,50p <<<"$hits" >&2
        echo "check-logs: $(wc -l <<<"$hits") hits" >&2
        return 1
    fi
    # Who asked is never recorded (DESIGN: public endpoints never record who asked).
    who=$(grep -rlE '"http\.(client_ip|user_agent)"' "$dir" || true)
    if [ -n "$who" ]; then
        echo "check-logs: client addresses or user agents in the logs of $dir:" >&2
        printf '%s\n' "$who" >&2
        return 1
    fi
    echo "check-logs: $lines lines in $files files ($requests request lines) hold no non-public contact data and no client address"
}

# The scanner must fail on a planted sentinel, on missing or short logs, and pass on clean ones.
self_test() {
    local tmp ok=1 all sentinel
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    # Never `head` on a pipe here: under pipefail the writer can die of SIGPIPE (exit 141).
    all=$(patterns)
    sentinel=$(sed -n 1p <<<"$all")
    mkdir -p "$tmp/clean" "$tmp/leak" "$tmp/short"
    for i in $(seq 1 20); do
        echo "{\"message\":\"close\",\"span\":{\"http.status_code\":200,\"n\":$i}}"
    done >"$tmp/clean/a.log"
    cp "$tmp/clean/a.log" "$tmp/leak/a.log"
    echo "{\"message\":\"oops\",\"detail\":\"$sentinel\"}" >>"$tmp/leak/a.log"
    echo "{\"message\":\"close\",\"span\":{\"http.status_code\":200}}" >"$tmp/short/a.log"
    scan "$tmp/clean" 10 >/dev/null 2>&1 || { echo "check-logs self-test: clean logs fail" >&2; ok=0; }
    scan "$tmp/leak" 10 >/dev/null 2>&1 && { echo "check-logs self-test: a planted sentinel passes" >&2; ok=0; }
    scan "$tmp/short" 10 >/dev/null 2>&1 && { echo "check-logs self-test: too few lines pass" >&2; ok=0; }
    mkdir -p "$tmp/who"
    cp "$tmp/clean/a.log" "$tmp/who/a.log"
    echo '{"message":"close","span":{"http.client_ip":"192.0.2.1","http.status_code":200}}' >>"$tmp/who/a.log"
    scan "$tmp/who" 10 >/dev/null 2>&1 && { echo "check-logs self-test: a client address passes" >&2; ok=0; }
    scan "$tmp/missing" 10 >/dev/null 2>&1 && { echo "check-logs self-test: a missing folder passes" >&2; ok=0; }
    local digits
    digits=$(grep -E '^[0-9]+$' <<<"$all" | sed -n 1p || true)
    if [ -n "$digits" ]; then
        cp "$tmp/clean/a.log" "$tmp/leak/a.log"
        echo "{\"message\":\"close\",\"detail\":\"invalid type: integer \`$digits\`\"}" >>"$tmp/leak/a.log"
        scan "$tmp/leak" 10 >/dev/null 2>&1 && { echo "check-logs self-test: a phone number as digits passes" >&2; ok=0; }
    fi
    [ "$ok" = 1 ] && echo "check-logs self-test: a planted sentinel, a bare phone number, a client address, short and missing logs all fail; clean logs pass"
    [ "$ok" = 1 ]
}

self_test
scan "$LOG_DIR" "$MIN_LOG_LINES"

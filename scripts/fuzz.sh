#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ one after another (issue 18, item 4) and prints, per
# target, libFuzzer's final stats: executions, executions per second, corpus size, peak RSS.
#
#   scripts/fuzz.sh                       every target for FUZZ_SECONDS (default 60) seconds
#   FUZZ_RUNS=10000000 scripts/fuzz.sh    every target for that many executions (no time limit)
#   scripts/fuzz.sh service_area jwt_claims   only these targets
#
# A crash, a hang over FUZZ_TIMEOUT seconds (default 1) or RSS over FUZZ_RSS_MB (default
# 2048) fails the run; libFuzzer leaves the input in fuzz/artifacts/<target>/. New inputs go to
# fuzz/corpus-work/<target>/ (not committed); the seeds in fuzz/corpus/<target>/ stay as they
# are. Needs nightly Rust and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-}
TIMEOUT=${FUZZ_TIMEOUT:-1}
RSS_MB=${FUZZ_RSS_MB:-2048}
MAX_LEN=${FUZZ_MAX_LEN:-4096}
# Safe Rust gains little from AddressSanitizer and runs at about half the speed under it;
# FUZZ_SANITIZER=address to use it anyway.
SANITIZER=${FUZZ_SANITIZER:-none}
NICE=${FUZZ_NICE:-15}
ALL=(service_area merge_patch filter_query import_rows jwt_claims)
TARGETS=("$@")
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=("${ALL[@]}")

if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
  echo "cargo fuzz is missing: cargo install cargo-fuzz (and rustup toolchain install nightly)" >&2
  exit 1
fi

if [[ -n $RUNS ]]; then
  limit=(-runs="$RUNS")
else
  limit=(-max_total_time="$SECONDS_PER_TARGET")
fi

echo "building the fuzz targets (sanitizer: $SANITIZER)" >&2
nice -n "$NICE" cargo +nightly fuzz build -s "$SANITIZER" >&2
BIN="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
results=()
status=0
for target in "${TARGETS[@]}"; do
  work="fuzz/corpus-work/$target"
  mkdir -p "$work" "fuzz/artifacts/$target"
  log="fuzz/artifacts/$target/last-run.log"
  echo "== $target (${limit[*]}, -timeout=$TIMEOUT, -rss_limit_mb=$RSS_MB)" >&2
  # The binaries built above, run directly: `cargo fuzz run` would build again first, and
  # rebuilds everything (tens of minutes) whenever a source changed since.
  if ! nice -n "$NICE" "$BIN/$target" -artifact_prefix="fuzz/artifacts/$target/" \
      "${limit[@]}" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -max_len="$MAX_LEN" \
      -print_final_stats=1 "$work" "fuzz/corpus/$target" > "$log" 2>&1; then
    status=1
    echo "$target FAILED; the log: $log" >&2
    grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 20 >&2 || true
  fi
  stat() { grep -E "^stat::$1:" "$log" | tail -n 1 | awk '{print $2}'; }
  runs=$(stat number_of_executed_units)
  secs=$(stat slowest_unit_time_sec)
  speed=$(stat average_exec_per_sec)
  rss=$(stat peak_rss_mb)
  # libFuzzer's last status line: `corp: <inputs>/<bytes>` of the corpus it holds.
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
  results+=("$(printf '%-13s %12s %8s %14s %8s %9s' "$target" "${runs:-?}" "${speed:-?}" "${corpus:-?}" "${rss:-?}" "${secs:-?}")")
done

printf '%-13s %12s %8s %14s %8s %9s\n' target executions exec/s corpus peak-MB slowest-s
printf '%s\n' "${results[@]}"
exit $status

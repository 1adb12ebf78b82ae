#!/usr/bin/env bash
# Lines of Rust per crate (src/ only), as reported in issue notes:
#   scripts/line-counts.sh [REV]   (default: the working tree)
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-}"
for crate in crates/*/; do
  crate="${crate%/}"
  if [[ -z "$rev" ]]; then
    n=$(find "$crate/src" -name '*.rs' -print0 | xargs -0 cat | wc -l)
  else
    files=$(git ls-tree -r --name-only "$rev" "$crate/src" | grep '\.rs$' || true)
    [[ -n "$files" ]] || continue
    n=$(for f in $files; do git show "$rev:$f"; done | wc -l)
  fi
  printf '%-22s %6d\n' "${crate#crates/}" "$n"
done

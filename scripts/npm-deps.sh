#!/usr/bin/env bash
# Installs a test folder's npm packages at their locked versions (npm ci) when the installed
# ones differ: `scripts/npm-deps.sh tests/oidc tests/browser`. Needs Node.js 20 or newer
# (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  echo "npm-deps: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
for dir in "$@"; do
  # The direct dependencies at their locked versions, against what node_modules holds.
  state=$(node -e '
    const fs = require("fs"), path = require("path");
    const dir = path.resolve(process.argv[1]);
    const pkg = require(path.join(dir, "package.json"));
    const lock = require(path.join(dir, "package-lock.json")).packages;
    const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    const show = (which) => names.map((n) => {
      if (which === "locked") return `${n}@${lock["node_modules/" + n].version}`;
      try { return `${n}@${JSON.parse(fs.readFileSync(path.join(dir, "node_modules", n, "package.json"))).version}`; }
      catch { return `${n}@none`; }
    }).join(" ");
    console.log(show("locked") === show("installed") ? "ok" : `${show("locked")} (found: ${show("installed")})`);' "$dir")
  if [[ "$state" != ok ]]; then
    echo "npm-deps: installing $state in $dir (npm ci)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

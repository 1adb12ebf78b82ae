#!/usr/bin/env bash
# Installs what onconet needs from Debian's packages when it is missing: PostgreSQL (server
# binaries for the embedded cluster), the C toolchain bits cargo needs and npm (the console's map
# library is installed from npm at build time). Idempotent.
set -euo pipefail

missing=()
pg_ok=false
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then pg_ok=true; fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then pg_ok=true; fi
$pg_ok || missing+=(postgresql postgresql-contrib)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# npm installs the console's map library at build time (crates/api/build.rs).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian packages"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing; install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi

#!/usr/bin/env bash
# Usage: scripts/venv.sh NAME. Creates target/NAME-venv with the PyPI packages of
# tests/NAME/requirements.txt when it is missing or out of date; prints its python.
# NAME: `fhir` (the FHIR R4 validator, fhir.resources), `webhooks` (the Standard Webhooks
# reference library the test receiver verifies signatures with).
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: scripts/venv.sh NAME}
REQUIREMENTS="tests/$NAME/requirements.txt"
VENV="target/$NAME-venv"
STAMP="$VENV/.requirements"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$STAMP"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
  cp "$REQUIREMENTS" "$STAMP"
fi
echo "$PWD/$VENV/bin/python"

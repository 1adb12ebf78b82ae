#!/usr/bin/env bash
# Creates target/fhir-venv with the FHIR R4 validator's packages (tests/fhir/requirements.txt,
# from PyPI) when it is missing or out of date; prints its python.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/fhir-venv
STAMP="$VENV/.requirements"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s tests/fhir/requirements.txt "$STAMP"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/fhir/requirements.txt >&2
  cp tests/fhir/requirements.txt "$STAMP"
fi
echo "$PWD/$VENV/bin/python"

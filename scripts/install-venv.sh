#!/usr/bin/env bash
# Create the virtualenv and install the pinned dependencies (idempotent).
set -euo pipefail
PY="${1:-python3}"
VENV="${2:-.venv}"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
# Face engines (biometrics/): pinned separately; some need --no-deps steps (docs/face-verification.md).
if [ -f requirements-face.txt ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-face.txt
fi
if [ -f scripts/install-face-extra.sh ]; then
  bash scripts/install-face-extra.sh "$VENV"
fi
if [ -f requirements-ui.txt ]; then "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-ui.txt; fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .

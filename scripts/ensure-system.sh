#!/usr/bin/env bash
# Install the Debian packages the kiosk needs (idempotent; tesseract-ocr + fonts-ocr-b: MRZ scanning and its test card backs) and make sure pcscd runs with the vpcd driver.
# Called by `make demo` and `make test`; safe to run again and again.
set -euo pipefail

PKGS=(pcscd libpcsclite1 libpcsclite-dev swig vsmartcard-vpcd python3-venv espeak-ng alsa-utils fonts-noto-core tesseract-ocr tesseract-ocr-eng fonts-ocr-b fonts-dejavu-core libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-system: not root and no sudo; install ${PKGS[*]} by hand" >&2; exit 1
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

installed_now=0
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-system: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  installed_now=1
fi

# pcscd must start after the vpcd driver is installed; restart it if we just installed the driver.
if pgrep -x pcscd >/dev/null 2>&1 && [ "$installed_now" -eq 1 ]; then
  $SUDO pkill -x pcscd || true
  sleep 0.5
fi
if ! pgrep -x pcscd >/dev/null 2>&1; then
  $SUDO rm -f /run/pcscd/pcscd.comm 2>/dev/null || true
  $SUDO pcscd
  for _ in $(seq 1 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
  echo "ensure-system: pcscd started"
fi

#!/usr/bin/env bash
# Install the Debian packages the kiosk needs (idempotent; tesseract-ocr + fonts-ocr-b: MRZ scanning and its test card backs) and make sure pcscd runs with the vpcd driver.
# Called by `make demo` and `make test`; safe to run again and again.
set -euo pipefail

PKGS=(pcscd libpcsclite1 libpcsclite-dev swig vsmartcard-vpcd python3-venv espeak-ng alsa-utils fonts-noto-core tesseract-ocr tesseract-ocr-eng fonts-ocr-b fonts-dejavu-core libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3)
# Qt 6 (the PySide6 wheel) on a real screen. The wheel brings Qt, not the system libraries behind its platform
# plugins: without them `cccd ui` aborts at start (exit 134, "Could not load the Qt platform plugin xcb").
# X11 (plugin `xcb`): the list of "Qt for X11 Requirements" (doc.qt.io), checked with `ldd` on libqxcb.so and
# QT_DEBUG_PLUGINS=1 under Xvfb; `python -m ui.platform_check` names anything still missing.
QT_X11=(libx11-6 libx11-xcb1 libxext6 libxrender1 libxi6 libxfixes3 libfreetype6 libxcb1 libxcb-cursor0 libxcb-glx0
        libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
        libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0)
# Wayland (plugin `wayland`, for a kiosk compositor).
QT_WAYLAND=(libwayland-client0 libwayland-cursor0 libwayland-egl1)
# Real-display tests (tests/ui/test_real_display.py): an X server without a screen and its screenshot tool
# (xwd), a headless Wayland compositor with its screenshooter (Weston, pixman renderer), and xvfb-run's xauth.
DISPLAY_TEST=(xvfb xauth x11-apps weston)
# Running as a service (deploy/, docs/deploy.md): the cage Wayland kiosk compositor and Xwayland (Debian's
# cage 0.1.4 refuses to start without /usr/bin/Xwayland, which its package does not pull in), systemd's tools
# (systemd-analyze verify, systemd-sysusers, systemd-tmpfiles; tests/test_deploy.py) and runuser (util-linux).
DEPLOY=(cage xwayland systemd util-linux)
PKGS+=("${QT_X11[@]}" "${QT_WAYLAND[@]}" "${DISPLAY_TEST[@]}" "${DEPLOY[@]}")
# The fleet hub (hub/): PostgreSQL for its tests and demo; Debian's chromium and its driver for the console's
# browser tests (Selenium).
PKGS+=(postgresql chromium chromium-driver)

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

"""``cccd ui --sim --demo`` in a real window: under Xvfb (X11, Qt's ``xcb`` platform) and under a headless
Weston (Wayland) — issue 11, "The UI starts on a real screen".

Every other UI test runs Qt offscreen, which needs no system library beyond the wheel; a kiosk's screen
needs Qt's ``xcb`` or ``wayland`` platform plugin and the X11/Wayland libraries behind it
(scripts/ensure-system.sh installs them; ui/platform_check.py names any that is missing).  Here the demo
walks a whole transaction in a real window while the screen is captured from outside the process: with
``xwd -root`` from the X server, with ``weston-screenshooter`` from the compositor.  A screenshot that shows
the kiosk (many colours, the theme's dark blue) proves that the window was really drawn on the screen.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 800
pytestmark = pytest.mark.slow


def _need(*programs: str) -> None:
    """The display servers are part of the set-up (scripts/ensure-system.sh): missing ones fail the test."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed; run `make test` (scripts/ensure-system.sh)")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- X11 ---------------------------------------------------------------------------------------------


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[str]:
    """An Xvfb on a free display number (``-displayfd``: the server picks it and tells us)."""
    _need("Xvfb", "xwd")
    read, write = os.pipe()
    args = ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp",
            "-auth", str(tmp_path / "none")]  # fmt: skip
    proc = subprocess.Popen(args, pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        _stop(proc)


def xwd_image(data: bytes) -> Image.Image:
    """An ``xwd`` dump (X Window Dump, version 7, ZPixmap, 24/32 bits per pixel) as a Pillow image."""
    fields = struct.unpack(">25I", data[:100])
    header_size, version, pixmap_format, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask, ncolors = fields[14], fields[15], fields[16], fields[19]
    assert version == 7 and pixmap_format == 2 and bits_per_pixel == 32 and depth == 24, fields
    assert (red_mask, green_mask, blue_mask) == (0xFF0000, 0x00FF00, 0x0000FF), fields
    pixels = data[header_size + 12 * ncolors :]
    raw = "BGRX" if byte_order == 0 else "XRGB"  # LSBFirst: B G R X in memory
    return Image.frombuffer("RGB", (width, height), pixels, "raw", raw, bytes_per_line, 1)


def _kiosk_demo(env: dict[str, str], data: Path) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "cccd", "ui", "--sim", "--demo", "--face", "ground-truth", "--mute",
            "--profile", "lodging", "--step-ms", "700", "--data-dir", str(data)]  # fmt: skip
    pipe = subprocess.PIPE
    return subprocess.Popen(args, cwd=REPO, env=env, text=True, stdout=pipe, stderr=pipe)


def _shows_the_kiosk(img: Image.Image) -> bool:
    """Not blank: many colours, and the theme's dark blue (headings and buttons, #003d8f-ish) on it."""
    small = img.convert("RGB").resize((160, 100))
    colours: list[tuple[int, tuple[int, int, int]]] = small.getcolors(maxcolors=160 * 100) or []  # type: ignore[assignment]
    blue = sum(n for n, (r, g, b) in colours if b > 110 and r < 40 and 40 < g < 90)
    return len(colours) > 50 and blue > 20


def _walk_and_capture(proc: subprocess.Popen[str], capture: object, tmp_path: Path) -> tuple[list[Path], str]:
    """Capture the screen every half second while the demo runs; keep each capture that shows the kiosk
    and differs from the one before (``screen-NN.png``): the window must change on screen as the demo
    walks, not only appear once."""
    shots: list[Path] = []
    previous = b""
    deadline = time.monotonic() + 150
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        img = capture()  # type: ignore[operator]
        if img is None:
            continue
        img.save(tmp_path / "last-capture.png")
        thumb = img.convert("L").resize((64, 40)).tobytes()
        if _shows_the_kiosk(img) and thumb != previous:
            shots.append(tmp_path / f"screen-{len(shots):02d}.png")
            img.save(shots[-1])
            previous = thumb
    try:
        out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        _stop(proc)  # type: ignore[arg-type]
    assert proc.returncode == 0, err[-3000:]
    assert len(shots) >= 3, f"{len(shots)} captures showed the kiosk; see {tmp_path / 'last-capture.png'}"
    return shots, out


def _assert_whole_flow(out: str) -> None:
    path = out.strip().splitlines()[-1]
    for state in ("attract", "consent", "key_entry", "place_card", "reading", "result", "receipt", "wipe"):
        assert state in path, path
    assert path.rstrip().endswith("attract")


def test_demo_in_a_real_x11_window(xvfb: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", CCCD_DATA_DIR=str(tmp_path / "data"))
    env.pop("WAYLAND_DISPLAY", None)

    def capture() -> Image.Image | None:
        r = subprocess.run(["xwd", "-root", "-silent", "-display", xvfb], capture_output=True, timeout=10,
                           check=False)  # fmt: skip
        return xwd_image(r.stdout) if r.returncode == 0 and len(r.stdout) > 100 else None

    proc = _kiosk_demo(env, tmp_path / "data")
    shots, out = _walk_and_capture(proc, capture, tmp_path)
    _assert_whole_flow(out)
    with Image.open(shots[0]) as img:
        assert img.size == (WIDTH, HEIGHT)


# --- Wayland -----------------------------------------------------------------------------------------


@pytest.fixture
def weston(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A headless Weston (pixman renderer) with the screenshooter enabled (``--debug``) on a private
    socket in a private runtime directory."""
    _need("weston", "weston-screenshooter")
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime))
    env.pop("DISPLAY", None)
    socket = "cccd-test-0"
    proc = subprocess.Popen(["weston", "--backend=headless-backend.so", "--use-pixman", f"--width={WIDTH}",
                             f"--height={HEIGHT}", f"--socket={socket}", "--idle-time=0", "--debug",
                             f"--log={tmp_path / 'weston.log'}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not (runtime / socket).exists():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "weston.log").read_text()
            time.sleep(0.1)
        yield socket, env
    finally:
        _stop(proc)


def test_demo_in_a_real_wayland_window(weston: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    socket, base = weston
    env = dict(base, WAYLAND_DISPLAY=socket, QT_QPA_PLATFORM="wayland", CCCD_DATA_DIR=str(tmp_path / "data"))
    shots = tmp_path / "wayland-shots"
    shots.mkdir()

    def capture() -> Image.Image | None:
        before = set(shots.iterdir())
        r = subprocess.run(["weston-screenshooter"], cwd=shots, env=env, capture_output=True, timeout=10,
                           check=False)  # fmt: skip
        new = sorted(set(shots.iterdir()) - before)
        if r.returncode != 0 or not new:
            return None
        with Image.open(new[-1]) as img:
            return img.convert("RGB")

    proc = _kiosk_demo(env, tmp_path / "data")
    _, out = _walk_and_capture(proc, capture, tmp_path)
    _assert_whole_flow(out)

"""`python -m cccd.fulldemo` (what `make demo` runs) as a real process: receiver, headless flows, summary,
twice in a row on the same state, and a clean stop of the receiver when the demo is terminated.

The chip read through pcscd is skipped (``--no-chip``; tests/cccd/cli/test_chip.py covers `cccd demo`) and
the UI is not opened (``--ui no``; tests/ui covers `cccd ui --demo`).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cccd.fulldemo import prepare_state
from kiosk.keys import KeyStore

REPO = Path(__file__).resolve().parents[2]
ARGS = ["--no-chip", "--ui", "no", "--face", "ground-truth", "--fleet", "no"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CCCD_WEBHOOK_SECRET", "CCCD_DATA_DIR", "PYTHONWARNINGS"):
        env.pop(name, None)
    return env


def _demo(state: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "cccd.fulldemo", *ARGS, "--state-dir", str(state)]
    return subprocess.run(argv, cwd=REPO, env=_env(), text=True, capture_output=True, timeout=240)


def _port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


def _figures(out: str) -> tuple[str, int, int]:
    url = re.search(r"^receiver: (http://127\.0\.0\.1:\d+)", out, re.M)
    stored = re.search(r"receiver stored (\d+) deliveries of (\d+) verifications", out)
    assert url and stored, out
    return url.group(1), int(stored.group(1)), int(stored.group(2))


@pytest.mark.slow
def test_demo_runs_twice_on_the_same_state(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    first = _demo(state)
    assert first.returncode == 0, first.stdout + first.stderr
    secret = (state / "webhook.secret").read_text()
    kid = KeyStore.open(state / "kiosk" / "keys", create=False).jwks()["keys"][0]["kid"]

    second = _demo(state)
    assert second.returncode == 0, second.stdout + second.stderr
    for run in (first, second):
        assert "ok   headless kiosk" in run.stdout and "ok   delivery" in run.stdout
        assert "'pending': 0" in run.stdout and "'dead': 0" in run.stdout
        assert re.search(r"audit log: intact, \d+ entries", run.stdout)
        # the hospital's BHYT check asked the simulated BHXH gateway the demo started (docs/insurance.md)
        assert re.search(r"^  hospital +happy +verified .*BHYT=valid", run.stdout, re.M), run.stdout
        assert "ok   BHYT check (simulated BHXH gateway)" in run.stdout
    url1, deliveries1, verifications1 = _figures(first.stdout)
    url2, deliveries2, verifications2 = _figures(second.stdout)
    # Fresh databases each run: the second run stores what the first did, no more.
    assert deliveries1 == deliveries2 > 0 and verifications1 == verifications2 > 0
    assert _port_closed(url1) and _port_closed(url2)  # the receiver was stopped both times
    # The secret and the device keys are made once and reused.
    assert (state / "webhook.secret").read_text() == secret
    assert stat.S_IMODE((state / "webhook.secret").stat().st_mode) == 0o600
    assert KeyStore.open(state / "kiosk" / "keys", create=False).jwks()["keys"][0]["kid"] == kid
    # Nothing personal in the demo's own lines: the simulated citizens' ID numbers never appear.
    assert not re.search(r"\b\d{12}\b", first.stdout)


@pytest.mark.slow
def test_ui_walk_offscreen_delivers_to_the_same_receiver(tmp_path: Path) -> None:
    """What `make demo` does on a machine with a display, here with Qt offscreen."""
    argv = [sys.executable, "-m", "cccd.fulldemo", "--no-chip", "--ui", "yes", "--ui-step-ms", "100",
            "--face", "ground-truth", "--fleet", "no", "--state-dir", str(tmp_path / "demo")]  # fmt: skip
    env = dict(_env(), QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(argv, cwd=REPO, env=env, text=True, capture_output=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok   touch-screen UI" in run.stdout and "receipt" in run.stdout  # the UI reached the receipt
    headless = sum(1 for line in run.stdout.splitlines() if "record=" in line and "record=-" not in line)
    _, deliveries, verifications = _figures(run.stdout)
    assert verifications == headless + 1  # every headless record and the UI's one reached the receiver
    assert deliveries >= verifications


@pytest.mark.slow
def test_sigterm_stops_the_receiver(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "cccd.fulldemo", *ARGS, "--state-dir", str(tmp_path / "demo")]
    proc = subprocess.Popen(argv, cwd=REPO, env=_env(), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if line.startswith("receiver: "):
                url = line.split()[1]
                break
        assert url, "the demo did not start its receiver"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert _port_closed(url)


def test_state_is_made_once_and_databases_start_empty(tmp_path: Path) -> None:
    state, secret = prepare_state(tmp_path / "s")
    (state.kiosk_db).write_bytes(b"old")
    (state.receiver_db.with_name("receiver.db-wal")).write_bytes(b"old")
    again, secret2 = prepare_state(tmp_path / "s")
    assert secret2 == secret and secret.startswith("whsec_")
    assert not again.kiosk_db.exists() and not again.receiver_db.with_name("receiver.db-wal").exists()
    assert stat.S_IMODE(state.root.stat().st_mode) == 0o700
    state.secret_file.write_text("not a secret\n")
    with pytest.raises(ValueError):
        prepare_state(tmp_path / "s")


def test_the_fleet_step_runs_the_hub_demo_and_prints_the_console(tmp_path: Path) -> None:
    """`make demo` off a terminal: the fleet (PostgreSQL, hub, three kiosks through it) runs within the
    summary and stops; its console URL and sign-in are printed."""
    argv = [sys.executable, "-m", "cccd.fulldemo", "--no-chip", "--ui", "no", "--face", "ground-truth",
            "--fleet", "exit", "--fleet-scenario", "happy",
            "--state-dir", str(tmp_path / "demo")]  # fmt: skip
    run = subprocess.run(argv, cwd=REPO, env=_env(), text=True, capture_output=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok   fleet hub" in run.stdout
    assert "/console/" in run.stdout and "sign in as admin" in run.stdout
    assert "PostgreSQL stopped" in run.stdout

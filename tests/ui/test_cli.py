"""``cccd ui`` as a subprocess, offscreen: the screenshot set, and a scripted demo of a whole flow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cccd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CCCD_DATA_DIR=str(cwd / "data"))
    return subprocess.run([sys.executable, "-m", "cccd", "ui", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=120)  # fmt: skip


def test_screenshots_command(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    r = _cccd("--screenshots", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    shots = sorted(out.glob("*.png"))
    assert len(shots) == len(list((REPO / "docs" / "screens").glob("*.png")))
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)


@pytest.mark.parametrize("face", ["ground-truth", "engine"])
def test_demo_walks_a_whole_flow_and_exits(tmp_path: Path, face: str) -> None:
    out = tmp_path / "demo"
    r = _cccd("--sim", "--face", face, "--demo", "--mute", "--profile", "lodging",
              "--step-ms", "150", "--data-dir", str(tmp_path / "data"), "--screenshots", str(out),
              cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip().splitlines()[-1]
    for state in ("attract", "language", "consent", "key_entry", "result", "service", "receipt", "take_card",
                  "wipe"):
        assert state in path  # the demo user takes the card when asked
    assert path.rstrip().endswith("attract")
    assert (out / "demo-01-attract.png").exists()


def test_sim_or_reader_is_required(tmp_path: Path) -> None:
    r = _cccd("--mute", cwd=tmp_path)
    assert r.returncode == 2 and "--sim" in r.stderr and "--reader" in r.stderr
    r = _cccd("--reader", "Virtual PCD 00 00", "--demo", cwd=tmp_path)
    assert r.returncode == 2 and "--demo needs --sim" in r.stderr


def test_deliver_to_needs_the_webhook_secret(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from cccd.cli import main

    monkeypatch.delenv("CCCD_WEBHOOK_SECRET", raising=False)
    assert main(["ui", "--sim", "--demo", "--deliver-to", "http://127.0.0.1:9"]) == 2
    assert "CCCD_WEBHOOK_SECRET" in capsys.readouterr().err


def test_the_demo_on_a_reader_with_its_own_camera(tmp_path: Path) -> None:
    """``--reader-camera sim``: the simulated reader's camera reads the card laid on it (docs/flow.md "Card
    on the reader"): key entry, then the chip read without a second "place your card"."""
    r = _cccd("--sim", "--face", "ground-truth", "--reader-camera", "sim", "--demo", "--mute",
              "--profile", "public_service", "--step-ms", "150", "--data-dir", str(tmp_path / "data"),
              cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip().splitlines()[-1]
    assert "key_entry" in path and "reading" in path and "result" in path
    assert path.rstrip().endswith("attract")


def test_reader_camera_arguments_are_checked(tmp_path: Path) -> None:
    r = _cccd("--sim", "--reader-camera", "front", cwd=tmp_path)
    assert r.returncode == 2 and "'front' is not a camera" in r.stderr and "Traceback" not in r.stderr
    r = _cccd("--reader", "Virtual PCD 00 00", "--reader-camera", "sim", cwd=tmp_path)
    assert r.returncode == 2 and "--reader-camera sim needs --sim" in r.stderr


def test_the_camera_argument_is_checked_like_the_config_file(tmp_path: Path) -> None:
    r = _cccd("--sim", "--camera", "-1", cwd=tmp_path)
    assert r.returncode == 2 and "is not a camera" in r.stderr and "Traceback" not in r.stderr

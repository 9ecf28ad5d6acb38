"""``cccd hub demo --exit``: the whole fleet demo runs and prints the console's sign-in (slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_fleet_demo() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CCCD_HUB_DSN"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cccd",
            "hub",
            "demo",
            "--exit",
            "--scenario",
            "happy",
            "--dir",
            str(REPO / "build" / "pytest-hub-demo"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "0 duplicates" in done.stdout and "sign in as admin / " in done.stdout
    assert "PostgreSQL stopped" in done.stdout

"""`cccd kiosk --headless --sim --deliver-to` against a real `cccd receiver` process on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kiosk.keys import KeyStore

REPO = Path(__file__).resolve().parents[2]


TOKEN = "headless-receiver-test-token"


def _cccd(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cccd", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    e = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(tmp_path / "data"),
             CCCD_RECEIVER_TOKEN=TOKEN)  # fmt: skip
    e.pop("PYTHONWARNINGS", None)
    return e


def test_every_profile_delivers_to_a_receiver_process(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "data"
    KeyStore.open(data / "keys")  # the receiver verifies records with the kiosk's public keys
    receiver = _cccd("receiver", "--port", "0", "--db", str(tmp_path / "receiver.db"), "--keys",
                     str(data / "keys"), env=env)  # fmt: skip
    try:
        assert receiver.stdout is not None
        line = receiver.stdout.readline()
        assert "listening on" in line, receiver.stderr.read() if receiver.stderr else line
        url = line.split()[-1]
        args = ["--profile", "all", "--scenario", "happy", "--runs", "2", "--deliver-to", url, "--json",
                "--face", "ground-truth"]  # fmt: skip
        kiosk = _cccd("kiosk", "--headless", "--sim", *args, env=env)
        out, err = kiosk.communicate(timeout=120)
        assert kiosk.returncode == 0, err
        lines = [json.loads(x) for x in out.splitlines()]
        results = [x for x in lines if "outcome" in x]
        summaries = [x for x in lines if "outbox" in x]
        assert len(results) == 8 and all(r["as_expected"] for r in results)
        assert len(summaries) == 4
        for s in summaries:
            assert s["outbox"]["dead"] == 0 and s["outbox"]["pending"] == 0 and s["outbox"]["sent"] >= 2
        auth = {"authorization": f"Bearer {TOKEN}"}  # reads need the token (issue 12)
        stats = httpx.get(url + "/stats", timeout=5, headers=auth).json()
        assert stats["distinct_verifications"] == len({r["verification_id"] for r in results}) == 8
        assert stats["deliveries"] >= 8
    finally:
        receiver.terminate()
        receiver.wait(10)

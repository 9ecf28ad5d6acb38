"""Real processes: `cccd receiver` and `cccd outbox run`, with SIGKILL mid-delivery and a receiver outage."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import READ_TOKEN, TEST_ID, TEST_NAME, make_record

REPO = Path(__file__).resolve().parents[3]


def _cccd(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cccd", *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def env(tmp_path: Path, secret: str) -> dict[str, str]:
    e = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(tmp_path / "data"),
             CCCD_RECEIVER_TOKEN=READ_TOKEN)  # fmt: skip
    e.pop("PYTHONWARNINGS", None)
    return e


def _start_receiver(
    tmp_path: Path, keys: KeyStore, env: dict[str, str], port: int = 0
) -> tuple[subprocess.Popen[str], str]:
    proc = _cccd(
        "receiver",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "receiver.db"),
        "--keys",
        str(keys.directory),
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("receiver listening on "), proc.stderr.read() if proc.stderr else line
    return proc, line.split()[-1]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def _fill(tmp_path: Path, keys: KeyStore, profile: Profile, n: int) -> set[str]:
    store = KioskStore(tmp_path / "kiosk.db", keys)
    vids = set()
    for _ in range(n):
        r = make_record(profile)
        store.save_verification(r, profile, time.time(), id_number=TEST_ID)
        vids.add(r.verification_id)
    store.close()
    return vids


def _relay(tmp_path: Path, keys: KeyStore, url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return _cccd(
        "outbox",
        "run",
        "--db",
        str(tmp_path / "kiosk.db"),
        "--keys",
        str(keys.directory),
        "--deliver-to",
        url,
        "--until-idle",
        "--batch",
        "16",
        "--workers",
        "4",
        env=env,
    )


def _stats(url: str) -> dict[str, Any]:
    auth = {"authorization": f"Bearer {READ_TOKEN}"}  # reads need the token (issue 12)
    data: dict[str, Any] = httpx.get(url + "/stats", timeout=5, headers=auth).json()
    return data


@pytest.mark.slow
def test_sigkill_mid_delivery_loses_nothing(
    tmp_path: Path,
    keys: KeyStore,
    env: dict[str, str],
    profiles: dict[str, Profile],
    processes: list[subprocess.Popen[str]],
) -> None:
    n = 400
    vids = _fill(tmp_path, keys, profiles["lodging"], n)
    receiver, url = _start_receiver(tmp_path, keys, env)
    processes.append(receiver)
    kills = 0
    for threshold in (60, 160, 260):  # kill -9 three times while deliveries are under way
        relay = _relay(tmp_path, keys, url, env)
        processes.append(relay)
        deadline = time.monotonic() + 60
        while _stats(url)["deliveries"] < threshold and relay.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if relay.poll() is None:
            relay.send_signal(signal.SIGKILL)
            kills += 1
        relay.wait(10)
    assert kills >= 2
    relay = _relay(tmp_path, keys, url, env)
    processes.append(relay)
    out, err = relay.communicate(timeout=120)
    assert relay.returncode == 0, err
    store = KioskStore(tmp_path / "kiosk.db", keys)
    try:
        assert store.counts() == {"pending": 0, "sent": n, "dead": 0}
        assert store.verify_audit().ok
    finally:
        store.close()
    stats = _stats(url)
    assert stats["deliveries"] == n and stats["distinct_verifications"] == n  # each seen (stored) once
    receiver.send_signal(signal.SIGTERM)
    r_out, r_err = receiver.communicate(timeout=10)
    for text in (out, err, r_out, r_err):
        assert TEST_ID not in text and TEST_NAME not in text
    assert vids  # all were created by this test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_receiver_down_then_up_with_real_processes(
    tmp_path: Path,
    keys: KeyStore,
    env: dict[str, str],
    profiles: dict[str, Profile],
    processes: list[subprocess.Popen[str]],
) -> None:
    n = 10
    _fill(tmp_path, keys, profiles["hospital"], n)  # FHIR + HIS webhook: 2 rows each
    port = _free_port()
    relay = _relay(tmp_path, keys, f"http://127.0.0.1:{port}", env)
    processes.append(relay)
    store = KioskStore(tmp_path / "kiosk.db", keys)
    try:
        deadline = time.monotonic() + 30
        while not any(i.attempts for i in store.list_outbox("pending")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.counts()["sent"] == 0 and any(i.attempts for i in store.list_outbox("pending"))
        receiver, url = _start_receiver(tmp_path, keys, env, port)
        processes.append(receiver)
        relay.communicate(timeout=60)
        assert relay.returncode == 0
        assert store.counts() == {"pending": 0, "sent": 2 * n, "dead": 0}
    finally:
        store.close()
    stats = _stats(url)
    assert (
        stats["per_endpoint"] == {"/webhooks/his": n} and stats["provenances"] == n and stats["patients"] == 1
    )

"""Issue 12, delivery: the receiver is killed, then the kiosk (SIGKILL both), in the middle of a
multi-profile batch (`cccd kiosk --headless --sim --profile all --scenario all` delivering to
`cccd receiver`).  After both restart, every verification is delivered exactly once — counted in the
receiver's database — with no manual step (no `cccd outbox retry`, no dead letter)."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.keys import KeyStore
from kiosk.profiles import load_profiles
from kiosk.storage import KioskStore

REPO = Path(__file__).resolve().parents[2]


def _cccd(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cccd", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    e = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(tmp_path / "data"))
    e.pop("PYTHONWARNINGS", None)
    return e


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=10)


def _receiver(tmp_path: Path, env: dict[str, str], procs: list[subprocess.Popen[str]]) -> str:
    proc = _cccd("receiver", "--port", "0", "--db", str(tmp_path / "receiver.db"), "--keys",
                 str(tmp_path / "data" / "keys"), env=env)  # fmt: skip
    procs.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening on" in line, proc.stderr.read() if proc.stderr else line
    return line.split()[-1]


class _Lines:
    """The kiosk's JSON lines, read on a thread (the pipe must never fill up)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def results(self) -> int:
        return sum('"outcome"' in x for x in self.lines)


def _until(cond: Callable[[], bool], seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def _received(db: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, verification ID) of every stored webhook delivery, and every FHIR Provenance's ID."""
    if not db.exists():
        return [], []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT endpoint, verification_id FROM deliveries").fetchall()
        hooks = [(str(e), str(v)) for e, v in rows]
        provenances = [str(r[0]) for r in conn.execute("SELECT id FROM fhir_provenance")]
    except sqlite3.OperationalError:  # the receiver has not created its tables yet
        return [], []
    finally:
        conn.close()
    return hooks, provenances


def _attempted_pending(db: Path, keys: Path) -> int:
    store = KioskStore(db, KeyStore.open(keys))
    try:
        return sum(1 for i in store.list_outbox("pending", limit=10_000) if i.attempts)
    finally:
        store.close()


@pytest.mark.slow
def test_receiver_and_kiosk_killed_mid_batch_every_verification_delivered_once(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[str]]
) -> None:
    data = tmp_path / "data"
    KeyStore.open(data / "keys")  # the receiver verifies records with the kiosk's public keys
    receiver_db = tmp_path / "receiver.db"
    url = _receiver(tmp_path, env, processes)
    batch = ("--headless", "--sim", "--profile", "all", "--scenario", "all", "--face", "ground-truth",
             "--data-dir", str(data), "--json")  # fmt: skip
    kiosk = _cccd("kiosk", *batch, "--deliver-to", url, env=env)
    processes.append(kiosk)
    out = _Lines(kiosk)
    # 13 scenarios per profile: the receiver dies during the bank's, the kiosk during the lodging's
    _until(lambda: out.results() >= 16 or kiosk.poll() is not None, 120, "the first transactions")
    assert len(_received(receiver_db)[0]) > 0
    assert kiosk.poll() is None, "the batch ended before the receiver could be killed"

    processes[0].send_signal(signal.SIGKILL)  # the receiver dies mid-batch
    processes[0].wait(10)
    done = out.results()
    _until(lambda: out.results() >= done + 12 or kiosk.poll() is not None, 120, "transactions in the outage")
    _until(lambda: _attempted_pending(data / "kiosk.db", data / "keys") > 0, 60, "failed attempts")
    assert kiosk.poll() is None, "the batch ended before the kiosk could be killed"
    kiosk.send_signal(signal.SIGKILL)  # then the kiosk, mid-batch, with rows in backoff
    kiosk.wait(10)

    store = KioskStore(data / "kiosk.db", KeyStore.open(data / "keys"))
    try:
        before = store.counts()
        assert before["pending"] > 0 and before["dead"] == 0
    finally:
        store.close()

    url = _receiver(tmp_path, env, processes)  # both come back; no one touches the outbox
    again = _cccd("kiosk", "--headless", "--sim", "--profile", "lodging", "--scenario", "happy", "--face",
                  "ground-truth", "--data-dir", str(data), "--json", "--deliver-to", url,
                  "--drain-seconds", "120", env=env)  # fmt: skip
    processes.append(again)
    _, err = again.communicate(timeout=240)
    assert again.returncode == 0, err

    store = KioskStore(data / "kiosk.db", KeyStore.open(data / "keys"))
    try:
        assert store.counts()["pending"] == 0 and store.counts()["dead"] == 0
        rows = store.list_outbox("sent", limit=100_000)
        statuses = dict(store.db.conn.execute("SELECT verification_id, status FROM results").fetchall())
        assert store.verify_audit().ok
    finally:
        store.close()
    kinds = {(p.name, c.name): c.kind for p in load_profiles().values() for c in p.connectors}
    hooks, provenances = _received(receiver_db)
    want_hooks = sorted(("/webhooks/" + r.connector, r.verification_id) for r in rows
                        if kinds[(r.profile, r.connector)] != "fhir")  # fmt: skip
    want_fhir = sorted(r.verification_id for r in rows if kinds[(r.profile, r.connector)] == "fhir"
                       and statuses[r.verification_id] == "verified")  # fmt: skip
    assert sorted(hooks) == want_hooks  # every webhook verification stored, each exactly once
    assert sorted(provenances) == want_fhir  # every verified hospital record: one Provenance
    assert len(statuses) >= 20 and len({v for _, v in hooks}) == len(statuses)  # each verification once
    profiles_seen = {r.profile for r in rows}
    assert {"hospital", "bank", "lodging"} <= profiles_seen

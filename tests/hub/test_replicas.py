"""Two hub replicas (``cccd hub serve`` processes) under load from several kiosks: one replica is killed
with SIGKILL mid-load and PostgreSQL is restarted mid-load.  Kiosks retry like their outbox relay does
(another replica on failure); afterwards every record is stored once at the hub and once at the
receiver (counted there), and the hub's outbox is drained."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from hub.pgcluster import PgCluster
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore
from tests.helpers.delivery import RunningReceiver
from tests.hub.helpers import Kiosk, add_site, deliver, record_for

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, name: str, dsn: str, tmp: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        cfg = tmp / f"{name}.toml"
        cfg.write_text(
            f'[hub]\nlease_seconds = 3.0\nworkers = 1\nworker_batch = 8\nkeys_dir = "{tmp / "hub-keys"}"\n'
        )
        argv = [
            sys.executable,
            "-m",
            "cccd",
            "hub",
            "--config",
            str(cfg),
            "--dsn",
            dsn,
            "serve",
            "--port",
            str(self.port),
            "--replica-id",
            name,
        ]
        self.log = (tmp / f"{name}.log").open("wb")
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", trust_env=False, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"replica {name} did not start")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def test_kill_replica_and_restart_postgres_mid_load(
    pg_cluster: PgCluster | None, clean_db: str, tmp_path: Path
) -> None:
    if pg_cluster is None:
        pytest.skip("restarting PostgreSQL needs the private test cluster (CCCD_HUB_DSN is set)")
    secret = new_webhook_secret()
    hub_keys = KeyStore.open(tmp_path / "hub-keys")
    receiver = RunningReceiver(tmp_path / "receiver.db", hub_keys.directory, secret)
    add_site(clean_db, deliver_to=receiver.url)
    env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, PYTHONPATH=str(REPO))
    env.pop("CCCD_HUB_DSN", None)
    a, b = Replica("replica-a", clean_db, tmp_path, env), Replica("replica-b", clean_db, tmp_path, env)
    kiosks = [Kiosk(a.url, clean_db, tmp_path, kiosk_id=f"kiosk-{i}") for i in range(4)]
    per_kiosk = 25
    sent: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def run(k: Kiosk, first: int) -> None:
        urls = [a.url, b.url]
        turn = first
        for _ in range(per_kiosk):
            record = record_for(k)
            deadline = time.monotonic() + 90
            while True:  # the kiosk's relay: retry (on the other replica) until a 2xx
                result = deliver(k, record, hub_url=urls[turn % 2])
                turn += 1
                if result.outcome == "sent":
                    break
                if result.outcome == "dead" or time.monotonic() > deadline:
                    with lock:
                        errors.append(f"{result.status} {result.error}")
                    return
                time.sleep(0.2)
            with lock:
                sent.append(record.verification_id)

    threads = [threading.Thread(target=run, args=(k, i)) for i, k in enumerate(kiosks)]
    try:
        for t in threads:
            t.start()
        while len(sent) < 20:
            time.sleep(0.05)
        a.proc.send_signal(signal.SIGKILL)  # replica A dies mid-load, leases and all
        a.proc.wait()
        while len(sent) < 50:
            time.sleep(0.05)
        pg_cluster.restart("fast")  # PostgreSQL restarts mid-load
        for t in threads:
            t.join(180)
        assert not errors, errors[:3]
        n = len(kiosks) * per_kiosk
        assert len(sent) == n and len(set(sent)) == n
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with psycopg.connect(clean_db) as conn:
                left = conn.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone()
            if left == (0,):
                break
            time.sleep(0.5)
        with psycopg.connect(clean_db) as conn:
            assert conn.execute("SELECT count(*) FROM records").fetchone() == (n,)
            assert conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall() == [
                ("sent", 2 * n)
            ]
        stats = receiver.store.stats()
        print(f"receiver: {stats}")  # repeated deliveries (at least once) show as 'duplicates', stored once
        assert stats["per_endpoint"]["/webhooks/his"] == n  # each record stored once downstream
        assert stats["distinct_verifications"] == n and stats["provenances"] == n
    finally:
        for k in kiosks:
            k.close()
        a.stop()
        b.stop()
        receiver.stop()

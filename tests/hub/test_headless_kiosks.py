"""Three kiosks — ``cccd kiosk --headless --sim`` processes running every scenario (hospital, bank,
lodging) — enrolled with the hub and delivering through it (their own connectors and outbox, pointed at
the hub with ``--deliver-to``); the hub fans the records out to the reference receiver.  Every record a
kiosk made is stored once at the hub and once at the receiver; the bank's biometric evidence reaches the
bank and leaves the hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from hub import admin
from hub.client import enrol
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore
from tests.helpers.delivery import RunningReceiver
from tests.hub.helpers import RunningHub, settings_for, token

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
KIOSKS = (("hospital", "bv-1"), ("bank", "nh-1"), ("lodging", "ks-1"))


def test_headless_kiosks_through_the_hub(clean_db: str, tmp_path: Path) -> None:
    fanout_secret = new_webhook_secret()
    (tmp_path / "fanout-secret").write_text(fanout_secret)
    hub_keys = KeyStore.open(tmp_path / "hub-keys")
    receiver = RunningReceiver(tmp_path / "receiver.db", hub_keys.directory, fanout_secret)
    hub = RunningHub(settings_for(clean_db, tmp_path, workers=1), background=True)
    procs = []
    try:
        with psycopg.connect(clean_db, autocommit=True) as conn:
            for profile, site in KIOSKS:
                admin.add_site(
                    conn, "test", site, site, profile, receiver.url, f"file:{tmp_path / 'fanout-secret'}"
                )
        for profile, site in KIOSKS:
            data = tmp_path / f"kiosk-{profile}"
            kiosk_id = f"{site}-kiosk-1"
            enrolment = enrol(hub.url, token(clean_db, site), kiosk_id, KeyStore.open(data / "keys"))
            env = dict(os.environ, CCCD_WEBHOOK_SECRET=enrolment.webhook_secret, PYTHONPATH=str(REPO))
            argv = [
                sys.executable,
                "-m",
                "cccd",
                "kiosk",
                "--headless",
                "--sim",
                "--profile",
                profile,
                "--scenario",
                "all",
                "--face",
                "ground-truth",
                "--json",
                "--data-dir",
                str(data),
                "--device-id",
                kiosk_id,
                "--site-id",
                site,
                "--deliver-to",
                f"{hub.url}/v1/kiosks/{kiosk_id}",
            ]
            procs.append(
                subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            )
        made: set[str] = set()
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()[-2000:]
            for line in out.decode().splitlines():
                item = json.loads(line)
                if item.get("verification_id"):
                    made.add(item["verification_id"])
                if "outbox" in item:  # every record left the kiosk's outbox: the hub answered 2xx
                    assert not item["outbox"].get("dead") and not item["outbox"].get("pending"), item
        assert len(made) >= 15
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with psycopg.connect(clean_db) as conn:
                left = conn.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone()
            if left == (0,):
                break
            time.sleep(0.3)
        with psycopg.connect(clean_db) as conn:
            stored = {r[0] for r in conn.execute("SELECT verification_id FROM records")}
            assert conn.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM record_evidence").fetchone() == (0,)
        assert stored == made
        stats = receiver.store.stats()
        assert stats["distinct_verifications"] == len(made) and stats["duplicates"] == 0
        assert set(stats["per_endpoint"]) == {"/webhooks/his", "/webhooks/bank", "/webhooks/pms"}
        assert stats["provenances"] >= 1  # the hospital's verified records also went to FHIR
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        hub.stop()
        receiver.stop()

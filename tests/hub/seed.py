"""A small fleet for the console tests and screenshots: three sites, kiosks that enrol, report heartbeats
and deliver records through the real API; then the records' arrival times are spread over the last day
(the only direct write) so the hourly plot has a shape."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import psycopg

from hub import admin
from tests.helpers.delivery import CHIP_CLONE, CHIP_OK, FACE_MISMATCH, FACE_OK
from tests.hub.helpers import Kiosk, RunningHub, add_site, deliver, record_for

SITES = (("bv-bach-mai", "hospital"), ("nh-chi-nhanh-1", "bank"), ("ks-hoan-kiem", "lodging"))
READERS = ("ACS ACR1252U", "Identiv uTrust 3700F", "HID OMNIKEY 5422")
PASSWORD = "mat-khau-thu-nghiem"


def seed(hub: RunningHub, dsn: str, tmp: Path, records_per_kiosk: int = 8) -> list[Kiosk]:
    rng = random.Random(7)
    kiosks: list[Kiosk] = []
    for site, profile in SITES:
        add_site(dsn, site, profile, deliver_to="http://127.0.0.1:9")
    with psycopg.connect(dsn, autocommit=True) as conn:
        admin.add_operator(conn, "seed", "admin", PASSWORD, "fleet_admin", None, "vi")
        admin.add_operator(conn, "seed", "bachmai", PASSWORD, "site_operator", "bv-bach-mai", "vi")
        admin.add_operator(conn, "seed", "auditor", PASSWORD, "auditor", None, "en")
    for s, (site, profile) in enumerate(SITES):
        for i in range(2):
            k = Kiosk(hub, dsn, tmp, kiosk_id=f"{site}-k{i + 1}", site_id=site)
            k.identity = replace(k.identity, reader_model=READERS[(s + i) % len(READERS)])
            kiosks.append(k)
            for _ in range(records_per_kiosk):
                roll = rng.random()
                face = replace(FACE_OK, score=round(rng.uniform(0.55, 0.95), 3))
                chip = replace(CHIP_OK, downgraded=rng.random() < 0.2)
                if roll < 0.1:
                    chip, face = CHIP_CLONE, face
                elif roll < 0.2:
                    face = replace(FACE_MISMATCH, score=round(rng.uniform(0.05, 0.4), 3))
                elif roll < 0.3:
                    chip = None  # type: ignore[assignment]
                connector = {"hospital": "his", "bank": "bank", "lodging": "pms"}[profile]
                assert deliver(k, record_for(k, profile, chip=chip, face=face), connector).outcome == "sent"
            if not (s == 2 and i == 1):  # one kiosk never reports: offline
                k.client.heartbeat(
                    {
                        "version": "0.1.0",
                        "outbox_backlog": rng.randint(0, 3),
                        "reader": {"model": k.identity.reader_model, "ok": True},
                        "last_errors": [] if i == 0 else ["camera: frame timeout"],
                    }
                )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE records SET received_at = now() - (random() * interval '23 hours')")
        conn.execute(
            "UPDATE outbox SET state = 'dead', attempts = 12, last_status = 404, "
            "last_error = 'HTTP 404' WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 4)"
        )
        conn.execute(
            "UPDATE outbox SET state = 'dead', attempts = 12, last_status = 404, last_error = 'HTTP 404'"
            " WHERE id IN (SELECT id FROM outbox WHERE site_id = 'nh-chi-nhanh-1' ORDER BY id LIMIT 2)"
        )
    return kiosks

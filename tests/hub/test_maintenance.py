"""Retention purge against real rows (arrival times moved into the past)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hub import db, maintenance
from hub.config import HubSettings
from tests.hub.helpers import Kiosk, RunningHub, add_site, deliver, record_for, settings_for


@pytest.fixture
def kiosk(clean_db: str, tmp_path: Path) -> Iterator[Kiosk]:
    add_site(clean_db)
    hub = RunningHub(settings_for(clean_db, tmp_path))
    k = Kiosk(hub, clean_db, tmp_path)
    yield k
    k.close()
    hub.stop()


def test_purge_keeps_what_retention_and_dead_letters_need(kiosk: Kiosk, clean_db: str) -> None:
    ids = []
    for _ in range(3):
        record = record_for(kiosk)
        assert deliver(kiosk, record).outcome == "sent"
        ids.append(record.verification_id)
    kiosk.client.heartbeat({"version": "1"})
    with psycopg.connect(clean_db, autocommit=True) as conn:
        # ids[0]: old and fully delivered → purged; ids[1]: old with a dead letter → kept; ids[2]: recent
        conn.execute(
            "UPDATE records SET received_at = now() - interval '40 days' WHERE verification_id = ANY(%s)",
            (ids[:2],),
        )
        conn.execute("UPDATE outbox SET state = 'sent'")
        conn.execute(
            "UPDATE outbox SET state = 'dead' WHERE record_id = (SELECT id FROM records "
            "WHERE verification_id = %s) AND connector = 'his'",
            (ids[1],),
        )
        conn.execute("UPDATE heartbeats SET at = now() - interval '8 days'")
    pool = db.sync_pool(clean_db, 1)
    try:
        counts = maintenance.purge(
            pool, HubSettings(dsn=clean_db, retention_days=30, heartbeat_retention_days=7)
        )
    finally:
        pool.close()
    assert counts["records"] == 1 and counts["heartbeats"] == 1
    with psycopg.connect(clean_db) as conn:
        left = {r[0] for r in conn.execute("SELECT verification_id FROM records")}
        assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (
            4,
        )  # the purged record's rows went too
    assert left == {ids[1], ids[2]}

"""The hub's tests run against a real PostgreSQL: a private cluster started once per session (in
build/pytest-pg) and stopped at the end, or the server named by ``CCCD_HUB_DSN`` (docs/hub.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hub import db
from hub.pgcluster import PgCluster, create_database
from tests.hub.helpers import Kiosk, RunningHub, settings_for
from tests.hub.seed import seed

REPO = Path(__file__).resolve().parents[2]
TABLES = (
    "record_evidence",
    "audit",
    "sessions",
    "operators",
    "heartbeats",
    "outbox",
    "records",
    "seen_requests",
    "kiosk_keys",
    "kiosks",
    "enrol_tokens",
    "sites",
)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster | None]:
    if os.environ.get("CCCD_HUB_DSN"):
        yield None
        return
    cluster = PgCluster(REPO / "build" / "pytest-pg")
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def hub_dsn(pg_cluster: PgCluster | None) -> str:
    if pg_cluster is None:
        dsn = os.environ["CCCD_HUB_DSN"]
    else:
        admin = pg_cluster.dsn()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS hub_test WITH (FORCE)")
        dsn = create_database(admin, "hub_test")
    db.migrate(dsn)
    return dsn


@pytest.fixture
def clean_db(hub_dsn: str) -> str:
    """The test database, emptied (schema kept)."""
    with psycopg.connect(hub_dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return hub_dsn


@pytest.fixture(scope="module")
def console_fleet(hub_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningHub, str]]:
    with psycopg.connect(hub_dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    tmp = tmp_path_factory.mktemp("console")
    hub = RunningHub(settings_for(hub_dsn, tmp))
    kiosks: list[Kiosk] = seed(hub, hub_dsn, tmp, records_per_kiosk=4)
    yield hub, hub_dsn
    for k in kiosks:
        k.close()
    hub.stop()

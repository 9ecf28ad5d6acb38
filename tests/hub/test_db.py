"""Migrations and the private cluster (real PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from hub import db
from hub.pgcluster import ClusterError, PgCluster


def test_migrations_are_versioned_and_idempotent(hub_dsn: str) -> None:
    assert db.migrate(hub_dsn) == []  # the session fixture applied them already
    assert db.schema_version(hub_dsn) == max(m.version for m in db.migrations())
    with psycopg.connect(hub_dsn) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [m.name for m in db.migrations()]


def test_fsync_is_on(hub_dsn: str) -> None:
    with psycopg.connect(hub_dsn) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("on",)
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_cluster_folder_the_server_user_cannot_reach_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root hands the cluster to the cccd-pg user")
    tmp_path.chmod(0o700)
    with pytest.raises(ClusterError, match="cannot reach"):
        PgCluster(tmp_path / "pg").init()

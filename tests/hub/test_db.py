"""Migrations and the private cluster (real PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from hub import db
from hub.pgcluster import PgCluster


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


def test_a_folder_the_server_user_cannot_reach_moves_the_cluster_to_one_it_can(tmp_path: Path) -> None:
    """A clone in root's 0700 home or in a ``mktemp -d`` folder (CI): the cluster lives in a folder of its own
    under the system's temporary directory, found again for the same path (hub.pgcluster.reachable_home)."""
    if os.geteuid() != 0:
        pytest.skip("only root hands the cluster to the cccd-pg user")
    tmp_path.chmod(0o700)
    cluster = PgCluster(tmp_path / "pg")
    assert not cluster.directory.is_relative_to(tmp_path)
    assert cluster.directory == PgCluster(tmp_path / "pg").directory
    assert PgCluster(Path("/tmp") / "reachable").directory == Path("/tmp/reachable")

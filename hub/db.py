"""PostgreSQL access: versioned migrations and connection pools (docs/hub.md, "PostgreSQL").

Migrations are the files ``hub/migrations/NNNN_name.sql``, applied in order, each in its own transaction
together with its row in ``schema_migrations``; a transaction-level advisory lock makes two replicas that
start at once apply each migration exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x63636364  # "cccd": the advisory lock serialising migrations


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    out = []
    for entry in resources.files("hub.migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            out.append(Migration(int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    if len({m.version for m in out}) != len(out):
        raise RuntimeError("two migrations share a version number")
    return out


def migrate(dsn: str) -> list[str]:
    """Apply the pending migrations; return the names applied (empty when up to date)."""
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY, name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
        for m in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (m.version,))
                if done.fetchone() is not None:
                    continue
                conn.execute(m.sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name)
                )
                applied.append(m.name)
    return applied


def schema_version(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0


def async_pool(dsn: str, size: int) -> AsyncConnectionPool:
    """The service's pool (opened by the application's lifespan)."""
    return AsyncConnectionPool(
        dsn,
        min_size=min(2, size),
        max_size=size,
        open=False,
        kwargs={"autocommit": True},
        timeout=10.0,
        reconnect_timeout=60.0,
    )


def sync_pool(dsn: str, size: int) -> ConnectionPool:
    """The fan-out workers' and CLI's pool."""
    return ConnectionPool(
        dsn,
        min_size=1,
        max_size=size,
        open=True,
        kwargs={"autocommit": True},
        timeout=10.0,
        reconnect_timeout=60.0,
    )

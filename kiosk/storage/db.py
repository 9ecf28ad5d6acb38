"""The kiosk's SQLite database: WAL journal, full fsync on commit, explicit immediate transactions.

Durability (SQLite "WAL mode" and "PRAGMA synchronous"): with ``journal_mode=WAL`` and
``synchronous=FULL`` a committed transaction survives power loss and ``kill -9``; a transaction not
committed leaves no trace.  Every write path here runs inside :meth:`Database.transaction`.

Schema versions (``PRAGMA user_version``): version 1 is :data:`_SCHEMA`; each later version is one entry
of :data:`_MIGRATIONS`, applied in order inside the opening transaction, so a database of any earlier
version is brought up to date atomically (a newer, unknown version is refused).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    verification_id TEXT PRIMARY KEY,
    profile         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('verified', 'not_verified', 'referred')),
    reasons         TEXT NOT NULL,
    record          BLOB NOT NULL,            -- sealed (AES-GCM) record JSON
    consent_id      TEXT,
    created_at      REAL NOT NULL,
    purge_after     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS consents (
    consent_id       TEXT PRIMARY KEY,
    profile          TEXT NOT NULL,
    text_sha256      TEXT NOT NULL,
    language         TEXT NOT NULL,
    purposes_offered TEXT NOT NULL,
    purposes_given   TEXT NOT NULL,
    method           TEXT NOT NULL,
    device_id        TEXT NOT NULL,
    given_at         REAL NOT NULL,
    purge_after      REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    verification_id    TEXT NOT NULL REFERENCES results (verification_id),
    profile            TEXT NOT NULL,
    connector          TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    REAL NOT NULL,
    last_status        INTEGER,
    last_error         TEXT,
    created_at         REAL NOT NULL,
    sent_at            REAL,
    dead_at            REAL,
    carries_biometrics INTEGER NOT NULL DEFAULT 0,
    keep_days          INTEGER NOT NULL,
    UNIQUE (verification_id, connector)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS biometric_evidence (
    verification_id TEXT PRIMARY KEY REFERENCES results (verification_id),
    sealed          BLOB NOT NULL,
    created_at      REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq   INTEGER PRIMARY KEY,
    at    REAL NOT NULL,
    event TEXT NOT NULL,
    data  TEXT NOT NULL,
    prev  TEXT NOT NULL,
    mac   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_anchor (
    name TEXT PRIMARY KEY CHECK (name IN ('head', 'base')),
    seq  INTEGER NOT NULL,
    mac  TEXT NOT NULL,
    tag  TEXT NOT NULL
);
"""

# version → the statements that bring version - 1 to it.
_MIGRATIONS: dict[int, str] = {
    # 2: hospital queue numbers, one counter per local day and department (kiosk.storage.queue).
    2: """
CREATE TABLE IF NOT EXISTS queue_counters (
    day         TEXT NOT NULL,                -- the kiosk's local date, YYYY-MM-DD
    department  TEXT NOT NULL,                -- the department's code (the number's prefix)
    last_number INTEGER NOT NULL CHECK (last_number > 0),
    updated_at  REAL NOT NULL,
    PRIMARY KEY (day, department)
);
""",
}


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


class StorageError(Exception):
    """The database cannot be opened or is not this kiosk's schema."""


class Database:
    """One connection to the kiosk database (use one per thread or process)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            with self.transaction():
                version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
                if not 0 <= version <= SCHEMA_VERSION:
                    raise StorageError(f"{self.path.name}: schema version {version} is not supported")
                if version == 0:
                    for statement in _statements(_SCHEMA):
                        self.conn.execute(statement)
                for target in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                    for statement in _statements(_MIGRATIONS[target]):
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path.name}: cannot open ({exc})") from None
        if str(mode).lower() != "wal":
            raise StorageError(f"{self.path.name}: WAL journal mode not available")
        self.path.chmod(0o600)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on any exception)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

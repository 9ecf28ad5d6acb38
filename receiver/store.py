"""The reference receiver's SQLite store: one delivery per verification ID, FHIR resources (docs/receiver.md).

WAL journal with ``synchronous=FULL``: a 2xx is answered only after the row is durable, so the kiosk may
forget a delivery the moment it sees the 2xx.  The database and its ``-wal``/``-shm`` files are created
0600 (they hold IDs, names and, for a bank, face images): the umask is tightened before SQLite creates
them — SQLite gives the journal files the database file's mode — and existing files are narrowed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = (
    # One row per verification ID, whatever the webhook-id suffix, endpoint or path it came on.
    """CREATE TABLE IF NOT EXISTS deliveries (
        verification_id TEXT NOT NULL PRIMARY KEY, endpoint TEXT NOT NULL, received_at REAL NOT NULL,
        body BLOB NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS fhir_patient (
        id TEXT PRIMARY KEY, system TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,
        resource TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS fhir_patient_identifier ON fhir_patient (system, value)",
    """CREATE TABLE IF NOT EXISTS fhir_provenance (
        id TEXT PRIMARY KEY, target TEXT NOT NULL, version INTEGER NOT NULL, resource TEXT NOT NULL)""",
    # Coverage and Encounter of a hospital record (kiosk.insurance.mapping), by type and id
    """CREATE TABLE IF NOT EXISTS fhir_resource (
        type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, resource TEXT NOT NULL,
        PRIMARY KEY (type, id))""",
)
FILE_MODE = 0o600


class StoreError(Exception):
    """The database cannot be opened or used (the message names the file, never its contents)."""


def _narrow(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            os.chmod(p, FILE_MODE)


class ReceiverStore:
    """Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        old = os.umask(0o077)
        try:
            if path.is_dir():
                raise StoreError(f"{path}: is a directory, not a database file")
            _narrow(path)
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = FULL")
                self.conn.execute("PRAGMA busy_timeout = 10000")
                for statement in _SCHEMA:
                    self.conn.execute(statement)
            except BaseException:
                self.conn.close()
                raise
            _narrow(path)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot be used as the receiver database ({exc})") from None
        finally:
            os.umask(old)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction (``BEGIN IMMEDIATE``: its reads and writes see no other writer), committed
        durably, rolled back on any error."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def store_delivery(self, endpoint: str, verification_id: str, body: bytes, now: float) -> bool:
        """True when new, False when this verification was already stored (one durable commit)."""
        with self._writing():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO deliveries (verification_id, endpoint, received_at, body) "
                "VALUES (?, ?, ?, ?)", (verification_id, endpoint, now, body))  # fmt: skip
            new = cur.rowcount == 1
            if not new:
                sql = "UPDATE deliveries SET duplicates = duplicates + 1 WHERE verification_id = ?"
                self.conn.execute(sql, (verification_id,))
        return new

    def put_patient(self, system: str, value: str, resource: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """FHIR conditional update: (201, created) / (200, updated) / (412, {}) on multiple matches."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                sql = "SELECT id, version FROM fhir_patient WHERE system = ? AND value = ?"
                rows = self.conn.execute(sql, (system, value)).fetchall()
                if len(rows) > 1:
                    self.conn.execute("ROLLBACK")
                    return 412, {}
                pid, version = (str(rows[0][0]), int(rows[0][1]) + 1) if rows else (uuid.uuid4().hex, 1)
                stored = dict(resource, id=pid, meta=dict(resource.get("meta") or {}, versionId=str(version)))
                self.conn.execute(
                    "INSERT OR REPLACE INTO fhir_patient VALUES (?, ?, ?, ?, ?)",
                    (pid, system, value, version, json.dumps(stored, ensure_ascii=False)),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return (200 if rows else 201), stored

    def patient_identifier(self, pid: str) -> tuple[str, str] | None:
        """(system, value) of the stored Patient ``pid``, or None."""
        with self._lock:
            row = self.conn.execute("SELECT system, value FROM fhir_patient WHERE id = ?", (pid,)).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def patient_exists(self, pid: str) -> bool:
        return self.patient_identifier(pid) is not None

    def find_patients(self, system: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.conn.execute("SELECT resource FROM fhir_patient WHERE system = ? AND value = ?",
                                     (system, value)).fetchall()  # fmt: skip
        return [json.loads(r[0]) for r in rows]

    def put_provenance(self, pid: str, target: str, resource: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._writing():
            row = self.conn.execute("SELECT version FROM fhir_provenance WHERE id = ?", (pid,)).fetchone()
            version = int(row[0]) + 1 if row else 1
            stored = dict(resource, meta=dict(resource.get("meta") or {}, versionId=str(version)))
            self.conn.execute("INSERT OR REPLACE INTO fhir_provenance VALUES (?, ?, ?, ?)",
                              (pid, target, version, json.dumps(stored, ensure_ascii=False)))  # fmt: skip
        return (200 if row else 201), stored

    def put_resource(self, type_: str, rid: str, resource: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Update-as-create of a Coverage or Encounter (FHIR R4 http.html §3.1.0.4): 201 new, 200 updated."""
        with self._writing():  # the version read and the row written in one transaction
            row = self.conn.execute("SELECT version FROM fhir_resource WHERE type = ? AND id = ?",
                                    (type_, rid)).fetchone()  # fmt: skip
            version = int(row[0]) + 1 if row else 1
            stored = dict(resource, meta=dict(resource.get("meta") or {}, versionId=str(version)))
            self.conn.execute("INSERT OR REPLACE INTO fhir_resource VALUES (?, ?, ?, ?)",
                              (type_, rid, version, json.dumps(stored, ensure_ascii=False)))  # fmt: skip
        return (200 if row else 201), stored

    def resources(self, type_: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.conn.execute("SELECT resource FROM fhir_resource WHERE type = ? ORDER BY id",
                                     (type_,)).fetchall()  # fmt: skip
        return [json.loads(r[0]) for r in rows]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            q = self.conn.execute
            per = q("SELECT endpoint, COUNT(*) FROM deliveries GROUP BY endpoint").fetchall()
            deliveries = int(q("SELECT COUNT(*) FROM deliveries").fetchone()[0])
            duplicates = int(q("SELECT COALESCE(SUM(duplicates), 0) FROM deliveries").fetchone()[0])
            return {
                "deliveries": deliveries,
                "distinct_verifications": deliveries,  # one row per verification ID (the primary key)
                "duplicates": duplicates,
                "attempts": deliveries + duplicates,
                "patients": int(q("SELECT COUNT(*) FROM fhir_patient").fetchone()[0]),
                "provenances": int(q("SELECT COUNT(*) FROM fhir_provenance").fetchone()[0]),
                "per_endpoint": {str(e): int(n) for e, n in per},
            }  # fmt: skip

"""The reference receiver's SQLite store: deliveries deduplicated on (endpoint, webhook-id), FHIR resources.

WAL journal with ``synchronous=FULL``: a 2xx is answered only after the row is durable, so the kiosk may
forget a delivery the moment it sees the 2xx.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS deliveries (
        endpoint TEXT NOT NULL, webhook_id TEXT NOT NULL, verification_id TEXT NOT NULL,
        received_at REAL NOT NULL, body BLOB NOT NULL, PRIMARY KEY (endpoint, webhook_id))""",
    """CREATE TABLE IF NOT EXISTS attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, webhook_id TEXT,
        at REAL NOT NULL, outcome TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS fhir_patient (
        id TEXT PRIMARY KEY, system TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,
        resource TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS fhir_patient_identifier ON fhir_patient (system, value)",
    """CREATE TABLE IF NOT EXISTS fhir_provenance (
        id TEXT PRIMARY KEY, target TEXT NOT NULL, version INTEGER NOT NULL, resource TEXT NOT NULL)""",
    # Coverage and Encounter (kiosk.insurance.mapping), stored by type and id
    """CREATE TABLE IF NOT EXISTS fhir_resource (
        type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, resource TEXT NOT NULL,
        PRIMARY KEY (type, id))""",
)


class ReceiverStore:
    """Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA busy_timeout = 10000")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def attempt(self, endpoint: str, webhook_id: str | None, outcome: str, now: float) -> None:
        with self._lock:
            self.conn.execute("INSERT INTO attempts (endpoint, webhook_id, at, outcome) VALUES (?, ?, ?, ?)",
                              (endpoint, webhook_id, now, outcome))  # fmt: skip

    def store_delivery(self, endpoint: str, webhook_id: str, verification_id: str, body: bytes,
                       now: float) -> bool:  # fmt: skip
        """True when new, False when this (endpoint, webhook-id) was already stored (one commit)."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?)",
                    (endpoint, webhook_id, verification_id, now, body))  # fmt: skip
                new = cur.rowcount == 1
                sql = "INSERT INTO attempts (endpoint, webhook_id, at, outcome) VALUES (?, ?, ?, ?)"
                self.conn.execute(sql, (endpoint, webhook_id, now, "stored" if new else "duplicate"))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
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
                self.conn.execute("INSERT OR REPLACE INTO fhir_patient VALUES (?, ?, ?, ?, ?)",
                                  (pid, system, value, version, json.dumps(stored, ensure_ascii=False)))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return (200 if rows else 201), stored

    def patient_exists(self, pid: str) -> bool:
        with self._lock:
            return self.conn.execute("SELECT 1 FROM fhir_patient WHERE id = ?", (pid,)).fetchone() is not None

    def find_patients(self, system: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.conn.execute("SELECT resource FROM fhir_patient WHERE system = ? AND value = ?",
                                     (system, value)).fetchall()  # fmt: skip
        return [json.loads(r[0]) for r in rows]

    def put_provenance(self, pid: str, target: str, resource: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            row = self.conn.execute("SELECT version FROM fhir_provenance WHERE id = ?", (pid,)).fetchone()
            version = int(row[0]) + 1 if row else 1
            stored = dict(resource, meta=dict(resource.get("meta") or {}, versionId=str(version)))
            self.conn.execute("INSERT OR REPLACE INTO fhir_provenance VALUES (?, ?, ?, ?)",
                              (pid, target, version, json.dumps(stored, ensure_ascii=False)))  # fmt: skip
        return (200 if row else 201), stored

    def put_resource(self, type_: str, rid: str, resource: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Update-as-create of a Coverage or Encounter (FHIR R4 http.html §3.1.0.4): 201 new, 200 updated."""
        with self._lock:
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
            return {
                "deliveries": int(q("SELECT COUNT(*) FROM deliveries").fetchone()[0]),
                "distinct_verifications": int(
                    q("SELECT COUNT(DISTINCT verification_id) FROM deliveries").fetchone()[0]),
                "attempts": int(q("SELECT COUNT(*) FROM attempts").fetchone()[0]),
                "duplicates": int(
                    q("SELECT COUNT(*) FROM attempts WHERE outcome = 'duplicate'").fetchone()[0]),
                "patients": int(q("SELECT COUNT(*) FROM fhir_patient").fetchone()[0]),
                "provenances": int(q("SELECT COUNT(*) FROM fhir_provenance").fetchone()[0]),
                "per_endpoint": {str(e): int(n) for e, n in per},
            }  # fmt: skip

"""Results, consent records and the transactional outbox (integrations.md, "Delivering it").

:meth:`KioskStore.save_verification` writes the sealed record, one outbox row per connector of the
profile, the sealed biometric evidence (bank profile only) and the audit entry in **one** SQLite
transaction: either all of it is durable or none of it is.  The relay reads the outbox
(:meth:`due`) and records each outcome (:meth:`mark_sent`, :meth:`mark_retry`, :meth:`mark_dead`);
a 2xx on the last connector carrying biometric evidence deletes that evidence in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.keys import KeyStore
from kiosk.profiles import EvidencePolicy, Profile
from kiosk.record import BiometricImages, ConsentRecord, VerificationRecord
from kiosk.storage.audit import AuditReport, append_audit, verify_audit
from kiosk.storage.db import Database
from kiosk.storage.queue import issue_number
from kiosk.storage.retention import DAY, PurgeReport, purge
from kiosk.storage.seal import Sealer
from reader.lds.mrz import mask_id


class OutboxError(ValueError):
    """An outbox operation refers to rows that do not exist or are in the wrong state."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    verification_id: str
    profile: str
    connector: str
    state: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    carries_biometrics: bool


_SELECT_DUE = """SELECT id, verification_id, profile, connector, state, attempts, next_attempt_at,
    last_status, last_error, carries_biometrics FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
    ORDER BY next_attempt_at, id LIMIT ?"""
_SELECT_DUE_OF = """SELECT id, verification_id, profile, connector, state, attempts, next_attempt_at,
    last_status, last_error, carries_biometrics FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
    AND profile IN ({}) ORDER BY next_attempt_at, id LIMIT ?"""
_SELECT_ALL = """SELECT id, verification_id, profile, connector, state, attempts, next_attempt_at,
    last_status, last_error, carries_biometrics FROM outbox WHERE (? IS NULL OR state = ?)
    ORDER BY id LIMIT ?"""
_MARK_SENT = """UPDATE outbox SET state = 'sent', attempts = ?, last_status = ?, last_error = NULL,
    sent_at = ? WHERE id = ? AND state = 'pending'"""
_MARK_RETRY = """UPDATE outbox SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?
    WHERE id = ? AND state = 'pending'"""
_MARK_DEAD = """UPDATE outbox SET state = 'dead', attempts = ?, last_status = ?, last_error = ?, dead_at = ?
    WHERE id = ? AND state = 'pending'"""
_BIO_LEFT = """SELECT COUNT(*) FROM outbox WHERE verification_id = ? AND carries_biometrics = 1
    AND state != 'sent'"""


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5]),
                      float(row[6]), row[7], row[8], bool(row[9]))  # fmt: skip


class KioskStore:
    """The kiosk database plus the keys that seal it and chain its audit log."""

    def __init__(self, db_path: Path, keys: KeyStore) -> None:
        self.db = Database(db_path)
        self._sealer = Sealer(keys.secret("storage"))
        self._audit_key = keys.secret("audit")

    def close(self) -> None:
        self.db.close()

    def audit(self, event: str, data: dict[str, Any], now: float) -> int:
        """Append an audit entry on its own (events with no other write, e.g. a refused consent)."""
        with self.db.transaction() as conn:
            return append_audit(conn, self._audit_key, event, data, now)

    def verify_audit(self) -> AuditReport:
        return verify_audit(self.db.conn, self._audit_key)

    def purge(self, now: float, audit_days: int) -> PurgeReport:
        """Apply retention (:mod:`kiosk.storage.retention`)."""
        return purge(self.db, self._audit_key, now, audit_days)

    # --- hospital queue numbers -------------------------------------------------------------------------

    def issue_queue_number(self, department: str, day: date, now: float, profile: str = "") -> int:
        """The next queue number of ``department`` on the local ``day`` (:mod:`kiosk.storage.queue`),
        with its audit entry, in one durable transaction."""
        with self.db.transaction() as conn:
            number = issue_number(conn, department, day, now)
            append_audit(conn, self._audit_key, "queue.issued",
                         {"profile": profile, "department": department, "day": day.isoformat(),
                          "number": number}, now)  # fmt: skip
        return number

    # --- consent ---------------------------------------------------------------------------------------

    def save_consent(self, consent: ConsentRecord, profile: Profile, now: float) -> None:
        """Store a consent record (given or refused) with its audit entry."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO consents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (consent.consent_id, consent.profile, consent.text_sha256, consent.language,
                 json.dumps(consent.purposes_offered), json.dumps(consent.purposes_given), consent.method,
                 consent.device_id, consent.given_at.timestamp(),
                 now + profile.retention.consent_days * DAY),
            )  # fmt: skip
            append_audit(conn, self._audit_key, "consent.recorded",
                         {"consent_id": consent.consent_id, "profile": profile.name,
                          "purposes": list(consent.purposes_given), "covers": consent.covers(profile)},
                         now)  # fmt: skip

    # --- results + outbox ------------------------------------------------------------------------------

    def save_verification(
        self,
        record: VerificationRecord,
        profile: Profile,
        now: float,
        *,
        images: BiometricImages | None = None,
        id_number: str | None = None,
    ) -> list[int]:
        """Result, outbox rows, biometric evidence and audit entry, atomically.  Returns the outbox ids.

        ``images`` are kept only when the profile says ``deliver_then_delete``; otherwise passing them is
        an error (they must never reach storage).  ``id_number`` is used only masked, for the audit.
        """
        keep = images is not None
        if keep and profile.biometric_evidence is not EvidencePolicy.DELIVER_THEN_DELETE:
            raise ValueError(f"profile {profile.name!r} never stores biometric evidence")
        vid = record.verification_id
        sealed = self._sealer.seal(record.to_json(), b"results|" + vid.encode())
        ids: list[int] = []
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (vid, profile.name, record.status, json.dumps(record.reasons), sealed,
                 record.document.get("consent", {}).get("consent_id"), now,
                 now + profile.retention.results_days * DAY),
            )  # fmt: skip
            if keep and images is not None:
                blob = json.dumps({"live": images.live_jpeg.hex(), "chip": images.chip_image.hex(),
                                   "chip_type": images.chip_image_type}).encode()  # fmt: skip
                conn.execute("INSERT INTO biometric_evidence VALUES (?, ?, ?)",
                             (vid, self._sealer.seal(blob, b"bio|" + vid.encode()), now))  # fmt: skip
            for c in profile.connectors:
                cur = conn.execute(
                    "INSERT INTO outbox (verification_id, profile, connector, state, next_attempt_at, "
                    "created_at, carries_biometrics, keep_days) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
                    (vid, profile.name, c.name, now, now, int(keep), profile.retention.outbox_sent_days),
                )
                ids.append(int(cur.lastrowid or 0))
            append_audit(conn, self._audit_key, "verification.stored",
                         {"verification_id": vid, "profile": profile.name, "status": record.status,
                          "reasons": list(record.reasons), "biometrics_kept": keep, "outbox": ids,
                          "subject": mask_id(id_number) if id_number else None}, now)  # fmt: skip
        return ids

    def record(self, verification_id: str) -> dict[str, Any]:
        """The stored record document (opened)."""
        row = self.db.conn.execute("SELECT record FROM results WHERE verification_id = ?",
                                   (verification_id,)).fetchone()  # fmt: skip
        if row is None:
            raise OutboxError("no such verification")
        data: dict[str, Any] = json.loads(self._sealer.open(row[0], b"results|" + verification_id.encode()))
        return data

    def records(self, profile: str, status: str | None = None, since: float = 0.0) -> list[dict[str, Any]]:
        """Stored records of one profile (optionally one status) created at or after ``since``."""
        sql = ("SELECT verification_id, record FROM results WHERE profile = ? AND (? IS NULL OR status = ?) "
               "AND created_at >= ? ORDER BY created_at")  # fmt: skip
        rows = self.db.conn.execute(sql, (profile, status, status, since)).fetchall()
        return [json.loads(self._sealer.open(r[1], b"results|" + str(r[0]).encode())) for r in rows]

    def record_ids(self, profile: str, status: str | None = None) -> list[str]:
        """The verification IDs of one profile's stored records (optionally one status), oldest first —
        without opening them."""
        sql = ("SELECT verification_id FROM results WHERE profile = ? AND (? IS NULL OR status = ?) "
               "ORDER BY created_at")  # fmt: skip
        return [str(r[0]) for r in self.db.conn.execute(sql, (profile, status, status)).fetchall()]

    def biometric_images(self, verification_id: str) -> BiometricImages | None:
        row = self.db.conn.execute("SELECT sealed FROM biometric_evidence WHERE verification_id = ?",
                                   (verification_id,)).fetchone()  # fmt: skip
        if row is None:
            return None
        data = json.loads(self._sealer.open(row[0], b"bio|" + verification_id.encode()))
        return BiometricImages(bytes.fromhex(data["live"]), bytes.fromhex(data["chip"]), data["chip_type"])

    # --- the relay's side --------------------------------------------------------------------------------

    def due(self, now: float, limit: int = 64, profiles: Collection[str] | None = None) -> list[OutboxItem]:
        """Pending rows due at ``now``; with ``profiles``, only rows of those profiles (a relay claims only
        what it can deliver)."""
        sql = _SELECT_DUE
        args: list[Any] = [now, limit]
        if profiles is not None:
            sql = _SELECT_DUE_OF.format(", ".join("?" * len(profiles)))
            args = [now, *profiles, limit]
        rows = self.db.conn.execute(sql, args).fetchall()
        return [_item(r) for r in rows]

    def next_due_at(self, profiles: Collection[str] | None = None) -> float | None:
        sql = "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        args: list[Any] = []
        if profiles is not None:
            sql += f" AND profile IN ({', '.join('?' * len(profiles))})"
            args = list(profiles)
        row = self.db.conn.execute(sql, args).fetchone()
        return None if row[0] is None else float(row[0])

    def backlog(self, now: float) -> tuple[int, float]:
        """Pending rows and the age in seconds of the oldest one (0 when none): the outbox metrics."""
        sql = "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'"
        n, oldest = self.db.conn.execute(sql).fetchone()
        return int(n), (max(0.0, now - float(oldest)) if oldest is not None else 0.0)

    def record_outcomes(self, outcomes: list[tuple[OutboxItem, str, int | None, str | None, float]],
                        now: float) -> None:  # fmt: skip
        """Apply relay outcomes ``(item, "sent"|"retry"|"dead", status, error, next_at)`` in one commit."""
        with self.db.transaction() as conn:
            for item, kind, status, error, next_at in outcomes:
                self._apply(conn, item, kind, status, error, next_at, now)

    def _apply(self, conn: Any, item: OutboxItem, kind: str, status: int | None, error: str | None,
               next_at: float, now: float) -> None:  # fmt: skip
        attempts = item.attempts + 1
        if kind == "sent":
            conn.execute(_MARK_SENT, (attempts, status, now, item.id))
            left = conn.execute(_BIO_LEFT, (item.verification_id,)).fetchone()
            deleted = 0
            if item.carries_biometrics and left[0] == 0:
                deleted = conn.execute("DELETE FROM biometric_evidence WHERE verification_id = ?",
                                       (item.verification_id,)).rowcount  # fmt: skip
            event = {"id": item.id, "verification_id": item.verification_id, "connector": item.connector,
                     "status": status, "attempts": attempts, "biometrics_deleted": bool(deleted)}
            append_audit(conn, self._audit_key, "outbox.sent", event, now)
        elif kind == "retry":
            conn.execute(_MARK_RETRY, (attempts, status, error, next_at, item.id))
        elif kind == "dead":
            conn.execute(_MARK_DEAD, (attempts, status, error, now, item.id))
            append_audit(conn, self._audit_key, "outbox.dead",
                         {"id": item.id, "verification_id": item.verification_id, "connector": item.connector,
                          "status": status, "attempts": attempts}, now)  # fmt: skip
        else:
            raise OutboxError(f"unknown outcome {kind!r}")

    # --- people's side: list and retry -------------------------------------------------------------------

    def list_outbox(self, state: str | None = None, limit: int = 100) -> list[OutboxItem]:
        if state is not None and state not in ("pending", "sent", "dead"):
            raise OutboxError("state must be pending, sent or dead")
        rows = self.db.conn.execute(_SELECT_ALL, (state, state, limit)).fetchall()
        return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        return {"pending": 0, "sent": 0, "dead": 0} | {str(s): int(n) for s, n in rows}

    def retry_dead(self, ids: list[int] | None, now: float, operator: str = "cli") -> int:
        """Put dead-lettered rows (all, or the given ids) back to pending, due now."""
        with self.db.transaction() as conn:
            if ids:
                chosen = sorted(set(ids))
                for i in chosen:
                    sql = "SELECT 1 FROM outbox WHERE state = 'dead' AND id = ?"
                    row = conn.execute(sql, (i,)).fetchone()
                    if row is None:
                        raise OutboxError(f"outbox row {i} is not dead-lettered")
            else:
                chosen = [int(r[0]) for r in conn.execute("SELECT id FROM outbox WHERE state = 'dead'")]
            for i in chosen:
                conn.execute("UPDATE outbox SET state = 'pending', next_attempt_at = ?, dead_at = NULL "
                             "WHERE id = ?", (now, i))  # fmt: skip
            if chosen:
                append_audit(conn, self._audit_key, "outbox.retried", {"ids": chosen, "by": operator}, now)
        return len(chosen)

"""The guest declaration register of a lodging establishment: each guest's deadline, what is still to
declare, what was exported and confirmed, check-outs (docs/lodging.md; Law on Residence 2020 Art. 30,
Circular 55/2021: declare by 23:00 on the arrival day, 08:00 the next day for late arrivals).

One row per verified lodging record, in the kiosk database (its own table, created on first use; it
touches no other table).  The declaration itself — names and ID numbers — is sealed with the kiosk's
storage key (AES-GCM, bound to the row), like the records; the clear columns hold only what the deadline
list needs: a masked ID, the room, times and states.

States: ``pending`` (to declare) → ``exported`` (in a file handed to the police portal) → ``declared`` (the
clerk confirmed the upload); independently ``checked_out_at`` and ``departure_reported_at``.  Every time
is passed in by the caller (the kiosk's clock), never read here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.connectors.lodging import GuestDeclaration
from kiosk.keys import KeyStore
from kiosk.storage.db import Database
from kiosk.storage.seal import Sealer
from reader.lds.mrz import mask_id

_TABLE = """
CREATE TABLE IF NOT EXISTS lodging_register (
    verification_id       TEXT PRIMARY KEY,
    id_masked             TEXT NOT NULL,
    room                  TEXT,
    arrival               TEXT NOT NULL,            -- ISO 8601 with offset (Vietnam time)
    due_at                REAL NOT NULL,            -- Unix seconds: the declaration deadline
    check_out_date        TEXT,                     -- planned, ISO date
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'exported', 'declared')),
    exported_at           REAL,
    declared_at           REAL,
    checked_out_at        REAL,
    departure_reported_at REAL,
    sealed                BLOB NOT NULL,            -- the GuestDeclaration JSON, sealed
    created_at            REAL NOT NULL
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS lodging_register_due ON lodging_register (state, due_at)"
_SELECT = (
    "SELECT verification_id, id_masked, room, arrival, due_at, check_out_date, state, exported_at, "
    "declared_at, checked_out_at, departure_reported_at, sealed FROM lodging_register "
    "ORDER BY due_at, verification_id"
)
_SET_STATE = {
    "exported_at": "UPDATE lodging_register SET state = ?, exported_at = ? WHERE verification_id = ?",
    "declared_at": "UPDATE lodging_register SET state = ?, declared_at = ? WHERE verification_id = ?",
}


class RegisterError(ValueError):
    """A register operation names guests that are not there or not in the right state."""


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One guest as the clerk's list shows it (no personal data unless ``declaration`` is loaded)."""

    verification_id: str
    id_masked: str
    room: str | None
    arrival: str
    due_at: datetime
    check_out_date: str | None
    state: str
    exported_at: datetime | None
    declared_at: datetime | None
    checked_out_at: datetime | None
    departure_reported_at: datetime | None
    urgency: str = ""  # "overdue" | "due_soon" | "open" | "done"
    declaration: GuestDeclaration | None = None

    def __repr__(self) -> str:
        return f"RegisterEntry({self.verification_id}, {self.id_masked}, {self.state}, {self.urgency})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "declaration":
                continue
            out[f.name] = value.isoformat(timespec="minutes") if isinstance(value, datetime) else value
        return out


class LodgingRegister:
    """The register in the kiosk database at ``db``, sealed with ``keys``' storage key."""

    def __init__(self, db: Database, keys: KeyStore) -> None:
        self.db = db
        self._sealer = Sealer(keys.secret("storage"))
        with db.transaction() as conn:
            conn.execute(_TABLE)
            conn.execute(_INDEX)

    # --- writing ---

    def add(self, declaration: GuestDeclaration, now: datetime) -> bool:
        """Register a guest (True), or leave an existing row untouched (False: idempotent)."""
        vid = declaration.verification_id
        due = datetime.fromisoformat(declaration.declaration_due)
        sealed = self._sealer.seal(json.dumps(declaration.as_row(), ensure_ascii=False).encode(), _aad(vid))
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO lodging_register (verification_id, id_masked, room, arrival, due_at, "
                "check_out_date, state, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (vid, mask_id(declaration.id_number), declaration.room, declaration.arrival, due.timestamp(),
                 declaration.check_out, sealed, now.timestamp()),
            )  # fmt: skip
            return cur.rowcount == 1

    def mark_exported(self, verification_ids: list[str], at: datetime) -> None:
        self._transition(verification_ids, ("pending", "exported"), "exported", "exported_at", at)

    def mark_declared(self, verification_ids: list[str], at: datetime) -> None:
        """The clerk confirmed the upload (from ``pending`` too: a guest declared by hand)."""
        self._transition(verification_ids, ("pending", "exported", "declared"), "declared", "declared_at", at)

    def _transition(self, vids: list[str], allowed: tuple[str, ...], state: str, column: str,
                    at: datetime) -> None:  # fmt: skip
        with self.db.transaction() as conn:
            for vid in vids:
                row = conn.execute("SELECT state FROM lodging_register WHERE verification_id = ?",
                                   (vid,)).fetchone()  # fmt: skip
                if row is None or row[0] not in allowed:
                    raise RegisterError(f"{vid}: not in the register, or already {row[0] if row else '-'}")
                conn.execute(_SET_STATE[column], (state, at.timestamp(), vid))

    def check_out(
        self, at: datetime, *, verification_id: str | None = None, room: str | None = None
    ) -> list[str]:
        """Record a check-out (by guest, or every guest of a room still in); the planned check-out date
        becomes the actual one.  Returns the guests checked out."""
        if (verification_id is None) == (room is None):
            raise RegisterError("give a guest or a room")
        with self.db.transaction() as conn:
            if verification_id is not None:
                rows = conn.execute(
                    "SELECT verification_id, sealed FROM lodging_register WHERE verification_id = ? "
                    "AND checked_out_at IS NULL",
                    (verification_id,),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT verification_id, sealed FROM lodging_register WHERE room = ? "
                    "AND checked_out_at IS NULL",
                    (room,),
                ).fetchall()
            if not rows:
                raise RegisterError("no guest in the register to check out")
            day = at.date().isoformat()
            for vid, sealed in rows:
                decl = _declaration(self._sealer, vid, sealed)
                decl = replace(decl, check_out=day)
                resealed = self._sealer.seal(
                    json.dumps(decl.as_row(), ensure_ascii=False).encode(), _aad(vid)
                )
                conn.execute("UPDATE lodging_register SET checked_out_at = ?, check_out_date = ?, sealed = ? "
                             "WHERE verification_id = ?", (at.timestamp(), day, resealed, vid))  # fmt: skip
            return [str(r[0]) for r in rows]

    def mark_departures_reported(self, verification_ids: list[str], at: datetime) -> None:
        with self.db.transaction() as conn:
            for vid in verification_ids:
                cur = conn.execute(
                    "UPDATE lodging_register SET departure_reported_at = ? WHERE verification_id = ? "
                    "AND checked_out_at IS NOT NULL",
                    (at.timestamp(), vid),
                )
                if cur.rowcount != 1:
                    raise RegisterError(f"{vid}: not checked out")

    def purge(self, now: datetime, keep_days: int) -> int:
        """Delete guests declared and checked out more than ``keep_days`` ago (data minimisation)."""
        limit = (now - timedelta(days=keep_days)).timestamp()
        with self.db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM lodging_register WHERE state = 'declared' AND checked_out_at IS NOT NULL "
                "AND checked_out_at < ?",
                (limit,),
            )
            return int(cur.rowcount)

    # --- reading ---

    def known_ids(self) -> set[str]:
        """The verification IDs already in the register."""
        return {str(r[0]) for r in self.db.conn.execute("SELECT verification_id FROM lodging_register")}

    def entries(self, now: datetime, *, warn_before: timedelta = timedelta(hours=2), open_only: bool = False,
                with_declarations: bool = False) -> list[RegisterEntry]:  # fmt: skip
        """The clerk's list, most urgent first: overdue, due soon (within ``warn_before``), open, done."""
        out = []
        for row in self.db.conn.execute(_SELECT).fetchall():
            entry = RegisterEntry(
                str(row[0]), str(row[1]), row[2], str(row[3]), _dt(row[4], now), row[5], str(row[6]),
                _opt(row[7], now), _opt(row[8], now), _opt(row[9], now), _opt(row[10], now),
            )  # fmt: skip
            urgency = _urgency(entry, now, warn_before)
            if open_only and urgency == "done":
                continue
            decl = _declaration(self._sealer, entry.verification_id, row[11]) if with_declarations else None
            out.append(replace(entry, urgency=urgency, declaration=decl))
        order = {"overdue": 0, "due_soon": 1, "open": 2, "done": 3}
        return sorted(out, key=lambda e: (order[e.urgency], e.due_at))

    def warnings(self, now: datetime, warn_before: timedelta = timedelta(hours=2)) -> dict[str, int]:
        """Counts for the clerk's banner: ``overdue``, ``due_soon``, ``departures`` (out, not reported)."""
        entries = self.entries(now, warn_before=warn_before)
        return {
            "overdue": sum(e.urgency == "overdue" for e in entries),
            "due_soon": sum(e.urgency == "due_soon" for e in entries),
            "departures": sum(
                e.checked_out_at is not None and e.departure_reported_at is None for e in entries
            ),
        }

    def declarations(self, verification_ids: list[str] | None = None, *, state: str | None = "pending",
                     now: datetime) -> list[GuestDeclaration]:  # fmt: skip
        """The declarations to export: by ID, or every guest in ``state``."""
        wanted = set(verification_ids or ())
        out = []
        for e in self.entries(now, with_declarations=True):
            if e.declaration is not None and (e.verification_id in wanted if wanted else e.state == state):
                out.append(e.declaration)
        return out


def _aad(vid: str) -> bytes:
    return b"lodging_register|" + vid.encode()


def _declaration(sealer: Sealer, vid: str, sealed: bytes) -> GuestDeclaration:
    data = json.loads(sealer.open(sealed, _aad(vid)))
    return GuestDeclaration(**data)


def _dt(ts: float, like: datetime) -> datetime:
    return datetime.fromtimestamp(ts, like.tzinfo)


def _opt(ts: float | None, like: datetime) -> datetime | None:
    return None if ts is None else _dt(ts, like)


def _urgency(entry: RegisterEntry, now: datetime, warn_before: timedelta) -> str:
    if entry.state == "declared":
        return "done" if entry.checked_out_at is None or entry.departure_reported_at is not None else "open"
    if now >= entry.due_at:
        return "overdue"
    if now >= entry.due_at - warn_before:
        return "due_soon"
    return "open"


def stay_day(declaration: GuestDeclaration) -> date | None:
    """The first night of the stay (the check-in day), when known."""
    return date.fromisoformat(declaration.check_in) if declaration.check_in else None

"""The audit log: append-only, hash-chained (HMAC-SHA256), masked identifiers only.

integrations.md duty 5.  Entry ``n`` carries ``mac_n = HMAC(k, mac_{n-1} ‖ canonical(seq, at, event,
data))`` with the key store's ``audit`` secret ``k``, so an attacker holding the database but not the key
cannot recompute the chain.  Two MAC-tagged anchors close the ends: ``head`` (the last entry — catches a
truncated tail) and ``base`` (the last entry removed by the retention purge — the chain restarts after
it).  :func:`verify_audit` therefore detects any edit, insertion or deletion, including at either end.
What it cannot detect alone is a rollback of the whole database to an older copy; export the head
(:func:`audit_head`) to a place the kiosk cannot rewrite for that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
_LONG_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{9,}(?![0-9A-Za-z])")  # a bare ID; not inside a ULID


class AuditError(ValueError):
    """An audit entry would carry raw personal data (an unmasked ID), or is malformed."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    entries: int
    first_seq: int | None
    last_seq: int | None
    problem: str | None = None
    at_seq: int | None = None


def _canonical(seq: int, at: float, event: str, data: str) -> bytes:
    return json.dumps([seq, repr(at), event, data], separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, prev: str, seq: int, at: float, event: str, data: str) -> str:
    return hmac.new(key, prev.encode() + _canonical(seq, at, event, data), hashlib.sha256).hexdigest()


def _tag(key: bytes, name: str, seq: int, mac: str) -> str:
    return hmac.new(key, f"anchor|{name}|{seq}|{mac}".encode(), hashlib.sha256).hexdigest()


def _check_masked(value: Any) -> None:
    if isinstance(value, str) and _LONG_DIGITS.search(value):
        raise AuditError("audit data must not contain full ID or document numbers (mask them)")
    if isinstance(value, dict):
        for v in value.values():
            _check_masked(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_masked(v)


def _anchor(conn: sqlite3.Connection, key: bytes, name: str) -> tuple[int, str] | None:
    row = conn.execute("SELECT seq, mac, tag FROM audit_anchor WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    seq, mac, tag = int(row[0]), str(row[1]), str(row[2])
    if not hmac.compare_digest(tag, _tag(key, name, seq, mac)):
        raise AuditError(f"the audit {name} anchor has been altered")
    return seq, mac


def _set_anchor(conn: sqlite3.Connection, key: bytes, name: str, seq: int, mac: str) -> None:
    conn.execute(
        "INSERT INTO audit_anchor (name, seq, mac, tag) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, tag = excluded.tag",
        (name, seq, mac, _tag(key, name, seq, mac)),
    )


def append_audit(conn: sqlite3.Connection, key: bytes, event: str, data: dict[str, Any], at: float) -> int:
    """Append one entry; call inside the transaction whose effect it records.  Returns its ``seq``."""
    _check_masked(data)
    _check_masked(event)
    head = _anchor(conn, key, "head") or _anchor(conn, key, "base") or (0, GENESIS)
    seq, prev = head[0] + 1, head[1]
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    mac = _mac(key, prev, seq, at, event, body)
    conn.execute("INSERT INTO audit (seq, at, event, data, prev, mac) VALUES (?, ?, ?, ?, ?, ?)",
                 (seq, at, event, body, prev, mac))  # fmt: skip
    _set_anchor(conn, key, "head", seq, mac)
    return seq


def audit_head(conn: sqlite3.Connection, key: bytes) -> tuple[int, str] | None:
    """The last entry's ``(seq, mac)`` — publish it elsewhere to detect a whole-database rollback."""
    return _anchor(conn, key, "head")


def verify_audit(conn: sqlite3.Connection, key: bytes) -> AuditReport:
    """Walk the chain from the base anchor to the head anchor; report the first problem."""
    try:
        base = _anchor(conn, key, "base") or (0, GENESIS)
        head = _anchor(conn, key, "head")
    except AuditError as exc:
        return AuditReport(False, 0, None, None, str(exc))
    expected_seq, prev, count, first = base[0] + 1, base[1], 0, None
    rows = conn.execute("SELECT seq, at, event, data, prev, mac FROM audit ORDER BY seq")
    for seq, at, event, data, stored_prev, mac in rows:
        first = seq if first is None else first
        if seq != expected_seq:
            what = "an entry is missing" if seq > expected_seq else "an entry was inserted"
            return AuditReport(False, count, first, seq, what, at_seq=seq)
        good = _mac(key, prev, seq, float(at), str(event), str(data))
        if not hmac.compare_digest(good, str(mac)) or stored_prev != prev:
            return AuditReport(False, count, first, seq, "an entry was altered or inserted", at_seq=seq)
        prev, expected_seq, count = good, seq + 1, count + 1
    last = expected_seq - 1
    if head is None:
        if count or base[0]:
            return AuditReport(False, count, first, last, "the head anchor is missing")
        return AuditReport(True, 0, None, None)
    if head != (last, prev):
        return AuditReport(False, count, first, last, "entries are missing at the end", at_seq=last + 1)
    return AuditReport(True, count, first, last)


def purge_audit_before(conn: sqlite3.Connection, key: bytes, before: float) -> int:
    """Remove entries older than ``before`` (retention) and move the base anchor past them."""
    row = conn.execute("SELECT MAX(seq) FROM audit WHERE at < ?", (before,)).fetchone()
    last = row[0] if row else None
    if last is None:
        return 0
    mac = conn.execute("SELECT mac FROM audit WHERE seq = ?", (last,)).fetchone()[0]
    removed = conn.execute("DELETE FROM audit WHERE seq <= ?", (last,)).rowcount
    _set_anchor(conn, key, "base", int(last), str(mac))
    return int(removed)

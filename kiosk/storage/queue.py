"""Hospital queue numbers: one counter per local day and department, in the kiosk database.

A number is issued by one upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, SQLite ≥ 3.35) inside a
``BEGIN IMMEDIATE`` transaction: the write lock is taken before the counter is read, so two connections —
two threads, or two kiosk processes sharing the database file — are serialised and never receive the same
number.  The commit is durable (``synchronous=FULL``) before the number is returned, so a number shown on
a screen is never issued again, even after ``kill -9`` or a power cut.  Numbers are monotonic per
(day, department); a number whose transaction was abandoned is skipped, never reused.  Counter rows are
kept (a few per day): purging them would let a clock set back to an earlier day repeat its numbers.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date

DEPARTMENT_CODE = re.compile(r"^[A-Z]{2,4}$")

_ISSUE = """INSERT INTO queue_counters (day, department, last_number, updated_at) VALUES (?, ?, 1, ?)
    ON CONFLICT (day, department) DO UPDATE SET last_number = last_number + 1,
    updated_at = excluded.updated_at RETURNING last_number"""


class QueueError(ValueError):
    """A queue number was asked for a malformed department code."""


def issue_number(conn: sqlite3.Connection, department: str, day: date, now: float) -> int:
    """The next number of ``department`` on ``day``; call inside an immediate transaction."""
    if not DEPARTMENT_CODE.match(department):
        raise QueueError("a department code is 2 to 4 capital letters")
    row = conn.execute(_ISSUE, (day.isoformat(), department, now)).fetchone()
    return int(row[0])


def last_number(conn: sqlite3.Connection, department: str, day: date) -> int:
    """The last number issued for ``department`` on ``day`` (0: none yet)."""
    row = conn.execute("SELECT last_number FROM queue_counters WHERE day = ? AND department = ?",
                       (day.isoformat(), department)).fetchone()  # fmt: skip
    return int(row[0]) if row else 0

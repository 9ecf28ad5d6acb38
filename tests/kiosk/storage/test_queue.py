"""Hospital queue numbers in the kiosk database: per department per local day, monotonic, durable across
restarts, atomic across connections and processes; the schema migration that adds their table."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from kiosk.keys import KeyStore
from kiosk.storage import Database, KioskStore, QueueError, StorageError
from kiosk.storage.db import _SCHEMA, SCHEMA_VERSION
from kiosk.storage.queue import issue_number, last_number

DAY = date(2026, 11, 22)


def test_numbers_per_department_and_day(store: KioskStore) -> None:
    got = [store.issue_queue_number("NOI", DAY, time.time(), "hospital") for _ in range(3)]
    assert got == [1, 2, 3]
    assert store.issue_queue_number("NGO", DAY, time.time()) == 1  # another department
    assert store.issue_queue_number("NOI", date(2026, 11, 23), time.time()) == 1  # the next day
    assert store.issue_queue_number("NOI", DAY, time.time()) == 4
    assert last_number(store.db.conn, "NOI", DAY) == 4 and last_number(store.db.conn, "MAT", DAY) == 0
    audit = [r[0] for r in store.db.conn.execute("SELECT event FROM audit")]
    assert audit.count("queue.issued") == 6
    assert store.verify_audit().ok


def test_malformed_department_writes_nothing(store: KioskStore) -> None:
    for bad in ("noi", "N", "NOI1", "NOIKH", "NỘI", "NOI'; DROP TABLE audit; --"):
        with pytest.raises(QueueError):
            store.issue_queue_number(bad, DAY, time.time())
    assert store.db.conn.execute("SELECT COUNT(*) FROM queue_counters").fetchone()[0] == 0
    assert store.db.conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0


def test_numbers_survive_a_restart(tmp_path: Path, keys: KeyStore) -> None:
    first = KioskStore(tmp_path / "kiosk.db", keys)
    assert [first.issue_queue_number("NHI", DAY, time.time()) for _ in range(5)][-1] == 5
    first.close()
    again = KioskStore(tmp_path / "kiosk.db", keys)
    try:
        assert again.issue_queue_number("NHI", DAY, time.time()) == 6  # never reused
    finally:
        again.close()


def test_two_connections_never_get_the_same_number(tmp_path: Path, keys: KeyStore) -> None:
    """Two stores (two connections, as two kiosk processes would have) issue at the same time."""
    stores = [KioskStore(tmp_path / "kiosk.db", keys) for _ in range(2)]
    per = 60
    results: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def issue(i: int) -> None:
        start.wait()
        for _ in range(per):
            results[i].append(stores[i].issue_queue_number("NOI", DAY, time.time()))

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for s in stores:
            s.close()
    both = results[0] + results[1]
    assert sorted(both) == list(range(1, 2 * per + 1))  # every number once, none skipped, none twice
    assert all(r == sorted(r) for r in results)  # monotonic as each kiosk sees it
    assert results[0] and results[1]


def _issue_in_process(path: str, count: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    db = Database(Path(path))
    numbers = []
    for _ in range(count):
        with db.transaction() as conn:
            numbers.append(issue_number(conn, "TMH", DAY, time.time()))
    db.close()
    out.put(numbers)


def test_two_processes_never_get_the_same_number(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Database(path).close()
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_issue_in_process, args=(str(path), 40, out)) for _ in range(2)]
    for p in procs:
        p.start()
    got = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(got[0] + got[1]) == list(range(1, 81))


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    old = sqlite3.connect(path)
    old.executescript(_SCHEMA)
    old.execute("INSERT INTO audit_anchor VALUES ('head', 7, 'mac', 'tag')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    db = Database(path)
    try:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert db.conn.execute("SELECT seq FROM audit_anchor").fetchall() == [(7,)]  # data kept
        with db.transaction() as conn:
            assert issue_number(conn, "SAN", DAY, time.time()) == 1
    finally:
        db.close()
    Database(path).close()  # opening an up-to-date database again changes nothing


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    new = sqlite3.connect(path)
    new.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    new.commit()
    new.close()
    with pytest.raises(StorageError, match="schema version"):
        Database(path)

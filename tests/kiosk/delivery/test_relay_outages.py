"""Issue 12, delivery: a relay claims only rows it can deliver, no outage dead-letters a row that a later
attempt can deliver, and relays in different processes share one lock (docs/delivery.md, "The relay")."""

from __future__ import annotations

import dataclasses
import http.server
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.connectors.base import classify_status
from kiosk.delivery import ConnectorRegistry, Relay, RelayBusyError, RelayLock
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import RunningReceiver, make_record


def _save(store: KioskStore, profile: Profile) -> str:
    r = make_record(profile)
    store.save_verification(r, profile, time.time())
    return r.verification_id


def _relay(store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], url: str,
           lock: RelayLock | None = None) -> Relay:  # fmt: skip
    registry = ConnectorRegistry(profiles, RecordSigner(keys, "urn:cccd:kiosk:test"), url)
    return Relay(store, registry, rng=random.Random(3), workers=2, lock=lock)


def _fast(profile: Profile, seconds: float = 0.3) -> Profile:
    """The profile with short timeouts (a test must not wait the deployed 10 s for a hung receiver)."""
    conns = tuple(dataclasses.replace(c, timeout_seconds=seconds, connect_timeout_seconds=seconds)
                  for c in profile.connectors)  # fmt: skip
    return dataclasses.replace(profile, connectors=conns)


def test_a_relay_claims_only_the_profiles_it_can_deliver(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    """The bug: a lodging kiosk's relay claimed hospital rows and dead-lettered them ("profile 'hospital'
    is not loaded").  Now it leaves them pending, untouched, for a relay that serves hospital."""
    _save(store, profiles["hospital"])  # two rows: FHIR and HIS
    _save(store, profiles["lodging"])
    lodging_only = _relay(store, keys, {"lodging": profiles["lodging"]}, receiver.url)
    try:
        assert lodging_only.run_once() == 1
        assert lodging_only.run_once() == 0
    finally:
        lodging_only.close()
    pending = store.list_outbox("pending")
    assert {i.profile for i in pending} == {"hospital"} and all(i.attempts == 0 for i in pending)
    assert store.counts() == {"pending": 2, "sent": 1, "dead": 0}
    every = _relay(store, keys, profiles, receiver.url)
    try:
        assert every.run_once() == 2
    finally:
        every.close()
    assert store.counts() == {"pending": 0, "sent": 3, "dead": 0}


@pytest.mark.parametrize(("status", "outcome"), [
    (200, "sent"), (201, "sent"), (204, "sent"),
    (408, "retry"), (425, "retry"), (429, "retry"), (500, "retry"), (502, "retry"), (503, "retry"),
    (504, "retry"), (599, "retry"),
    (400, "dead"), (401, "dead"), (403, "dead"), (404, "dead"), (409, "dead"), (422, "dead"),
])  # fmt: skip
def test_only_permanent_4xx_are_dead_letters(status: int, outcome: str) -> None:
    assert classify_status(status).outcome == outcome


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 503

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("content-length", "0")
        self.end_headers()

    do_PUT = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.status = 503  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A receiver that accepts connections and never answers (a hung upstream: read timeout)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def _refused_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens: connection refused
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("failure", ["refused", "timeout", "429", "500", "503"])
def test_no_outage_dead_letters_a_row(
    failure: str, store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], secret: str,
    answering: http.server.ThreadingHTTPServer, silent: str, tmp_path: Path,
) -> None:  # fmt: skip
    """Every kind of outage, for every profile's connectors, several attempts each: retried, never dead;
    then the receiver comes back and every row is delivered."""
    fast = {name: _fast(p) for name, p in profiles.items()}
    for p in fast.values():
        _save(store, p)
    n = store.counts()["pending"]
    if failure == "refused":
        url = _refused_url()
    elif failure == "timeout":
        url = silent
    else:
        answering.status = int(failure)  # type: ignore[attr-defined]
        url = f"http://127.0.0.1:{answering.server_address[1]}"
    now = [time.time()]
    relay = _relay(store, keys, fast, url)
    relay.clock = lambda: now[0]
    try:
        for _ in range(3):
            assert relay.run_once() == n
            now[0] += 3600.0  # past any backoff
    finally:
        relay.close()
    rows = store.list_outbox("pending")
    assert store.counts() == {"pending": n, "sent": 0, "dead": 0}
    assert all(i.attempts == 3 and i.last_error for i in rows)
    store.db.conn.execute("UPDATE outbox SET next_attempt_at = 0")  # the backoff has passed
    receiver = RunningReceiver(tmp_path / "receiver.db", keys.directory, secret)
    try:
        relay = _relay(store, keys, fast, receiver.url)  # real time again: the receiver checks timestamps
        try:
            assert relay.run_once() == n
        finally:
            relay.close()
    finally:
        receiver.stop()
    assert store.counts() == {"pending": 0, "sent": n, "dead": 0}


def test_a_locked_round_leaves_the_rows_to_the_relay_holding_the_lock(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver, tmp_path: Path
) -> None:
    _save(store, profiles["lodging"])
    db = tmp_path / "kiosk.db"
    relay = _relay(store, keys, profiles, receiver.url, lock=RelayLock(db))
    try:
        with RelayLock(db):  # e.g. `cccd outbox run` in another process
            assert relay.locked_round() == 0
            assert relay.stats.skipped == 1
        assert store.counts()["pending"] == 1
        assert relay.locked_round() == 1
        assert not relay.lock or not relay.lock.held  # released after the round
    finally:
        relay.close()
    assert store.counts() == {"pending": 0, "sent": 1, "dead": 0}


def test_the_relay_lock_waits_for_a_round_to_end(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    round_lock = RelayLock(db)
    assert round_lock.try_acquire()
    threading.Timer(0.3, round_lock.release).start()
    t0 = time.monotonic()
    with RelayLock(db, wait=5.0) as whole:
        assert whole.held and 0.2 < time.monotonic() - t0 < 4
        assert not RelayLock(db).try_acquire()
    with pytest.raises(RelayBusyError), RelayLock(db), RelayLock(db, wait=0.2):
        pass

"""The relay against the reference receiver on 127.0.0.1: every profile, outages, dead letters, dedup."""

from __future__ import annotations

import itertools
import random
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.delivery import BackoffPolicy, ConnectorRegistry, Relay, RelayBusyError, RelayLock
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import IMAGES, READ_TOKEN, TEST_ID, RunningReceiver, make_record


def _relay(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], url: str, clock: object = time.time
) -> Relay:
    registry = ConnectorRegistry(profiles, RecordSigner(keys, "urn:cccd:kiosk:test"), url)
    return Relay(store, registry, clock=clock, rng=random.Random(7), workers=4)  # type: ignore[arg-type]


def _save(store: KioskStore, profile: Profile, **kw: object) -> str:
    r = make_record(profile, **kw)
    store.save_verification(r, profile, time.time(), images=IMAGES if profile.name == "bank" else None)
    return r.verification_id


def test_every_profile_is_delivered(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    vids = {name: _save(store, p) for name, p in profiles.items()}
    relay = _relay(store, keys, profiles, receiver.url)
    backlog, queries = store.backlog, list[float]()

    def counted(now: float) -> tuple[int, float]:
        queries.append(now)
        return backlog(now)

    store.backlog = counted  # type: ignore[method-assign]
    try:
        assert relay.run_once() == 5
        assert len(queries) == 1  # the backlog gauge: once a round, after the outcomes
        assert relay.run_once() == 0 and len(queries) == 2  # an idle round keeps it current too
    finally:
        relay.close()
    assert store.counts() == {"pending": 0, "sent": 5, "dead": 0}
    stats = receiver.store.stats()
    assert stats["per_endpoint"] == {
        "/webhooks/his": 1,
        "/webhooks/bank": 1,
        "/webhooks/pms": 1,
        "/webhooks/forms": 1,
    }
    assert (stats["patients"], stats["provenances"]) == (1, 1)
    assert store.biometric_images(vids["bank"]) is None  # deleted once the bank acknowledged
    bundle = httpx.get(
        f"{receiver.url}/fhir/Patient",
        params={"identifier": f"http://fhir.ehealth.gov.vn/core/sid/national_id|{TEST_ID}"},
        headers={"authorization": f"Bearer {READ_TOKEN}"},  # reads need the token (issue 12)
    ).json()
    patient = bundle["entry"][0]["resource"]
    assert patient["meta"]["profile"] == [
        "http://fhir.ehealth.gov.vn/core/StructureDefinition/vn-core-patient"
    ]
    assert patient["gender"] == "female" and patient["birthDate"] == "2003-06-15"
    assert store.verify_audit().ok


def test_fhir_conditional_update_is_idempotent(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    for _ in range(3):  # three visits of the same patient
        _save(store, profiles["hospital"])
    relay = _relay(store, keys, profiles, receiver.url)
    try:
        relay.run_once()
    finally:
        relay.close()
    stats = receiver.store.stats()
    assert (stats["patients"], stats["provenances"]) == (1, 3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_receiver_down_then_up(
    tmp_path: Path, store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], secret: str
) -> None:
    port = _free_port()
    vid = _save(store, profiles["lodging"])
    now = [time.time()]
    relay = _relay(store, keys, profiles, f"http://127.0.0.1:{port}", clock=lambda: now[0])
    try:
        delays = []
        for attempt in range(1, 5):  # down: connection refused, retried with growing backoff
            assert relay.run_once() == 1
            (item,) = store.list_outbox("pending")
            assert item.attempts == attempt and "ConnectError" in (item.last_error or "")
            delays.append(item.next_attempt_at - now[0])
            assert relay.run_once() == 0  # not due yet
            now[0] = item.next_attempt_at
        assert all(b > a for a, b in itertools.pairwise(delays))
        policy = BackoffPolicy()
        assert all(
            policy.base_seconds * 2 ** (i - 1) / 2 <= d <= policy.base_seconds * 2 ** (i - 1)
            for i, d in enumerate(delays, start=1)
        )
        up = RunningReceiver(tmp_path / "receiver.db", keys.directory, secret, port=port)
        try:
            now[0] = store.list_outbox("pending")[0].next_attempt_at  # the next try, < 1 min ahead
            assert relay.run_once() == 1
            assert store.counts()["sent"] == 1
            assert up.store.stats()["distinct_verifications"] == 1
        finally:
            up.stop()
    finally:
        relay.close()
    assert store.list_outbox("sent")[0].verification_id == vid


def test_4xx_is_dead_lettered_then_retried(
    store: KioskStore,
    keys: KeyStore,
    profiles: dict[str, Profile],
    receiver: RunningReceiver,
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
) -> None:
    _save(store, profiles["public_service"])
    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", new_webhook_secret())  # the kiosk has the wrong secret
    relay = _relay(store, keys, profiles, receiver.url)
    try:
        relay.run_once()
        (dead,) = store.list_outbox("dead")
        assert dead.last_status == 401 and relay.stats.dead == 1
        monkeypatch.setenv("CCCD_WEBHOOK_SECRET", secret)  # a person fixes the configuration
        relay.connectors.close()  # connectors pick the secret up again
        assert store.retry_dead(None, time.time()) == 1
        relay.run_once()
    finally:
        relay.close()
    assert store.counts() == {"pending": 0, "sent": 1, "dead": 0}


def test_missing_secret_is_dead_lettered(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CCCD_WEBHOOK_SECRET", raising=False)
    _save(store, profiles["lodging"])
    relay = _relay(store, keys, profiles, "http://127.0.0.1:9")
    try:
        relay.run_once()
    finally:
        relay.close()
    (dead,) = store.list_outbox("dead")
    assert "CCCD_WEBHOOK_SECRET" in (dead.last_error or "")


def test_redelivery_is_deduplicated(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    _save(store, profiles["bank"])
    (item,) = store.due(time.time())
    relay = _relay(store, keys, profiles, receiver.url)
    try:
        relay.run_once()
        # as if the kiosk died after the delivery but before its commit: deliver the same row again
        store.db.conn.execute("UPDATE outbox SET state = 'pending' WHERE id = ?", (item.id,))
        relay.run_once()
    finally:
        relay.close()
    stats = receiver.store.stats()
    assert stats["deliveries"] == 1 and stats["duplicates"] == 1


def test_relay_lock_is_exclusive(tmp_path: Path) -> None:
    with RelayLock(tmp_path / "k.db"), pytest.raises(RelayBusyError):
        RelayLock(tmp_path / "k.db").__enter__()
    with RelayLock(tmp_path / "k.db"):
        pass


def test_relay_run_until_idle(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    for _ in range(20):
        _save(store, profiles["lodging"])
    relay = _relay(store, keys, profiles, receiver.url)
    relay.batch = 8
    try:
        stats = relay.run(threading.Event(), until_idle=True)
    finally:
        relay.close()
    assert stats.sent == 20 and stats.rounds >= 3
    assert receiver.store.stats()["distinct_verifications"] == 20


def test_backoff_is_capped_and_jittered() -> None:
    policy = BackoffPolicy(base_seconds=1, factor=2, max_seconds=60)
    rng = random.Random(1)
    assert all(30 <= policy.delay(50, rng) <= 60 for _ in range(100))
    values = {round(policy.delay(3, rng), 6) for _ in range(20)}
    assert len(values) > 10 and all(2 <= v <= 4 for v in values)
    with pytest.raises(ValueError):
        BackoffPolicy(base_seconds=0)

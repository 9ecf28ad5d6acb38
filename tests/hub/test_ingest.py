"""Enrolment and ingest against a real PostgreSQL and a real uvicorn server on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from hub import admin
from hub.client import HubClientError, enrol
from kiosk.connectors import webhooks
from kiosk.keys import KeyStore
from tests.hub.helpers import Kiosk, RunningHub, add_site, deliver, record_for, settings_for, token


@pytest.fixture
def hub(clean_db: str, tmp_path: Path) -> Iterator[RunningHub]:
    add_site(clean_db)
    h = RunningHub(settings_for(clean_db, tmp_path, max_body_bytes=64 * 1024))
    yield h
    h.stop()


@pytest.fixture
def kiosk(hub: RunningHub, clean_db: str, tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(hub, clean_db, tmp_path)
    yield k
    k.close()


def count(dsn: str, sql: str, *args: object) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, args).fetchone()
        return int(row[0]) if row else 0


def post(
    kiosk: Kiosk,
    body: bytes,
    msg_id: str,
    ts: int | None = None,
    secret: str | None = None,
    path: str = "/webhooks/his",
) -> httpx.Response:
    key = webhooks.decode_secret(secret or kiosk.enrolment.webhook_secret)
    headers = webhooks.signed_headers(key, msg_id, int(time.time()) if ts is None else ts, body)
    headers["content-type"] = "application/json"
    return httpx.post(kiosk.client.deliver_to + path, content=body, headers=headers, trust_env=False)


def test_record_stored_once_with_fanout_rows(kiosk: Kiosk, clean_db: str) -> None:
    record = record_for(kiosk)
    assert deliver(kiosk, record).outcome == "sent"
    assert deliver(kiosk, record).outcome == "sent"  # a repeat is answered 2xx (idempotent) ...
    assert (
        count(clean_db, "SELECT count(*) FROM records WHERE verification_id = %s", record.verification_id)
        == 1
    )
    # ... and fans out once per destination connector of the site's profile (hospital: fhir, his)
    assert count(clean_db, "SELECT count(*) FROM outbox") == 2
    with psycopg.connect(clean_db) as conn:
        stored = conn.execute("SELECT record, status FROM records").fetchone()
    assert stored is not None and stored[1] == record.status
    assert stored[0]["verification_id"] == record.verification_id and "exp" not in stored[0]


def test_duplicate_answer_says_duplicate(kiosk: Kiosk, clean_db: str) -> None:
    record = record_for(kiosk)
    jws = kiosk.keys and deliver(kiosk, record)
    assert jws.outcome == "sent"
    from kiosk.keys import RecordSigner

    token_ = RecordSigner(kiosk.keys, "k").sign(dict(record.document), "urn:cccd:hub", time.time())
    body = json.dumps(
        {"type": "t", "data": {"verification_id": record.verification_id, "record_jws": token_}}
    ).encode()
    r = post(kiosk, body, record.verification_id)
    assert r.status_code == 200 and r.json()["status"] == "duplicate"


def test_bad_request_signature_refused(kiosk: Kiosk, clean_db: str) -> None:
    record = record_for(kiosk)
    body = json.dumps({"data": {"verification_id": record.verification_id, "record_jws": "x"}}).encode()
    r = post(kiosk, body, record.verification_id, secret=webhooks.new_webhook_secret())
    assert r.status_code == 401 and "signature" in r.json()["error"]
    stale = post(kiosk, body, record.verification_id, ts=int(time.time()) - 3600)
    assert stale.status_code == 401 and "timestamp" in stale.json()["error"]
    assert count(clean_db, "SELECT count(*) FROM records") == 0


def test_record_signed_by_unregistered_key_refused(kiosk: Kiosk, clean_db: str, tmp_path: Path) -> None:
    other = KeyStore.open(tmp_path / "other-keys")
    result = deliver(kiosk, record_for(kiosk), signer_keys=other)
    assert result.outcome == "dead" and result.status == 401
    assert count(clean_db, "SELECT count(*) FROM records") == 0


def test_unknown_kiosk_refused(hub: RunningHub, kiosk: Kiosk, clean_db: str) -> None:
    body = b'{"data":{}}'
    headers = webhooks.signed_headers(
        webhooks.decode_secret(kiosk.enrolment.webhook_secret), "x", int(time.time()), body
    )
    r = httpx.post(f"{hub.url}/v1/kiosks/nobody/webhooks/his", content=body, headers=headers, trust_env=False)
    assert r.status_code == 401 and r.json() == {"error": "unknown kiosk"}


def test_revoked_kiosk_and_revoked_key_refused(kiosk: Kiosk, clean_db: str) -> None:
    with psycopg.connect(clean_db, autocommit=True) as conn:
        admin.revoke_key(conn, "test", kiosk.identity.device_id, kiosk.keys.active().kid)
    result = deliver(kiosk, record_for(kiosk))
    assert result.outcome == "dead" and result.status in (401, 403)
    with psycopg.connect(clean_db, autocommit=True) as conn:
        admin.revoke_kiosk(conn, "test", kiosk.identity.device_id)
    result = deliver(kiosk, record_for(kiosk))
    assert result.status == 403
    with pytest.raises(HubClientError) as err:
        kiosk.client.heartbeat({"version": "0.1.0"})
    assert err.value.status == 403
    assert count(clean_db, "SELECT count(*) FROM records") == 0


def test_record_of_another_kiosk_refused(
    hub: RunningHub, kiosk: Kiosk, clean_db: str, tmp_path: Path
) -> None:
    other = Kiosk(hub, clean_db, tmp_path, kiosk_id="kiosk-test-02")
    try:
        record = record_for(other)  # names kiosk-test-02 ...
        result = deliver(kiosk, record)  # ... but kiosk-test-01 signs and sends it
        assert result.status == 403
        assert deliver(other, record).outcome == "sent"
        # the same verification ID from another kiosk is a conflict, not a silent duplicate
        assert deliver(kiosk, record).status in (403, 409)
    finally:
        other.close()


@pytest.mark.parametrize(
    "body,status",
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"data": {"verification_id": "x"}}', 400),
        (b'{"data": {"verification_id": "x", "record_jws": "a.b.c"}}', 401),
    ],
)
def test_malformed_bodies_refused(kiosk: Kiosk, clean_db: str, body: bytes, status: int) -> None:
    r = post(kiosk, body, "x")
    assert r.status_code == status and r.json()["error"]
    assert count(clean_db, "SELECT count(*) FROM records") == 0


def test_oversized_body_refused_before_reading(kiosk: Kiosk, clean_db: str) -> None:
    big = b'{"data": "' + b"A" * (200 * 1024) + b'"}'
    r = post(kiosk, big, "x")
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts the bytes as they arrive
        for _ in range(100):
            yield b"A" * 4096

    key = webhooks.decode_secret(kiosk.enrolment.webhook_secret)
    headers = webhooks.signed_headers(key, "y", int(time.time()), b"")
    r = httpx.post(
        kiosk.client.deliver_to + "/webhooks/his", content=chunks(), headers=headers, trust_env=False
    )
    assert r.status_code == 413


def test_enrolment_token_is_one_time(hub: RunningHub, clean_db: str, tmp_path: Path) -> None:
    t = token(clean_db)
    keys = KeyStore.open(tmp_path / "k1")
    enrol(hub.url, t, "kiosk-a", keys)
    with pytest.raises(HubClientError) as err:
        enrol(hub.url, t, "kiosk-b", KeyStore.open(tmp_path / "k2"))
    assert err.value.status == 401
    with pytest.raises(HubClientError) as err:  # an enrolled ID cannot be taken over with a fresh token
        enrol(hub.url, token(clean_db), "kiosk-a", KeyStore.open(tmp_path / "k3"))
    assert err.value.status == 409
    with pytest.raises(HubClientError) as err:
        enrol(hub.url, "cccd-enrol-guessed", "kiosk-c", KeyStore.open(tmp_path / "k4"))
    assert err.value.status == 401
    assert count(clean_db, "SELECT count(*) FROM kiosks") == 1


def test_enrolment_refuses_private_keys_and_foreign_proofs(
    hub: RunningHub, clean_db: str, tmp_path: Path
) -> None:
    t = token(clean_db)
    keys = KeyStore.open(tmp_path / "k1")
    private = keys.active().key.as_dict(private=True)
    r = httpx.post(
        f"{hub.url}/v1/enrol",
        json={"token": t, "kiosk_id": "k", "jwks": {"keys": [private]}, "proof": "x"},
        trust_env=False,
    )
    assert r.status_code == 400 and "private" in r.json()["error"]
    other = KeyStore.open(tmp_path / "k2")
    from hub.client import sign_proof

    proof = sign_proof(other.active().key, other.active().kid, {"kiosk_id": "k", "iat": int(time.time())})
    r = httpx.post(
        f"{hub.url}/v1/enrol",
        json={"token": t, "kiosk_id": "k", "jwks": keys.jwks(), "proof": proof},
        trust_env=False,
    )
    assert r.status_code == 401
    enrol(hub.url, t, "k", keys)  # the failures did not use the token up
    assert not hub.app.state.hub.keysets._sets  # nothing unauthenticated in the shared key-set cache


def test_key_rotation(kiosk: Kiosk, clean_db: str) -> None:
    old = kiosk.keys.active().kid
    new = kiosk.client.add_key(kiosk.keys)
    assert new != old and kiosk.keys.active().kid == new
    assert deliver(kiosk, record_for(kiosk)).outcome == "sent"  # signed with the new key
    assert (
        count(clean_db, "SELECT count(*) FROM kiosk_keys WHERE kiosk_id = %s", kiosk.identity.device_id) == 2
    )

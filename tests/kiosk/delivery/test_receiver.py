"""The reference receiver's checks, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from kiosk.connectors import webhooks
from kiosk.connectors.fhir import RECORD_JWS_HEADER, SID_NATIONAL_ID, patient_resource
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile
from tests.helpers.delivery import IMAGES, TEST_ID, RunningReceiver, make_record


def _post(
    receiver: RunningReceiver,
    secret: str,
    path: str,
    payload: Any,
    msg_id: str,
    ts: float | None = None,
    method: str = "POST",
    jws: str | None = None,
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = webhooks.signed_headers(webhooks.decode_secret(secret), msg_id, int(ts or time.time()), body)
    if jws is not None:  # a FHIR write needs the signed record (issue 12)
        headers[RECORD_JWS_HEADER] = jws
    return httpx.request(method, receiver.url + path, content=body, headers=headers)


def _envelope(keys: KeyStore, profile: Profile, **data: Any) -> tuple[str, dict[str, Any]]:
    record = dict(make_record(profile).document)
    token = RecordSigner(keys, "urn:test").sign(record, "aud", time.time())
    vid = record["verification_id"]
    return vid, {"type": "t", "timestamp": "x", "data": {"verification_id": vid, "record_jws": token, **data}}


def test_accepts_and_deduplicates(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    vid, env = _envelope(keys, profiles["lodging"])
    first = _post(receiver, secret, "/webhooks/pms", env, vid)
    again = _post(receiver, secret, "/webhooks/pms", env, vid)
    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert receiver.store.stats()["deliveries"] == 1


@pytest.mark.parametrize(
    "case", ["bad_signature", "skew", "no_headers", "other_id", "unknown_key", "mismatch"]
)
def test_rejections(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile], case: str
) -> None:
    vid, env = _envelope(keys, profiles["lodging"])
    if case == "bad_signature":
        r = _post(receiver, webhooks.new_webhook_secret(), "/webhooks/pms", env, vid)
    elif case == "skew":
        r = _post(receiver, secret, "/webhooks/pms", env, vid, ts=time.time() - 301)
    elif case == "no_headers":
        r = httpx.post(receiver.url + "/webhooks/pms", json=env)
    elif case == "other_id":
        r = _post(receiver, secret, "/webhooks/pms", env, "01HZZZZZZZZZZZZZZZZZZZZZZZ")
    elif case == "unknown_key":
        stranger = KeyStore.open(keys.directory.parent / "stranger")
        vid, env = _envelope(stranger, profiles["lodging"])
        r = _post(receiver, secret, "/webhooks/pms", env, vid)
    else:
        env["data"]["verification_id"] = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
        r = _post(receiver, secret, "/webhooks/pms", env, vid)
    assert r.status_code in (400, 401), r.text
    assert receiver.store.stats()["deliveries"] == 0


def test_body_modified_after_signing_is_rejected(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    vid, env = _envelope(keys, profiles["lodging"])
    body = json.dumps(env).encode()
    headers = webhooks.signed_headers(webhooks.decode_secret(secret), vid, int(time.time()), body)
    r = httpx.post(receiver.url + "/webhooks/pms", content=body + b" ", headers=headers)
    assert r.status_code == 401


def test_biometric_evidence_must_match_the_signed_hashes(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    fake = base64.b64encode(b"another face").decode()
    evidence = {
        "live_image": {"data": fake},
        "chip_image": {"data": base64.b64encode(IMAGES.chip_image).decode()},
    }
    vid, env = _envelope(keys, profiles["bank"], biometric_evidence=evidence)
    assert _post(receiver, secret, "/webhooks/bank", env, vid).status_code == 422


def _signed(keys: KeyStore, profile: Profile) -> tuple[str, str]:
    record = dict(make_record(profile).document)
    return record["verification_id"], RecordSigner(keys, "urn:test").sign(record, "aud", time.time())


def test_fhir_conditional_update(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    subject = {
        "id_number": TEST_ID,
        "full_name": "Nguyễn Thị Mai Anh",
        "sex": "F",
        "birth_date": "2003-06-15",
    }
    path = f"/fhir/Patient?identifier={SID_NATIONAL_ID}|{TEST_ID}"
    (vid_a, jws_a), (vid_b, jws_b) = _signed(keys, profiles["hospital"]), _signed(keys, profiles["hospital"])
    vid_c, jws_c = _signed(keys, profiles["hospital"])
    vid_d, jws_d = _signed(keys, profiles["hospital"])
    created = _post(receiver, secret, path, patient_resource(subject), vid_a, method="PUT", jws=jws_a)
    updated = _post(receiver, secret, path, patient_resource(subject), vid_b, method="PUT", jws=jws_b)
    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["id"] == updated.json()["id"] and updated.json()["meta"]["versionId"] == "2"
    assert created.headers["location"].endswith("/_history/1")
    other = _post(
        receiver,
        secret,
        f"/fhir/Patient?identifier={SID_NATIONAL_ID}|079303009999",
        patient_resource(subject),
        vid_c,
        method="PUT",
        jws=jws_c,
    )
    assert other.status_code == 400  # the resource must carry the condition's identifier
    receiver.store.conn.execute(
        "INSERT INTO fhir_patient SELECT 'dup', system, value, 1, resource FROM fhir_patient"
    )
    assert (
        _post(receiver, secret, path, patient_resource(subject), vid_d, method="PUT", jws=jws_d).status_code
        == 412
    )


def test_provenance_needs_a_signed_record_and_an_existing_patient(
    receiver: RunningReceiver, secret: str, keys: KeyStore, profiles: dict[str, Profile]
) -> None:
    record = dict(make_record(profiles["hospital"]).document)
    vid = record["verification_id"]
    token = RecordSigner(keys, "urn:test").sign(record, "aud", time.time())
    prov = {
        "resourceType": "Provenance",
        "id": vid,
        "target": [{"reference": "Patient/nobody"}],
        "signature": [{"data": base64.b64encode(token.encode()).decode()}],
    }
    assert _post(receiver, secret, f"/fhir/Provenance/{vid}", prov, vid, method="PUT").status_code == 422
    prov["signature"] = [{"data": base64.b64encode(b"not.a.jws").decode()}]
    assert _post(receiver, secret, f"/fhir/Provenance/{vid}", prov, vid, method="PUT").status_code == 401


def test_unknown_paths_and_health(receiver: RunningReceiver, secret: str) -> None:
    assert httpx.get(receiver.url + "/healthz").json() == {"ok": True}
    assert httpx.get(receiver.url + "/nothing").status_code == 404
    assert _post(receiver, secret, "/elsewhere", {}, "01A").status_code == 404

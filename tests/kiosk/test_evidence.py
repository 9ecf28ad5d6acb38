"""The bank evidence object (kiosk.evidence): derivation and strengths, schema, signature, offline
verification against the record (tampering of every kind), the bank connector over a real loopback
receiver, and ``cccd evidence verify``."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws

from cccd.cli import main
from kiosk.connectors import build_connector
from kiosk.connectors.base import DeliveryContext
from kiosk.evidence import (
    EVIDENCE_TYP,
    build_evidence,
    build_signed_evidence,
    record_sha256,
    schema_errors,
    sign_evidence,
    verify_evidence,
)
from kiosk.keys import DeviceKey, KeyStore, RecordSigner, canonical_json
from kiosk.profiles import Profile
from tests.helpers.delivery import (
    CHIP_CSCA_UNKNOWN,
    FACE_MISMATCH,
    FACE_OK,
    IMAGES,
    RunningReceiver,
    make_record,
)


def _record(profiles: dict[str, Profile], **kw: Any) -> dict[str, Any]:
    return dict(make_record(profiles["bank"], **kw).document)


def test_strengths_follow_the_record(profiles: dict[str, Profile]) -> None:
    ev = build_evidence(_record(profiles), "kid-1")
    assert schema_errors(ev) == []
    p = ev["proofs"]
    assert p["passive_authentication"]["strength"] == "verified"
    assert p["anti_clone"] == {"method": "CA", "result": "passed", "bound_to_passive_auth": True,
                               "strength": "verified"}  # fmt: skip
    assert (
        p["chip_authentication"]["strength"] == "verified"
        and p["active_authentication"]["strength"] == "absent"
    )
    assert p["face_match"]["score"] == 0.82 and p["face_match"]["threshold"] == 0.5
    assert p["face_match"]["score_meets_threshold"] is True and p["face_match"]["strength"] == "verified"
    assert p["liveness"] == {"method": "passive", "result": "passed", "strength": "verified"}
    assert p["access_control"]["strength"] == "verified"
    assert ev["conclusion"]["meets_decision_2345"] is True
    assert ev["device"]["device_id"] == "kiosk-test-01" and ev["device"]["signing_key_id"] == "kid-1"
    assert ev["time"]["completed"] == "2026-03-01T08:30:40.000Z"
    assert ev["regulation"]["decision"] == "2345/QĐ-NHNN"

    unknown = build_evidence(_record(profiles, chip=CHIP_CSCA_UNKNOWN), "kid-1")
    assert unknown["proofs"]["passive_authentication"]["strength"] == "partial"
    assert unknown["conclusion"] == {"status": "referred", "reasons": ["CSCA_UNKNOWN"],
                                     "chip_genuinely_issued": False, "live_person_matches_chip": True,
                                     "meets_decision_2345": False}  # fmt: skip
    mismatch = build_evidence(_record(profiles, face=FACE_MISMATCH), "kid-1")
    assert mismatch["proofs"]["face_match"]["strength"] == "failed"
    assert mismatch["proofs"]["face_match"]["score_meets_threshold"] is False
    no_chip = build_evidence(_record(profiles, chip=None, face=None), "kid-1")
    assert schema_errors(no_chip) == []
    assert no_chip["proofs"]["passive_authentication"]["strength"] == "absent"
    bac = build_evidence(_record(profiles, chip=replace(CHIP_CSCA_UNKNOWN, access_method="BAC")), "k")
    assert bac["proofs"]["access_control"]["strength"] == "partial"
    # deterministic: the same record and key give the same object
    record = _record(profiles)
    assert build_evidence(record, "k") == build_evidence(json.loads(canonical_json(record)), "k")


def test_schema_catches_shape_errors(profiles: dict[str, Profile]) -> None:
    ev = build_evidence(_record(profiles), "kid-1")
    ev["proofs"]["face_match"]["strength"] = "excellent"
    ev["surprise"] = 1
    del ev["device"]["camera"]
    errors = schema_errors(ev)
    assert len(errors) == 3
    assert any(e.startswith("/proofs/face_match/strength") for e in errors)


def _forge(evidence: dict[str, Any], keys: KeyStore) -> str:
    """Sign an altered object with the kiosk's own key (a valid signature over a false claim)."""
    key = keys.active()
    header = {"alg": "ES256", "kid": key.kid, "typ": EVIDENCE_TYP}
    return jws.serialize_compact(header, canonical_json(evidence), key.key, algorithms=["ES256"])


def test_offline_verification_and_tampering(profiles: dict[str, Profile], keys: KeyStore) -> None:
    record = _record(profiles)
    token = build_signed_evidence(record, keys)
    jwks = keys.public_keyset()
    record_jws = RecordSigner(keys, "urn:test").sign(record, "urn:cccd:bank:ekyc", time.time() - 86400 * 30)
    ok = verify_evidence(token, jwks, record_jws=record_jws, images={"live": IMAGES.live_jpeg,
                                                                   "chip": IMAGES.chip_image})  # fmt: skip
    assert ok["valid"] is True, ok["problems"]  # a month later: the record's exp does not matter offline
    assert verify_evidence(token, jwks, record=record)["valid"] is True

    # 1. a raised score, re-signed with the kiosk's key: the signature holds, the record contradicts it
    raised = build_evidence(_record(profiles, face=replace(FACE_OK, score=0.49)), keys.active().kid)
    assert raised["proofs"]["face_match"]["score"] == 0.49
    record_low = _record(profiles, face=replace(FACE_OK, score=0.49, decision="no_match"))
    forged = json.loads(json.dumps(build_evidence(record_low, keys.active().kid)))
    forged["proofs"]["face_match"]["score"] = 0.95
    res = verify_evidence(_forge(forged, keys), jwks, record=record_low)
    assert (
        not res["valid"]
        and "evidence: /proofs/face_match/score differs from what the record proves" in res["problems"]
    )
    # 2. the payload's bytes changed without the key: the signature fails
    head, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["proofs"]["face_match"]["score"] = 0.99
    fake = ".".join([head, base64.urlsafe_b64encode(canonical_json(body)).rstrip(b"=").decode(), sig])
    assert verify_evidence(fake, jwks, record=record)["problems"][0].startswith(
        "evidence: signature not valid"
    )
    # 3. a "passed" that was "csca_unknown"
    rec_unknown = _record(profiles, chip=CHIP_CSCA_UNKNOWN)
    upgraded = build_evidence(rec_unknown, keys.active().kid)
    upgraded["proofs"]["passive_authentication"].update(result="passed", strength="verified")
    res = verify_evidence(_forge(upgraded, keys), jwks, record=rec_unknown)
    assert not res["valid"] and any("passive_authentication/result" in p for p in res["problems"])
    # 4. evidence of another transaction / another record with the same ID
    other = _record(profiles)
    assert not verify_evidence(token, jwks, record=other)["valid"]
    edited = dict(record) | {"status": "verified", "reasons": ["X"]}
    res = verify_evidence(token, jwks, record=edited)
    assert "record: record_sha256 does not match the record" in res["problems"]
    # 5. another kiosk's keys; a tampered record JWS; swapped images
    assert not verify_evidence(token, KeyStore.open(keys.directory.parent / "other").public_keyset(),
                               record=record)["valid"]  # fmt: skip
    assert not verify_evidence(token, jwks, record_jws=record_jws[:-4] + "AAAA")["valid"]
    res = verify_evidence(token, jwks, record=record, images={"live": b"another face"})
    assert res["problems"] == ["images: the live image is not the one the evidence names"]
    # 6. a valid signature with the record's typ (a record JWS passed off as evidence)
    assert "wrong JWS type" in verify_evidence(record_jws, jwks, record=record)["problems"][0]
    # 7. signing with a key the object does not name is refused
    with pytest.raises(ValueError):
        sign_evidence(build_evidence(record, "not-my-kid"), keys)


def test_bank_connector_delivers_it(tmp_path: Path, profiles: dict[str, Profile], keys: KeyStore,
                                    secret: str, receiver: RunningReceiver,
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    profile = profiles["bank"]
    record = _record(profiles)
    settings = next(c for c in profile.connectors if c.kind == "bank_webhook")
    connector = build_connector(settings, profile, RecordSigner(keys, "urn:cccd:kiosk:test"), receiver.url)
    reads: list[int] = []  # the kiosk's reads of the key file (the receiver's thread reads its JWKS)
    active = KeyStore.active

    def counted(store: KeyStore) -> DeviceKey:
        reads.append(threading.get_ident())
        return active(store)

    monkeypatch.setattr(KeyStore, "active", counted)
    try:
        result = connector.deliver(DeliveryContext(record["verification_id"], record, IMAGES, time.time()))
    finally:
        connector.close()
    assert result.outcome == "sent", result
    assert reads.count(threading.get_ident()) == 1  # one cached key signs the record and the evidence
    (body,) = [row[0] for row in receiver.store.conn.execute("SELECT body FROM deliveries")]
    body_file = tmp_path / "bank-body.json"
    body_file.write_bytes(body)
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(keys.jwks()))
    data = json.loads(body)["data"]
    assert json.loads(base64.urlsafe_b64decode(data["evidence_jws"].split(".")[1] + "=="))[
        "record_sha256"
    ] == record_sha256(record)
    done = subprocess.run([sys.executable, "-m", "cccd", "evidence", "verify", str(body_file), "--jwks",
                           str(jwks_file)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "meets Decision 2345: True" in done.stdout
    # the same body with a swapped live image fails
    data["biometric_evidence"]["live_image"]["data"] = base64.b64encode(b"other").decode()
    body_file.write_text(json.dumps({"data": data}))
    assert main(["evidence", "verify", str(body_file), "--jwks", str(jwks_file), "--json"]) == 1


def test_cli_inputs(tmp_path: Path, profiles: dict[str, Profile], keys: KeyStore,
                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    record = _record(profiles)
    ev = tmp_path / "evidence.jws"
    ev.write_text(build_signed_evidence(record, keys))
    rec = tmp_path / "record.json"
    rec.write_text(json.dumps(record, ensure_ascii=False))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    assert main(["evidence", "verify", str(ev), "--jwks", str(jwks), "--record", str(rec), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checked_against_record"] is True
    assert main(["evidence", "verify", str(ev), "--jwks", str(jwks)]) == 2  # nothing to check against
    assert "--record" in capsys.readouterr().err
    assert (
        main(["evidence", "verify", str(tmp_path / "nope"), "--jwks", str(jwks), "--record", str(rec)]) == 2
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["evidence", "verify", str(bad), "--jwks", str(jwks)]) == 2
    assert main(["evidence", "verify", str(ev), "--jwks", str(bad), "--record", str(rec)]) == 2


@pytest.mark.slow
def test_every_bank_scenario_of_the_headless_kiosk_gives_valid_evidence(tmp_path: Path) -> None:
    """The real flow's records (every scripted bank scenario), not hand-made ones: each yields an evidence
    object that fits the schema and verifies offline against its record."""
    import os

    from kiosk.storage import KioskStore

    env = dict(os.environ, CCCD_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "cccd", "kiosk", "--headless", "--sim", "--profile", "bank",
                           "--scenario", "all", "--face", "ground-truth", "--json"],
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    keys = KeyStore.open(tmp_path / "keys", create=False)
    store = KioskStore(tmp_path / "kiosk.db", keys)
    try:
        records = store.records("bank")
    finally:
        store.close()
    assert len(records) >= 8
    statuses = set()
    for record in records:
        token = build_signed_evidence(record, keys)
        result = verify_evidence(token, keys.public_keyset(), record=record)
        assert result["valid"], (record["status"], result["problems"])
        statuses.add((record["status"], result["evidence"]["conclusion"]["meets_decision_2345"]))
    assert {("verified", True), ("not_verified", False), ("referred", False)} <= statuses


def test_the_reference_receiver_refuses_a_forged_evidence_object(
    profiles: dict[str, Profile], keys: KeyStore, secret: str, receiver: RunningReceiver
) -> None:
    from kiosk.connectors.bank import BankWebhookConnector

    profile = profiles["bank"]
    record = _record(profiles)
    forged = build_evidence(record, keys.active().kid)
    forged["proofs"]["liveness"] = {
        "method": "certified-pad-level-2",
        "result": "passed",
        "strength": "verified",
    }

    class Forging(BankWebhookConnector):
        def envelope(self, ctx: DeliveryContext, event: str, data: Any) -> dict[str, Any]:
            return super().envelope(ctx, event, dict(data) | {"evidence_jws": _forge(forged, keys)})

    settings = next(c for c in profile.connectors if c.kind == "bank_webhook")
    connector = Forging(
        settings, profile, RecordSigner(keys, "urn:cccd:kiosk:test"), receiver.url + "/webhooks/bank"
    )
    try:
        result = connector.deliver(DeliveryContext(record["verification_id"], record, None, time.time()))
    finally:
        connector.close()
    assert (result.outcome, result.status) == ("dead", 400)
    assert receiver.store.conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_signed_images_are_exactly_the_images_the_record_names() -> None:
    """kiosk.evidence.signed_images: the hub's and the receiver's one check of a bank delivery's images."""
    import base64
    import hashlib

    from kiosk.evidence import ImagesMalformed, ImagesNotSigned, signed_images

    live, chip = b"\xff\xd8live", b"\xff\xd8chip"
    claims = {"biometric": {"image_sha256": [hashlib.sha256(x).hexdigest() for x in (live, chip)]}}

    def part(data: bytes) -> dict[str, str]:
        return {"data": base64.b64encode(data).decode()}

    assert signed_images(None, claims) is None
    evidence = {"live_image": part(live), "chip_image": part(chip) | {"content_type": "image/jp2"}}
    assert signed_images(evidence, claims) == (live, chip, "image/jp2")
    with pytest.raises(ImagesNotSigned):
        signed_images({"live_image": part(b"other"), "chip_image": part(chip)}, claims)
    for bad in ({"live_image": part(live)}, {"live_image": {"data": "%%"}, "chip_image": part(chip)},
                {"live_image": part(live), "chip_image": "x"}):  # fmt: skip
        with pytest.raises(ImagesMalformed):
            signed_images(bad, claims)

"""The verification record: status policy, minimisation, OIDC IA vocabulary, ES256 JWS with rotation."""

from __future__ import annotations

import base64
import json
import os
import stat
import time

import pytest

from kiosk.keys import KeyStore, KeyStoreError, RecordSigner, RecordVerificationError, verify_record_jws
from kiosk.profiles import Profile
from kiosk.record import ChipEvidence
from kiosk.subject import SubjectClaims
from tests.helpers.delivery import (
    CHIP_CLONE,
    CHIP_CSCA_UNKNOWN,
    FACE_MISMATCH,
    SUBJECT,
    TEST_ID,
    TEST_NAME,
    make_record,
)


def test_verified_hospital_record(profiles: dict[str, Profile]) -> None:
    r = make_record(profiles["hospital"])
    assert (r.status, r.reasons) == ("verified", ())
    doc = r.document
    assert len(doc["verification_id"]) == 26  # a ULID
    vc = doc["verified_claims"]
    assert vc["verification"]["trust_framework"] == "vn_cccd_kiosk"
    evidence = vc["verification"]["evidence"][0]
    assert evidence["type"] == "document"
    assert [c["check_method"] for c in evidence["check_details"]] == ["vcrypt", "bvp"]
    assert evidence["document_details"]["personal_number"] == TEST_ID
    claims = vc["claims"]
    assert (
        claims["name"] == TEST_NAME
        and claims["family_name"] == "Nguyễn"
        and claims["birthdate"] == "2003-06-15"
    )
    assert claims["gender"] == "female" and claims["nationalities"] == ["VN"]
    assert "vn_religion" not in claims and "vn_old_id_number" not in claims  # not forwarded by hospital
    assert doc["document"]["passive_auth"]["result"] == "passed"
    assert doc["consent"]["text_sha256"] and doc["kiosk"]["device_id"] == "kiosk-test-01"


def test_minimisation_per_profile(profiles: dict[str, Profile]) -> None:
    claims = make_record(profiles["lodging"]).document["verified_claims"]["claims"]
    assert "address" not in claims and "vn_ethnicity" not in claims and claims["name"] == TEST_NAME
    full = make_record(profiles["public_service"]).document["verified_claims"]["claims"]
    assert full["vn_religion"] == "Không" and full["address"]["formatted"].startswith("1 Phố")


@pytest.mark.parametrize(
    ("profile", "kw", "status", "reason"),
    [
        ("hospital", {"face": FACE_MISMATCH}, "not_verified", "FACE_MISMATCH"),
        ("bank", {"chip": CHIP_CLONE}, "not_verified", "CA_FAILED"),
        ("hospital", {"chip": CHIP_CSCA_UNKNOWN}, "verified", None),
        ("bank", {"chip": CHIP_CSCA_UNKNOWN}, "referred", "CSCA_UNKNOWN"),
        ("hospital", {"chip": None, "flow_reasons": ("CHIP_UNREADABLE",)}, "referred", "CHIP_UNREADABLE"),
        ("hospital", {"face": None}, "referred", "FACE_NOT_PERFORMED"),
        ("public_service", {"face": None}, "verified", None),
        ("lodging", {"flow_reasons": ("CARD_REMOVED",)}, "referred", "CARD_REMOVED"),
    ],
)
def test_status_policy(
    profiles: dict[str, Profile], profile: str, kw: dict[str, object], status: str, reason: str | None
) -> None:
    r = make_record(profiles[profile], **kw)
    assert r.status == status
    assert (reason in r.reasons) if reason else r.reasons == ()
    if status != "verified":
        assert r.document["verified_claims"] is None  # no identity claims leave an unverified record


def test_liveness_failure_is_not_verified(profiles: dict[str, Profile]) -> None:
    from dataclasses import replace

    from tests.helpers.delivery import FACE_OK

    r = make_record(profiles["bank"], face=replace(FACE_OK, liveness_result="failed"))
    assert r.status == "not_verified" and "LIVENESS_FAILED" in r.reasons


def test_reprs_hide_personal_data(profiles: dict[str, Profile]) -> None:
    r = make_record(profiles["hospital"])
    for text in (repr(r), repr(SUBJECT)):
        assert TEST_ID not in text and "Nguyễn" not in text
    with pytest.raises(ValueError, match="masked"):
        ChipEvidence(document_number_masked="303001234", access_method="BAC", verdict="authentic")
    with pytest.raises(ValueError, match="DG3"):
        ChipEvidence(
            document_number_masked="303***234",
            access_method="BAC",
            verdict="authentic",
            data_groups_read=("DG1", "DG3"),
        )
    assert SubjectClaims(full_name="X").minimised(frozenset({"id_number"})) == {}


def test_sign_and_verify_across_rotation(profiles: dict[str, Profile], keys: KeyStore) -> None:
    record = dict(make_record(profiles["bank"]).document)
    signer = RecordSigner(keys, "urn:cccd:kiosk:test")
    now = time.time()
    old = signer.sign(record, "urn:cccd:bank:ekyc", now)
    header = json.loads(base64.urlsafe_b64decode(old.split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["kid"] == keys.active().kid
    first = keys.active().kid
    keys.rotate()
    new = signer.sign(record, "urn:cccd:bank:ekyc", now)
    jwks = keys.public_keyset()
    a = verify_record_jws(old, jwks, "urn:cccd:bank:ekyc", now)
    b = verify_record_jws(new, jwks, "urn:cccd:bank:ekyc", now)
    assert a["kid"] == first and b["kid"] != first and a["sub"] == record["verification_id"]
    assert {"iss", "sub", "aud", "iat", "exp", "jti", "kid"} <= set(b)
    assert len(keys.jwks()["keys"]) == 2 and keys.jwks()["keys"][0]["kid"] == b["kid"]


def test_verification_failures(profiles: dict[str, Profile], keys: KeyStore) -> None:
    record = dict(make_record(profiles["bank"]).document)
    signer = RecordSigner(keys, "urn:cccd:kiosk:test", lifetime_seconds=300)
    now = time.time()
    token = signer.sign(record, "aud-a", now)
    jwks = keys.public_keyset()
    with pytest.raises(RecordVerificationError, match="audience"):
        verify_record_jws(token, jwks, "aud-b", now)
    with pytest.raises(RecordVerificationError, match="expired"):
        verify_record_jws(token, jwks, "aud-a", now + 3600)
    later = verify_record_jws(token, jwks, "aud-a", now + 86400 * 30, check_time=False)  # offline re-check
    assert later["verification_id"] == record["verification_id"]
    with pytest.raises(RecordVerificationError, match="signature"):  # the signature still counts
        verify_record_jws(token[:-4] + "AAAA", jwks, None, now, check_time=False)
    h, p, s = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    forged["status"] = "verified"
    forged["reasons"] = []
    p2 = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(RecordVerificationError, match="signature"):
        verify_record_jws(f"{h}.{p2}.{s}", jwks, "aud-a", now)
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(RecordVerificationError):
        verify_record_jws(f"{none_header}.{p}.", jwks, "aud-a", now)
    other = KeyStore.open(keys.directory.parent / "other")
    with pytest.raises(RecordVerificationError):
        verify_record_jws(token, other.public_keyset(), "aud-a", now)


def test_key_store_files_are_private(keys: KeyStore) -> None:
    path = keys.directory / "signing.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys.secret("audit")
    assert stat.S_IMODE((keys.directory / "audit.key").stat().st_mode) == 0o600
    private_d = keys.active().key.as_dict(private=True)["d"]
    assert isinstance(private_d, str) and private_d not in repr(keys.active())
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError, match="readable by others"):
        keys.active()

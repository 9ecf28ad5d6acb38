"""The bank evidence object: what one transaction proved, and how strongly, for SBV Decision 2345/QĐ-NHNN
(docs/evidence.md; schema ``kiosk/schemas/bank-evidence-1.schema.json``).

The object is *derived* from the verification record (kiosk.record) alone, deterministically: the same
record and signing key id always give the same object.  That is what makes it checkable offline —
:func:`verify_evidence` re-derives it from the record the bank received and compares field by field, so
an evidence object that claims more than the record (a raised score, a "passed" that was "csca_unknown")
fails even when it carries a valid signature.

It is signed as a compact JWS, ES256, with the kiosk's active device key (kiosk.keys), header ``typ``
:data:`EVIDENCE_TYP`.  It binds to the record by ``record_sha256``: SHA-256 of the record's canonical
JSON (:meth:`kiosk.record.VerificationRecord.to_json`: sorted keys, no spaces, UTF-8).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from joserfc import jws
from joserfc.jwk import KeySet

from kiosk.keys import (
    DeviceKey,
    KeyStore,
    RecordVerificationError,
    canonical_json,
    read_jws,
    verify_record_jws,
)

EVIDENCE_FORMAT = "cccd-bank-evidence"
EVIDENCE_VERSION = 1
EVIDENCE_TYP = "cccd-bank-evidence+jws"
SCHEMA_RESOURCE = "bank-evidence-1.schema.json"
REGULATION = {
    "decision": "2345/QĐ-NHNN",
    "in_force": "2024-07-01",
    "also": ["17/2024/TT-NHNN", "18/2024/TT-NHNN"],
}
#: The JWT claims :class:`kiosk.keys.RecordSigner` adds to a record; removed to recover the record itself.
RECORD_JWT_CLAIMS = frozenset({"iss", "sub", "aud", "iat", "exp", "jti", "kid"})


class EvidenceError(Exception):
    """An evidence object or its record cannot be read (malformed input), as opposed to one that fails."""


def record_sha256(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


# --- strength of each proof -------------------------------------------------------------------------
# "verified": the proof holds at full strength; "partial": it holds with a stated limitation;
# "failed": it was performed and contradicts the claim; "absent": not performed or not recorded.


def _pa(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    pa = (doc or {}).get("passive_auth") or {}
    result = pa.get("result") or "not_performed"
    strength = {"passed": "verified", "csca_unknown": "partial", "failed": "failed"}.get(result, "absent")
    meaning = {
        "verified": "SOD signature chains to a trusted CSCA and every data-group hash matches",
        "partial": "SOD signature and hashes valid; its CSCA is not in the trust store (CSCA_UNKNOWN)",
        "failed": "SOD signature, chain or a data-group hash does not verify",
        "absent": "not performed",
    }[strength]
    return {
        "result": result,
        "strength": strength,
        "meaning": meaning,
        "trust_anchor": pa.get("trust_anchor"),
        "hash_check": pa.get("hash_check"),
        "sod_sha256": (doc or {}).get("sod_sha256"),
        "document_signer": (doc or {}).get("document_signer"),
    }


def _chip_proofs(doc: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Anti-clone (the proof the verdict relies on), and Chip / Active Authentication as recorded."""
    ca = (doc or {}).get("chip_auth") or {}
    method, result, bound = (
        ca.get("method") or "none",
        ca.get("result") or "not_performed",
        ca.get("bound_to_passive_auth") is True,
    )
    if result == "passed":
        strength = "verified" if bound else "partial"
    else:
        strength = "failed" if result == "failed" else "absent"
    anticlone = {"method": method, "result": result, "bound_to_passive_auth": bound, "strength": strength}

    def one(name: str, methods: tuple[str, ...]) -> dict[str, Any]:
        if method in methods:
            return {"result": result, "strength": strength, "protocol": method}
        return {"result": "not_recorded", "strength": "absent", "protocol": None}

    return anticlone, one("chip", ("CA", "PACE-CAM")), one("active", ("AA",))


def _access(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    ac = (doc or {}).get("access_control") or {}
    method, downgraded = ac.get("method"), ac.get("downgraded") is True
    if method is None:
        strength = "absent"
    else:
        strength = "verified" if method == "PACE" and not downgraded else "partial"
    return {"method": method, "protocol": ac.get("protocol"), "downgraded": downgraded, "strength": strength}


def _face(bio: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    b = bio or {}
    decision = b.get("decision") or "not_performed"
    score, threshold = b.get("score"), b.get("threshold")
    meets = (
        score >= threshold if isinstance(score, int | float) and isinstance(threshold, int | float) else None
    )
    strength = {"match": "verified", "no_match": "failed"}.get(decision, "absent")
    if strength == "verified" and meets is not True:
        strength = "partial"  # a match without a score at or above its threshold is not a full proof
    face = {
        "engine": b.get("engine"),
        "decision": decision,
        "score": score,
        "threshold": threshold,
        "comparison": "score >= threshold means the same person",
        "score_meets_threshold": meets,
        "target_fmr": b.get("target_fmr"),
        "attempts": b.get("attempts", 0),
        "image_sha256": list(b.get("image_sha256") or []),
        "images_retained": b.get("images_retained", False),
        "strength": strength,
    }
    live = b.get("liveness") or {}
    result = live.get("result") or "not_performed"
    liveness = {
        "method": live.get("type"),
        "result": result,
        "strength": {"passed": "verified", "failed": "failed"}.get(result, "absent"),
    }
    return face, liveness


def build_evidence(record: Mapping[str, Any], signing_key_id: str) -> dict[str, Any]:
    """The evidence object of a record (JSON-ready; deterministic).  ``signing_key_id``: the ``kid`` that
    signs it, named inside so that the device's identity and key travel together."""
    doc, bio, kiosk = record.get("document"), record.get("biometric"), record.get("kiosk") or {}
    pa = _pa(doc)
    anticlone, chip_auth, active_auth = _chip_proofs(doc)
    face, liveness = _face(bio)
    online = (doc or {}).get("online_check")
    genuine = pa["strength"] == "verified" and anticlone["strength"] == "verified"
    person = face["strength"] == "verified" and liveness["strength"] == "verified"
    times = record.get("times") or {}
    return {
        "format": EVIDENCE_FORMAT,
        "version": EVIDENCE_VERSION,
        "regulation": REGULATION,
        "verification_id": record["verification_id"],
        "record_sha256": record_sha256(record),
        "profile": record.get("profile"),
        "time": {"started": times.get("started"), "completed": times.get("completed")},
        "device": {
            "device_id": kiosk.get("device_id"),
            "site_id": kiosk.get("site_id"),
            "software_version": kiosk.get("software_version"),
            "reader_model": kiosk.get("reader_model"),
            "camera": kiosk.get("camera"),
            "signing_key_id": signing_key_id,
        },
        "document": {
            "type": (doc or {}).get("type"),
            "number_masked": (doc or {}).get("number_masked"),
            "data_groups_read": list((doc or {}).get("data_groups_read") or []),
        },
        "consent_id": (record.get("consent") or {}).get("consent_id"),
        "proofs": {
            "access_control": _access(doc),
            "passive_authentication": pa,
            "anti_clone": anticlone,
            "chip_authentication": chip_auth,
            "active_authentication": active_auth,
            "face_match": face,
            "liveness": liveness,
            "online_check": (
                {"provider": online.get("provider"), "result": online.get("result")} if online else None
            ),
        },
        "conclusion": {
            "status": record.get("status"),
            "reasons": list(record.get("reasons") or []),
            "chip_genuinely_issued": genuine,
            "live_person_matches_chip": person,
            "meets_decision_2345": bool(genuine and person and record.get("status") == "verified"),
        },
    }


# --- signing and verification ------------------------------------------------------------------------


def sign_evidence(evidence: Mapping[str, Any], keys: KeyStore | DeviceKey) -> str:
    """Compact JWS (ES256) of the evidence object with the kiosk's active key (or the key given: a
    :class:`kiosk.keys.RecordSigner`'s cached one)."""
    key = keys.active() if isinstance(keys, KeyStore) else keys
    if evidence["device"]["signing_key_id"] != key.kid:
        raise ValueError("the evidence names another signing key")
    header = {"alg": "ES256", "kid": key.kid, "typ": EVIDENCE_TYP}
    return jws.serialize_compact(header, canonical_json(evidence), key.key, algorithms=["ES256"])


def build_signed_evidence(record: Mapping[str, Any], keys: KeyStore | DeviceKey) -> str:
    """The evidence object of ``record``, signed; one key names ``signing_key_id`` and signs."""
    key = keys.active() if isinstance(keys, KeyStore) else keys
    return sign_evidence(build_evidence(record, key.kid), key)


@cache
def evidence_schema() -> dict[str, Any]:
    text = resources.files("kiosk.schemas").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(evidence: Any) -> list[str]:
    """JSON Schema (draft 2020-12) violations, as ``path: message`` lines; empty when valid."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(evidence_schema())
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(evidence), key=lambda e: list(e.absolute_path))
    ]


def _verify_jws(token: str, keys: KeySet, typ: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        headers, payload = read_jws(token.strip(), keys)
    except RecordVerificationError as exc:
        raise _Invalid(str(exc)) from None
    if headers.get("typ") != typ:
        raise _Invalid(f"wrong JWS type {headers.get('typ')!r}")
    if not isinstance(payload, dict):
        raise _Invalid("payload is not a JSON object")
    return headers, payload


class _Invalid(Exception):
    pass


class ImagesMalformed(ValueError):
    """Biometric evidence without a base64 ``live_image`` and ``chip_image``."""


class ImagesNotSigned(ValueError):
    """Biometric evidence whose images are not the ones the signed record's hashes name."""


def signed_images(evidence: Any, claims: Mapping[str, Any]) -> tuple[bytes, bytes, str] | None:
    """A bank delivery's biometric evidence (``live_image``, ``chip_image``: base64 ``data``, the chip
    image's ``content_type``) as ``(live, chip, chip content type)`` — exactly the images whose SHA-256 the
    signed record carries (``biometric.image_sha256``), or :class:`ImagesMalformed` /
    :class:`ImagesNotSigned`; ``None`` without evidence.  The hub and the receiver both check it so."""
    if evidence is None:
        return None
    signed = set((claims.get("biometric") or {}).get("image_sha256") or [])
    try:
        live = base64.b64decode(evidence["live_image"]["data"], validate=True)
        chip = base64.b64decode(evidence["chip_image"]["data"], validate=True)
        chip_type = str(evidence["chip_image"].get("content_type") or "image/jpeg")
    except (KeyError, TypeError, AttributeError, ValueError):
        raise ImagesMalformed("live_image and chip_image with base64 data") from None
    if hashlib.sha256(live).hexdigest() not in signed or hashlib.sha256(chip).hexdigest() not in signed:
        raise ImagesNotSigned("the images are not the ones the signed record names")
    return live, chip, chip_type


def record_from_jws(token: str, keys: KeySet) -> dict[str, Any]:
    """The record a signed record JWS carries (:func:`kiosk.keys.verify_record_jws`, without its time
    checks: this is an offline re-check, long after the short ``exp``), without the JWT claims the signer
    added."""
    try:
        claims = verify_record_jws(token.strip(), keys, None, 0.0, check_time=False)
    except RecordVerificationError as exc:
        raise _Invalid(str(exc)) from None
    return record_from_claims(claims)


def record_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The record inside the claims of a verified record JWS: without :data:`RECORD_JWT_CLAIMS`."""
    return {k: v for k, v in claims.items() if k not in RECORD_JWT_CLAIMS}


def verify_evidence(
    evidence_jws: str,
    keys: KeySet,
    *,
    record: Mapping[str, Any] | None = None,
    record_jws: str | None = None,
    images: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Re-check an evidence object offline.  Returns ``{"valid": bool, "problems": [...], "evidence": ...}``.

    Checks: the ES256 signature under a key of ``keys`` and the header ``typ``; the schema; when the record
    is given (as JSON, or as the signed record JWS, whose signature is checked too): the same verification
    ID, ``record_sha256``, the same signing key for both, and every field equal to what
    :func:`build_evidence` derives from that record; when ``images`` are given (``live``, ``chip``), their
    SHA-256 values against ``face_match.image_sha256``.
    """
    problems: list[str] = []
    try:
        headers, evidence = _verify_jws(evidence_jws, keys, EVIDENCE_TYP)
    except _Invalid as exc:
        return {"valid": False, "problems": [f"evidence: {exc}"], "evidence": None}
    problems += [f"schema {e}" for e in schema_errors(evidence)]
    kid = headers.get("kid")
    if evidence.get("device", {}).get("signing_key_id") != kid:
        problems.append("evidence: signed with another key than device.signing_key_id names")
    if record_jws is not None:
        try:
            record = record_from_jws(record_jws, keys)
        except _Invalid as exc:
            problems.append(f"record: {exc}")
            record = None
    if record is not None:
        if record.get("verification_id") != evidence.get("verification_id"):
            problems.append("record: another verification ID")
        elif record_sha256(record) != evidence.get("record_sha256"):
            problems.append("record: record_sha256 does not match the record")
        expected = build_evidence(record, str(kid))
        for path in _differences(expected, evidence):
            problems.append(f"evidence: {path} differs from what the record proves")
    if images is not None:
        listed = evidence.get("proofs", {}).get("face_match", {}).get("image_sha256", [])
        for name, data in images.items():
            if hashlib.sha256(data).hexdigest() not in listed:
                problems.append(f"images: the {name} image is not the one the evidence names")
    return {
        "valid": not problems,
        "problems": problems,
        "evidence": evidence,
        "checked_against_record": record is not None,
    }


def _differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            out += _differences(expected.get(key, _MISSING), actual.get(key, _MISSING), f"{path}/{key}")
        return out
    return [] if expected == actual and type(expected) is type(actual) else [path or "/"]


_MISSING = object()

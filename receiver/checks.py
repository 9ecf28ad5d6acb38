"""What the receiver checks inside an authenticated request (docs/receiver.md, "Checks").

Pure functions over the parsed body and the claims of the verified JWS (:func:`kiosk.keys.verify_record_jws`);
each failure is a :class:`Rejected` carrying the HTTP status.  Messages never quote personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joserfc.jwk import KeySet

from kiosk.evidence import (
    ImagesMalformed,
    ImagesNotSigned,
    record_from_claims,
    signed_images,
    verify_evidence,
)
from kiosk.subject import subject_fields


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


#: Envelope keys that carry the person's name or ID number (bank/public-service ``subject``/``fields``,
#: HIS ``patient`` (QĐ 130 names), lodging ``guest_declaration``): each must equal the signed value.
NAME_KEYS = frozenset({"full_name", "HO_TEN"})
ID_KEYS = frozenset({"id_number", "SO_CCCD"})
_SKIP = frozenset({"record_jws", "biometric_evidence"})


def check_envelope(data: Any, claims: Mapping[str, Any]) -> None:
    """The unsigned envelope may not contradict the signed record: the verification ID, profile, status,
    and every name, ID number or subject field it carries must be the signed ones."""
    if not isinstance(data, dict):
        raise Rejected(400, "data is not an object")
    if data.get("verification_id") != claims.get("sub"):
        raise Rejected(400, "envelope and signed record disagree (verification ID)")
    for key in ("profile", "status"):
        if key in data and data[key] != claims.get(key):
            raise Rejected(400, f"envelope and signed record disagree ({key})")
    subject = subject_fields(claims)
    _walk({k: v for k, v in data.items() if k not in _SKIP}, subject, 0)


def _walk(node: Any, subject: Mapping[str, Any], depth: int) -> None:
    if depth > 16:
        raise Rejected(400, "envelope nested too deeply")
    if isinstance(node, list):
        for item in node:
            _walk(item, subject, depth + 1)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in NAME_KEYS and value != subject.get("full_name"):
            raise Rejected(400, "envelope and signed record disagree (name)")
        if key in ID_KEYS and value != subject.get("id_number"):
            raise Rejected(400, "envelope and signed record disagree (ID number)")
        if key in ("subject", "fields") and isinstance(value, dict):
            for field, v in value.items():
                if field not in subject or subject[field] != v:
                    raise Rejected(400, f"envelope and signed record disagree ({key}.{field})")
        _walk(value, subject, depth + 1)


def check_evidence(evidence: Any, claims: Mapping[str, Any]) -> None:
    """Biometric evidence must be exactly the images whose hashes the signed record carries
    (:func:`kiosk.evidence.signed_images`)."""
    try:
        signed_images(evidence, claims)
    except ImagesMalformed:
        raise Rejected(400, "malformed biometric evidence") from None
    except ImagesNotSigned:
        raise Rejected(422, "biometric evidence does not match the signed record") from None


def check_patient(resource: Any, system: str, value: str, claims: Mapping[str, Any]) -> None:
    """A conditional update's Patient: the condition's identifier, carried by the resource, and the signed
    record's ID number and name (a FHIR write needs the JWS: docs/receiver.md)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        raise Rejected(400, "conditional update needs a Patient")
    if claims.get("status") != "verified":
        raise Rejected(422, "the signed record is not verified")
    subject = subject_fields(claims)
    identifiers = resource.get("identifier")
    if not isinstance(identifiers, list) or not all(isinstance(i, dict) for i in identifiers):
        raise Rejected(400, "Patient.identifier is not a list of identifiers")
    if (system, value) not in [(i.get("system"), i.get("value")) for i in identifiers]:
        raise Rejected(400, "the Patient does not carry the identifier of the condition")
    if value != subject.get("id_number"):
        raise Rejected(400, "the identifier is not the signed record's ID number")
    names = resource.get("name") or []
    texts = [n.get("text") for n in names if isinstance(n, dict)] if isinstance(names, list) else [None]
    if any(t != subject.get("full_name") for t in texts):
        raise Rejected(400, "the Patient's name is not the signed record's")


def check_evidence_object(evidence_jws: Any, claims: Mapping[str, Any], keys: KeySet) -> None:
    """Refuse a bank delivery whose evidence object (docs/evidence.md) does not verify against the record it
    comes with (:func:`kiosk.evidence.verify_evidence`), given as the claims of its already verified JWS."""
    if not isinstance(evidence_jws, str):
        raise Rejected(400, "evidence_jws is not a compact JWS")
    result = verify_evidence(evidence_jws, keys, record=record_from_claims(claims))
    if not result["valid"]:
        raise Rejected(400, f"evidence object: {_without_values(result['problems'][0])}")


def _without_values(problem: str) -> str:
    """A problem of :func:`kiosk.evidence.verify_evidence` fit to answer with: a schema violation's
    message quotes the offending value (possibly an ID number), so only its path is kept."""
    if problem.startswith("schema "):
        path = problem.removeprefix("schema ").partition(": ")[0]
        return f"schema violation at {path}"
    return problem

"""The verification record (integrations.md, "The verification record") and its ES256 signature.

The flow fills the input dataclasses from the chip report and the face decision; :func:`build_record`
decides the status with the profile's policy and produces a JSON-ready record whose subject claims are
only the profile's forwarded fields, in the OpenID Connect for Identity Assurance 1.0 ``verified_claims``
vocabulary (evidence ``document`` checked by ``vcrypt``; face comparison as ``bvp``).
:class:`kiosk.keys.RecordSigner` signs it as a compact JWS (ES256).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from kiosk.keys import canonical_json
from kiosk.profiles import Profile
from kiosk.subject import SubjectClaims, document_details, oidc_claims


def new_ulid() -> str:
    return str(ULID())


def _iso(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("times in the record must be timezone-aware")
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class KioskIdentity:
    device_id: str
    site_id: str
    software_version: str
    reader_model: str
    camera: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """Verifiable consent (integrations.md duty 2): what was shown (SHA-256), what was chosen, when, where."""

    consent_id: str
    profile: str
    text_sha256: str
    language: str
    purposes_offered: tuple[str, ...]
    purposes_given: tuple[str, ...]
    given_at: datetime
    method: str  # "touch" | "voice" | "staff"
    device_id: str

    @classmethod
    def create(cls, profile: Profile, language: str, choices: Mapping[str, bool], method: str,
               device_id: str, now: datetime) -> ConsentRecord:  # fmt: skip
        """Record the choices against the exact text of :meth:`Profile.consent_document`."""
        text = profile.consent_document(language)
        offered = tuple(p.id for p in profile.purposes)
        unknown = set(choices) - set(offered)
        if unknown:
            raise ValueError(f"choices for purposes the profile does not offer: {sorted(unknown)}")
        return cls(
            consent_id=new_ulid(), profile=profile.name,
            text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), language=language,
            purposes_offered=offered, purposes_given=tuple(p for p in offered if choices.get(p) is True),
            given_at=now, method=method, device_id=device_id,
        )  # fmt: skip

    def covers(self, profile: Profile) -> bool:
        """True when every purpose the profile requires was chosen."""
        return all(p.id in self.purposes_given for p in profile.purposes if p.required)

    def to_dict(self) -> dict[str, Any]:
        return {"consent_id": self.consent_id, "text_sha256": self.text_sha256, "language": self.language,
                "purposes": list(self.purposes_given), "purposes_offered": list(self.purposes_offered),
                "given_at": _iso(self.given_at), "method": self.method}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocumentSigner:
    subject: str
    serial: str
    not_after: str


@dataclass(frozen=True, slots=True)
class ChipEvidence:
    """Per-check chip results (after reader.report: verdict ``authentic|not_authentic|inconclusive``)."""

    document_number_masked: str
    access_method: str  # "PACE" | "BAC"
    verdict: str
    verdict_reasons: tuple[str, ...] = ()
    access_protocol: str | None = None
    downgraded: bool = False
    data_groups_read: tuple[str, ...] = ()
    sod_sha256: str | None = None
    document_signer: DocumentSigner | None = None
    passive_auth: str = "not_performed"  # "passed" | "csca_unknown" | "failed" | "not_performed"
    trust_anchor: str | None = None
    hashes_valid: bool | None = None
    chip_auth_method: str = "none"  # "CA" | "PACE-CAM" | "AA" | "none"
    chip_auth_result: str = "not_performed"
    chip_auth_bound_to_pa: bool = False
    online_check_provider: str | None = None
    online_check_result: str | None = None  # "passed" | "failed" | "unavailable"
    document_type: str = "CCCD"

    def __post_init__(self) -> None:
        if any(c.isdigit() for c in self.document_number_masked) and "*" not in self.document_number_masked:
            raise ValueError("document_number_masked must be masked (reader.lds.mrz.mask_id)")
        if "DG3" in self.data_groups_read:
            raise ValueError("DG3 (fingerprints) is never read")


@dataclass(frozen=True, slots=True)
class BiometricEvidence:
    """The face decision: scores and hashes only — images travel separately (BiometricImages)."""

    engine: str
    engine_version: str
    decision: str  # "match" | "no_match" | "not_performed"
    score: float | None = None
    threshold: float | None = None
    target_fmr: float | None = None
    liveness_type: str | None = None
    liveness_result: str = "not_performed"  # "passed" | "failed" | "not_performed"
    attempts: int = 0
    images_retained: bool = False
    image_sha256: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BiometricImages:
    """The live capture and the chip photo, for a bank profile only.  Never logged, never in repr."""

    live_jpeg: bytes
    chip_image: bytes
    chip_image_type: str = "image/jpeg"

    def __repr__(self) -> str:
        return f"BiometricImages(<{len(self.live_jpeg)}+{len(self.chip_image)} bytes hidden>)"

    def sha256(self) -> tuple[str, str]:
        return hashlib.sha256(self.live_jpeg).hexdigest(), hashlib.sha256(self.chip_image).hexdigest()


@dataclass(frozen=True, slots=True)
class VerificationInput:
    """Everything the flow knows at the end of one transaction."""

    profile: Profile
    kiosk: KioskIdentity
    consent: ConsentRecord
    started_at: datetime
    completed_at: datetime
    chip: ChipEvidence | None = None  # None: the chip was not read
    biometric: BiometricEvidence | None = None
    subject: SubjectClaims | None = None
    flow_reasons: tuple[str, ...] = ()  # e.g. CHIP_UNREADABLE, CARD_REMOVED, TIMEOUT, USER_CANCELLED
    service: Mapping[str, str] = field(default_factory=dict)  # the profile's service step (stay, form...)
    verification_id: str = field(default_factory=new_ulid)

    def __repr__(self) -> str:
        return f"VerificationInput(id={self.verification_id}, profile={self.profile.name}, <data hidden>)"


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """A built record: JSON-ready ``document`` plus the keys storage needs."""

    verification_id: str
    profile: str
    status: str
    reasons: tuple[str, ...]
    document: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"VerificationRecord(id={self.verification_id}, status={self.status}, <claims hidden>)"

    def to_json(self) -> bytes:
        return canonical_json(self.document)


_STATUS_VERIFIED, _STATUS_NOT, _STATUS_REFERRED = "verified", "not_verified", "referred"
_ALWAYS_NEGATIVE = frozenset({"not_authentic"})


def decide_status(inp: VerificationInput) -> tuple[str, tuple[str, ...]]:
    """``verified | not_verified | referred`` and reason codes, under the profile's policy.

    ``not_verified``: the evidence contradicts the claim (chip not authentic, face mismatch, liveness
    failed).  ``referred``: the kiosk could not decide and a person at the counter must (integrations.md:
    an unattended kiosk must offer a staffed fallback).
    """
    profile, chip, bio = inp.profile, inp.chip, inp.biometric
    negative: list[str] = []
    undecided: list[str] = list(inp.flow_reasons)
    if not inp.consent.covers(profile):
        undecided.append("CONSENT_INCOMPLETE")
    if chip is None:
        undecided.append("CHIP_NOT_READ")
    elif chip.verdict in _ALWAYS_NEGATIVE:
        negative += list(chip.verdict_reasons) or ["CHIP_NOT_AUTHENTIC"]
    else:
        online = None if chip.online_check_result is None else chip.online_check_result == "passed"
        if not profile.chip.accepts(chip.verdict, chip.verdict_reasons, online):
            undecided += list(chip.verdict_reasons) or ["CHIP_VERDICT_NOT_ACCEPTED"]
            if profile.chip.require_online_check and online is not True:
                undecided.append("ONLINE_CHECK_MISSING" if online is None else "ONLINE_CHECK_FAILED")
    if profile.face.required:
        if bio is None or bio.decision == "not_performed":
            undecided.append("FACE_NOT_PERFORMED")
        elif bio.decision == "no_match":
            negative.append("FACE_MISMATCH")
        if profile.face.liveness_required and bio is not None:
            if bio.liveness_result == "failed":
                negative.append("LIVENESS_FAILED")
            elif bio.liveness_result != "passed":
                undecided.append("LIVENESS_NOT_PERFORMED")
    if negative:
        return _STATUS_NOT, tuple(dict.fromkeys(negative + undecided))
    if undecided:
        return _STATUS_REFERRED, tuple(dict.fromkeys(undecided))
    return _STATUS_VERIFIED, ()


def _evidence(inp: VerificationInput) -> list[dict[str, Any]]:
    chip, bio, t = inp.chip, inp.biometric, _iso(inp.completed_at)
    if chip is None:
        return []
    checks: list[dict[str, Any]] = [{"check_method": "vcrypt", "organization": inp.kiosk.device_id,
                                     "txn": inp.verification_id, "time": t}]  # fmt: skip
    if bio is not None and bio.decision == "match":
        checks.append({"check_method": "bvp", "organization": inp.kiosk.device_id,
                       "txn": inp.verification_id, "time": t})  # fmt: skip
    details: dict[str, Any] = {"type": "idcard", "issuer": {"country_code": "VNM"}}
    details.update(document_details(inp.subject, inp.profile.forwarded_fields))
    return [{"type": "document", "check_details": checks, "document_details": details}]


def _chip_dict(chip: ChipEvidence | None) -> dict[str, Any] | None:
    if chip is None:
        return None
    return {
        "type": chip.document_type, "number_masked": chip.document_number_masked,
        "access_control": {"method": chip.access_method, "protocol": chip.access_protocol,
                           "downgraded": chip.downgraded},
        "data_groups_read": list(chip.data_groups_read), "sod_sha256": chip.sod_sha256,
        "document_signer": asdict(chip.document_signer) if chip.document_signer else None,
        "passive_auth": {"result": chip.passive_auth, "trust_anchor": chip.trust_anchor,
                         "hash_check": chip.hashes_valid},
        "chip_auth": {"method": chip.chip_auth_method, "result": chip.chip_auth_result,
                      "bound_to_passive_auth": chip.chip_auth_bound_to_pa},
        "online_check": ({"provider": chip.online_check_provider, "result": chip.online_check_result}
                         if chip.online_check_provider else None),
        "verdict": chip.verdict, "verdict_reasons": list(chip.verdict_reasons),
    }  # fmt: skip


def _bio_dict(bio: BiometricEvidence | None) -> dict[str, Any] | None:
    if bio is None:
        return None
    return {
        "engine": f"{bio.engine}@{bio.engine_version}", "score": bio.score, "threshold": bio.threshold,
        "decision": bio.decision, "target_fmr": bio.target_fmr,
        "liveness": {"type": bio.liveness_type, "result": bio.liveness_result},
        "attempts": bio.attempts, "images_retained": bio.images_retained,
        "image_sha256": list(bio.image_sha256),
    }  # fmt: skip


def build_record(inp: VerificationInput) -> VerificationRecord:
    """The verification record: status and reasons by :func:`decide_status`, subject minimised."""
    status, reasons = decide_status(inp)
    p = inp.profile
    verified_claims = {
        "verification": {"trust_framework": p.trust_framework, "assurance_level": p.assurance_level,
                         "time": _iso(inp.completed_at), "verification_process": inp.verification_id,
                         "evidence": _evidence(inp)},
        "claims": oidc_claims(inp.subject, p.forwarded_fields),
    }  # fmt: skip
    document = {
        "verification_id": inp.verification_id, "profile": p.name, "status": status,
        "reasons": list(reasons),
        "times": {"started": _iso(inp.started_at), "completed": _iso(inp.completed_at)},
        "kiosk": asdict(inp.kiosk), "consent": inp.consent.to_dict(),
        "document": _chip_dict(inp.chip), "biometric": _bio_dict(inp.biometric),
        "assurance": {"level": p.assurance_level, "trust_framework": p.trust_framework},
        "verified_claims": verified_claims if status == _STATUS_VERIFIED else None,
        "service": dict(inp.service),
    }  # fmt: skip
    return VerificationRecord(inp.verification_id, p.name, status, reasons, document)


__all__ = [
    "BiometricEvidence", "BiometricImages", "ChipEvidence", "ConsentRecord", "DocumentSigner",
    "KioskIdentity", "VerificationInput", "VerificationRecord", "build_record",
    "decide_status", "new_ulid",
]  # fmt: skip

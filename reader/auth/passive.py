"""Passive authentication (ICAO 9303-11 §5.1; ICAO 9303-10 §4.6.2; ICAO 9303-12 §5).

Steps, each with its own result in :class:`PassiveAuthResult`:

1. decode EF.SOD (``sod_parse``);
2. hash every data group *as read* (raw bytes, never a re-encoding) and compare with the SOD
   (``dg_hashes``; DGs the SOD lists but that were not read are listed in ``not_read``);
3. verify the SOD's CMS signature with the embedded Document Signer certificate, including the
   content-type and message-digest signed attributes (``sod_signature``);
4. check the DS certificate's validity at ``at`` (``ds_validity``);
5. find the trusted CSCA whose key verifies the DS certificate (``csca_chain``), its validity
   (``csca_validity``) and its CRLs (``crl``).

Overall: ``FAILED`` when any check fails; ``CSCA_UNKNOWN`` when everything the card can prove is valid but
no trusted CSCA issued the DS (the CCCD's CSCA may not be public: deployment policy decides); ``PASSED``
otherwise.  A bad card or SOD never raises: it yields ``FAILED`` with reason codes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reader.errors import ParseError, ReaderError
from reader.lds.sod import SOD
from reader.pki.algorithms import SignatureAlgorithm, digest
from reader.pki.certs import Certificate, Validity
from reader.pki.chain import ChainResult, CRLResult, check_chain
from reader.pki.cms import SignatureStatus, verify_signer
from reader.pki.errors import ASN1_ERRORS
from reader.pki.trust import CSCAStore

#: Errors that mean "this SOD parsed but cannot be used" (a failure to report, not a crash).
_UNUSABLE: tuple[type[Exception], ...] = (ReaderError, *ASN1_ERRORS)


class PAResult(enum.Enum):
    PASSED = "passed"
    CSCA_UNKNOWN = "csca_unknown"
    FAILED = "failed"
    NOT_PERFORMED = "not_performed"


class CheckResult(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_CHECKED = "not_checked"


class DGHashResult(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_IN_SOD = "not_in_sod"


@dataclass(frozen=True, slots=True)
class DGHashCheck:
    """One data group's hash comparison.  The hashes appear in :meth:`to_dict` only, never in repr."""

    number: int
    result: DGHashResult
    sod_hash: bytes | None = field(repr=False)
    computed_hash: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "sod_hash": self.sod_hash.hex() if self.sod_hash is not None else None,
            "computed_hash": self.computed_hash.hex(),
        }


@dataclass(frozen=True, slots=True)
class PassiveAuthResult:
    """The outcome of :func:`passive_authenticate`; ``reasons`` are short codes (``DG2_HASH_MISMATCH``)."""

    result: PAResult
    reasons: tuple[str, ...]
    checked_at: datetime
    sod_parse: CheckResult = CheckResult.NOT_CHECKED
    dg_hashes: tuple[DGHashCheck, ...] = ()
    not_read: tuple[int, ...] = ()
    sod_signature: CheckResult = CheckResult.NOT_CHECKED
    ds_validity: Validity = Validity.NOT_CHECKED
    csca_chain: ChainResult = ChainResult.NOT_CHECKED
    csca_validity: Validity = Validity.NOT_CHECKED
    crl: CRLResult = CRLResult.NOT_CHECKED
    notes: tuple[str, ...] = ()
    sod_sha256: str | None = None
    hash_algorithm: str | None = None
    signature_algorithm: SignatureAlgorithm | None = None
    lds_version: str | None = None
    ds_certificate: Certificate | None = None
    trust_anchor: Certificate | None = None

    @classmethod
    def not_performed(cls, reason: str, at: datetime) -> PassiveAuthResult:
        """For an engine that could not run passive authentication at all."""
        return cls(PAResult.NOT_PERFORMED, (reason,), at)

    def __repr__(self) -> str:
        return f"PassiveAuthResult(result={self.result.value}, reasons={list(self.reasons)})"

    __str__ = __repr__

    @property
    def passed(self) -> bool:
        return self.result is PAResult.PASSED

    def dg_hash(self, number: int) -> DGHashCheck | None:
        """The hash check of data group ``number``, None when it was not read."""
        return next((c for c in self.dg_hashes if c.number == number), None)

    def covers(self, number: int) -> bool:
        """True when DG ``number`` was read, its hash matches the SOD and the SOD signature is valid —
        what chip/active authentication needs for the key in DG14/DG15 (ICAO 9303-11 §6.2, §6.1)."""
        check = self.dg_hash(number)
        return (
            check is not None
            and check.result is DGHashResult.MATCH
            and self.sod_signature is CheckResult.VALID
        )

    @property
    def dg14_covered(self) -> bool:
        return self.covers(14)

    @property
    def dg15_covered(self) -> bool:
        return self.covers(15)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (hashes included; no data-group contents)."""
        return {
            "result": self.result.value,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "checked_at": self.checked_at.isoformat(),
            "checks": {
                "sod_parse": self.sod_parse.value,
                "sod_signature": self.sod_signature.value,
                "ds_validity": self.ds_validity.value,
                "csca_chain": self.csca_chain.value,
                "csca_validity": self.csca_validity.value,
                "crl": self.crl.value,
            },
            "data_groups": {f"DG{c.number}": c.to_dict() for c in self.dg_hashes},
            "not_read": [f"DG{n}" for n in self.not_read],
            "sod_sha256": self.sod_sha256,
            "hash_algorithm": self.hash_algorithm,
            "signature_algorithm": self.signature_algorithm.to_dict() if self.signature_algorithm else None,
            "lds_version": self.lds_version,
            "document_signer": _cert_dict(self.ds_certificate),
            "trust_anchor": _cert_dict(self.trust_anchor),
        }


def _cert_dict(cert: Certificate | None) -> dict[str, Any] | None:
    if cert is None:
        return None
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "serial": f"{cert.serial_number:X}",
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "sha256": cert.fingerprint,
    }


def passive_authenticate(
    sod_raw: bytes,
    data_groups: Mapping[int, bytes],
    store: CSCAStore,
    *,
    at: datetime,
    parsed: SOD | None = None,
) -> PassiveAuthResult:
    """Run passive authentication over EF.SOD and the data groups as read, at time ``at`` (aware).

    ``parsed``: ``sod_raw`` already decoded by the caller (the reader decodes EF.SOD once per read); used
    only when its ``raw`` is ``sod_raw``, else ``sod_raw`` is decoded here.
    """
    if at.tzinfo is None:
        raise ValueError("passive_authenticate needs a timezone-aware time")
    sod_sha256 = hashlib.sha256(sod_raw).hexdigest() if sod_raw else None
    if not sod_raw:
        return PassiveAuthResult(PAResult.FAILED, ("SOD_ABSENT",), at, CheckResult.INVALID)
    try:
        sod = parsed if parsed is not None and parsed.raw == sod_raw else SOD.from_bytes(sod_raw)
    except ParseError:
        return PassiveAuthResult(
            PAResult.FAILED, ("SOD_PARSE_ERROR",), at, CheckResult.INVALID, sod_sha256=sod_sha256
        )
    try:
        return _authenticate(sod, data_groups, store, at)
    except _UNUSABLE:  # a structure that parsed but cannot be used: a failure, not a crash
        return PassiveAuthResult(
            PAResult.FAILED, ("SOD_UNUSABLE",), at, CheckResult.INVALID, sod_sha256=sod_sha256
        )


def _authenticate(
    sod: SOD, data_groups: Mapping[int, bytes], store: CSCAStore, at: datetime
) -> PassiveAuthResult:
    reasons: list[str] = []
    dg_checks = _hash_checks(sod, data_groups, reasons)
    base: dict[str, Any] = {
        "checked_at": at,
        "sod_parse": CheckResult.VALID,
        "dg_hashes": dg_checks,
        "not_read": tuple(sorted(set(sod.dg_hashes) - set(data_groups))),
        "sod_sha256": sod.sha256,
        "hash_algorithm": sod.digest_algorithm,
        "lds_version": sod.lds_version,
    }
    ds = sod.ds_certificate
    if ds is None:
        reasons.append("DS_CERTIFICATE_MISSING")
        return PassiveAuthResult(PAResult.FAILED, tuple(reasons), sod_signature=CheckResult.INVALID, **base)
    signer = verify_signer(sod.signed_data, sod.signer_info, ds)
    if signer.status is not SignatureStatus.VALID:
        reasons.append(f"SOD_{signer.reason}")
    ds_validity = ds.validity_at(at)
    if ds_validity is not Validity.VALID:
        reasons.append(f"DS_{ds_validity.name}")
    if ds.key_usage is not None and "digital_signature" not in ds.key_usage:
        reasons.append("DS_KEY_USAGE_INVALID")
    chain = check_chain(ds, store, at)
    reasons += chain.reasons
    failures = [r for r in reasons if r != "CSCA_UNKNOWN"]
    if failures:
        overall = PAResult.FAILED
    elif chain.result is ChainResult.UNKNOWN_CSCA:
        overall = PAResult.CSCA_UNKNOWN
    else:
        overall = PAResult.PASSED
    return PassiveAuthResult(
        overall,
        tuple(reasons),
        sod_signature=CheckResult.VALID if signer.status is SignatureStatus.VALID else CheckResult.INVALID,
        ds_validity=ds_validity,
        csca_chain=chain.result,
        csca_validity=chain.csca_validity,
        crl=chain.crl,
        notes=chain.notes,
        signature_algorithm=signer.algorithm,
        ds_certificate=ds,
        trust_anchor=chain.anchor,
        **base,
    )


def _hash_checks(sod: SOD, data_groups: Mapping[int, bytes], reasons: list[str]) -> tuple[DGHashCheck, ...]:
    """ICAO 9303-11 §5.1.1 step 4: hash each data group over its raw bytes and compare with the SOD."""
    checks = []
    for number in sorted(data_groups):
        computed = digest(sod.digest_algorithm, bytes(data_groups[number]))
        expected = sod.dg_hashes.get(number)
        if expected is None:
            result = DGHashResult.NOT_IN_SOD
            reasons.append(f"DG{number}_NOT_IN_SOD")
        elif hmac.compare_digest(expected, computed):
            result = DGHashResult.MATCH
        else:
            result = DGHashResult.MISMATCH
            reasons.append(f"DG{number}_HASH_MISMATCH")
        checks.append(DGHashCheck(number, result, expected, computed))
    return tuple(checks)

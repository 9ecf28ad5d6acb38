"""The verification report and the one function that decides the verdict.

Verdict rules (docs/design.md, security rule 4; issue "PACE, CA and AA"):

* ``not_authentic`` when passive authentication failed, or when an anti-clone proof was attempted and
  failed (the chip could not prove the key the issuer signed for);
* ``authentic`` only when passive authentication passed *and* the chip proved a private key whose public
  key the SOD covers (Chip Authentication, PACE-CAM or Active Authentication);
* ``inconclusive`` otherwise, with reasons: the issuing CSCA is not in the trust store (``CSCA_UNKNOWN``),
  no anti-clone proof was possible (``NO_ANTICLONE_PROOF``), passive authentication was not performed,
  or the identity itself is missing: DG1 (the MRZ) or DG2 (the face) was not read (``IDENTITY_DATA_MISSING``,
  ICAO 9303-10 §4.7: both are mandatory) — a genuine signature over a chip without them proves nobody.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Verdict(enum.Enum):
    AUTHENTIC = "authentic"
    NOT_AUTHENTIC = "not_authentic"
    INCONCLUSIVE = "inconclusive"


class ProofResult(enum.Enum):
    """Outcome of one anti-clone protocol."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"  # the card offers no such key
    NOT_PERFORMED = "not_performed"


class AntiCloneMethod(enum.Enum):
    NONE = "none"
    CA = "CA"
    PACE_CAM = "PACE-CAM"
    AA = "AA"


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """One anti-clone protocol's result.  ``key_covered_by_sod``: the key's data group hash matched."""

    method: AntiCloneMethod
    result: ProofResult
    key_covered_by_sod: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "key_covered_by_sod": self.key_covered_by_sod,
            "reason": self.reason,
        }


class PassiveAuthLike(Protocol):
    """What the verdict needs from :class:`reader.auth.passive.PassiveAuthResult`."""

    @property
    def reasons(self) -> Iterable[str]: ...

    @property
    def result(self) -> enum.Enum: ...


PA_PASSED = "passed"
PA_CSCA_UNKNOWN = "csca_unknown"
PA_NOT_PERFORMED = "not_performed"
IDENTITY_DATA_MISSING = "IDENTITY_DATA_MISSING"
IDENTITY_DATA_GROUPS = (1, 2)  # the MRZ and the face: mandatory in every eMRTD (ICAO 9303-10 §4.7)


def compute_verdict(
    passive_auth: PassiveAuthLike | None,
    proofs: Iterable[ProofCheck],
    *,
    data_groups: Collection[int],
) -> tuple[Verdict, list[str]]:
    """The verdict and its reasons — the only place that may say ``authentic``.

    ``data_groups``: the numbers of the data groups actually read (required: the check cannot be left out);
    when DG1 or DG2 is not among them, the best possible verdict is ``inconclusive`` with
    ``IDENTITY_DATA_MISSING``.
    """
    verdict, reasons = _verdict(passive_auth, proofs)
    if any(n not in data_groups for n in IDENTITY_DATA_GROUPS):
        if verdict is Verdict.AUTHENTIC:
            verdict = Verdict.INCONCLUSIVE
        if verdict is Verdict.INCONCLUSIVE:
            reasons = _unique([IDENTITY_DATA_MISSING, *reasons])
    return verdict, reasons


def _verdict(passive_auth: PassiveAuthLike | None, proofs: Iterable[ProofCheck]) -> tuple[Verdict, list[str]]:
    proofs = list(proofs)
    reasons: list[str] = []
    if passive_auth is None:
        return Verdict.INCONCLUSIVE, ["PA_NOT_PERFORMED"]
    pa = str(passive_auth.result.value).lower()
    if pa == PA_NOT_PERFORMED:
        return Verdict.INCONCLUSIVE, ["PA_NOT_PERFORMED"]
    failed_proofs = [p for p in proofs if p.result is ProofResult.FAILED]
    if pa not in (PA_PASSED, PA_CSCA_UNKNOWN):
        reasons += list(passive_auth.reasons) or ["PA_FAILED"]
        reasons += [f"{p.method.value.replace('-', '_')}_FAILED" for p in failed_proofs]
        return Verdict.NOT_AUTHENTIC, _unique(reasons)
    if failed_proofs:
        reasons += [f"{p.method.value.replace('-', '_')}_FAILED" for p in failed_proofs]
        return Verdict.NOT_AUTHENTIC, _unique(reasons)
    proven = [p for p in proofs if p.result is ProofResult.PASSED and p.key_covered_by_sod]
    uncovered = [p for p in proofs if p.result is ProofResult.PASSED and not p.key_covered_by_sod]
    reasons += [f"{p.method.value.replace('-', '_')}_KEY_NOT_COVERED_BY_SOD" for p in uncovered]
    if pa == PA_CSCA_UNKNOWN:
        reasons.append("CSCA_UNKNOWN")
    if not proven:
        reasons.append("NO_ANTICLONE_PROOF")
    if reasons:
        return Verdict.INCONCLUSIVE, _unique(reasons)
    return Verdict.AUTHENTIC, []


def anticlone_method(proofs: Iterable[ProofCheck]) -> AntiCloneMethod:
    """The proof the verdict relies on: passed with a key the SOD covers (CA, then PACE-CAM, then AA)."""
    proven = {p.method for p in proofs if p.result is ProofResult.PASSED and p.key_covered_by_sod}
    for method in (AntiCloneMethod.CA, AntiCloneMethod.PACE_CAM, AntiCloneMethod.AA):
        if method in proven:
            return method
    return AntiCloneMethod.NONE


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class FileStatus(enum.Enum):
    READ = "read"
    REFUSED = "refused"  # 6982: needs rights this terminal lacks (DG3 without EAC)
    ABSENT = "absent"  # 6A82
    UNPARSEABLE = "unparseable"  # read, hash checked, but not decodable


@dataclass(frozen=True, slots=True)
class FileResult:
    name: str
    status: FileStatus
    size: int = 0
    sw: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status.value, "size": self.size}
        if self.sw is not None:
            d["sw"] = f"{self.sw:04X}"
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(frozen=True, slots=True)
class AccessInfo:
    """How the chip was opened.  ``downgraded``: PACE was offered or asked for but BAC was used."""

    method: str
    protocol: str | None = None
    downgraded: bool = False
    downgrade_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "protocol": self.protocol,
            "downgraded": self.downgraded,
            "downgrade_reason": self.downgrade_reason,
        }


@dataclass(frozen=True, slots=True)
class ReadStats:
    apdus: int
    bytes_in: int
    bytes_out: int
    elapsed_ms: float
    cpu_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "apdus": self.apdus,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "cpu_ms": round(self.cpu_ms, 1),
        }


@dataclass(frozen=True)
class Notes:
    """Free-form facts for the reader of the report (e.g. which trust store was used)."""

    items: tuple[str, ...] = field(default_factory=tuple)


_PROOF_KEYS = {
    AntiCloneMethod.CA: "chip_auth",
    AntiCloneMethod.AA: "active_auth",
    AntiCloneMethod.PACE_CAM: "pace_cam",
}


def proof_summary(proofs: Iterable[ProofCheck]) -> dict[str, Any]:
    """``chip_auth``, ``active_auth``, ``pace_cam`` results and ``anticlone.method`` (the proof relied on)."""
    proofs = list(proofs)
    out: dict[str, Any] = {key: {"result": ProofResult.NOT_PERFORMED.value} for key in _PROOF_KEYS.values()}
    for p in proofs:
        out[_PROOF_KEYS[p.method]] = p.to_dict()
    out["anticlone"] = {"method": anticlone_method(proofs).value}
    return out

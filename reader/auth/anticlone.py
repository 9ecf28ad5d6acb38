"""The anti-clone step: does the chip hold a private key the issuer signed for? (ICAO 9303-11 §6, §4.4.3.5)

Data copied onto another chip passes passive authentication; only a protocol in which the chip uses a
private key whose public key is in a data group the SOD covers tells the original from a copy:

* PACE-CAM (§4.4.3.5.2): checked without an APDU, from the PACE run and the DG14 key;
* Active Authentication (§6.1) with the DG15 key: a signature over a fresh 8-byte challenge;
* Chip Authentication (§6.2) with the DG14 key: new session keys only the real chip can derive.

The step never raises on a chip's bad answer: every outcome is a :class:`~reader.report.ProofCheck` with a
reason, and the verdict (:func:`reader.report.compute_verdict`) decides.  AA runs before CA because a
failed CA leaves the secure channel unusable (the chip cannot answer under keys it did not derive).

:func:`recheck_evidence` re-verifies what ``evidence.json`` holds, offline (``cccd verify-dump``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reader.access.pace_protocol import PACEResult, verify_cam_evidence
from reader.auth.active import AAReason, perform_active_authentication, verify_active_authentication
from reader.auth.chip import (
    ChipAuthPublicKey,
    choose,
    parse_chip_auth_public_key,
    perform_chip_authentication,
)
from reader.errors import ParseError
from reader.lds.cardaccess import SecurityInfos
from reader.lds.dg14 import chip_authentication_keys, parse_dg14
from reader.lds.dg15 import parse_dg15
from reader.report import AntiCloneMethod, ProofCheck, ProofResult
from reader.session import CardSession

_AA_NOT_PERFORMED = {AAReason.NOT_PERFORMED, AAReason.UNSUPPORTED_KEY}


class CoverageLike(Protocol):
    """What the step needs from passive authentication: is a data group's hash covered by the SOD?"""

    def covers(self, number: int) -> bool: ...


@dataclass
class AntiCloneOutcome:
    """The proofs, in the order tried, and the re-checkable evidence (no secrets: keys are not kept)."""

    proofs: list[ProofCheck] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _dg14(raw: Mapping[str, bytes]) -> tuple[SecurityInfos | None, str | None]:
    if "DG14" not in raw:
        return None, "NO_DG14"
    try:
        return parse_dg14(raw["DG14"]), None
    except ParseError:
        return None, "DG14_UNPARSEABLE"


def _ca_keys(infos: SecurityInfos) -> list[ChipAuthPublicKey]:
    keys: list[ChipAuthPublicKey] = []
    for info in infos.ca_public_keys:
        try:
            keys.append(parse_chip_auth_public_key(info.subject_public_key_info, info.key_id))
        except ParseError:
            continue
    return keys


def _aa_signature_algorithm(infos: SecurityInfos | None) -> str | None:
    if infos is None or not infos.aa_infos:
        return None
    return infos.aa_infos[0].signature_algorithm


def check_pace_cam(pace: PACEResult, infos: SecurityInfos | None, why_not: str | None,
                   pa: CoverageLike) -> ProofCheck:  # fmt: skip
    """PACE-CAM (§4.4.3.5.2): PK_Map,IC = KA(CA_IC, PK_IC) for the static key of DG14."""
    method = AntiCloneMethod.PACE_CAM
    if infos is None:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason=why_not or "NO_DG14")
    keys = _ca_keys(infos)
    if not keys:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason="NO_USABLE_CA_KEY")
    if any(pace.verify_cam(key.public_key) for key in keys):
        return ProofCheck(method, ProofResult.PASSED, key_covered_by_sod=pa.covers(14))
    return ProofCheck(method, ProofResult.FAILED, key_covered_by_sod=pa.covers(14), reason="CAM_KEY_MISMATCH")


def run_anticlone(
    session: CardSession,
    raw: Mapping[str, bytes],
    pa: CoverageLike,
    pace: PACEResult | None,
    *,
    rng: Callable[[int], bytes] = os.urandom,
    sfi_usable: bool = True,
) -> AntiCloneOutcome:
    """Run every anti-clone proof the chip offers (ICAO 9303-11 §6; Doc 9303-11 Appendix J order).

    ``sfi_usable=False``: the chip refused READ BINARY by SFI; Chip Authentication confirms its new keys
    with a SELECT instead."""
    out = AntiCloneOutcome()
    infos, dg14_problem = _dg14(raw)
    if pace is not None:
        out.evidence["pace"] = pace.evidence()
    cam_passed = False
    if pace is not None and pace.ca_ic is not None:
        cam = check_pace_cam(pace, infos, dg14_problem, pa)
        cam_passed = cam.result is ProofResult.PASSED
        out.proofs.append(cam)

    out.proofs.append(_active_auth(session, raw, infos, pa, rng, out))

    if cam_passed:
        out.proofs.append(ProofCheck(AntiCloneMethod.CA, ProofResult.NOT_PERFORMED, reason="PACE_CAM_USED"))
    elif infos is None:
        result = ProofResult.NOT_SUPPORTED if dg14_problem == "NO_DG14" else ProofResult.NOT_PERFORMED
        out.proofs.append(ProofCheck(AntiCloneMethod.CA, result, reason=dg14_problem))
    elif not infos.ca_public_keys:
        out.proofs.append(
            ProofCheck(AntiCloneMethod.CA, ProofResult.NOT_SUPPORTED, reason="NO_CA_KEY_IN_DG14")
        )
    else:
        out.proofs.append(_chip_auth(session, infos, pa, rng, out, sfi_usable))
    return out


def _active_auth(
    session: CardSession, raw: Mapping[str, bytes], infos: SecurityInfos | None, pa: CoverageLike,
    rng: Callable[[int], bytes], out: AntiCloneOutcome,
) -> ProofCheck:  # fmt: skip
    method = AntiCloneMethod.AA
    if "DG15" not in raw:
        return ProofCheck(method, ProofResult.NOT_SUPPORTED, reason="NO_DG15")
    try:
        spki = parse_dg15(raw["DG15"]).spki
    except ParseError:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason="DG15_UNPARSEABLE")
    algorithm = _aa_signature_algorithm(infos)
    aa = perform_active_authentication(session, spki, signature_algorithm=algorithm, rng=rng)
    out.evidence["aa"] = {**aa.evidence(), "signature_algorithm": algorithm}
    covered = pa.covers(15)
    if aa.valid:
        return ProofCheck(method, ProofResult.PASSED, key_covered_by_sod=covered)
    reason = f"AA_{aa.result.reason.value.upper()}"
    if aa.result.reason in _AA_NOT_PERFORMED:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, key_covered_by_sod=covered, reason=reason)
    return ProofCheck(method, ProofResult.FAILED, key_covered_by_sod=covered, reason=reason)


def _chip_auth(
    session: CardSession, infos: SecurityInfos, pa: CoverageLike, rng: Callable[[int], bytes],
    out: AntiCloneOutcome, sfi_usable: bool = True,
) -> ProofCheck:  # fmt: skip
    method = AntiCloneMethod.CA
    try:
        choice = choose(chip_authentication_keys(infos))
    except ParseError:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason="CA_KEY_UNSUPPORTED")
    ca = perform_chip_authentication(session, choice, rng=rng, confirm_by_sfi=sfi_usable)
    out.evidence["ca"] = ca.evidence()
    covered = pa.covers(14)
    if ca.passed:
        return ProofCheck(method, ProofResult.PASSED, key_covered_by_sod=covered)
    if not ca.session_intact:
        out.notes.append("the secure channel ended with the failed Chip Authentication")
    return ProofCheck(method, ProofResult.FAILED, key_covered_by_sod=covered, reason=ca.reason)


# --- offline re-check (cccd verify-dump) -----------------------------------------------------------------


def recheck_evidence(
    raw: Mapping[str, bytes], pa: CoverageLike, evidence: Mapping[str, Any]
) -> AntiCloneOutcome:
    """Re-verify saved evidence without a card.

    * AA: the saved signature over the saved challenge is verified again with DG15's key — it proves the
      chip signed that challenge; whether the challenge was fresh rests on the reader that saved it.
    * CA: interactive; the recorded outcome is reported, not counted (``NOT_RECHECKABLE_OFFLINE``).
    * PACE-CAM: the saved values are checked for consistency only, never counted (see
      :func:`reader.access.pace_protocol.verify_cam_evidence`).
    """
    out = AntiCloneOutcome(evidence=dict(evidence))
    infos, _ = _dg14(raw)
    aa = evidence.get("aa")
    if isinstance(aa, Mapping) and "DG15" in raw:
        out.proofs.append(_recheck_aa(raw["DG15"], aa, pa, infos))
    elif "DG15" in raw:
        out.proofs.append(
            ProofCheck(AntiCloneMethod.AA, ProofResult.NOT_PERFORMED, reason="NO_SAVED_EVIDENCE")
        )
    ca = evidence.get("ca")
    if isinstance(ca, Mapping):
        live = "passed" if ca.get("passed") is True else f"failed ({ca.get('reason')})"
        out.notes.append(f"Chip Authentication at read time: {live}; it cannot be re-checked offline")
        out.proofs.append(
            ProofCheck(AntiCloneMethod.CA, ProofResult.NOT_PERFORMED, reason="NOT_RECHECKABLE_OFFLINE")
        )
    pace = evidence.get("pace")
    if isinstance(pace, Mapping) and "cam" in pace and infos is not None:
        consistent = any(verify_cam_evidence(dict(pace), k.public_key) for k in _ca_keys(infos))
        out.notes.append(
            "PACE-CAM values "
            + ("consistent" if consistent else "INCONSISTENT")
            + " with the DG14 key (a consistency check, not a proof)"
        )
    return out


def _recheck_aa(
    dg15: bytes, saved: Mapping[str, Any], pa: CoverageLike, infos: SecurityInfos | None
) -> ProofCheck:
    method = AntiCloneMethod.AA
    try:
        spki = parse_dg15(dg15).spki
        rnd_ifd = bytes.fromhex(str(saved["rnd_ifd"]))
        signature = bytes.fromhex(str(saved["signature"]))
    except (ParseError, KeyError, ValueError):
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason="EVIDENCE_UNREADABLE")
    if not signature:
        return ProofCheck(method, ProofResult.NOT_PERFORMED, reason="NO_SAVED_SIGNATURE")
    algorithm = saved.get("signature_algorithm")
    result = verify_active_authentication(
        spki, rnd_ifd, signature,
        signature_algorithm=algorithm if isinstance(algorithm, str) else _aa_signature_algorithm(infos),
    )  # fmt: skip
    covered = pa.covers(15)
    if result.valid:
        return ProofCheck(method, ProofResult.PASSED, key_covered_by_sod=covered)
    return ProofCheck(method, ProofResult.FAILED, key_covered_by_sod=covered,
                      reason=f"AA_{result.reason.value.upper()}")  # fmt: skip

"""kiosk.runtime.persist.chip_evidence carries the anti-clone proof into the record (method, result, bound to
passive authentication) — the bank evidence object (docs/evidence.md) relies on it.

The proof the verdict relies on is derived from the proofs themselves (:func:`reader.report.anticlone_method`:
passed with a key the SOD covers), so the report is built from proofs, not from a claimed method."""

from __future__ import annotations

from dataclasses import replace

from kiosk.runtime.persist import chip_evidence
from reader.chipreport import ChipReport
from reader.report import AntiCloneMethod, ProofCheck, ProofResult

CA, AA, CAM = AntiCloneMethod.CA, AntiCloneMethod.AA, AntiCloneMethod.PACE_CAM


def _report(*proofs: ProofCheck) -> ChipReport:
    return replace(ChipReport.document_only("079303001234", None), proofs=proofs)


def test_the_proof_the_verdict_relies_on() -> None:
    ca = chip_evidence(_report(ProofCheck(CA, ProofResult.PASSED, True)), "authentic", ())
    assert (ca.chip_auth_method, ca.chip_auth_result, ca.chip_auth_bound_to_pa) == ("CA", "passed", True)
    aa = chip_evidence(_report(ProofCheck(AA, ProofResult.PASSED, True)), "authentic", ())
    assert (aa.chip_auth_method, aa.chip_auth_result, aa.chip_auth_bound_to_pa) == ("AA", "passed", True)
    cam = chip_evidence(_report(ProofCheck(CAM, ProofResult.PASSED, True)), "authentic", ())
    assert cam.chip_auth_method == "PACE-CAM"


def test_a_proof_with_a_key_the_sod_does_not_cover_is_not_relied_on() -> None:
    aa = chip_evidence(_report(ProofCheck(AA, ProofResult.PASSED, False)), "inconclusive", ())
    assert (aa.chip_auth_method, aa.chip_auth_result) == ("none", "not_performed")


def test_a_failed_proof_is_recorded_and_none_stays_none() -> None:
    clone = chip_evidence(_report(ProofCheck(CA, ProofResult.FAILED, True)), "not_authentic", ("CA_FAILED",))
    assert (clone.chip_auth_method, clone.chip_auth_result) == ("CA", "failed")
    nothing = chip_evidence(_report(), "inconclusive", ("NO_ANTICLONE_PROOF",))
    assert (nothing.chip_auth_method, nothing.chip_auth_result) == ("none", "not_performed")

"""The verdict table (reader/report.py): the only place that may say 'authentic'."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import pytest

from reader.report import AntiCloneMethod, ProofCheck, ProofResult, Verdict, compute_verdict


class _PA(enum.Enum):
    PASSED = "passed"
    CSCA_UNKNOWN = "csca_unknown"
    FAILED = "failed"
    NOT_PERFORMED = "not_performed"


@dataclass
class _PAResult:
    result: _PA
    reasons: list[str] = field(default_factory=list)


CA_OK = ProofCheck(AntiCloneMethod.CA, ProofResult.PASSED, key_covered_by_sod=True)
AA_OK = ProofCheck(AntiCloneMethod.AA, ProofResult.PASSED, key_covered_by_sod=True)
CA_FAIL = ProofCheck(AntiCloneMethod.CA, ProofResult.FAILED, reason="wrong key")
CA_UNCOVERED = ProofCheck(AntiCloneMethod.CA, ProofResult.PASSED, key_covered_by_sod=False)


@pytest.mark.parametrize(
    ("pa", "proofs", "verdict", "reasons"),
    [
        (_PAResult(_PA.PASSED), [CA_OK], Verdict.AUTHENTIC, []),
        (_PAResult(_PA.PASSED), [AA_OK], Verdict.AUTHENTIC, []),
        (_PAResult(_PA.PASSED), [], Verdict.INCONCLUSIVE, ["NO_ANTICLONE_PROOF"]),
        (_PAResult(_PA.CSCA_UNKNOWN), [CA_OK], Verdict.INCONCLUSIVE, ["CSCA_UNKNOWN"]),
        (_PAResult(_PA.CSCA_UNKNOWN), [], Verdict.INCONCLUSIVE, ["CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"]),
        (_PAResult(_PA.FAILED, ["DG2_HASH_MISMATCH"]), [CA_OK], Verdict.NOT_AUTHENTIC, ["DG2_HASH_MISMATCH"]),
        (_PAResult(_PA.FAILED), [], Verdict.NOT_AUTHENTIC, ["PA_FAILED"]),
        (_PAResult(_PA.PASSED), [CA_FAIL, AA_OK], Verdict.NOT_AUTHENTIC, ["CA_FAILED"]),
        (
            _PAResult(_PA.PASSED),
            [CA_UNCOVERED],
            Verdict.INCONCLUSIVE,
            ["CA_KEY_NOT_COVERED_BY_SOD", "NO_ANTICLONE_PROOF"],
        ),
        (None, [CA_OK], Verdict.INCONCLUSIVE, ["PA_NOT_PERFORMED"]),
        (_PAResult(_PA.NOT_PERFORMED), [CA_OK], Verdict.INCONCLUSIVE, ["PA_NOT_PERFORMED"]),
    ],
)
def test_verdict_table(
    pa: _PAResult | None, proofs: list[ProofCheck], verdict: Verdict, reasons: list[str]
) -> None:
    assert compute_verdict(pa, proofs, data_groups={1, 2}) == (verdict, reasons)


@pytest.mark.parametrize("read", [{2, 13, 14, 15}, {1, 13, 14, 15}, {13, 14}, set()])
def test_a_chip_without_dg1_or_dg2_is_never_authentic(read: set[int]) -> None:
    verdict, reasons = compute_verdict(_PAResult(_PA.PASSED), [CA_OK], data_groups=read)
    assert verdict is Verdict.INCONCLUSIVE and reasons == ["IDENTITY_DATA_MISSING"]
    verdict, reasons = compute_verdict(_PAResult(_PA.CSCA_UNKNOWN), [], data_groups=read)
    assert verdict is Verdict.INCONCLUSIVE
    assert reasons == ["IDENTITY_DATA_MISSING", "CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"]


def test_identity_present_changes_nothing_and_failures_stay_failures() -> None:
    assert compute_verdict(_PAResult(_PA.PASSED), [CA_OK], data_groups={1, 2}) == (Verdict.AUTHENTIC, [])
    failed = compute_verdict(_PAResult(_PA.FAILED, ["DG2_HASH_MISMATCH"]), [CA_OK], data_groups={1})
    assert failed == (Verdict.NOT_AUTHENTIC, ["DG2_HASH_MISMATCH"])

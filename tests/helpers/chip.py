"""What a read of a simulated profile must conclude."""

from __future__ import annotations

from collections.abc import Mapping

from reader.report import IDENTITY_DATA_MISSING, Verdict


def expected_verdict(lds_files: Mapping[str, bytes]) -> tuple[Verdict, list[str]]:
    """Every genuine simulated card reads ``authentic`` with no reason, except a card without a photo on its
    chip (the 2024 card of a child under 6, docs/card-2024.md): DG2 missing makes the best verdict
    ``inconclusive`` with ``IDENTITY_DATA_MISSING`` (reader.report.compute_verdict)."""
    if "DG2" in lds_files:
        return Verdict.AUTHENTIC, []
    return Verdict.INCONCLUSIVE, [IDENTITY_DATA_MISSING]

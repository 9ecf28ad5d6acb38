"""kiosk.flow.persist.chip_evidence carries the anti-clone proof into the record (method, result, bound to
passive authentication) — the bank evidence object (docs/evidence.md) relies on it."""

from __future__ import annotations

from typing import Any

from kiosk.flow.persist import chip_evidence


def _report(anticlone: str, **checks: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "anticlone": {"method": anticlone},
        "passive_auth": {"result": "passed"},
        "chip_auth": {"result": "not_performed"},
        "active_auth": {"result": "not_performed"},
        "pace_cam": {"result": "not_performed"},
    }
    base.update(checks)
    return {"document": {"id_number": "079303001234"}, "access": {"method": "PACE"}, "checks": base}


def test_the_proof_the_verdict_relies_on() -> None:
    ca = chip_evidence(
        _report("CA", chip_auth={"result": "passed", "key_covered_by_sod": True}), "authentic", ()
    )
    assert (ca.chip_auth_method, ca.chip_auth_result, ca.chip_auth_bound_to_pa) == ("CA", "passed", True)
    aa = chip_evidence(
        _report("AA", active_auth={"result": "passed", "key_covered_by_sod": False}), "authentic", ()
    )
    assert (aa.chip_auth_method, aa.chip_auth_result, aa.chip_auth_bound_to_pa) == ("AA", "passed", False)
    cam = chip_evidence(
        _report("PACE-CAM", pace_cam={"result": "passed", "key_covered_by_sod": True}), "authentic", ()
    )
    assert cam.chip_auth_method == "PACE-CAM"


def test_a_failed_proof_is_recorded_and_none_stays_none() -> None:
    clone = chip_evidence(
        _report("none", chip_auth={"result": "failed", "key_covered_by_sod": True}),
        "not_authentic",
        ("CA_FAILED",),
    )
    assert (clone.chip_auth_method, clone.chip_auth_result) == ("CA", "failed")
    nothing = chip_evidence(_report("none"), "inconclusive", ("NO_ANTICLONE_PROOF",))
    assert (nothing.chip_auth_method, nothing.chip_auth_result) == ("none", "not_performed")

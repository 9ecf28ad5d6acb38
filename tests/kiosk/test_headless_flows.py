"""Whole headless flows (simulated card and camera, scripted user) per deployment profile and scenario,
in-process; the stored record, consent and biometric evidence behind each outcome."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.flow.compose import Kiosk, KioskConfig, SimulatedCardSlot
from kiosk.flow.headless import SCENARIOS, FlowResult, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow.model import State
from kiosk.profiles import ChipPolicy, Profile, load_profile

PROFILES = ("hospital", "bank", "lodging", "public_service")


@pytest.fixture
def built(tmp_path: Path) -> Iterator[list[Kiosk]]:
    kiosks: list[Kiosk] = []
    yield kiosks
    for k in kiosks:
        k.close()


def _run(
    tmp_path: Path, built: list[Kiosk], scenario: str, profile: str | Profile
) -> tuple[Kiosk, FlowResult]:
    sc = SCENARIOS[scenario]
    kiosk, card = build_scenario_kiosk(sc, profile, KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    result = run_flow(kiosk, ScriptedUser(sc, card), sc)
    kiosk.runner.drain_storage()
    return kiosk, result


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_flow_per_profile_and_scenario(
    tmp_path: Path, built: list[Kiosk], profile: str, scenario: str
) -> None:
    kiosk, r = _run(tmp_path, built, scenario, profile)
    assert r.outcome == r.expected, r
    assert r.path[0] == r.path[-1] == "attract" and "wipe" in r.path
    assert kiosk.driver.state is State.ATTRACT
    if r.chip_verdict is None:  # nothing read (refused, wrong key, card gone): no record
        assert r.verification_id is None
    else:
        assert r.verification_id is not None
        stored = kiosk.store.record(r.verification_id)
        assert stored["status"] == r.record_status
        expected_status = {"verified": "verified", "CHIP_NOT_ACCEPTED": "referred"}.get(
            r.outcome, "not_verified"
        )
        assert r.record_status == expected_status
        assert stored["consent"]["purposes"], "the record refers to the consent given"
        assert len(kiosk.store.list_outbox()) == len(kiosk.profile.connectors)
    assert kiosk.store.verify_audit().ok


def test_refused_consent_reads_nothing_and_is_recorded(tmp_path: Path, built: list[Kiosk]) -> None:
    kiosk, r = _run(tmp_path, built, "no_consent", "hospital")
    assert r.outcome == "CONSENT_REFUSED" and r.apdus == 0
    slot = kiosk.runner.services.slot
    assert isinstance(slot, SimulatedCardSlot) and slot.opened == 0  # no transport was even opened
    rows = kiosk.store.db.conn.execute("SELECT purposes_given FROM consents").fetchall()
    assert rows == [("[]",)]
    assert kiosk.store.list_outbox() == []


def test_every_scenario_outcome_in_lodging(tmp_path: Path, built: list[Kiosk]) -> None:
    """Lodging accepts ``inconclusive``/``NO_ANTICLONE_PROOF``: every scenario reaches its own outcome."""
    for name, sc in SCENARIOS.items():
        _, r = _run(tmp_path / name, built, name, "lodging")
        assert r.outcome == sc.expect, r


def _bank_accepting_sim_chips() -> Profile:
    bank = load_profile("bank")
    return dataclasses.replace(bank, chip=ChipPolicy(True, False, False))


def test_bank_keeps_biometric_evidence_until_delivery_others_never(
    tmp_path: Path, built: list[Kiosk]
) -> None:
    kiosk, r = _run(tmp_path / "bank", built, "happy", _bank_accepting_sim_chips())
    assert r.outcome == "verified" and r.verification_id is not None
    images = kiosk.store.biometric_images(r.verification_id)
    assert images is not None and images.live_jpeg and images.chip_image
    bio = kiosk.store.record(r.verification_id)["biometric"]
    assert bio["images_retained"] is True and len(bio["image_sha256"]) == 2
    kiosk, r = _run(tmp_path / "lodging", built, "happy", "lodging")
    assert r.verification_id is not None and kiosk.store.biometric_images(r.verification_id) is None
    assert kiosk.store.record(r.verification_id)["biometric"]["images_retained"] is False


def test_record_carries_service_step_and_minimised_claims(tmp_path: Path, built: list[Kiosk]) -> None:
    kiosk, r = _run(tmp_path, built, "happy", "lodging")
    assert r.verification_id is not None
    doc = kiosk.store.record(r.verification_id)
    assert doc["service"]["stay_nights"] == "1" and doc["service"]["stay_reason"]
    claims = doc["verified_claims"]["claims"]
    assert set(claims) <= {"name", "family_name", "given_name", "birthdate", "vn_id_number", "address",
                           "gender", "nationalities", "vn_old_id_number"}  # fmt: skip
    assert doc["document"]["passive_auth"]["result"] == "passed"
    assert doc["biometric"]["decision"] == "match" and doc["biometric"]["liveness"]["result"] == "passed"


def test_many_transactions_on_one_kiosk(tmp_path: Path, built: list[Kiosk]) -> None:
    sc = SCENARIOS["card_replaced"]
    kiosk, card = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    results = [run_flow(kiosk, ScriptedUser(sc, card), sc) for _ in range(3)]
    assert [r.outcome for r in results] == ["verified"] * 3
    assert len({r.verification_id for r in results}) == 3


@pytest.mark.parametrize(("scenario", "outcome"), [("happy", "verified"), ("wrong_person", "FACE_MISMATCH")])
def test_flow_with_the_real_face_engine(
    tmp_path: Path, built: list[Kiosk], scenario: str, outcome: str
) -> None:
    """The biometrics package's verifier (YuNet/SFace, active liveness) watching its simulated person."""
    pytest.importorskip("cv2", reason="the face engine needs OpenCV (requirements-face.txt)")
    sc = SCENARIOS[scenario]
    kiosk, card = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "data"), face="engine")
    built.append(kiosk)
    r = run_flow(kiosk, ScriptedUser(sc, card), sc, deadline_seconds=60)
    assert r.outcome == outcome, r
    assert r.verification_id is not None
    bio = kiosk.store.record(r.verification_id)["biometric"]
    assert bio["engine"].startswith("sface@") and bio["liveness"]["result"] == "passed"
    assert (bio["score"] >= bio["threshold"]) == (outcome == "verified")
    assert kiosk.store.biometric_images(r.verification_id) is None  # lodging never stores face images


def test_bank_with_the_real_engine_keeps_the_live_image_for_delivery(
    tmp_path: Path, built: list[Kiosk]
) -> None:
    pytest.importorskip("cv2", reason="the face engine needs OpenCV (requirements-face.txt)")
    sc = SCENARIOS["happy"]
    kiosk, card = build_scenario_kiosk(sc, _bank_accepting_sim_chips(), KioskConfig(tmp_path), face="engine")
    built.append(kiosk)
    r = run_flow(kiosk, ScriptedUser(sc, card), sc, deadline_seconds=60)
    assert r.outcome == "verified" and r.verification_id is not None
    images = kiosk.store.biometric_images(r.verification_id)
    assert images is not None and images.live_jpeg.startswith(b"\xff\xd8") and images.chip_image
    assert images.live_jpeg != images.chip_image

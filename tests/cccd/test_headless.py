"""Whole headless flows (simulated card and camera, scripted user) per deployment profile and scenario,
in-process; the stored record, consent and biometric evidence behind each outcome."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cccd.compose import Kiosk, KioskConfig, SimulatedCardSlot
from cccd.headless import SCENARIOS, FlowResult, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow import events as ev
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
        expected_status = {"verified": "verified", "CHIP_NOT_ACCEPTED": "referred",
                           "NO_CHIP_PHOTO": "referred"}.get(
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
    service = doc["service"]
    assert service["room"] == "305" and service["nights"] == "2" and service["reason"] == "Du lịch"
    assert date.fromisoformat(service["check_out"]) - date.fromisoformat(service["check_in"]) == timedelta(2)
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


def _accepting_sim_chips(name: str) -> Profile:
    """A profile that accepts today's simulated reads (``inconclusive``/``NO_ANTICLONE_PROOF``)."""
    return dataclasses.replace(load_profile(name), chip=ChipPolicy(True, False, False))


def test_hospital_issues_queue_numbers_in_sequence(tmp_path: Path, built: list[Kiosk]) -> None:
    """Department chosen, queue number issued by the runner from the kiosk's database, carried by the
    record; the next patient of the same department gets the next number."""
    sc = SCENARIOS["happy"]
    kiosk, card = build_scenario_kiosk(sc, _accepting_sim_chips("hospital"), KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    results = [run_flow(kiosk, ScriptedUser(sc, card), sc) for _ in range(2)]
    assert [r.outcome for r in results] == ["verified"] * 2
    assert "queue_number" in results[0].path
    assert [r.queue_number for r in results] == ["NOI-001", "NOI-002"]
    kiosk.runner.drain_storage()
    assert results[1].verification_id is not None
    service = kiosk.store.record(results[1].verification_id)["service"]
    assert service["department"] == "NOI" and service["department_name"] == "Khám Nội"
    assert service["queue_number"] == "NOI-002" and service["visit_type"] == "first_visit"
    assert service["facility_code"] == "00000"
    assert kiosk.store.verify_audit().ok


def test_bank_confirmation_sends_and_stop_keeps_the_images_back(tmp_path: Path, built: list[Kiosk]) -> None:
    kiosk, r = _run(tmp_path / "ok", built, "happy", _bank_accepting_sim_chips())
    assert r.outcome == "verified" and "service" in r.path and r.verification_id is not None
    assert kiosk.store.record(r.verification_id)["service"]["confirmed"] == "yes"
    assert kiosk.store.biometric_images(r.verification_id) is not None

    class Stops(ScriptedUser):
        def respond(self, view: Any, session: Any) -> Any:
            if view.state == "service":
                return ev.Cancel()  # "stop" on the bank's confirmation
            return super().respond(view, session)

    sc = SCENARIOS["happy"]
    kiosk, card = build_scenario_kiosk(sc, _bank_accepting_sim_chips(), KioskConfig(tmp_path / "stop"))
    built.append(kiosk)
    r = run_flow(kiosk, Stops(sc, card), sc)
    kiosk.runner.drain_storage()
    assert r.path[-4:] == ("service", "take_card", "wipe", "attract") and r.verification_id is not None
    assert r.record_status == "referred"
    doc = kiosk.store.record(r.verification_id)
    assert doc["status"] == "referred" and "USER_CANCELLED" in doc["reasons"]
    assert doc["verified_claims"] is None and "confirmed" not in doc["service"]
    assert kiosk.store.biometric_images(r.verification_id) is None  # stop means the images are not sent
    assert doc["biometric"]["images_retained"] is False


# --- the card at the end of the transaction (kiosk.flow.takecard) -------------------------------------------


def _audit_rows(kiosk: Kiosk, event: str) -> list[tuple[float, str]]:
    sql = "SELECT at, data FROM audit WHERE event = ? ORDER BY seq"
    return [(float(at), str(data)) for at, data in kiosk.store.db.conn.execute(sql, (event,)).fetchall()]


def test_the_card_is_taken_at_once_in_the_usual_scenarios(tmp_path: Path, built: list[Kiosk]) -> None:
    kiosk, r = _run(tmp_path, built, "happy", "lodging")
    assert r.path[-4:] == ("receipt", "take_card", "wipe", "attract") and not r.card_left and r.as_expected
    slot = kiosk.runner.services.slot
    assert isinstance(slot, SimulatedCardSlot) and not slot.card_present()
    assert not kiosk.driver.session.card_left and _audit_rows(kiosk, "flow.card_left") == []
    _, r = _run(tmp_path / "refused", built, "no_consent", "lodging")
    assert "take_card" not in r.path  # no card was ever asked for


def test_card_left_on_the_reader(tmp_path: Path, built: list[Kiosk]) -> None:
    """The person walks away: reminders on the kiosk's clock (no real wait), the audit entry, the flag the
    operator's screen shows, and the next person lifts the card off before placing theirs."""
    sc = SCENARIOS["card_left"]
    kiosk, card = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    reminders: list[int] = []
    kiosk.driver.listeners.append(lambda v: reminders.append(getattr(v, "reminders", 0)))
    r = run_flow(kiosk, ScriptedUser(sc, card), sc)
    kiosk.runner.drain_storage()
    assert r.outcome == "verified" and r.card_left and r.as_expected
    assert r.path[-4:] == ("receipt", "take_card", "wipe", "attract")
    assert r.elapsed_ms < 10_000  # 90 s of the kiosk's clock, skipped
    assert max(reminders) == 8  # every 10 s until 90 s
    rows = _audit_rows(kiosk, "flow.card_left")
    assert len(rows) == 1
    assert json.loads(rows[0][1]) == {"profile": "lodging", "reason": "CARD_LEFT_ON_READER"}  # nobody named
    assert kiosk.store.verify_audit().ok
    session = kiosk.driver.session
    assert session.state is State.ATTRACT and session.card_left and session.hint == "attract.card_left"
    assert session.chip is None and session.key is None
    slot = kiosk.runner.services.slot
    assert isinstance(slot, SimulatedCardSlot) and slot.card_present()
    # the next person: "lift the card off first", then their card is read
    seen: list[Any] = []
    kiosk.driver.listeners.append(seen.append)
    nxt = SCENARIOS["happy"]
    r2 = run_flow(kiosk, ScriptedUser(nxt, card), nxt)
    kiosk.runner.drain_storage()
    assert r2.outcome == "verified" and not r2.card_left and r2.verification_id != r.verification_id
    place = [v for v in seen if v.state == "place_card"]
    assert place[0].remove_first and place[0].hint_key == "place_card.remove_first"
    assert not place[-1].remove_first
    assert not kiosk.driver.session.card_left
    assert len(_audit_rows(kiosk, "flow.card_left_taken")) == 1


def test_taking_the_card_late_hears_reminders_and_leaves_nothing(tmp_path: Path, built: list[Kiosk]) -> None:
    sc = dataclasses.replace(SCENARIOS["happy"], name="late", takes_card_after=25.0)
    kiosk, card = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    reminders: list[int] = []
    kiosk.driver.listeners.append(lambda v: reminders.append(getattr(v, "reminders", 0)))
    r = run_flow(kiosk, ScriptedUser(sc, card), sc)
    kiosk.runner.drain_storage()
    assert r.outcome == "verified" and not r.card_left and r.as_expected and r.elapsed_ms < 10_000
    assert max(reminders) == 2  # at 10 s and 20 s; taken at 25 s
    assert _audit_rows(kiosk, "flow.card_left") == [] and not kiosk.driver.session.card_left


def test_a_card_on_the_reader_when_the_kiosk_starts(tmp_path: Path, built: list[Kiosk]) -> None:
    from cccd.compose import build_kiosk, sim_trust
    from kiosk.runtime.face import GroundTruthFaceStep, SimulatedScene
    from sims.personalize import card_image

    image = card_image("default")
    slot = SimulatedCardSlot(image)
    slot.place()  # lying there since before the restart
    face = GroundTruthFaceStep((SimulatedScene(image.profile.face_jpeg()),))
    kiosk = build_kiosk("lodging", KioskConfig(tmp_path), slot=slot, face=face, trust=sim_trust(image))
    built.append(kiosk)
    assert kiosk.driver.session.card_left and kiosk.driver.view().hint_key == "attract.card_left"
    for _ in range(100):  # the attract loop watches it; taken, the notice goes
        kiosk.driver.process(0.02)
        if slot.card_present():
            slot.take()
        if not kiosk.driver.session.card_left:
            break
    assert not kiosk.driver.session.card_left and kiosk.driver.view().hint_key is None


def test_reader_camera_asks_a_left_card_off_before_it_looks(tmp_path: Path, built: list[Kiosk]) -> None:
    """A reader with its own camera (docs/flow.md "Card on the reader"): a card left by the person before is
    lifted off first (the flow starts no scan before: kiosk/flow tests) — then the next person's card, laid
    once on the reader, gives the key and the chip."""
    first = dataclasses.replace(SCENARIOS["card_on_reader"], name="walks_away", takes_card_after=None)
    kiosk, card = build_scenario_kiosk(first, "lodging", KioskConfig(tmp_path / "data"))
    built.append(kiosk)
    r = run_flow(kiosk, ScriptedUser(first, card), first)
    assert r.outcome == "verified" and r.card_left
    assert r.path[:5] == ("attract", "language", "consent", "key_entry", "place_card")
    seen: list[Any] = []
    kiosk.driver.listeners.append(seen.append)
    nxt = SCENARIOS["card_on_reader"]
    r2 = run_flow(kiosk, ScriptedUser(nxt, card), nxt)  # the person lifts the left card off when asked
    kiosk.runner.drain_storage()
    assert r2.outcome == "verified" and not r2.card_left
    keys = [v for v in seen if v.state == "key_entry"]
    assert keys[0].remove_first and keys[0].title_key == "place_card.title_remove"
    assert not keys[-1].remove_first and keys[-1].methods == ("reader", "typed")
    assert len(_audit_rows(kiosk, "flow.card_left_taken")) == 1

"""A failing effect never leaves a person waiting (issue 11, section 3; kiosk.runtime.runner.failure_event).

Each effect kind gets a fault no adapter translates — a plain ``RuntimeError`` from the card slot, the face
engine, the storage, the relay — and the flow must reach the screen that follows (a retry, the counter, or
the normal end) at once, not at its state's deadline (60 s for a read or a face capture, 20 s for a queue
number).  The bound below is a third of the shortest deadline involved, so a flow that waited for it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cccd.compose import Kiosk, KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.outcomes import InsuranceAnswer
from kiosk.insurance import BhxhSettings
from kiosk.runtime import runner as runner_module
from kiosk.runtime.runner import failure_event

HAPPY = SCENARIOS["happy"]
FAST_MS = 6_000  # well under every machine-wait deadline (reading 60 s, face 60 s, queue number 20 s)


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a fault no adapter translates")


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[tuple[Kiosk, Any]]:
    built, card = build_scenario_kiosk(HAPPY, "hospital", KioskConfig(tmp_path / "data"))
    yield built, card
    built.close()


def _run(kiosk: tuple[Kiosk, Any]) -> Any:
    k, card = kiosk
    return run_flow(k, ScriptedUser(HAPPY, card), HAPPY, deadline_seconds=60)


def test_a_chip_read_that_breaks_goes_to_the_counter_at_once(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kiosk[0].runner.services.slot, "open", _boom)
    result = _run(kiosk)
    assert result.outcome == "CHIP_UNREADABLE" and result.detail == ("card_error",), result
    assert result.elapsed_ms < FAST_MS


def test_a_card_wait_that_breaks_moves_on_to_the_read(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slot's watch fails, the card is there: the read that follows decides (here: verified)."""
    slot = kiosk[0].runner.services.slot
    monkeypatch.setattr(slot, "wait_for_card", _boom)
    slot.place()
    result = _run(kiosk)
    assert result.outcome == "verified", result
    assert result.elapsed_ms < FAST_MS


def test_a_face_engine_that_breaks_retries_then_goes_to_the_counter(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kiosk[0].runner.services.face, "capture", _boom)
    result = _run(kiosk)
    assert result.outcome == "FACE_UNAVAILABLE", result
    assert result.elapsed_ms < FAST_MS


def test_a_queue_number_that_cannot_be_stored_goes_to_the_counter(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kiosk[0].runner.services.store, "issue_queue_number", _boom)
    result = _run(kiosk)
    assert result.outcome == "QUEUE_UNAVAILABLE", result
    assert result.elapsed_ms < FAST_MS


def test_a_record_that_cannot_be_stored_is_a_storage_failure(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "persist", _boom)
    result = _run(kiosk)
    assert result.outcome == "STORAGE_FAILED", result
    assert result.elapsed_ms < FAST_MS


def test_a_relay_that_breaks_keeps_the_rows_and_the_person_is_served(
    kiosk: tuple[Kiosk, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kiosk[0].runner.services, "relay_round", _boom)
    result = _run(kiosk)
    assert result.outcome == "verified", result
    kiosk[0].runner.drain_storage()
    assert kiosk[0].store.counts().get("pending", 0) >= 1  # the outbox keeps the record for later


def test_every_awaited_effect_has_a_failure_event() -> None:
    """The effects a state waits on map to the event that state handles; the others to nothing."""
    key = fx.StartChipRead(1, None, 0, 1, None)  # type: ignore[arg-type]
    assert failure_event(key, RuntimeError()) == ev.ReadFailed(1, "card_error")
    assert failure_event(fx.WaitForCard(2), RuntimeError()) == ev.CardPresent(2)
    assert isinstance(failure_event(fx.StartFaceMatch(3, None, b""), OSError()), ev.FaceFailed)  # type: ignore[arg-type]
    assert failure_event(fx.WaitForCardRemoval(4), RuntimeError()) is None  # the flow's own timer decides
    # a camera that breaks while looking for the card's codes: "type instead" (else a dead end on a reader
    # with its own camera, docs/flow.md "Card on the reader")
    broken = ev.MRZUnreadable("camera_unavailable")
    assert failure_event(fx.StartQRScan(5, on_reader=True), OSError()) == broken


def test_a_broken_reader_camera_says_type_instead(tmp_path: Path) -> None:
    """The reader's own camera cannot open: once the card lies there, the screen says the camera is not
    working and offers typing; the typed key then reads the card where it lies."""
    import dataclasses

    def broken() -> None:
        raise OSError("VIDIOC_STREAMON: No such device")

    sc = dataclasses.replace(SCENARIOS["card_on_reader"], card_on_reader=False, typed=True)
    built, card = build_scenario_kiosk(SCENARIOS["card_on_reader"], "lodging", KioskConfig(tmp_path / "data"))
    try:
        built.runner.services.qr_camera = broken
        hints: list[str | None] = []
        built.driver.listeners.append(lambda v: hints.append(v.hint_key) if v.state == "key_entry" else None)
        typed_after: list[bool] = []

        class Patient(ScriptedUser):
            """Types only once the screen has said the camera is not working."""

            def respond(self, view: Any, session: Any) -> Any:
                if view.state == "key_entry" and view.hint_key != "key_entry.camera_unavailable":
                    return None
                if view.state == "key_entry":
                    typed_after.append(True)
                return super().respond(view, session)

        result = run_flow(built, Patient(sc, card), sc, deadline_seconds=30)
    finally:
        built.close()
    assert "key_entry.camera_unavailable" in hints and typed_after
    assert result.outcome == "verified"


def test_an_insurance_check_that_breaks_completes_the_check_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BHYT check (docs/insurance.md) whose client breaks: the answer is "not checked" at once, the
    receipt follows with the queue number, and the record says why."""
    gateway = BhxhSettings("http://127.0.0.1:9", "01001_BV", "env:A", "env:B", "env:C", "79001")
    built, card = build_scenario_kiosk(HAPPY, "hospital", KioskConfig(tmp_path / "data", insurance=gateway))
    try:
        monkeypatch.setattr(built.runner.services, "insurance", _boom)
        result = _run((built, card))
        built.runner.drain_storage()
        assert result.verification_id is not None
        service = built.store.record(result.verification_id)["service"]
    finally:
        built.close()
    assert result.outcome == "verified" and result.queue_number and result.insurance == "unavailable"
    assert service["insurance_note"] == "RuntimeError"
    assert result.elapsed_ms < FAST_MS
    check = fx.CheckInsurance(5, None)  # type: ignore[arg-type]
    expected = ev.InsuranceChecked(5, InsuranceAnswer.not_checked("RuntimeError"))
    assert failure_event(check, RuntimeError()) == expected


def test_a_camera_failure_after_the_scan_was_cancelled_says_nothing() -> None:
    """The person has moved on (typed, cancelled): a late camera failure must not put "the camera is not
    working" on a later screen."""
    import threading
    import time
    from typing import cast

    from kiosk.runtime.runner import EffectRunner, Services

    opened = threading.Event()
    release = threading.Event()

    def camera() -> None:
        opened.set()
        release.wait(5)
        raise OSError("VIDIOC_STREAMON: No such device")

    posted: list[ev.Event] = []
    services = Services(profile=cast(Any, None), kiosk=cast(Any, None), store=cast(Any, None),
                        slot=cast(Any, None), trust=None, face=cast(Any, None), qr_camera=camera)  # fmt: skip
    runner = EffectRunner(services, posted.append)
    try:
        runner.perform(fx.StartQRScan(7))
        assert opened.wait(5)
        runner.perform(fx.CancelOperation(7))
        release.set()
        time.sleep(0.3)
        assert posted == []
        runner.perform(fx.StartQRScan(8))  # not cancelled: the screen says so
        deadline = time.monotonic() + 5
        while not posted and time.monotonic() < deadline:
            time.sleep(0.02)
        assert posted == [ev.MRZUnreadable("camera_unavailable")]
    finally:
        release.set()
        runner.close()

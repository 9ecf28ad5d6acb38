"""A whole transaction driven through the UI: simulated card and camera, offscreen, real flow and runner."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from cccd.compose import KioskConfig, SimulatedCardSlot
from cccd.headless import SCENARIOS, build_scenario_kiosk
from kiosk.flow import events as ev
from kiosk.flow.model import Timeouts
from ui.flowbridge import FlowBridge
from ui.screens_input import ConsentScreen, KeyEntryScreen
from ui.screens_service import ServiceScreen
from ui.window import KioskWindow

WAIT_MS = 20_000


@pytest.fixture
def flow(qtbot: QtBot, tmp_path: Path) -> Any:
    quick = Timeouts(receipt_after_card=0.5)  # the receipt after the card was lifted
    kiosk, card = build_scenario_kiosk(SCENARIOS["happy"], "lodging", KioskConfig(tmp_path / "data",
                                                                                  timeouts=quick))
    window = KioskWindow()
    qtbot.addWidget(window)
    window.show()
    bridge = FlowBridge(window, kiosk.driver)
    bridge.start()
    yield window, card, kiosk
    bridge.timer.stop()
    kiosk.close()


def _wait(qtbot: QtBot, w: KioskWindow, state: str) -> None:
    qtbot.waitUntil(lambda: w.view is not None and w.view.state == state, timeout=WAIT_MS)


def _texts(w: KioskWindow) -> str:
    return "\n".join(lab.text() for lab in w.findChildren(QLabel))


def _consent(qtbot: QtBot, w: KioskWindow) -> None:
    """"I agree" first (always enabled: the flow says what is missing), then tick and agree."""
    w.press("AcceptConsent")
    qtbot.waitUntil(lambda: w.view.hint_key == "consent.required_missing", timeout=WAIT_MS)
    assert w.catalog.text("consent.required_missing", "vi") in _texts(w)
    for _ in range(10):  # each tick re-renders the screen from the new view
        body = w.screen_body
        assert isinstance(body, ConsentScreen)
        box = next((b for b in body.checks if not b.isChecked()), None)
        if box is None:
            w.press("AcceptConsent")
            return
        before = w.view
        box.click()
        qtbot.waitUntil(lambda: w.view is not before, timeout=WAIT_MS)  # noqa: B023
    raise AssertionError("consent never became possible")


def test_whole_transaction_through_the_ui(qtbot: QtBot, flow: Any) -> None:
    w, card, kiosk = flow
    _wait(qtbot, w, "attract")
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
    _wait(qtbot, w, "language")
    w.press("ChooseLanguage", "vi")
    _wait(qtbot, w, "consent")
    _consent(qtbot, w)
    _wait(qtbot, w, "key_entry")
    body = w.screen_body
    assert isinstance(body, KeyEntryScreen)
    body.show_method("typed")
    for digit in card.id_number:
        body.keypad.press(digit)
    born = card.date_of_birth
    body.birth.day.set_value(born.day)
    body.birth.month.set_value(born.month)
    body.birth.year.set_value(born.year)
    body.submit()
    _wait(qtbot, w, "result")  # place card, reading, face capture and matching run by themselves
    assert w.view.verified
    name = w.view.full_name
    assert name and name in _texts(w)
    assert card.id_number not in _texts(w)  # only the masked ID is shown
    photos = [lab for lab in w.findChildren(QLabel) if not lab.pixmap().isNull()]
    assert len(photos) == 2  # the chip photo beside the live capture
    w.press("Continue")
    _wait(qtbot, w, "service")
    w.press("SubmitService")  # no room typed: the flow asks for it
    qtbot.waitUntil(lambda: w.view.hint_key == "service.room_invalid", timeout=WAIT_MS)
    service = w.screen_body
    assert isinstance(service, ServiceScreen) and service.keypad is not None
    for key in "1204":
        service.keypad.press(key)
    service.steppers["nights"].plus.click()
    w.press("SubmitService")
    _wait(qtbot, w, "receipt")
    qtbot.waitUntil(lambda: w.view.reference is not None, timeout=WAIT_MS)
    assert w.view.reference not in _texts(w) and w.view.reference[-6:] in _texts(w)  # a short reference
    assert "Phòng: 1204" in _texts(w)
    assert dict(w.view.details)["nights"] == "2"
    # the card is still on the reader: the receipt asks for it, and lifting it ends the transaction
    assert w.view.take_card and w.catalog.text("receipt.take_card", "vi") in _texts(w)
    with pytest.raises(LookupError):
        w.press("Done")  # nothing to tap
    slot = kiosk.runner.services.slot
    assert isinstance(slot, SimulatedCardSlot) and slot.card_present()
    slot.take()
    _wait(qtbot, w, "wipe")  # a moment after the card was lifted, by itself
    assert name not in _texts(w)
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
    _wait(qtbot, w, "attract")
    assert name not in _texts(w)
    from cccd.uiapp import UIOptions, kiosk_status

    status = kiosk_status(kiosk, UIOptions())  # from the Qt thread, after a stored transaction
    assert status.outbox_backlog is not None and status.recent_errors == ()


def test_camera_frames_from_another_thread_reach_the_preview(qtbot: QtBot, flow: Any) -> None:
    import threading

    import numpy as np

    w, _, _ = flow
    bridge = w.findChild(FlowBridge)
    assert isinstance(bridge, FlowBridge)
    frames: list[object] = []

    def record(image: object) -> bool:
        frames.append(image)
        return True

    w.show_camera_frame = record
    t = threading.Thread(target=bridge.camera_frame, args=(np.zeros((48, 64, 3), np.uint8),))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(frames) == 1, timeout=WAIT_MS)


def test_operator_status_of_a_simulated_kiosk(tmp_path: Path) -> None:
    from cccd.uiapp import UIOptions, kiosk_status

    kiosk, _ = build_scenario_kiosk(SCENARIOS["happy"], "lodging", KioskConfig(tmp_path / "data"))
    try:
        status = kiosk_status(kiosk, UIOptions())
    finally:
        kiosk.close()
    assert status.outbox_backlog == 0 and status.recent_errors == ()


def test_refusing_consent_leads_to_the_counter_and_back(qtbot: QtBot, flow: Any) -> None:
    w, _, _ = flow
    _wait(qtbot, w, "attract")
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
    _wait(qtbot, w, "language")
    w.press("ChooseLanguage", "en")
    _wait(qtbot, w, "consent")
    assert w.view.language == "en"
    w.press("RefuseConsent")
    _wait(qtbot, w, "fallback")
    assert w.view.reason == "CONSENT_REFUSED"
    texts = _texts(w)
    assert "Please go to counter 1" in texts and "You did not agree" in texts
    assert "CONSENT_REFUSED" not in texts  # no codes on a citizen's screen (issue 14)
    w.press("Done")
    _wait(qtbot, w, "wipe")
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
    _wait(qtbot, w, "attract")


def test_hospital_department_and_queue_number_through_the_ui(qtbot: QtBot, tmp_path: Path) -> None:
    """With a hospital profile that accepts the simulated chip: the department chosen on the screen, the
    queue number issued from the kiosk's database and shown big on the receipt."""
    import dataclasses

    from kiosk.profiles import ChipPolicy, load_profile
    from kiosk.timezone import local_day

    hospital = dataclasses.replace(load_profile("hospital"), chip=ChipPolicy(True, False, False))
    kiosk, card = build_scenario_kiosk(SCENARIOS["happy"], hospital, KioskConfig(tmp_path / "data"))
    w = KioskWindow()
    qtbot.addWidget(w)
    w.show()
    bridge = FlowBridge(w, kiosk.driver)
    bridge.start()
    try:
        today = local_day(datetime.now(UTC))  # the kiosk's local (Vietnam) day
        kiosk.store.issue_queue_number("SAN", today, 0.0)  # a patient before
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
        _wait(qtbot, w, "language")
        w.press("ChooseLanguage", "en")
        _wait(qtbot, w, "consent")
        body = w.screen_body
        assert isinstance(body, ConsentScreen)
        for box in body.checks:
            before = w.view
            box.click()
            qtbot.waitUntil(lambda: w.view is not before, timeout=WAIT_MS)  # noqa: B023
        w.press("AcceptConsent")
        _wait(qtbot, w, "key_entry")
        assert w.scan_qr(card.qr_payload)
        _wait(qtbot, w, "result")
        w.press("Continue")
        _wait(qtbot, w, "service")
        service = w.screen_body
        assert isinstance(service, ServiceScreen)
        service.choice_buttons["department"]["SAN"].click()
        service.choice_buttons["visit_type"]["first_visit"].click()  # nothing is preselected
        w.press("SubmitService")
        _wait(qtbot, w, "receipt")
        assert w.view.queue_number == "SAN-002" and w.view.department == "Obstetrics"
        assert "SAN-002" in _texts(w) and "Obstetrics" in _texts(w)
        qtbot.waitUntil(lambda: w.view.reference is not None, timeout=WAIT_MS)
        kiosk.runner.drain_storage()
        assert kiosk.store.record(w.view.reference)["service"]["queue_number"] == "SAN-002"
    finally:
        bridge.timer.stop()
        kiosk.close()


def test_a_card_left_on_the_reader_through_the_ui(qtbot: QtBot, tmp_path: Path) -> None:
    """Nobody takes the card: reminders, then the goodbye; the attract loop and the operator's status say
    a card was left; the next person is asked to lift it off before placing theirs (short timers here)."""
    from cccd.uiapp import UIOptions, kiosk_status
    from kiosk.flow.model import Limits, Timeouts

    config = KioskConfig(tmp_path / "data", timeouts=Timeouts(take_card=0.4, wipe=0.5),
                         limits=Limits(card_left_after=1.2))  # fmt: skip
    kiosk, card = build_scenario_kiosk(SCENARIOS["happy"], "lodging", config)
    w = KioskWindow(status=lambda: kiosk_status(kiosk, UIOptions()))
    qtbot.addWidget(w)
    w.show()
    bridge = FlowBridge(w, kiosk.driver)
    bridge.start()
    try:
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
        _wait(qtbot, w, "language")
        w.press("ChooseLanguage", "vi")
        _wait(qtbot, w, "consent")
        for p in kiosk.driver.config.purposes:
            kiosk.driver.post(ev.TogglePurpose(p.id))
        kiosk.driver.post(ev.AcceptConsent())
        _wait(qtbot, w, "key_entry")
        assert w.scan_qr(card.qr_payload)
        _wait(qtbot, w, "result")
        w.press("Cancel")  # walks off without the card
        _wait(qtbot, w, "take_card")
        qtbot.waitUntil(lambda: w.view.hint_key == "take_card.reminder", timeout=WAIT_MS)
        assert w.catalog.text("take_card.reminder", "vi") in _texts(w)
        _wait(qtbot, w, "attract")
        assert w.view.hint_key == "attract.card_left"
        assert w.catalog.text("attract.card_left", "vi") in _texts(w)
        status = kiosk_status(kiosk, UIOptions())
        assert status.card_left_at is not None and len(status.card_left_at) == len("08:52 22/11/2026")
        w.show_operator()
        assert status.card_left_at in w.operator_page.card_left.text()
        w.back_to_kiosk()
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.rect().center())  # type: ignore[no-untyped-call]
        _wait(qtbot, w, "language")
        w.press("ChooseLanguage", "en")
        _wait(qtbot, w, "consent")
        for p in kiosk.driver.config.purposes:
            kiosk.driver.post(ev.TogglePurpose(p.id))
        kiosk.driver.post(ev.AcceptConsent())
        _wait(qtbot, w, "key_entry")
        assert w.scan_qr(card.qr_payload)
        qtbot.waitUntil(lambda: getattr(w.view, "remove_first", False), timeout=WAIT_MS)
        assert "Please lift off the card on the reader" in _texts(w)
        slot = kiosk.runner.services.slot
        assert isinstance(slot, SimulatedCardSlot)
        slot.take()
        _wait(qtbot, w, "result")  # lifted off, placed again (by the simulated person), read
        assert kiosk_status(kiosk, UIOptions()).card_left_at is None
    finally:
        bridge.timer.stop()
        kiosk.close()


def test_the_card_laid_once_on_a_reader_with_its_own_camera(qtbot: QtBot, tmp_path: Path) -> None:
    """docs/flow.md "Card on the reader", through the window: the key-entry screen asks for the card on the
    reader; the simulated reader's camera reads its QR code once the card lies there, and the chip is read
    without a second "place your card" — the person does nothing between key entry and the result."""
    sc = SCENARIOS["card_on_reader"]
    kiosk, _ = build_scenario_kiosk(sc, "lodging", KioskConfig(tmp_path / "data"))
    w = KioskWindow()
    qtbot.addWidget(w)
    w.show()
    bridge = FlowBridge(w, kiosk.driver)
    bridge.start()
    states: list[str] = []
    kiosk.driver.listeners.append(lambda v: states.append(v.state))
    shown: list[tuple[bool, str]] = []  # the key-entry screens drawn (it may pass within one look)
    show = w.show_view

    def watched(view: Any, *args: Any, **kwargs: Any) -> Any:
        out = show(view, *args, **kwargs)
        if isinstance(w.screen_body, KeyEntryScreen):
            shown.append((w.screen_body.on_reader, _texts(w)))
        return out

    w.show_view = watched  # type: ignore[method-assign]
    try:
        w.press("ChooseLanguage", "vi")
        _wait(qtbot, w, "consent")
        _consent(qtbot, w)
        _wait(qtbot, w, "result")
        assert shown and shown[0][0] and w.catalog.text("place_card.title", "vi") in shown[0][1]
        assert "key_entry" in states
        assert w.view.verified
        slot = kiosk.runner.services.slot
        assert isinstance(slot, SimulatedCardSlot) and slot.card_present()
        assert states.count("place_card") <= 1  # passed through at once: the card was there
    finally:
        bridge.timer.stop()
        kiosk.close()

"""Every screen fed with kiosk views (kiosk.flow.views.render): text, sizes, intents, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk.flow import events as ev
from ui.flowbridge import BridgeError, from_event, to_event
from ui.i18n import Catalog
from ui.samples import sample_views
from ui.screens_input import ConsentScreen, KeyEntryScreen
from ui.screens_service import ServiceScreen
from ui.shots import save_screenshots
from ui.theme import BODY_PT, TOUCH_MM, touch_px
from ui.viewmodel import Intent
from ui.window import KioskWindow

REPO = Path(__file__).resolve().parents[2]
SAMPLES = [(lang, s) for lang in ("vi", "en") for s in sample_views(lang)]


@pytest.fixture
def window(qtbot: QtBot) -> KioskWindow:
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.show()
    return w


W = TypeVar("W", bound=QWidget)


def _visible(w: KioskWindow, kind: type[W]) -> list[W]:
    found: list[W] = w.findChildren(kind)
    return [x for x in found if x.isVisibleTo(w)]


@pytest.mark.parametrize(("language", "sample"), SAMPLES, ids=[f"{s.name}-{lang}" for lang, s in SAMPLES])
def test_screen_renders_accessibly(window: KioskWindow, language: str, sample: object) -> None:
    window.card_model = sample.card_model  # type: ignore[attr-defined]
    window.show_view(sample.view, speak=False)  # type: ignore[attr-defined]
    if sample.method and isinstance(window.screen_body, KeyEntryScreen):  # type: ignore[attr-defined]
        window.screen_body.show_method(sample.method)  # type: ignore[attr-defined]
    if sample.values and isinstance(window.screen_body, ServiceScreen):  # type: ignore[attr-defined]
        window.screen_body.set_values(sample.values)  # type: ignore[attr-defined]
    QApplication.processEvents()
    _accessible(window)


def _accessible(window: KioskWindow) -> None:
    """Every visible text at least body size and not squeezed, every button a big target whose label
    fits, nothing off the screen, no two buttons overlapping."""
    assert window.catalog.missing == set()
    # the mute button and every button of the view (take_card has none: lifting the card is the answer)
    assert len(_visible(window, QPushButton)) >= 1 + len(window.view.buttons)
    mm15 = TOUCH_MM / 25.4 * window.screen().physicalDotsPerInch()
    for b in _visible(window, QPushButton):
        assert b.height() >= touch_px() >= mm15 and b.width() >= touch_px(), b.text()
        assert b.font().pointSizeF() >= BODY_PT or b.font().pixelSize() >= BODY_PT, b.text()
        assert b.fontMetrics().horizontalAdvance(b.text()) <= b.width() - 12, b.text()  # the label fits
    for lab in _visible(window, QLabel):
        if lab.text():
            assert lab.font().pointSizeF() >= BODY_PT, lab.text()
            if not lab.wordWrap():  # unwrapped text must fit its label
                assert lab.fontMetrics().horizontalAdvance(lab.text()) <= lab.contentsRect().width() + 1
            else:  # wrapped text is not cut off at the bottom (a screen with too much on it)
                assert lab.height() >= lab.heightForWidth(lab.width()) - 2, lab.text()
    rect = window.rect()
    for ab in _visible(window, QAbstractButton):  # nothing outside the screen, no overlapping buttons
        r = ab.rect().translated(ab.mapTo(window, ab.rect().topLeft()))
        assert rect.contains(r), ab.text()
    buttons = [(b, b.rect().translated(b.mapTo(window, b.rect().topLeft())))
               for b in _visible(window, QPushButton)]  # fmt: skip
    for i, (a, ra) in enumerate(buttons):
        for b, rb in buttons[i + 1 :]:
            assert not ra.intersects(rb), (a.text(), b.text())


def test_screenshots_of_every_screen(qtbot: QtBot, tmp_path: Path) -> None:
    saved = save_screenshots(tmp_path)
    names = sorted(p.name for p in saved)
    assert len(names) == len(SAMPLES) + 2  # and the operator's PIN and status pages
    checked_in = sorted(p.name for p in (REPO / "docs" / "screens").glob("*.png"))
    assert names == checked_in, "regenerate docs/screens with: cccd ui --screenshots docs/screens"


def _show(window: KioskWindow, view: object) -> None:
    window.show_view(view, speak=False)
    QApplication.processEvents()  # layouts show their new widgets on the next event loop pass


def _collect(window: KioskWindow) -> list[Intent]:
    got: list[Intent] = []
    window.intent.connect(got.append)
    return got


def _sample(lang: str, name: str) -> Any:
    return next(s.view for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


def test_language_and_touch_intents(window: KioskWindow, qtbot: QtBot) -> None:
    got = _collect(window)
    _show(window, _sample("vi", "language"))
    window.press("ChooseLanguage", "en")
    assert to_event(got[-1]) == ev.ChooseLanguage("en")
    _show(window, _sample("vi", "attract"))
    qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=window.rect().center())  # type: ignore[no-untyped-call]
    assert to_event(got[-1]) == ev.Touch()


def test_consent_tick_and_equal_answers(window: KioskWindow, qtbot: QtBot) -> None:
    got = _collect(window)
    view = _sample("vi", "consent")
    _show(window, view)
    window.press("AcceptConsent")  # enabled with nothing ticked: the flow says what is missing
    assert to_event(got[-1]) == ev.AcceptConsent()
    body = window.screen_body
    assert isinstance(body, ConsentScreen)
    body.checks[0].click()
    assert to_event(got[-1]) == ev.TogglePurpose(view.purposes[0].id)
    answers = [b for b in window.buttons if b.property("button").intent in ("AcceptConsent", "RefuseConsent")]
    assert len(answers) == 2 and answers[0].size() == answers[1].size()
    assert {b.property("prominent") for b in answers} == {"true"}
    assert _visible(window, QCheckBox)[0].width() >= touch_px() - 12


def test_typed_key_entry(window: KioskWindow, qtbot: QtBot) -> None:
    got = _collect(window)
    _show(window, _sample("vi", "key_entry-typed"))
    body = window.screen_body
    assert isinstance(body, KeyEntryScreen)
    body.show_method("typed")
    for d in "0012345678901":  # 12 digits fill the ID; the 13th goes on into the day (auto-advance)
        body.keypad.press(d)
    assert body.keypad.digits == "001234567890" and body.birth.day.digits == "1"
    body.keypad.delete()
    body.keypad.delete()  # the day is empty: "delete" steps back into the ID
    assert body.keypad.digits == "00123456789" and body.birth.day.digits == ""
    for d in "0" + "1403" + "19521":  # DD MM YYYY, 8 taps; the last field refuses a 5th year digit
        body.keypad.press(d)
    assert body.birth.year.value == 1952
    body.submit()
    assert to_event(got[-1]) == ev.EnterIdAndBirth("001234567890", "14/03/1952")
    body.birth.day.set_value(7)  # what the QR or a test fills in directly
    assert body.birth.text() == "07/03/1952"
    assert "0012" not in repr(got[-1])


def test_service_values(window: KioskWindow) -> None:
    got = _collect(window)
    _show(window, _sample("en", "service"))
    body = window.screen_body
    assert isinstance(body, ServiceScreen)
    confirm = next(w for w in window.buttons if w.property("button").intent == "SubmitService")
    choices = [b for b in body.findChildren(QPushButton) if b.isCheckable()]
    assert not any(b.isChecked() for b in choices)  # nothing preselected (issue 14)
    assert not confirm.isEnabled()  # "Confirm" waits for every choice
    with pytest.raises(LookupError):
        window.press("SubmitService")
    follow = next(b for b in _visible(window, QPushButton) if b.text() == "Follow-up visit")
    follow.click()
    assert not confirm.isEnabled()  # the department is still missing
    ent = next(b for b in _visible(window, QPushButton) if b.text() == "Ear, nose, throat")
    ent.click()
    assert confirm.isEnabled()
    assert ent.isChecked() and ent.height() > touch_px()  # departments: the biggest targets
    window.press("SubmitService")
    assert to_event(got[-1]) == ev.SubmitService((("department", "TMH"), ("visit_type", "follow_up")))


def test_every_intent_converts_both_ways() -> None:
    samples = [ev.Touch(), ev.ChooseLanguage("vi"), ev.TogglePurpose("p"), ev.AcceptConsent(),
               ev.RefuseConsent(), ev.ScanQR("x|y"), ev.EnterMRZ("m"), ev.EnterIdAndBirth("1", "2"),
               ev.Continue(),
               ev.SubmitService((("a", "b"),)), ev.StillHere(), ev.Cancel(), ev.AskForHelp(),
               ev.Done()]  # fmt: skip
    assert {type(e) for e in samples} == set(ev.INTENTS)
    for e in samples:
        assert to_event(from_event(e)) == e
    with pytest.raises(BridgeError):
        to_event(Intent("ReadSucceeded"))
    with pytest.raises(BridgeError):
        to_event(Intent("ChooseLanguage", (("nope", "x"),)))


def test_camera_frames_reach_the_preview_and_qr_scans_are_sent(window: KioskWindow) -> None:
    import numpy as np

    from ui.widgets import bgr_to_qimage

    got = _collect(window)
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :, 2] = 255  # red in BGR
    image = bgr_to_qimage(frame)
    assert image.width() == 320 and image.pixelColor(5, 5).red() == 255
    _show(window, _sample("vi", "face_capture"))
    assert window.show_camera_frame(image)
    assert not window.scan_qr("001234567890|...")  # only on the key-entry screen
    _show(window, _sample("vi", "key_entry-qr"))
    assert window.show_camera_frame(image)
    assert window.scan_qr("001234567890||Nguyễn Văn A|01011960|Nam|Hà Nội|01012021")
    assert isinstance(to_event(got[-1]), ev.ScanQR)
    _show(window, _sample("vi", "reading"))
    assert not window.show_camera_frame(image)


def test_receipt_print_button_only_with_a_printer(qtbot: QtBot) -> None:
    printed: list[object] = []
    w = KioskWindow(printer=printed.append)
    qtbot.addWidget(w)
    w.show()
    _show(w, _sample("en", "receipt"))
    button = next(b for b in _visible(w, QPushButton) if b.text() == "Print")
    button.click()
    assert len(printed) == 1
    plain = KioskWindow()
    qtbot.addWidget(plain)
    plain.show()
    _show(plain, _sample("en", "receipt"))
    assert all(b.text() != "Print" for b in _visible(plain, QPushButton))


def test_new_views_of_the_same_state_update_in_place(window: KioskWindow) -> None:
    from dataclasses import replace

    from PySide6.QtWidgets import QScrollArea

    consent = _sample("vi", "consent")
    consent = replace(consent, document=consent.document + "\n\nĐiều khoản thêm." * 12)  # it scrolls
    _show(window, consent)
    body = window.screen_body
    scroll = _visible(window, QScrollArea)[0].verticalScrollBar()
    scroll.setValue(scroll.maximum())
    ticked = replace(consent, purposes=tuple(replace(p, checked=True) for p in consent.purposes))
    _show(window, ticked)
    assert window.screen_body is body and scroll.value() == scroll.maximum() > 0
    assert all(b.isChecked() for b in body.checks)  # type: ignore[union-attr]
    reading = _sample("vi", "reading")
    _show(window, reading)
    body = window.screen_body
    _show(window, replace(reading, phase="passive_auth", fraction=0.9))
    assert window.screen_body is body
    assert body.progress.value() == 90  # type: ignore[union-attr]
    assert window.catalog.text("reading.phase.passive_auth", "vi") in body.phase.text()  # type: ignore[union-attr]


def _sample_of(lang: str, name: str) -> Any:
    return next(s for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


def test_lodging_room_dates_and_reason(window: KioskWindow) -> None:
    got = _collect(window)
    _show(window, _sample("vi", "service-lodging"))
    body = window.screen_body
    assert isinstance(body, ServiceScreen) and body.keypad is not None
    window.press("SubmitService")
    assert "room" not in dict(to_event(got[-1]).values)  # type: ignore[attr-defined]  # nothing typed yet
    for key in "305":
        body.keypad.press(key)
    next(b for b in body.keypad.findChildren(QPushButton) if b.text() == "ABC").click()
    QApplication.processEvents()
    _accessible(window)  # the letters page: big keys too, nothing off the screen
    next(b for b in _visible(window, QPushButton) if b.text() == "B").click()
    for key in "XYZ":  # six characters at most
        body.keypad.press(key)
    assert body.room_shown.text() == "305BXY"
    body.keypad.delete()
    assert body.check_out is not None and body.check_out.text() == "Ngày trả phòng: 23/11/2026"
    body.steppers["nights"].plus.click()
    body.steppers["nights"].plus.click()
    body.steppers["check_in"].minus.click()  # yesterday: arrived after midnight
    assert "(hôm qua)" in body.steppers["check_in"]._shown.text()
    assert body.check_out.text() == "Ngày trả phòng: 24/11/2026"
    body.steppers["check_in"].minus.click()  # not before yesterday
    assert not body.steppers["check_in"].minus.isEnabled()
    for _ in range(2):  # tomorrow: the longest date text fits too
        body.steppers["check_in"].plus.click()
    assert "(ngày mai)" in body.steppers["check_in"]._shown.text()
    QApplication.processEvents()
    _accessible(window)
    for _ in range(2):
        body.steppers["check_in"].minus.click()
    next(b for b in _visible(window, QPushButton) if b.text() == "Thăm thân").click()
    window.press("SubmitService")
    assert to_event(got[-1]) == ev.SubmitService((("room", "305BX"), ("check_in", "2026-11-21"),
                                                  ("nights", "3"), ("reason", "Thăm thân")))  # fmt: skip


def test_bank_confirmation_lists_masked_data_and_two_equal_answers(window: KioskWindow) -> None:
    got = _collect(window)
    _show(window, _sample("en", "service-bank"))
    texts = "\n".join(lab.text() for lab in _visible(window, QLabel))
    assert "001234***890" in texts and "001234567890" not in texts and "TRẦN VĂN PHÚC" in texts
    assert "Male" in texts and "Ethnicity" not in texts  # the bank does not receive the ethnicity
    assert "face photo" in texts
    answers = [b for b in window.buttons if b.property("button").intent in ("SubmitService", "Cancel")]
    assert [b.text() for b in answers] == ["Confirm and send", "Stop, don't send"]
    assert answers[0].size() == answers[1].size()
    assert {b.property("prominent") for b in answers} == {"true"} and all(b.isEnabled() for b in answers)
    window.press("SubmitService")
    assert to_event(got[-1]) == ev.SubmitService(())
    window.press("Cancel")
    assert to_event(got[-1]) == ev.Cancel()


def test_bank_confirmation_with_a_long_address_still_fits(window: KioskWindow) -> None:
    from dataclasses import replace

    from kiosk.flow.views import SummaryLine

    view = _sample("vi", "service-bank")
    address = ("Thôn Đông Hạ, Xã Yên Thường, Huyện Gia Lâm, Thành phố Hà Nội, gần Trường Tiểu học "
               "Yên Thường, ngõ 3 đường liên xã")  # fmt: skip
    long = replace(view, summary=tuple(replace(x, value=address) if x.field == "address" else x
                                       for x in view.summary))  # fmt: skip
    assert any(isinstance(x, SummaryLine) and x.value == address for x in long.summary)
    _show(window, long)
    _accessible(window)


def test_receipt_shows_the_queue_number_big(window: KioskWindow) -> None:
    _show(window, _sample("vi", "receipt"))
    big = next(lab for lab in _visible(window, QLabel) if lab.text() == "NOI-017")
    assert big.font().pointSizeF() >= 72 and big.font().bold()
    texts = [lab.text() for lab in _visible(window, QLabel)]
    assert "Khám Nội" in texts and any("Y1B0NC" in x for x in texts)
    assert not any("01JDQ7Z8V4M3K9X2T5R6Y1B0NC" in x for x in texts)  # a short reference only
    _show(window, _sample("en", "receipt-lodging"))
    texts = [lab.text() for lab in _visible(window, QLabel)]
    assert {"Room: B305", "Check-in: 22/11/2026", "Check-out: 24/11/2026"} <= set(texts)

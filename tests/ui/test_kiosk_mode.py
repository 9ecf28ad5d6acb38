"""Kiosk mode: the window cannot be closed without the operator gesture and PIN; the operator screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.operator import OperatorStatus, PinCheck
from ui.samples import sample_views
from ui.window import GESTURE_TAPS, STAFF_IDLE_MS, KioskWindow

PIN = "482913"


def _status() -> OperatorStatus:
    return OperatorStatus("Virtual PCD 00 00 — ready", "simulated camera", 3, ("CARD_REMOVED at 08:12",))


@pytest.fixture
def kiosk(qtbot: QtBot) -> KioskWindow:
    w = KioskWindow(kiosk=True, operator_pin=PIN, status=_status)
    qtbot.addWidget(w)
    w.show()
    w.show_view(sample_views("vi")[0].view, speak=False)
    return w


def _tap_corner(qtbot: QtBot, w: KioskWindow, times: int) -> None:
    for _ in range(times):
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))  # type: ignore[no-untyped-call]


def _type(w: KioskWindow, digits: str) -> None:
    for d in digits:
        w.pin_page.keypad.press(d)
    w.pin_page.submit()


def test_close_is_refused_in_kiosk_mode(kiosk: KioskWindow) -> None:
    kiosk.close()
    QApplication.processEvents()
    assert kiosk.isVisible()


def test_gesture_then_wrong_pin_then_right_pin(kiosk: KioskWindow, qtbot: QtBot) -> None:
    _tap_corner(qtbot, kiosk, GESTURE_TAPS - 1)
    assert kiosk.pages.currentWidget() is kiosk.main
    _tap_corner(qtbot, kiosk, 1)
    assert kiosk.pages.currentWidget() is kiosk.pin_page
    _type(kiosk, "000000")
    assert kiosk.pages.currentWidget() is kiosk.pin_page
    assert kiosk.pin_page.message.text() == kiosk.catalog.text("operator.pin_wrong", "vi")
    assert kiosk.pin_page.keypad.digits == ""
    _type(kiosk, PIN)
    assert kiosk.pages.currentWidget() is kiosk.operator_page
    text = kiosk.operator_page.status.text()
    assert "Virtual PCD" in text and "3" in text and "CARD_REMOVED" in text
    restarts: list[bool] = []
    kiosk.restart_requested.connect(lambda: restarts.append(True))
    kiosk.operator_page.restart.emit()
    assert restarts == [True]
    kiosk.operator_page.back.emit()  # back to the kiosk: locked again
    kiosk.close()
    QApplication.processEvents()
    assert kiosk.isVisible()
    kiosk.open_pin()
    _type(kiosk, PIN)
    kiosk.operator_page.exit_kiosk.emit()
    QApplication.processEvents()
    assert not kiosk.isVisible()


def test_touch_on_attract_does_not_leak_to_the_flow_from_the_corner(kiosk: KioskWindow, qtbot: QtBot) -> None:
    got: list[object] = []
    kiosk.intent.connect(got.append)
    _tap_corner(qtbot, kiosk, 1)
    assert got == []


def test_without_a_pin_the_operator_screen_never_opens(qtbot: QtBot) -> None:
    w = KioskWindow(kiosk=True)
    qtbot.addWidget(w)
    w.open_pin()
    _type(w, PIN)
    assert w.pages.currentWidget() is w.pin_page


def test_pin_check() -> None:
    with pytest.raises(ValueError):
        PinCheck("1234")
    with pytest.raises(ValueError):
        PinCheck("abcdefg")
    check = PinCheck(PIN)
    assert check.matches(PIN) and not check.matches("482914")
    assert PIN not in repr(check)


def test_a_staff_page_left_open_goes_back_to_the_kiosk(kiosk: KioskWindow, qtbot: QtBot) -> None:
    """The operator page (and the lodging register, with guests' names) must not stay on a public screen:
    after STAFF_IDLE_MS without a touch it returns to the kiosk and locks again; a touch keeps it open."""
    _tap_corner(qtbot, kiosk, GESTURE_TAPS)
    _type(kiosk, PIN)
    assert kiosk.pages.currentWidget() is kiosk.operator_page and kiosk.staff_idle.isActive()
    assert kiosk.staff_idle.interval() == STAFF_IDLE_MS
    qtbot.wait(300)
    before = kiosk.staff_idle.remainingTime()
    qtbot.mouseClick(kiosk.operator_page, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert kiosk.staff_idle.remainingTime() > before  # the touch restarted the idle time
    kiosk.staff_idle.timeout.emit()  # the idle time has passed
    assert kiosk.pages.currentWidget() is kiosk.main and not kiosk.staff_idle.isActive()
    kiosk.close()
    QApplication.processEvents()
    assert kiosk.isVisible()  # locked again

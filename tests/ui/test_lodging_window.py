"""The clerk's declaration register inside the kiosk window (docs/lodging.md): staff only — reachable from
the operator page, which only the PIN opens — over the register of a real lodging kiosk's database (a
guest checked in by a headless transaction): the deadline and the warning before it passes, export,
"declaration sent", check-out; a screenshot (looked at; ``CCCD_SCREENSHOT_DIR`` keeps it)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from cccd.compose import KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from cccd.lodgingdesk import LodgingDesk
from kiosk.profiles import load_profile
from kiosk.timezone import VIETNAM
from ui.samples import sample_views
from ui.window import KioskWindow

PIN = "482913"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[LodgingDesk]:
    happy = SCENARIOS["happy"]
    kiosk, card = build_scenario_kiosk(happy, "lodging", KioskConfig(tmp_path, relay_interval=0))
    try:
        assert run_flow(kiosk, ScriptedUser(happy, card), happy).outcome == "verified"
    finally:
        kiosk.close()
    d = LodgingDesk(tmp_path, load_profile("lodging"))
    yield d
    d.close()


def _type(w: KioskWindow, digits: str) -> None:
    for d in digits:
        w.pin_page.keypad.press(d)
    w.pin_page.submit()


def _button(w: KioskWindow, parent: QWidget, text: str) -> QPushButton:
    found = [b for b in parent.findChildren(QPushButton) if b.text() == text]
    assert len(found) == 1, text
    return found[0]


def test_staff_open_the_register_with_the_pin_only(qtbot: QtBot, desk: LodgingDesk, tmp_path: Path) -> None:
    w = KioskWindow(kiosk=True, operator_pin=PIN, lodging=desk.actions())
    qtbot.addWidget(w)
    w.show()
    w.show_view(sample_views("vi", "lodging")[0].view, speak=False)
    page = w.lodging_page
    assert page is not None
    w.show_lodging()  # not from the citizen's screens
    assert w.pages.currentWidget() is w.main
    w.open_pin()
    _type(w, "000000")
    w.show_lodging()  # nor from the PIN page
    assert w.pages.currentWidget() is w.pin_page
    _type(w, PIN)
    assert w.pages.currentWidget() is w.operator_page
    _button(w, w.operator_page, w.catalog.text("lodging.title", "vi")).click()
    assert w.pages.currentWidget() is page
    QApplication.processEvents()

    # the guest checked in by the transaction, with the deadline on the kiosk's clock
    entries, _ = desk.snapshot()
    assert len(entries) == 1 and page.table.rowCount() == 1
    due = entries[0].due_at
    assert page.table.item(0, 0).text() == f"{due:%H:%M %d/%m}"  # type: ignore[union-attr]
    # an hour before the deadline: the warning
    desk.clock = lambda: due - timedelta(hours=1)
    page.refresh()
    assert page.banner.text().startswith("⚠") and "sắp đến hạn" in page.banner.text()
    assert page.table.item(0, 1).text() == w.catalog.text("lodging.urgency.due_soon", "vi")  # type: ignore[union-attr]
    # export: the file for the police portal, 0600, in the kiosk's data folder
    page.export.emit()
    files = list((tmp_path / "exports").glob("luu-tru-*.xlsx"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert str(files[0]) in page.banner.text()
    assert [e.state for e in desk.register.entries(desk.clock())] == ["exported"]  # still due until sent
    page.declared.emit()
    assert "1 khách" in page.banner.text()
    # check-out: choose the guest, then "Trả phòng"
    page.check_out.emit(entries[0].verification_id)
    assert page.table.item(0, 5).text() == w.catalog.text("lodging.checked_out", "vi")  # type: ignore[union-attr]
    page.check_out.emit(entries[0].verification_id)  # twice: the register refuses, the clerk is told why
    assert w.catalog.text("lodging.check_out_refused", "vi") in page.banner.text()
    QApplication.processEvents()
    shot = Path(os.environ.get("CCCD_SCREENSHOT_DIR") or tmp_path) / "lodging-register-window-vi.png"
    assert w.grab().save(str(shot), "PNG")
    page.back.emit()
    assert w.pages.currentWidget() is w.operator_page
    w.operator_page.back.emit()
    assert w.pages.currentWidget() is w.main


def test_other_profiles_have_no_register_button(qtbot: QtBot) -> None:
    w = KioskWindow(kiosk=True, operator_pin=PIN)
    qtbot.addWidget(w)
    assert w.lodging_page is None
    texts = [b.text() for b in w.operator_page.findChildren(QPushButton)]
    assert w.catalog.text("lodging.title", "vi") not in texts
    w.show_lodging()
    assert w.pages.currentWidget() is not None and w.lodging_page is None


def test_the_desk_clock_is_vietnam_time(desk: LodgingDesk) -> None:
    assert desk.clock().utcoffset() == datetime.now(VIETNAM).utcoffset()

"""The clerk's declaration register page (ui.lodging_page) over a real register on the kiosk's clock:
urgency colours, the banner, the clerk's actions; a screenshot in both languages (looked at)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.connectors.lodging import GuestDeclaration
from kiosk.keys import KeyStore
from kiosk.storage.db import Database
from kiosk.storage.lodging_register import LodgingRegister
from kiosk.timezone import VIETNAM
from ui.i18n import Catalog
from ui.lodging_page import LodgingRegisterPage
from ui.theme import SCREEN_SIZE, stylesheet, touch_px

NOW = datetime(2026, 3, 1, 21, 30, tzinfo=VIETNAM)


def _guest(n: int, name: str, arrival: datetime, room: str) -> GuestDeclaration:
    return GuestDeclaration(
        verification_id=f"01JTESTGUEST{n:014d}",
        full_name=name,
        id_number=f"0790930012{n:02d}",
        birth_date="1993-05-0" + str(n),
        nationality="Việt Nam",
        reason="Du lịch",
        check_in=arrival.date().isoformat(),
        check_out=(arrival.date() + timedelta(days=2)).isoformat(),
        nights=2,
        room=room,
        arrival=arrival.isoformat(timespec="minutes"),
        establishment_name="Khách sạn mẫu",
        establishment_address="1 Đường Mẫu",
        declaration_due=(
            arrival.replace(hour=23, minute=0)
            if arrival.hour < 23
            else (arrival + timedelta(days=1)).replace(hour=8, minute=0)
        ).isoformat(timespec="minutes"),
    )


@pytest.fixture
def register(tmp_path: Path) -> LodgingRegister:
    reg = LodgingRegister(Database(tmp_path / "kiosk.db"), KeyStore.open(tmp_path / "keys"))
    day = NOW.replace(hour=0, minute=0)
    guests = [
        _guest(1, "Nguyễn Văn An", day - timedelta(hours=10), "101"),  # yesterday 14:00: overdue
        _guest(2, "Trần Thị Bình", day + timedelta(hours=15), "102"),  # today 15:00: due 23:00, soon
        _guest(3, "Lê Hoàng Cường", day + timedelta(hours=23, minutes=40), "201"),  # late: due tomorrow 08:00
        _guest(4, "Phạm Thu Dung", day + timedelta(hours=9), "202"),  # declared, checked out
    ]
    for g in guests:
        reg.add(g, NOW)
    reg.mark_declared([guests[3].verification_id], NOW)
    reg.check_out(NOW, verification_id=guests[3].verification_id)
    return reg


def _cell(page: LodgingRegisterPage, row: int, column: int) -> str:
    item = page.table.item(row, column)
    assert item is not None
    return item.text()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_register_page(qtbot: QtBot, register: LodgingRegister, language: str, tmp_path: Path) -> None:
    catalog = Catalog.load()
    page = LodgingRegisterPage(
        catalog, language, lambda: (register.entries(NOW, with_declarations=True), register.warnings(NOW))
    )
    qtbot.addWidget(page)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyleSheet(stylesheet())
    page.resize(*SCREEN_SIZE)
    page.show()
    page.refresh()
    QApplication.processEvents()
    assert catalog.missing == set()
    assert all(page.table.rowHeight(r) >= touch_px() for r in range(page.table.rowCount()))
    urgency = [_cell(page, r, 1) for r in range(page.table.rowCount())]
    expected = {
        "vi": ["Quá hạn", "Sắp đến hạn", "Chưa báo trả phòng", "Chưa khai báo"],
        "en": ["Overdue", "Due soon", "Departure to report", "Not declared"],
    }[language]
    assert urgency == expected  # most urgent first; the checked-out guest waits for the departure report
    assert _cell(page, 0, 4) == "Nguyễn Văn An" and _cell(page, 0, 3) == "079093***201"
    banner = page.banner.text()
    assert banner.startswith("⚠") and (
        "1 khách đã quá hạn" in banner if language == "vi" else "1 guest(s) past" in banner
    )
    # actions: nothing selected → a hint, no signal; select → check_out with the guest
    seen: list[str] = []
    page.check_out.connect(seen.append)
    page._check_out()
    assert seen == [] and page.banner.text() == catalog.text("lodging.select_first", language)
    page.table.selectRow(1)
    page._check_out()
    assert seen == ["01JTESTGUEST00000000000002"]
    (export,) = [
        b for b in page.findChildren(QPushButton) if b.text() == catalog.text("lodging.export", language)
    ]
    with qtbot.waitSignal(page.export, timeout=1000):
        export.click()
    page.table.clearSelection()
    page.refresh()
    QApplication.processEvents()
    shot = Path(os.environ.get("CCCD_SCREENSHOT_DIR") or tmp_path) / f"lodging-register-{language}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(
        str(shot)
    )  # docs/clerk/lodging-register-*.png: CCCD_SCREENSHOT_DIR=docs/clerk

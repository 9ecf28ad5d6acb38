"""The operator side: the PIN lockout that grows after wrong PINs (and is audited by the kiosk), and the
operator screen showing the live checks (Qt offscreen; the screenshot is written for a look)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from cccd.compose import KioskConfig
from cccd.config import load_config
from cccd.doctor import LiveChecks
from cccd.headless import SCENARIOS, build_scenario_kiosk
from cccd.uiapp import UIOptions, audit_lockouts, kiosk_status
from tests.helpers.webserver import Server
from ui.operator import (
    LOCKOUT_AFTER,
    LOCKOUT_MAX_SECONDS,
    HealthLine,
    OperatorStatus,
    PinLockout,
)
from ui.samples import sample_views
from ui.shots import grab
from ui.window import KioskWindow

PIN = "482913"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_lockout_grows_and_a_right_pin_resets_it() -> None:
    clock, told = Clock(), []
    lock = PinLockout(clock, on_lockout=lambda *a: told.append(a))
    assert [lock.wrong() for _ in range(LOCKOUT_AFTER)] == [0, 0, 30]
    assert lock.remaining() == 30
    clock.t += 30
    assert lock.remaining() == 0
    assert [lock.wrong() for _ in range(LOCKOUT_AFTER)] == [0, 0, 60]
    clock.t += 60
    assert [lock.wrong() for _ in range(LOCKOUT_AFTER)] == [0, 0, 120]
    assert told == [(3, 30.0, 1), (6, 60.0, 2), (9, 120.0, 3)]
    clock.t += 120
    lock.right()
    assert [lock.wrong() for _ in range(LOCKOUT_AFTER)] == [0, 0, 30]  # back to the first step
    for _ in range(40):
        clock.t += LOCKOUT_MAX_SECONDS
        for _ in range(LOCKOUT_AFTER):
            lock.wrong()
    assert lock.remaining() == LOCKOUT_MAX_SECONDS  # capped


@pytest.fixture
def window(qtbot: QtBot) -> tuple[KioskWindow, list[tuple[int, float, int]], Clock]:
    told: list[tuple[int, float, int]] = []
    w = KioskWindow(kiosk=True, operator_pin=PIN, status=lambda: OperatorStatus("r", "c", 0),
                    on_pin_lockout=lambda *a: told.append(a))  # fmt: skip
    qtbot.addWidget(w)
    w.show()
    w.show_view(sample_views("vi")[0].view, speak=False)
    clock = Clock()
    w.pin_page.lockout.clock = clock
    return w, told, clock


def _type(w: KioskWindow, digits: str) -> None:
    for d in digits:
        w.pin_page.keypad.press(d)
    w.pin_page.submit()


def test_the_pin_page_locks_and_even_the_right_pin_waits(window: tuple[KioskWindow, list, Clock]) -> None:
    w, told, clock = window
    w.open_pin()
    for _ in range(LOCKOUT_AFTER):
        _type(w, "000000")
    assert told == [(3, 30.0, 1)]
    locked = w.catalog.text("operator.pin_locked", "vi", seconds=30)
    assert w.pin_page.message.text() == locked
    _type(w, PIN)  # the right PIN, during the lockout: not even compared
    assert w.pages.currentWidget() is w.pin_page and w.pin_page.keypad.digits == ""
    clock.t += 29.5
    _type(w, PIN)
    assert w.pages.currentWidget() is w.pin_page
    assert w.pin_page.message.text() == w.catalog.text("operator.pin_locked", "vi", seconds=1)
    clock.t += 1
    _type(w, PIN)
    assert w.pages.currentWidget() is w.operator_page
    assert w.pin_page.lockout.lockouts == 0  # a right PIN starts afresh


def test_a_lockout_is_audited_by_the_kiosk(tmp_path: Path) -> None:
    """The composition's listener writes ``operator.pin_lockout`` into the kiosk's audit chain (on the
    storage thread), and the chain still verifies."""
    kiosk, _ = build_scenario_kiosk(SCENARIOS["happy"], "hospital", KioskConfig(tmp_path / "data"))
    try:
        audit_lockouts(kiosk)(3, 30.0, 1)
        deadline = time.monotonic() + 10
        rows: list[tuple[str, str]] = []
        while time.monotonic() < deadline and not rows:
            time.sleep(0.05)
            with sqlite3.connect(tmp_path / "data" / "kiosk.db") as conn:
                sql = "SELECT event, data FROM audit WHERE event = 'operator.pin_lockout'"
                rows = conn.execute(sql).fetchall()
        assert rows and json.loads(rows[0][1]) == {"wrong_pins": 3, "lockout_seconds": 30.0, "lockouts": 1}
        assert kiosk.runner.on_storage_thread(kiosk.store.verify_audit).ok
    finally:
        kiosk.close()


def test_the_operator_screen_shows_live_checks(qtbot: QtBot, tmp_path: Path) -> None:
    status = OperatorStatus("r", "c", 2, checks=(
        HealthLine("reader", True, "ACS ACR1252U 00 00: extended-length APDUs"),
        HealthLine("camera", True, "/dev/video0 present"),
        HealthLine("outbox", True, "2 pending, 0 dead"),
        HealthLine("endpoint:his", False, "his.example.vn:443: Connection refused", "run cccd doctor"),
    ))  # fmt: skip
    w = KioskWindow(status=lambda: status)
    qtbot.addWidget(w)
    w.show()
    w.show_operator()
    text = w.operator_page.status.text()
    # check names in the page's language (issue 14: it mixed languages), each check's own line for IT after it
    assert "✓ Đầu đọc thẻ: ACS ACR1252U 00 00" in text and "✗ Kết nối his: his.example.vn" in text
    assert "→ run cccd doctor" in text and "reader:" not in text
    assert w.catalog.text("operator.checks", "vi") in text
    grab(w, tmp_path / "operator-checks.png")
    pending = OperatorStatus("r", "c", None, checks_pending=True)
    w2 = KioskWindow(status=lambda: pending)
    qtbot.addWidget(w2)
    w2.show()
    w2.show_operator()
    assert w2.catalog.text("operator.checking", "vi") in w2.operator_page.status.text()


def test_kiosk_status_runs_the_checks_off_the_ui_thread(qtbot: QtBot, tmp_path: Path) -> None:
    """A simulated kiosk with a configuration whose HIS endpoint is a loopback server and whose FHIR endpoint
    is closed: the first look says "checking", then the real results (TCP to each endpoint, the outbox)."""
    with Server() as his:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            f'[kiosk]\ndevice_id = "k1"\nsite_id = "s1"\n'
            f'[[delivery]]\nconnector = "his"\nurl = "{his.url}"\nsecret = "env:X"\n'
            '[[delivery]]\nconnector = "fhir"\nurl = "http://127.0.0.1:9/fhir"\n'
            'secret = "env:X"\n'
        )
        loaded = load_config(str(config))
        kiosk, _ = build_scenario_kiosk(SCENARIOS["happy"], "hospital", KioskConfig(tmp_path / "data"))
        live = LiveChecks(loaded, sim=True, reader=None, camera=0, data_dir=tmp_path / "data", ttl=60)
        try:
            first = kiosk_status(kiosk, UIOptions(), live)
            assert first.checks_pending
            qtbot.waitUntil(lambda: not kiosk_status(kiosk, UIOptions(), live).checks_pending, timeout=10_000)
            status = kiosk_status(kiosk, UIOptions(), live)
        finally:
            kiosk.close()
    by_name = {c.name: c for c in status.checks}
    assert by_name["reader"].ok and by_name["camera"].ok and by_name["outbox"].ok
    assert by_name["endpoint:his"].ok and not by_name["endpoint:fhir"].ok
    assert status.reader == "simulated card reader"


def test_kiosk_mode_hides_the_pointer(qtbot: QtBot) -> None:
    w = KioskWindow(kiosk=True, operator_pin=PIN)
    qtbot.addWidget(w)
    w.start()
    assert w.cursor().shape() == Qt.CursorShape.BlankCursor
    w.open_pin()
    _type(w, PIN)
    w.operator_page.exit_kiosk.emit()


def test_recent_errors_name_their_source_in_the_page_language(qtbot: QtBot) -> None:
    errors = ("printer: paper_out", "outbox: OperationalError", "x")
    status = OperatorStatus("r", "c", 0, recent_errors=errors)
    w = KioskWindow(status=lambda: status)
    qtbot.addWidget(w)
    w.show()
    w.show_operator()
    text = w.operator_page.status.text()
    assert "• Máy in: hết giấy" in text and "• Hàng đợi gửi: OperationalError" in text and "• x" in text

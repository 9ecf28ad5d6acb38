"""The hospital's receipt with the BHYT check's answer (docs/insurance.md), rendered offscreen from a real
transaction: a headless hospital kiosk asks the simulated BHXH gateway (a loopback HTTP server), and the
receipt view it reaches is shown in the kiosk window and saved as a PNG (``CCCD_SCREENSHOT_DIR`` keeps it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from cccd.compose import KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow.model import Session, State
from kiosk.flow.views import ReceiptView, View
from kiosk.insurance import BhxhSettings
from sims.bhxh import BhxhGateway, BhxhServer
from ui.i18n import Catalog
from ui.window import KioskWindow


@pytest.mark.parametrize(("scenario", "sentence", "counter"), [
    ("valid", "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: Bệnh viện Chợ Rẫy.", False),
    ("expired", "Thẻ BHYT đã hết hạn (31/12/2025).", True),
])  # fmt: skip
def test_receipt_shows_the_insurance_answer(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            scenario: str, sentence: str, counter: bool) -> None:  # fmt: skip
    for name, value in (("BHXH_PASSWORD", "sim-password"), ("BHXH_OFFICER", "Trần Văn Tiếp Đón"),
                        ("BHXH_OFFICER_ID", "001080000001")):  # fmt: skip
        monkeypatch.setenv(name, value)
    seen: list[View] = []
    with BhxhServer(BhxhGateway()) as gateway:
        gateway.gateway.script("079303001234", scenario)
        settings = BhxhSettings(gateway.url, "01001_BV", "env:BHXH_PASSWORD", "env:BHXH_OFFICER",
                                "env:BHXH_OFFICER_ID", "79001")  # fmt: skip
        config = KioskConfig(tmp_path / "data", relay_interval=0, insurance=settings)
        happy = SCENARIOS["happy"]
        kiosk, card = build_scenario_kiosk(happy, "hospital", config)

        def at_receipt(s: Session) -> None:
            if s.state is State.RECEIPT:
                seen.append(kiosk.driver.view())

        try:
            run_flow(kiosk, ScriptedUser(happy, card), happy, on_state=at_receipt)
        finally:
            kiosk.close()
    (view,) = seen
    assert isinstance(view, ReceiptView) and view.queue_number and view.insurance == sentence
    window = KioskWindow(Catalog.load())
    qtbot.addWidget(window)
    window.show()
    window.show_view(view, speak=False)
    QApplication.processEvents()
    texts = [lab.text() for lab in window.findChildren(QLabel) if lab.isVisible()]
    assert sentence in texts and view.queue_number in texts
    desk = Catalog.load().text("receipt.insurance_counter", "vi")
    assert (desk in texts) is counter
    shot = Path(os.environ.get("CCCD_SCREENSHOT_DIR") or tmp_path) / f"receipt-insurance-{scenario}.png"
    assert window.grab().save(str(shot), "PNG")

"""The receipt screen with a thermal printer (ui.ticketprint over kiosk.printing, docs/printing.md): the
ticket prints by itself once per verification; a paper-out or offline printer is told to the person with
what to do, and to the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.printing import PaperOutError, PrinterConfig, PrinterOfflineError, ThermalPrinter, Ticket
from ui.operator import OperatorStatus
from ui.samples import sample_views
from ui.ticketprint import TicketPrinting, ticket_for
from ui.window import KioskWindow

REPO = Path(__file__).resolve().parents[2]


def _sample(lang: str, name: str) -> Any:
    return next(s.view for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


class BrokenPrinter(ThermalPrinter):
    def __init__(self, error: type[Exception]) -> None:
        super().__init__(PrinterConfig.parse("dummy"))
        self.error = error

    def print_ticket(self, ticket: Ticket) -> Any:
        raise self.error("printer trouble")


def _window(qtbot: QtBot, printing: TicketPrinting) -> KioskWindow:
    w = KioskWindow(ticket_printing=printing, counter="3")
    qtbot.addWidget(w)
    w.show()
    return w


def _texts(w: KioskWindow) -> str:
    return " ".join(x.text() for x in w.findChildren(QLabel) if x.isVisibleTo(w))


def test_the_queue_ticket_prints_by_itself_once(qtbot: QtBot) -> None:
    dummy = Dummy()
    printing = TicketPrinting(ThermalPrinter(PrinterConfig.parse("dummy", 58), device=dummy), counter="3")
    w = _window(qtbot, printing)
    view = _sample("vi", "receipt")
    w.show_view(view, speak=False)
    qtbot.waitUntil(lambda: "nhận phiếu" in _texts(w), timeout=5000)
    assert dummy.output.count(b"\x1dv0") == 1 and view.reference in printing.printed
    w.show_view(_sample("vi", "result"), speak=False)
    w.show_view(view, speak=False)  # the same receipt again: no second ticket unless asked
    QApplication.processEvents()
    assert dummy.output.count(b"\x1dv0") == 1
    reprint = next(b for b in w.findChildren(QPushButton) if b.text() == "In phiếu")
    reprint.click()
    qtbot.waitUntil(lambda: dummy.output.count(b"\x1dv0") == 2, timeout=5000)


@pytest.mark.parametrize(("error", "key"), [(PaperOutError, "paper_out"), (PrinterOfflineError, "offline")])
def test_a_printer_problem_tells_the_person_what_to_do_and_the_operator(
    qtbot: QtBot, error: type[Exception], key: str
) -> None:
    printing = TicketPrinting(BrokenPrinter(error), counter="3")
    w = _window(qtbot, printing)
    w.show_view(_sample("en", "receipt"), speak=False)
    qtbot.waitUntil(lambda: "counter 3" in _texts(w), timeout=5000)
    assert "Please tell the staff" in _texts(w)
    status = printing.with_problem(OperatorStatus(reader="r", camera="c", outbox_backlog=0))
    assert status.recent_errors == (f"printer: {key}",)
    if key == "paper_out":
        QApplication.processEvents()
        w.grab().save(str(REPO / "docs" / "printing" / "receipt-printer-paper-out-en.png"))


def test_the_ticket_of_each_receipt_sample() -> None:
    from datetime import datetime

    at = datetime(2026, 12, 4, 8, 52)
    queue = ticket_for(_sample("vi", "receipt"), at)
    assert queue.big and queue.subheading and queue.qr
    hotel = ticket_for(_sample("en", "receipt-lodging"), at)
    assert hotel.big is None and any(line.startswith("Room") for line in hotel.lines)

"""Printed queue tickets and receipts on ESC/POS thermal printers (docs/printing.md).

Public API::

    Ticket, queue_ticket(...), receipt(...)          # what is printed (texts in vi / en)
    render(ticket, paper_mm) -> PIL image            # the raster the printer gets (Vietnamese via Noto)
    ThermalPrinter(PrinterConfig.parse("tcp:host:9100", paper_mm=80)).print_ticket(ticket)
    PrinterError, PrinterOfflineError, PaperOutError, PrinterConfigError
"""

from __future__ import annotations

from kiosk.printing.layout import PAPER_DOTS, render
from kiosk.printing.printer import (
    PaperOutError,
    PrinterConfig,
    PrinterConfigError,
    PrinterError,
    PrinterOfflineError,
    PrinterStatus,
    ThermalPrinter,
)
from kiosk.printing.ticket import Ticket, queue_ticket, receipt

__all__ = [
    "PAPER_DOTS",
    "PaperOutError",
    "PrinterConfig",
    "PrinterConfigError",
    "PrinterError",
    "PrinterOfflineError",
    "PrinterStatus",
    "ThermalPrinter",
    "Ticket",
    "queue_ticket",
    "receipt",
    "render",
]

"""The receipt screen's thermal printer (kiosk.printing, docs/printing.md): the ticket for a receipt view,
printed once per verification as soon as it has its ID (a hospital queue number needs no tap), on a worker
thread (a network printer may take seconds to time out); the outcome comes back on the UI thread.

A failed print is shown to the person with what to do instead, and kept for the operator screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.printing import PaperOutError, PrinterError, PrinterOfflineError, ThermalPrinter, Ticket
from kiosk.printing import queue_ticket as make_queue_ticket
from kiosk.printing import receipt as make_receipt
from ui.operator import OperatorStatus

Done = Callable[[str], None]  # "printed", "paper_out", "offline", "error"


def ticket_for(view: Any, at: datetime, site: str | None = None, counter: str | None = None) -> Ticket:
    """The queue ticket (hospital: a queue number) or the receipt of a receipt view."""
    if getattr(view, "queue_number", None):
        return make_queue_ticket(view.language, view.queue_number, view.department, at,
                                 reference=view.reference, site=site, counter=counter,
                                 insurance=getattr(view, "insurance", None),
                                 insurance_desk=bool(getattr(view, "insurance_counter", False)))  # fmt: skip
    return make_receipt(view.language, view.record_status, at, view.reference,
                        tuple(getattr(view, "details", ()) or ()), site=site, counter=counter)  # fmt: skip


class TicketPrinting(QObject):
    """Prints receipt views on a :class:`kiosk.printing.ThermalPrinter`; ``problem`` is the last failure
    ("paper_out", "offline", "error") until a ticket prints again."""

    _finished = Signal(object, str)

    def __init__(self, printer: ThermalPrinter, *, site: str | None = None, counter: str | None = None,
                 clock: Callable[[], datetime] = datetime.now) -> None:  # fmt: skip
        super().__init__()
        self.printer, self.site, self.counter, self.clock = printer, site, counter, clock
        self.problem: str | None = None
        self.printed: set[str] = set()  # verification IDs whose ticket came out (reprints are asked for)
        self.attempted: set[str] = set()  # verification IDs printed automatically once already
        self._finished.connect(lambda done, outcome: done(outcome))

    def print_view(self, view: Any, done: Done) -> None:
        """Print the view's ticket on a worker thread; ``done(outcome)`` runs on the UI thread."""
        ticket = ticket_for(view, self.clock(), self.site, self.counter)
        reference = view.reference

        def work() -> None:
            try:
                self.printer.print_ticket(ticket)
                outcome = "printed"
            except PaperOutError:
                outcome = "paper_out"
            except PrinterOfflineError:
                outcome = "offline"
            except PrinterError:
                outcome = "error"
            self.problem = None if outcome == "printed" else outcome
            if outcome == "printed" and reference:
                self.printed.add(reference)
            self._finished.emit(done, outcome)

        threading.Thread(target=work, name="ticket-printer", daemon=True).start()

    def print_once(self, view: Any, done: Done) -> bool:
        """Print automatically, once per verification ID (a screen rebuilt for the same receipt does not
        print again); ``False`` when it was printed already or the view has no ID yet."""
        if not view.reference or view.reference in self.attempted:
            return False
        self.attempted.add(view.reference)
        self.print_view(view, done)
        return True

    def status_line(self) -> str | None:
        """For the operator screen: the printer's problem, if any."""
        return None if self.problem is None else f"printer: {self.problem}"

    def with_problem(self, status: OperatorStatus) -> OperatorStatus:
        """``status`` with the printer's problem added to its recent errors."""
        line = self.status_line()
        return status if line is None else replace(status, recent_errors=(*status.recent_errors, line))

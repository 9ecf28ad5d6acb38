"""What every screen body shares: the :class:`Context` (catalog, language, the intent sender, the counter,
the receipt printer, the photos) and the :class:`Screen` base class (docs/ui.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.printing.ticket import SHORT_REFERENCE
from ui.i18n import Catalog
from ui.viewmodel import Intent
from ui.widgets import label

Send = Callable[[Intent], None]


@dataclass(slots=True)
class Context:
    """What every screen needs besides its view."""

    catalog: Catalog
    language: str
    send: Send
    counter: str = "1"  # the staffed counter's number shown by the fallback screen
    print_receipt: Callable[[QImage], None] | None = None  # optional receipt printer
    ticket_printing: Any | None = None  # ui.ticketprint.TicketPrinting: the thermal ticket printer
    comfort: Any | None = None  # the window's large-text and slower-speech switches (first screen)
    photos: tuple[bytes | None, bytes | None] = (None, None)  # chip photo, live capture (result screen)
    card_model: str | None = None  # "2021" / "2024": the person's answer to "which card do you have?"
    choose_card: Callable[[str], None] | None = None  # the window keeps that answer for this transaction

    def t(self, key: str, **values: object) -> str:
        return self.catalog.text(key, self.language, **values)


class Screen(QWidget):
    """The body of one state's screen."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__()
        self.view = view
        self.ctx = ctx
        self.box = QVBoxLayout(self)
        self.box.setSpacing(14)
        self.changed: Callable[[], None] | None = None  # the window re-checks its buttons (ready)

    def fields_for(self, intent: str) -> tuple[tuple[str, str], ...]:
        return ()

    def ready(self, intent: str) -> bool:
        """Whether the button for ``intent`` may be pressed yet ("Confirm" waits for every choice)."""
        return True

    def notify(self) -> None:
        if self.changed is not None:
            self.changed()

    def refresh(self, view: Any) -> bool:
        """Show a new view of the same state in place; ``False``: the screen must be rebuilt."""
        return False

    def add_text(self, text: str, name: str = "", *, center: bool = False) -> QLabel:
        lab = label(text, name, center=center)
        self.box.addWidget(lab)
        return lab


def short_reference(reference: str) -> str:
    """What a citizen's screen shows of the verification ID: its last characters, as on the printed
    ticket (kiosk.printing.ticket; the QR code carries all of it for the staff) — never the 26 of it."""
    return reference[-SHORT_REFERENCE:]


def _sender(ctx: Context, intent: Intent) -> Callable[[], None]:
    def send() -> None:
        ctx.send(intent)

    return send

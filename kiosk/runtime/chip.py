"""The chip step of the effect runner: a read with progress through
:func:`kiosk.runtime.chipread.read_with_transport` (every failure a
:class:`kiosk.runtime.chipread.ChipReadError` kind),
turned into the flow's :class:`ChipOutcome`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kiosk.chipreport import extract_photo
from kiosk.flow.outcomes import ChipOutcome, DisplayFields
from kiosk.runtime.chipread import read_with_transport
from reader.access.bac import BACKeyInput
from reader.engine import Progress
from reader.transports.base import Transport

ProgressSink = Callable[[Progress], None]


class CardSlot(Protocol):
    """Where cards come from: a PC/SC reader, or simulated cards.  No personal data is involved: these
    only say whether a card is there."""

    def wait_for_card(self, timeout: float) -> bool:
        """True once a card is present (``False`` after ``timeout`` seconds)."""
        ...

    def card_present(self) -> bool:
        """Whether a card is on the reader now (without talking to it)."""
        ...

    def wait_for_removal(self, timeout: float) -> bool:
        """True once no card is on the reader (at once if there is none; ``False`` after ``timeout``)."""
        ...

    def open(self) -> Transport:
        """A transport to the card now on the reader."""
        ...


def _display(report: dict[str, Any]) -> DisplayFields:
    doc = report.get("document") or {}
    personal = doc.get("personal") or {}
    return DisplayFields(personal.get("full_name"), doc.get("id_number"), personal.get("date_of_birth"))


def read_chip(
    transport: Transport,
    key: BACKeyInput,
    trust: Any,
    progress: ProgressSink | None,
    *,
    can: str | None = None,
) -> ChipOutcome:
    """Read the chip (PACE with the CAN or BAC, PA, CA/AA:
    :func:`kiosk.runtime.chipread.read_with_transport`);
    raise :class:`ChipReadError`."""
    outcome = read_with_transport(transport, key, trust, [], can=can, progress=progress)
    result, report = outcome.result, outcome.report
    reasons = tuple(dict.fromkeys([*result.reasons, *report.get("data_reasons", [])]))
    return ChipOutcome(result.verdict.value, reasons, report, extract_photo(result.raw), _display(report))

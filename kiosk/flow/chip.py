"""The chip step of the effect runner: a read with progress, every failure mapped to a
:class:`kiosk.chipread.ChipReadError` kind (the same mapping as :func:`kiosk.chipread.read_with_transport`,
which takes no progress callback — hence this thin composition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kiosk.chipread import ChipReadError
from kiosk.chipreport import build_report, extract_photo
from kiosk.flow.outcomes import ChipOutcome, DisplayFields
from reader.access.bac import BACKeyInput
from reader.engine import ChipReader, Progress, ReadRequest
from reader.errors import (
    AccessDeniedError,
    CardRemovedError,
    CardStatusError,
    NoCardError,
    NotICAOCardError,
    ProtocolError,
    SecureMessagingError,
    TransportError,
)
from reader.transports.base import Transport

ProgressSink = Callable[[Progress], None]


class CardSlot(Protocol):
    """Where cards come from: a PC/SC reader, or simulated cards."""

    def wait_for_card(self, timeout: float) -> bool:
        """True once a card is present (``False`` after ``timeout`` seconds)."""
        ...

    def open(self) -> Transport:
        """A transport to the card now on the reader."""
        ...


def _display(report: dict[str, Any]) -> DisplayFields:
    doc = report.get("document") or {}
    personal = doc.get("personal") or {}
    return DisplayFields(personal.get("full_name"), doc.get("id_number"), personal.get("date_of_birth"))


def read_chip(
    transport: Transport, key: BACKeyInput, trust: Any, progress: ProgressSink | None
) -> ChipOutcome:
    """Read the chip (ICAO 9303-11 BAC, 9303-10 LDS, 9303-11 §5.1 PA); raise :class:`ChipReadError`."""
    try:
        result = ChipReader(transport, progress=progress).read(ReadRequest(bac_key=key, trust=trust))
    except AccessDeniedError:
        raise ChipReadError("access_denied") from None
    except CardRemovedError:
        raise ChipReadError("card_removed") from None
    except NoCardError:
        raise ChipReadError("no_card") from None
    except NotICAOCardError:
        raise ChipReadError("not_icao") from None
    except (SecureMessagingError, ProtocolError, CardStatusError) as exc:
        raise ChipReadError("card_error", type(exc).__name__) from None
    except TransportError:
        raise ChipReadError("transport") from None
    finally:
        transport.close()
    report = build_report(result, [])
    reasons = tuple(dict.fromkeys([*result.reasons, *report.get("data_reasons", [])]))
    return ChipOutcome(result.verdict.value, reasons, report, extract_photo(result.raw), _display(report))

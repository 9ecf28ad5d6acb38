"""The kiosk's chip read: where cards come from (:class:`CardSlot`), the transports of real readers, the
read itself through :class:`reader.engine.ChipReader` (PACE with the CAN when the chip offers it, else BAC;
passive authentication; CA/AA), every failure translated into one :class:`ChipReadError` kind with its
message and exit code, and the flow's :class:`kiosk.flow.outcomes.ChipOutcome`.  A card lifted off mid-read
is :class:`ChipReadInterrupted` (kind ``card_removed``) carrying what was read completely, which the read of
the card placed again resumes from (``resume=``; :mod:`kiosk.runtime.resume`, docs/chip-faults.md).

``cccd read`` and the kiosk's effect runner share it (docs/design.md; cccd-chip.md §2 for the keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from kiosk.flow.outcomes import ChipOutcome, DisplayFields
from kiosk.runtime.reader_models import configured_card_access, profile_for
from reader.access.bac import BACKeyInput
from reader.access.control import AccessMode, BACDataMissingError
from reader.access.pace_protocol import PACEPasswordError
from reader.chipreport import ChipReport, build_chip_report
from reader.engine import ChipReader, Progress, ProgressCallback, ReadRequest
from reader.errors import (
    AccessDeniedError,
    CardRemovedError,
    CardStatusError,
    NoCardError,
    NoReaderError,
    NotICAOCardError,
    ProtocolError,
    SecureMessagingError,
    TransportError,
)
from reader.resume import PartialRead, ReadInterrupted
from reader.transports.base import Transport
from reader.transports.pcsc import PCSCTransport
from reader.transports.pn532 import PN532Transport

ProgressSink = Callable[[Progress], None]

EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "usage": 2,
    "access_denied": 3,
    "wrong_can": 3,
    "need_bac_data": 2,
    "no_reader": 4,
    "no_card": 5,
    "card_removed": 6,
    "not_icao": 7,
    "card_error": 8,
    "transport": 9,
}

MESSAGES: dict[str, str] = {
    "access_denied": "the card refused the access key — check the ID number, birth date and expiry",
    "wrong_can": "the card refused the access number (CAN) — check the ID number: the CAN is its last 6 "
    "digits",
    "need_bac_data": "this chip does not open with the CAN alone (it has no PACE) — give the birth date and "
    "expiry too, or the MRZ",
    "no_reader": "no card reader is available",
    "no_card": "no card on the reader — place the card flat on the reader and keep it still",
    "card_removed": "the card was removed during the read — place it again and keep it still until the end",
    "not_icao": "this card has no ICAO chip application — it is not a chip ID card",
    "card_error": "the card answered in a way the reader cannot accept; the read was stopped",
    "transport": "the link to the card failed; place the card again",
}


class ChipReadError(Exception):
    """A read that could not complete; ``kind`` is a key of :data:`EXIT_CODES`."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.message = MESSAGES[kind] + (f" ({detail})" if detail else "")
        self.exit_code = EXIT_CODES[kind]
        super().__init__(self.message)


class ChipReadInterrupted(ChipReadError):
    """The card left the reader during the read (kind ``card_removed``); ``partial`` — the files read
    completely, personal data: never logged, ``repr`` names only — lets the read of the card placed again
    resume (:mod:`kiosk.runtime.resume`)."""

    def __init__(self, partial: PartialRead) -> None:
        super().__init__("card_removed")
        self.partial = partial


class CardSlot(Protocol):
    """Where cards come from: a PC/SC reader, a serial PN532, or simulated cards.  No personal data is
    involved: these only say whether a card is there."""

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


@contextmanager
def reaching_the_card() -> Iterator[None]:
    """A failure to reach the card (opening a reader's transport) as the :class:`ChipReadError` kind
    ``cccd read`` reports — the same for the command line and the kiosk's card slots."""
    try:
        yield
    except NoReaderError as exc:
        raise ChipReadError("no_reader", str(exc)) from None
    except NoCardError:
        raise ChipReadError("no_card") from None
    except NotICAOCardError:
        raise ChipReadError("not_icao") from None
    except TransportError as exc:
        raise ChipReadError("transport", str(exc)) from None


def open_transport(reader_name: str) -> Transport:
    """A PC/SC reader, with extended length as its model allows (``firmware_configs/readers.toml``)."""
    return PCSCTransport(reader_name, extended_length=profile_for(reader_name).extended_length)


def open_serial_transport(port: str, *, baudrate: int = 115200) -> Transport:
    """A PN532 on a serial port (its HSU link): wakes it and activates the card, type A or B
    (``docs/serial-readers.md``)."""
    return PN532Transport(port, baudrate=baudrate)


def read_with_transport(
    transport: Transport,
    key: BACKeyInput | None,
    trust: Any,
    notes: list[str],
    *,
    can: str | None = None,
    access: AccessMode = AccessMode.AUTO,
    progress: ProgressCallback | None = None,
    resume: PartialRead | None = None,
) -> ChipReport:
    """Run the read (PACE with ``can`` when the chip offers it, else BAC with ``key``); every failure
    becomes a :class:`ChipReadError` — the card lifted off, a :class:`ChipReadInterrupted`.  ``resume``: what
    an interrupted read of this transaction read completely (kept only when the card is the same one).  The
    configured CCCD EF.CardAccess stands in when the card's own cannot be read.  The transport is closed in
    every case."""
    request = ReadRequest(
        bac_key=key, can=can, access=access, trust=trust, card_access_fallback=configured_card_access()
    )
    try:
        result = ChipReader(transport, progress=progress).read(request, resume=resume)
    except PACEPasswordError:
        raise ChipReadError("wrong_can" if can else "access_denied") from None
    except BACDataMissingError:
        raise ChipReadError("need_bac_data") from None
    except AccessDeniedError as exc:
        reason = getattr(exc, "reason", None)
        raise ChipReadError("access_denied", str(reason) if reason else "") from None
    except ReadInterrupted as exc:
        raise ChipReadInterrupted(exc.partial) from None
    except CardRemovedError:
        raise ChipReadError("card_removed") from None
    except NoCardError:
        raise ChipReadError("no_card") from None
    except NotICAOCardError:
        raise ChipReadError("not_icao") from None
    except (SecureMessagingError, ProtocolError, CardStatusError) as exc:
        raise ChipReadError("card_error", type(exc).__name__) from None
    except TransportError as exc:
        raise ChipReadError("transport", type(exc).__name__) from None
    finally:
        transport.close()
    return build_chip_report(result, notes)


def display_fields(report: ChipReport) -> DisplayFields:
    """What the result screen shows the holder: name, ID, birth date (DG13)."""
    personal = report.document.personal
    return DisplayFields(personal.full_name if personal else None, report.document.id_number,
                         personal.date_of_birth if personal else None)  # fmt: skip


def read_chip(
    transport: Transport,
    key: BACKeyInput,
    trust: Any,
    progress: ProgressSink | None,
    *,
    can: str | None = None,
    resume: PartialRead | None = None,
) -> ChipOutcome:
    """The flow's chip read (:func:`read_with_transport`, resuming ``resume``); raise :class:`ChipReadError`
    (:class:`ChipReadInterrupted` when the card left mid-read)."""
    report = read_with_transport(transport, key, trust, [], can=can, progress=progress, resume=resume)
    return ChipOutcome(report.verdict.value, report.all_reasons, report, report.photo, display_fields(report))

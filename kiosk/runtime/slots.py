"""The card slots of real readers (:class:`kiosk.runtime.chip.CardSlot`): a PC/SC reader watched through
pcscd, or a PN532 on a serial port polled with InListPassiveTarget (docs/serial-readers.md).  No personal
data involved: they only say whether a card is there, and open its transport.
"""

from __future__ import annotations

import time

from kiosk.runtime.chip import open_serial_transport, open_transport, reaching_the_card
from reader.errors import NoCardError, NoReaderError, NotICAOCardError, TransportError
from reader.transports.base import Transport
from reader.transports.pcsc import wait_for_card


class PCSCCardSlot:
    """A PC/SC reader: polls until a card answers; pcscd's own view of the slot
    (``SCardGetStatusChange``, :func:`reader.transports.pcsc.wait_for_card`) for presence and removal.
    No personal data involved."""

    def __init__(self, reader_name: str, poll_seconds: float = 0.3) -> None:
        self.reader_name, self.poll = reader_name, poll_seconds

    def wait_for_card(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.open().close()
                return True
            except (NoCardError, TransportError):
                time.sleep(self.poll)
        return False

    def card_present(self) -> bool:
        try:
            return wait_for_card(self.reader_name, present=True, timeout=0)
        except NoReaderError:
            return False

    def wait_for_removal(self, timeout: float) -> bool:
        """True once pcscd reports the slot empty.  A reader that cannot be watched (unplugged, pcscd
        stopped) answers ``False`` after ``timeout``: the flow then counts the card as left, on the safe
        side."""
        try:
            return wait_for_card(self.reader_name, present=False, timeout=timeout)
        except NoReaderError:
            time.sleep(timeout)
            return False

    def open(self) -> Transport:
        try:
            return open_transport(self.reader_name)
        except NoReaderError as exc:
            raise TransportError(str(exc)) from None


SERIAL_PREFIX = "serial:"  # a reader named "serial:PORT" is a PN532 on that serial port (cccd ui --serial)


class SerialCardSlot:
    """A PN532 on a serial port (:mod:`reader.transports.pn532`, docs/serial-readers.md).  Presence is
    polled with InListPassiveTarget: opening the transport wakes the PN532 and activates the card,
    closing releases it and switches the field off.  No personal data involved."""

    def __init__(self, port: str, *, baudrate: int = 115200, poll_seconds: float = 0.3) -> None:
        self.port, self.baudrate, self.poll = port, baudrate, poll_seconds

    def _transport(self) -> Transport:
        return open_serial_transport(self.port, baudrate=self.baudrate)

    def _probe(self) -> bool | None:
        """True: a card answers (an ID or not); False: the field is empty; None: the reader cannot say."""
        try:
            self._transport().close()
            return True
        except NotICAOCardError:
            return True  # a card is there; the read will say it is not a chip ID
        except NoCardError:
            return False
        except TransportError:  # unplugged, mute, another process holds the port
            return None

    def _poll(self, want: bool, timeout: float) -> bool:
        """Probe at once, then every ``poll`` seconds until the field is as wanted or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while True:
            if self._probe() is want:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.poll, left))

    def wait_for_card(self, timeout: float) -> bool:
        return self._poll(True, timeout)

    def card_present(self) -> bool:
        """One InListPassiveTarget round (no APDU reaches the card)."""
        return self._probe() is True

    def wait_for_removal(self, timeout: float) -> bool:
        """True once the field is empty; a reader that cannot say counts as "card still there"."""
        return self._poll(False, timeout)

    def open(self) -> Transport:
        """The card's transport; a failure to reach it is a :class:`kiosk.runtime.chip.ChipReadError` (the
        flow's read-failed path) of the kind ``cccd read`` would report."""
        with reaching_the_card():
            return self._transport()


def card_slot(reader_name: str) -> PCSCCardSlot | SerialCardSlot:
    """The slot of a hardware reader: ``serial:PORT`` is a PN532 on that port, anything else a PC/SC
    reader name."""
    if reader_name.startswith(SERIAL_PREFIX):
        return SerialCardSlot(reader_name[len(SERIAL_PREFIX) :])
    return PCSCCardSlot(reader_name)

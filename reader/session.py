"""A card session: transport + optional secure messaging + ISO 7816-4 response handling + statistics.

* ``61xx`` (more data): GET RESPONSE until the card has sent everything (ISO/IEC 7816-4 §5.3.4,
  T=0 case 2/4 behaviour that some contactless readers pass through).
* ``6Cxx`` (wrong Le): the command is repeated once with Ne = xx.
* Status words other than ``9000`` become :class:`reader.errors.CardStatusError` subclasses in
  :meth:`CardSession.send`; :meth:`CardSession.transmit` returns them as values.

The APDU log keeps only header bytes, lengths, status words and timings — never data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from reader.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from reader.errors import (
    CardStatusError,
    FileNotFoundOnCard,
    ProtocolError,
    SecurityStatusNotSatisfied,
)
from reader.sm import SecureMessaging
from reader.transports.base import Transport

log = logging.getLogger(__name__)

MAX_GET_RESPONSE = 256  # guards against a card that answers 61xx forever


@dataclass(frozen=True, slots=True)
class APDULogEntry:
    """One exchange on the wire, redacted: header, lengths, status word, time."""

    cla: int
    ins: int
    p1: int
    p2: int
    nc: int
    ne: int
    nr: int
    sw: int
    ms: float


@dataclass(slots=True)
class SessionStats:
    """Counters of what crossed the link (protected bytes, as on the wire)."""

    apdus: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    link_seconds: float = 0.0
    log: list[APDULogEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, int]:
        return {"apdus": self.apdus, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}


def status_error(sw: int, what: str) -> CardStatusError:
    """The typed exception for a status word."""
    if sw == 0x6A82:
        return FileNotFoundOnCard(sw, what)
    if sw == 0x6982:
        return SecurityStatusNotSatisfied(sw, what)
    return CardStatusError(sw, what)


class CardSession:
    """Sends commands to one card, applying secure messaging once it has been established."""

    def __init__(self, transport: Transport, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.transport = transport
        self.stats = SessionStats()
        self._sm: SecureMessaging | None = None
        self._clock = clock

    def __repr__(self) -> str:
        return f"CardSession({self.transport.name!r}, sm={self._sm!r})"

    @property
    def secure_messaging(self) -> SecureMessaging | None:
        return self._sm

    def start_secure_messaging(self, sm: SecureMessaging) -> None:
        """Protect every following command with ``sm`` (after BAC, PACE or Chip Authentication)."""
        self._sm = sm

    def stop_secure_messaging(self) -> None:
        self._sm = None

    @property
    def supports_extended_length(self) -> bool:
        return self.transport.supports_extended_length

    # --- wire -------------------------------------------------------------------------------------

    def _exchange(self, command: CommandAPDU) -> ResponseAPDU:
        raw = command.to_bytes()
        t0 = self._clock()
        answer = self.transport.transmit(raw)
        dt = self._clock() - t0
        response = ResponseAPDU.from_bytes(answer)
        s = self.stats
        s.apdus += 1
        s.bytes_out += len(raw)
        s.bytes_in += len(answer)
        s.link_seconds += dt
        entry = APDULogEntry(
            command.cla, command.ins, command.p1, command.p2,
            len(command.data), command.ne, len(response.data), response.sw, dt * 1000,
        )  # fmt: skip
        s.log.append(entry)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "APDU %02X %02X %02X%02X nc=%d ne=%d -> nr=%d sw=%04X %.1f ms",
                entry.cla, entry.ins, entry.p1, entry.p2, entry.nc, entry.ne, entry.nr, entry.sw, entry.ms,
            )  # fmt: skip
        return response

    def _exchange_chained(self, command: CommandAPDU) -> ResponseAPDU:
        response = self._exchange(command)
        data = response.data
        rounds = 0
        while response.sw1 == 0x61:
            rounds += 1
            if rounds > MAX_GET_RESPONSE:
                raise ProtocolError("card keeps answering 61xx")
            get_response = CommandAPDU(command.cla & 0x03, 0xC0, 0x00, 0x00, ne=response.sw2 or SHORT_MAX_NE)
            response = self._exchange(get_response)
            data += response.data
        return ResponseAPDU(data, response.sw) if rounds else response

    # --- API --------------------------------------------------------------------------------------

    def transmit(self, command: CommandAPDU) -> ResponseAPDU:
        """Send a plain command; return the plain response (SM unwrapped) with any status word."""
        for _attempt in range(2):
            wire = self._sm.protect(command) if self._sm else command
            response = self._exchange_chained(wire)
            if self._sm:
                response = self._sm.unprotect(response)
            if response.sw1 == 0x6C and _attempt == 0:
                command = replace(command, ne=response.sw2 or SHORT_MAX_NE)
                continue
            return response
        return response

    def send(self, command: CommandAPDU, what: str) -> bytes:
        """Send and require ``9000``; return the response data.  ``what`` names the command in errors."""
        response = self.transmit(command)
        if response.sw not in (0x9000, 0x6282):  # 6282: end of file reached before Ne bytes
            raise status_error(response.sw, what)
        return response.data

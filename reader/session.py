"""A card session: transport + optional secure messaging + ISO 7816-4 response handling + statistics.

* ``61xx`` (more data): GET RESPONSE until the card has sent everything (ISO/IEC 7816-4 §5.3.4,
  T=0 case 2/4 behaviour that some contactless readers pass through).
* ``6Cxx`` (wrong Le): the command is repeated once with Ne = xx.
* Status words other than ``9000`` become :class:`reader.errors.CardStatusError` subclasses in
  :meth:`CardSession.send`; :meth:`CardSession.transmit` returns them as values.
* Channel recovery (ICAO 9303-11 §9.8.6.3; issue 12): a conformant chip aborts secure messaging after an
  error it answers without SM objects; others keep going without counting the reply, or answer an error
  whose SM objects do not verify.  Either way the send-sequence counters can no longer be trusted, so the
  session marks the channel broken and, before the next command, runs the *channel opener* the engine
  registered (PACE or BAC again with the same key, then SELECT of the application).  An error status that
  cannot be authenticated is still only an error (it carries no data); ``6987``/``6988`` and a success
  answer that fails verification raise :class:`~reader.errors.SecureMessagingError` as before.  At most
  :data:`MAX_REOPENS` channels per session: a card that breaks every channel ends the read.

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
    SecureMessagingError,
    SecurityStatusNotSatisfied,
)
from reader.findings import SM_CHANNEL_REOPENED, Finding
from reader.sm import SM_ERROR_SW, SecureMessaging
from reader.transports.base import Transport

log = logging.getLogger(__name__)

MAX_GET_RESPONSE = 256  # guards against a card that answers 61xx forever
MAX_REOPENS = 8  # secure channels re-opened per session before the card is given up on

ChannelOpener = Callable[[], None]


def is_error_status(sw: int) -> bool:
    """An answer that refuses the command (not 9000, not 6282 end-of-file, not 61xx more-data)."""
    return sw not in (0x9000, 0x6282) and sw >> 8 != 0x61


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
        self.findings: list[Finding] = []
        self._opener: ChannelOpener | None = None
        self._broken = False
        self.reopens = 0
        self.generation = 0  # +1 per re-opened channel: the card's current file is then unknown

    def __repr__(self) -> str:
        return f"CardSession({self.transport.name!r}, sm={self._sm!r})"

    @property
    def secure_messaging(self) -> SecureMessaging | None:
        return self._sm

    def start_secure_messaging(self, sm: SecureMessaging) -> None:
        """Protect every following command with ``sm`` (after BAC, PACE or Chip Authentication)."""
        self._sm = sm
        self._broken = False

    def stop_secure_messaging(self) -> None:
        self._sm = None
        self._broken = False

    # --- channel recovery ----------------------------------------------------------------------

    def set_channel_opener(self, opener: ChannelOpener | None) -> None:
        """Register how to open the secure channel again (the engine: PACE or BAC with the same key)."""
        self._opener = opener

    @property
    def can_reopen(self) -> bool:
        return self._opener is not None and self.reopens < MAX_REOPENS

    def _mark_broken(self) -> None:
        if self._sm is not None:
            self._broken = True

    def ensure_channel(self) -> None:
        """Open the secure channel again if the last answer broke it (no-op otherwise or without opener)."""
        if not self._broken or self._opener is None:
            return
        if self.reopens >= MAX_REOPENS:
            raise SecureMessagingError
        self.reopens += 1
        opener, self._opener = self._opener, None  # no recursion while the channel is being opened
        self._sm, self._broken = None, False
        try:
            opener()
        finally:
            self._opener = opener
        self.generation += 1
        self.findings.append(Finding(SM_CHANNEL_REOPENED, detail=f"channel {self.reopens}"))

    def _unwrap(self, sm: SecureMessaging, response: ResponseAPDU) -> ResponseAPDU:
        if not response.data and response.sw in SM_ERROR_SW:  # the chip could not verify our SM objects
            self._mark_broken()
            raise SecureMessagingError
        try:
            plain = sm.unprotect(response)
        except SecureMessagingError:
            self._mark_broken()
            if is_error_status(response.sw):  # an error whose SM objects do not verify: only an error
                return ResponseAPDU(b"", response.sw)
            raise
        if not response.data and is_error_status(response.sw):
            self._mark_broken()  # answered outside secure messaging: the counters are out of step
        return plain

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
            self.ensure_channel()
            sm = self._sm
            wire = sm.protect(command) if sm else command
            response = self._exchange_chained(wire)
            if sm is not None:
                response = self._unwrap(sm, response)
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

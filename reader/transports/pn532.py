"""Serial transport: an NXP PN532 on its UART ("HSU") link, through pyserial.

The sequence follows the PN532 User Manual (NXP UM0701-02): HSU wake-up and SAMConfiguration (§7.2.10,
§7.2.11), GetFirmwareVersion (§7.2.2), RFConfiguration MaxRetries (§7.3.1), InListPassiveTarget at
106 kbps — type A, then type B with AFI 00 (§7.3.5) — and ISO-DEP APDUs through InDataExchange (§7.3.8)
with MI chaining both ways; InRelease (§7.3.11) and RF off on close.  The PN532 runs ISO/IEC 14443-4
(blocks, chaining, waiting-time extensions) with the card itself.

Every frame is acknowledged (§6.2.3): no ACK in time, or a broken one, and the command is sent again; an
answer with a wrong checksum is asked again with a NACK; both bounded by ``max_resends``.  Failures are
typed: a port that cannot be opened → :class:`NoReaderError`; no card → :class:`NoCardError`; the card
gone mid-exchange → :class:`CardRemovedError`; a wrong checksum that persists, garbage, a time-out or a
PN532 error → :class:`TransportError` with a message that says which.  pyserial's shapes stay here.
APDU contents are never logged.

Frames are short (one InDataExchange carries at most 262 bytes): ``supports_extended_length`` is False.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from reader.errors import CardRemovedError, NoCardError, NoReaderError, NotICAOCardError, TransportError
from reader.transports import pn532_frames as pf
from reader.transports.pn532_frames import CardType, ChecksumError, Frame, FrameError, FrameKind, Target

log = logging.getLogger(__name__)

PN532_IC = 0x32
COMMAND_CHUNK = pf.NORMAL_MAX_LEN - 3  # APDU bytes per normal frame: TFI, command code and Tg take 3
READ_SLICE = 0.01  # seconds one read of the port may block before the deadlines are looked at again
MAX_CHAINED_ANSWERS = 300  # MI answers of one exchange (a 64 KiB response in 262-byte pieces is 251)


def list_serial_ports() -> list[tuple[str, str]]:
    """``(device, description)`` of the serial ports the system reports — none is opened or probed."""
    from serial.tools import list_ports

    return [(p.device, p.description or "") for p in sorted(list_ports.comports(), key=lambda p: p.device)]


def _open_port(port: str, baudrate: int) -> Any:
    import serial

    try:
        return serial.Serial(port, baudrate=baudrate, timeout=READ_SLICE, write_timeout=2.0, exclusive=True)
    except serial.SerialException as exc:
        errno = getattr(exc, "errno", None)
        if errno == 2:
            raise NoReaderError(f"no serial port {port}") from None
        if errno == 13:
            raise NoReaderError(f"no permission to open {port} (is the user in 'dialout'?)") from None
        raise NoReaderError(f"cannot open serial port {port}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise NoReaderError(f"cannot open serial port {port}: {exc}") from None


class PN532Transport:
    """One ISO-DEP card on a PN532 behind a serial port.

    ``timeout``: seconds the PN532 gets to answer a command (an InDataExchange includes the card's own
    time, e.g. a PACE or Chip Authentication step); ``ack_timeout``: seconds for its ACK (§6.2.3 asks for
    15 ms; more is allowed for USB-serial latency); ``card_types``: the order in which targets are looked
    for.  Opening wakes the PN532, checks it, and activates the card — :class:`NoCardError` if none.
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        timeout: float = 5.0,
        ack_timeout: float = 0.1,
        max_resends: int = 3,
        card_types: tuple[CardType, ...] = (CardType.A, CardType.B),
        command_chunk: int = COMMAND_CHUNK,
    ) -> None:
        if not 1 <= command_chunk <= COMMAND_CHUNK:
            raise ValueError(f"command_chunk must be 1…{COMMAND_CHUNK}")
        self.port, self.baudrate = port, baudrate
        self.timeout, self.ack_timeout, self.max_resends = timeout, ack_timeout, max_resends
        self.command_chunk = command_chunk
        self.resends = 0  # command frames sent again (no ACK / broken ACK)
        self.nacks = 0  # NACKs sent for answers with a wrong checksum
        self._decoder = pf.FrameDecoder()
        self._closed = True
        self._serial = _open_port(port, baudrate)
        self._closed = False
        try:
            self.firmware = self._wake_up()
            self.target = self._activate(card_types)
        except (NoCardError, NotICAOCardError):
            self._shutdown(release=True)  # the PN532 answers: leave its field off between polls
            raise
        except BaseException:
            self._shutdown(release=False)
            raise
        log.info("%s: %s, card type %s", port, self.firmware, self.target.card_type.name)

    # --- Transport protocol --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return f"PN532 {self.port}"

    @property
    def supports_extended_length(self) -> bool:
        return False

    def transmit(self, command: bytes) -> bytes:
        if self._closed:
            raise TransportError("transport is closed")
        if not command:
            raise TransportError("empty command APDU")
        tg = self.target.tg
        chunks = [command[i : i + self.command_chunk] for i in range(0, len(command), self.command_chunk)]
        for chunk in chunks[:-1]:  # MI chaining of a long command (§7.3.8)
            self._check(self._exchange(pf.in_data_exchange(tg, chunk, more=True)))
        answer = self._check(self._exchange(pf.in_data_exchange(tg, chunks[-1])))
        response, rounds = bytearray(answer.data), 0
        while answer.more:  # MI: the PN532 holds more of the answer
            rounds += 1
            if rounds > MAX_CHAINED_ANSWERS:
                raise TransportError("the PN532 chained more answers than any response can have")
            answer = self._check(self._exchange(pf.in_data_exchange(tg, b"")))
            response += answer.data
        if len(response) < 2:
            raise TransportError("response shorter than a status word")
        return bytes(response)

    def close(self) -> None:
        """Release the card and switch the RF field off; idempotent, never raises."""
        self._shutdown(release=True)

    # --- set-up --------------------------------------------------------------------------------------

    def _wake_up(self) -> pf.FirmwareVersion:
        # The PN532 leaves power-down on the 0x55s; its first command must then be SAMConfiguration.
        self._command(pf.sam_configuration(), wake_up=True)
        firmware = pf.parse_firmware_version(self._command(pf.get_firmware_version()))
        if firmware.ic != PN532_IC:
            raise TransportError(f"the device on {self.port} is not a PN532 (IC {firmware.ic:02X})")
        self._command(pf.rf_max_retries())
        return firmware

    def _activate(self, card_types: tuple[CardType, ...]) -> Target:
        other: Target | None = None
        for card_type in card_types:
            target = pf.parse_in_list_passive_target(
                self._command(pf.in_list_passive_target(card_type)), card_type
            )
            if target is None:
                continue
            if target.iso_dep:
                return target
            other = target  # e.g. a MIFARE Classic: no APDUs; release it and keep looking
            self._command(pf.in_release(target.tg))
        if other is not None:
            raise NotICAOCardError("the card on the reader does not speak ISO/IEC 14443-4: not a chip ID")
        raise NoCardError(f"no card on the PN532 at {self.port}")

    def _shutdown(self, *, release: bool) -> None:
        if self._closed:
            return
        self._closed = True
        if release:
            try:
                self._command(pf.in_release(0), resends=0)
                self._command(pf.rf_field(False), resends=0)
            except TransportError:
                pass  # the reader is gone or mute: nothing more to release
        try:
            self._serial.close()
        except Exception:  # pyserial raises its own or OSError; the port is unusable either way
            log.debug("closing %s failed", self.port)

    # --- InDataExchange status --------------------------------------------------------------------------

    def _exchange(self, payload: bytes) -> pf.Exchange:
        return pf.parse_in_data_exchange(self._command(payload))

    @staticmethod
    def _check(answer: pf.Exchange) -> pf.Exchange:
        if answer.error in (pf.STATUS_TIMEOUT, pf.STATUS_CARD_GONE_B):
            raise CardRemovedError("the card left the reader during the read")
        if answer.error:
            raise TransportError(f"PN532 error {answer.error:02X}: {pf.status_text(answer.error)}")
        return answer

    # --- one command: frame, ACK, answer (UM0701-02 §6.2.3) ----------------------------------------------

    def _command(self, payload: bytes, *, wake_up: bool = False, resends: int | None = None) -> bytes:
        """Send one command and return the parameters of its answer (after the answer's command code)."""
        budget = self.max_resends if resends is None else resends
        code, frame = payload[0], pf.command_frame(payload)
        self._flush_input()
        self._write((pf.HSU_WAKEUP if wake_up else b"") + frame)
        attempt = 0
        while True:
            got = self._wait_ack()
            if got is not None and got.kind is FrameKind.ACK:
                return self._answer(code, budget)
            if got is not None:  # the ACK was lost on the line, the answer was not: take it
                return self._parameters(got, code)
            attempt += 1
            if attempt > budget:
                raise TransportError(f"the PN532 on {self.port} does not acknowledge commands "
                                     f"({self._garbage_note()})")  # fmt: skip
            self.resends += 1
            self._flush_input()
            self._write(frame)

    def _wait_ack(self) -> Frame | None:
        """The ACK, or an answer frame; None when neither came in time (then: send the command again)."""
        try:
            frame = self._read_frame(time.monotonic() + self.ack_timeout)
        except FrameError:
            return None
        if frame is None or frame.kind is FrameKind.ACK:
            return frame
        if frame.kind is FrameKind.ERROR or (frame.kind is FrameKind.INFO and frame.tfi == pf.PN532_TO_HOST):
            return frame
        return None

    def _answer(self, code: int, budget: int) -> bytes:
        deadline = time.monotonic() + self.timeout
        nacks = 0
        while True:
            try:
                frame = self._read_frame(deadline)
            except ChecksumError as exc:
                nacks += 1
                if nacks > budget:
                    raise TransportError(
                        f"the PN532's answers keep failing their {exc.which} checksum "
                        "(noise on the serial line, or a wrong baud rate?)"
                    ) from None
                self.nacks += 1
                self._decoder.clear()
                self._write(pf.NACK_FRAME)  # "send that answer again" (§6.2.1.5)
                deadline = time.monotonic() + self.timeout
                continue
            if frame is None:
                self._abort()
                raise TransportError(f"no answer from the PN532 on {self.port} within {self.timeout:g} s "
                                     f"({self._garbage_note()})")  # fmt: skip
            if frame.kind is FrameKind.ACK:
                continue  # a repeated ACK (the command was sent twice)
            return self._parameters(frame, code)

    @staticmethod
    def _parameters(frame: Frame, code: int) -> bytes:
        if frame.kind is FrameKind.ERROR:
            raise TransportError("the PN532 rejected the command (error frame: syntax error)")
        if frame.kind is not FrameKind.INFO or frame.tfi != pf.PN532_TO_HOST:
            raise TransportError("unexpected frame from the PN532")
        if not frame.data or frame.data[0] != code + 1:
            raise TransportError("the PN532 answered another command than the one sent")
        return frame.data[1:]

    def _abort(self) -> None:
        """An ACK from the host aborts the command the PN532 is running (§6.2.1.4)."""
        try:
            self._write(pf.ACK_FRAME)
        except TransportError:
            pass

    # --- bytes ---------------------------------------------------------------------------------------

    def _garbage_note(self) -> str:
        g = self._decoder.garbage
        return f"{g} stray bytes received: wrong baud rate or not a PN532?" if g else "no bytes received"

    def _flush_input(self) -> None:
        self._decoder.clear()
        try:
            self._serial.reset_input_buffer()
        except Exception as exc:
            raise TransportError(f"serial link to {self.port} failed ({type(exc).__name__})") from None

    def _write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except Exception as exc:  # SerialException, SerialTimeoutException, OSError
            raise TransportError(f"serial link to {self.port} failed ({type(exc).__name__})") from None

    def _read_frame(self, deadline: float) -> Frame | None:
        """The next frame, or None at the deadline; :class:`FrameError` for a malformed one."""
        while True:
            frame = self._decoder.next()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:  # the port's own timeout is short (READ_SLICE): the deadline is checked here
                data = self._serial.read(max(1, self._serial.in_waiting))
            except Exception as exc:
                raise TransportError(f"serial link to {self.port} failed ({type(exc).__name__})") from None
            self._decoder.feed(data)

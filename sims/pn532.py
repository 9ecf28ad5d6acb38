"""A simulated NXP PN532 on a pseudo-terminal, for the serial transport without hardware.

``os.openpty()``: the simulator holds the master side, the reader opens the slave's path (``/dev/pts/N``)
with pyserial — so the tty layer, pyserial and the transport's I/O loop all run for real; only the baud
rate is not (a pty moves bytes as fast as both sides read them).  It answers the commands the transport
uses (UM0701-02 §7: GetFirmwareVersion, SAMConfiguration, RFConfiguration, InListPassiveTarget type A /
type B, InDataExchange with MI chaining both ways, InRelease) and hands each complete APDU to a card's
``execute`` (a :class:`sims.card.CardOS`); unknown or malformed commands get the error frame.  The frame
codec is the reader's (:mod:`reader.transports.pn532_frames`), pinned by the manual's known answers.

Faults, all counted from the start of the simulator: no card; the card leaves after N APDUs (the next
InDataExchange answers status 01, time-out, and InListPassiveTarget finds nothing); the n-th answer frame
goes out with a wrong data checksum (``corrupt_times`` times: a NACK asks again); the n-th command frame
is lost (no ACK: the host must send it again); the n-th ACK is lost (the answer still comes); slow
answers; a card that is not ISO/IEC 14443-4.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field

from reader.transports import pn532_frames as pf
from reader.transports.pn532_frames import CardType, Command, FrameError, FrameKind
from sims.personalize import card_image

log = logging.getLogger(__name__)

CardFactory = Callable[[], Callable[[bytes], bytes]]  # a fresh card (its execute) per activation
FIRMWARE = bytes([0x32, 0x01, 0x06, 0x07])  # PN532, firmware 1.6, ISO 14443 A + B + ISO 18092
ATS = bytes.fromhex("0578807002")  # TL 5, FSCI 8 (256 bytes), TA/TB/TC present


@dataclass
class PN532SimOptions:
    card_type: CardType | None = CardType.A  # None: the reader is empty
    remove_after: int | None = None  # the card leaves after this many APDUs
    corrupt_answer: int | None = None  # index (from 0) of the answer frame sent with a wrong DCS …
    corrupt_times: int = 1  # … this many times in a row (the host's NACKs ask again)
    lose_command: int | None = None  # index of the command frame that is "lost" on the wire (no ACK)
    lose_ack: int | None = None  # index of the command whose ACK is lost (its answer still comes)
    delay: float = 0.0  # seconds between the ACK and each answer frame
    answer_chunk: int = pf.DATA_EXCHANGE_MAX  # InDataExchange data per answer before MI chaining
    iso_dep: bool = True  # False: a type A card without ISO/IEC 14443-4 (a MIFARE Classic)
    require_wakeup: bool = True  # frames before the HSU wake-up (0x55) are ignored, as in power-down


@dataclass
class _Counters:
    apdus: int = 0
    commands: int = 0  # command frames received intact
    answers: int = 0  # distinct answer frames
    nacks: int = 0  # NACKs received
    bytes_in: int = 0  # host → PN532, every byte on the line
    bytes_out: int = 0  # PN532 → host
    activations: int = 0
    chained_commands: int = 0  # InDataExchange frames with MI set
    chained_answers: int = 0  # answers sent with MI set
    log: list[str] = field(default_factory=list)  # command names, never contents


class SimulatedPN532:
    """A PN532 with (or without) one card, on a pty; :meth:`start` runs it on a thread."""

    def __init__(self, card: CardFactory | None, options: PN532SimOptions | None = None) -> None:
        self.options = options or PN532SimOptions()
        self._card = card
        self.counters = _Counters()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing, 8 bits — before the reader ever opens it
        self.path = os.ttyname(self._slave)
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._decoder = pf.FrameDecoder()
        self._awake = not self.options.require_wakeup
        self._present = self.options.card_type is not None
        self._active: Callable[[bytes], bytes] | None = None
        self._command_buf = bytearray()
        self._answer_buf = b""
        self._last_frame = b""
        self._corrupt_left = 0
        self._stopping = False
        self._serving = False

    # --- life cycle ----------------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a daemon thread; returns the pty path for the reader."""
        self._thread = threading.Thread(target=self.serve_forever, name="pn532-sim", daemon=True)
        self._thread.start()
        return self.path

    def serve_forever(self) -> None:
        """Answer frames until :meth:`stop` (which a signal handler of this thread may call)."""
        self._serving = True
        try:
            while not self._stopping:
                ready, _, _ = select.select([self._master, self._stop_r], [], [])
                if self._stop_r in ready:
                    return
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    return
                self._received(data)
        finally:
            self._serving = False
            if self._stopping and self._thread is None:
                self._close_fds()  # served on the caller's thread: stop() left the closing to us

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        os.write(self._stop_w, b"x")
        if self._thread is None and self._serving:
            return  # serve_forever returns and closes
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self._master, self._slave, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> SimulatedPN532:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def remove_card(self) -> None:
        self._present = False

    def place_card(self) -> None:
        self._present = self.options.card_type is not None

    @property
    def card_here(self) -> bool:
        n = self.options.remove_after
        return self._present and (n is None or self.counters.apdus < n)

    # --- frames --------------------------------------------------------------------------------------

    def _received(self, data: bytes) -> None:
        self.counters.bytes_in += len(data)
        if not self._awake and 0x55 in data:
            self._awake = True  # HSU wake-up (UM0701-02 §7.2.11)
        self._decoder.feed(data)
        while True:
            try:
                frame = self._decoder.next()
            except FrameError:
                continue  # a broken command frame is not acknowledged: the host sends it again
            if frame is None:
                return
            if frame.kind is FrameKind.NACK:
                self.counters.nacks += 1
                if self._last_frame:
                    self._send_answer()
            elif frame.kind is FrameKind.INFO and frame.tfi == pf.HOST_TO_PN532 and self._awake:
                self._command(frame.data)
            # an ACK from the host aborts a running command: nothing runs in the background here

    def _command(self, data: bytes) -> None:
        index = self.counters.commands
        self.counters.commands += 1
        o = self.options
        if index == o.lose_command:
            return
        if index != o.lose_ack:
            self._write(pf.ACK_FRAME)
        answer = self._handle(data) if data else None
        if o.delay:
            time.sleep(o.delay)
        if answer is None:
            self._last_frame, self._corrupt_left = pf.ERROR_FRAME, 0
        else:
            self._last_frame = pf.answer_frame(answer)
            self._corrupt_left = o.corrupt_times if self.counters.answers == o.corrupt_answer else 0
            self.counters.answers += 1
        self._send_answer()

    def _send_answer(self) -> None:
        frame = self._last_frame
        if self._corrupt_left > 0:
            self._corrupt_left -= 1
            frame = frame[:-2] + bytes([frame[-2] ^ 0x5A]) + frame[-1:]  # wrong DCS
        self._write(frame)

    def _write(self, data: bytes) -> None:
        self.counters.bytes_out += len(data)
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._master, view)
            except OSError:
                return  # the pty is being closed
            view = view[n:]

    # --- commands (UM0701-02 §7) -------------------------------------------------------------------------

    def _handle(self, data: bytes) -> bytes | None:
        """The answer (code + 1, parameters) or None for the error frame."""
        code, params = data[0], data[1:]
        name = Command(code).name if code in Command._value2member_map_ else f"{code:02X}"
        self.counters.log.append(name)
        if code == Command.GET_FIRMWARE_VERSION:
            return bytes([code + 1]) + FIRMWARE
        if code == Command.SAM_CONFIGURATION:
            if not params:
                return None
            self._release()
            return bytes([code + 1])
        if code == Command.RF_CONFIGURATION:
            if not params:
                return None
            if params[0] == 0x01 and len(params) > 1 and not params[1] & 0x01:
                self._release()  # RF field off: the card loses power
            return bytes([code + 1])
        if code == Command.IN_LIST_PASSIVE_TARGET:
            if len(params) < 2 or (params[1] == CardType.B.value and len(params) < 3):
                return None  # MaxTg and BrTy; type B also needs the AFI
            return bytes([code + 1]) + self._list_target(params[1])
        if code == Command.IN_DATA_EXCHANGE:
            if not params:
                return None
            return bytes([code + 1]) + self._exchange(params[0], params[1:])
        if code == Command.IN_RELEASE:
            if not params:
                return None
            self._release()
            return bytes([code + 1, 0x00])
        return None

    def _release(self) -> None:
        self._active, self._command_buf, self._answer_buf = None, bytearray(), b""

    def _list_target(self, brty: int) -> bytes:
        self._release()
        wanted = self.options.card_type
        if not self.card_here or self._card is None or wanted is None or brty != wanted.value:
            return b"\x00"
        self._active = self._card()
        self.counters.activations += 1
        uid = os.urandom(4)
        if wanted is CardType.A:
            uid = b"\x08" + uid[1:]  # a random UID (ISO/IEC 14443-3 §6.5.4), as eMRTDs use
            if not self.options.iso_dep:
                return b"\x01\x01\x00\x04\x08\x04" + uid
            return b"\x01\x01\x00\x04\x20\x04" + uid + ATS
        protocol = b"\x00\x81\x71" if self.options.iso_dep else b"\x00\x80\x71"
        atqb = b"\x50" + uid + b"\x00\x00\x00\x00" + protocol
        return b"\x01\x01" + atqb + b"\x01\x00"

    def _exchange(self, tg_byte: int, data: bytes) -> bytes:
        """Status byte (and data) of an InDataExchange (§7.3.8)."""
        if self._active is None or tg_byte & 0x3F != 1:
            return b"\x27"  # no such active target
        if not self.card_here:
            self._release()
            return b"\x01"  # the card does not answer: it has left the field
        if self._answer_buf and not data and not tg_byte & pf.MI:
            return self._next_answer_chunk()
        self._command_buf += data
        if tg_byte & pf.MI:
            self.counters.chained_commands += 1
            return b"\x00"
        command = bytes(self._command_buf)
        self._command_buf = bytearray()
        if not self.options.iso_dep:
            return b"\x01"  # the card does not understand ISO-DEP blocks
        try:
            self._answer_buf = self._active(command)
        except Exception:  # a card that crashes is a card that does not answer
            log.exception("simulated card failed")
            return b"\x01"
        self.counters.apdus += 1
        return self._next_answer_chunk()

    def _next_answer_chunk(self) -> bytes:
        n = max(1, self.options.answer_chunk)
        chunk, self._answer_buf = self._answer_buf[:n], self._answer_buf[n:]
        if self._answer_buf:
            self.counters.chained_answers += 1
            return bytes([pf.MI]) + chunk
        return b"\x00" + chunk


def profile_card(name: str, *, clone: str | None = None) -> CardFactory:
    """A factory of fresh simulated CCCDs of one profile (``sims.personalize.card_image``)."""

    image = card_image(name)
    return lambda: image.new_card(clone=clone).execute

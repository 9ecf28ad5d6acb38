"""The PN532 host link (NXP UM0701-02, PN532 User Manual rev. 02): frames and the commands the serial
transport uses.  Pure code, no I/O — the same module encodes for the reader (:mod:`reader.transports.pn532`)
and, in the PN532's role, for the simulated PN532 (:mod:`sims.pn532`); the known-answer frames of the
manual pin both down (``tests/reader/test_pn532_frames.py``).

Frames (UM0701-02 §6.2.1):

* normal information frame: ``00 00 FF LEN LCS TFI PD0…PDn DCS 00`` — ``LEN`` counts ``TFI`` and the data
  (1…255), ``LEN + LCS ≡ 0``, ``TFI + ΣPD + DCS ≡ 0 (mod 256)``; ``TFI`` is ``D4`` host → PN532 and ``D5``
  PN532 → host, ``PD0`` the command code (the answer's is the command's + 1);
* extended information frame (§6.2.1.3): ``00 00 FF FF FF LENM LENL LCS TFI … DCS 00`` with
  ``LENM + LENL + LCS ≡ 0`` — the PN532 answers with it when its data does not fit a normal frame;
* ACK ``00 00 FF 00 FF 00``, NACK ``00 00 FF FF 00 00`` (§6.2.1.4/5: "send the last answer again"),
  error frame ``00 00 FF 01 FF 7F 81 00`` (§6.2.1.6: the PN532 found a syntax error in the command).

A malformed frame raises :class:`FrameError` (a :class:`reader.errors.TransportError`): garbage never
becomes an :class:`IndexError`, and the message never quotes frame contents (they may carry APDUs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reader.errors import TransportError

HOST_TO_PN532 = 0xD4  # TFI of the host's frames
PN532_TO_HOST = 0xD5  # TFI of the PN532's frames
ACK_FRAME = bytes.fromhex("0000ff00ff00")
NACK_FRAME = bytes.fromhex("0000ffff0000")
ERROR_FRAME = bytes.fromhex("0000ff01ff7f8100")
ERROR_CODE = 0x7F  # the single data byte of the error frame
NORMAL_MAX_LEN = 255  # LEN of a normal frame: TFI + data
MAX_LEN = 512  # the longest TFI + data accepted from the wire (the PN532's own buffer holds ~265)
# HSU wake-up (§7.2.11 and the C106 application note): the PN532 leaves power-down on a 0x55 on its
# RX line; the zeros give it time to start before the first frame, which must be SAMConfiguration.
HSU_WAKEUP = bytes([0x55, 0x55]) + bytes(14)
MI = 0x40  # "more information": Tg bit 6 of InDataExchange (host → PN532) and Status bit 6 (answer)
DATA_EXCHANGE_MAX = 262  # DataOut / DataIn of one InDataExchange (§7.3.8)


class Command(enum.IntEnum):
    """The PN532 commands this code speaks (UM0701-02 §7.2, §7.3)."""

    GET_FIRMWARE_VERSION = 0x02  # §7.2.2
    SAM_CONFIGURATION = 0x14  # §7.2.10
    RF_CONFIGURATION = 0x32  # §7.3.1
    IN_DATA_EXCHANGE = 0x40  # §7.3.8
    IN_LIST_PASSIVE_TARGET = 0x4A  # §7.3.5
    IN_RELEASE = 0x52  # §7.3.11


class FrameError(TransportError):
    """A frame from the link is malformed (bad start, impossible length, missing postamble)."""


class ChecksumError(FrameError):
    """A frame's length checksum (LCS) or data checksum (DCS) is wrong: the answer to it is a NACK."""

    def __init__(self, which: str) -> None:
        self.which = which
        super().__init__(f"PN532 frame with a wrong {which} checksum")


class FrameKind(enum.Enum):
    ACK = "ack"
    NACK = "nack"
    ERROR = "error"  # application-level error frame
    INFO = "info"  # normal or extended information frame


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame; ``data`` is what follows the TFI (command code and parameters)."""

    kind: FrameKind
    tfi: int = 0
    data: bytes = b""

    def __repr__(self) -> str:  # never the contents: they may be an APDU
        if self.kind is not FrameKind.INFO:
            return f"Frame({self.kind.value})"
        return f"Frame(info, tfi={self.tfi:02X}, {len(self.data)} bytes)"


def checksum(data: bytes) -> int:
    """The byte that brings the sum of ``data`` and itself to 0 modulo 256 (LCS and DCS)."""
    return -sum(data) & 0xFF


def encode_frame(tfi: int, data: bytes) -> bytes:
    """An information frame: normal when ``TFI + data`` fits 255 bytes, else extended."""
    body = bytes([tfi]) + data
    n = len(body)
    if n > 0xFFFF:
        raise ValueError("frame data too long")
    if n <= NORMAL_MAX_LEN:
        head = bytes([0x00, 0x00, 0xFF, n, checksum(bytes([n]))])
    else:
        length = n.to_bytes(2, "big")
        head = bytes([0x00, 0x00, 0xFF, 0xFF, 0xFF, *length, checksum(length)])
    return head + body + bytes([checksum(body), 0x00])


def command_frame(data: bytes) -> bytes:
    """A host → PN532 frame (TFI ``D4``)."""
    return encode_frame(HOST_TO_PN532, data)


def answer_frame(data: bytes) -> bytes:
    """A PN532 → host frame (TFI ``D5``)."""
    return encode_frame(PN532_TO_HOST, data)


class FrameDecoder:
    """Incremental decoder of the byte stream from the link.

    :meth:`feed` bytes as they arrive, then call :meth:`next` until it returns ``None``.  Bytes before a
    start code (``00 FF``) are skipped (preamble zeros silently, anything else counted in
    :attr:`garbage`).  A bad frame raises once and is consumed, so decoding can go on after it.
    """

    def __init__(self, max_len: int = MAX_LEN) -> None:
        self._buf = bytearray()
        self.max_len = max_len
        self.garbage = 0

    def feed(self, data: bytes) -> None:
        self._buf += data

    def clear(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        """Bytes received and not yet decoded."""
        return len(self._buf)

    def _skip(self, n: int) -> None:
        self.garbage += sum(1 for b in self._buf[:n] if b != 0x00)
        del self._buf[:n]

    def next(self) -> Frame | None:
        buf = self._buf
        start = buf.find(b"\x00\xff")
        if start < 0:
            keep = 1 if buf[-1:] == b"\x00" else 0  # may be the first byte of a start code
            self._skip(len(buf) - keep)
            return None
        self._skip(start)
        if len(buf) < 4:
            return None
        b0, b1 = buf[2], buf[3]
        if (b0, b1) in ((0x00, 0xFF), (0xFF, 0x00)):  # ACK or NACK, then the postamble
            if len(buf) < 5:
                return None
            postamble = buf[4]
            del buf[:5]
            if postamble != 0x00:
                raise FrameError("PN532 ACK/NACK frame without its postamble")
            return Frame(FrameKind.ACK if b0 == 0x00 else FrameKind.NACK)
        if (b0, b1) == (0xFF, 0xFF):  # extended frame: LENM LENL LCS
            if len(buf) < 7:
                return None
            length, lcs, head = (buf[4] << 8) | buf[5], buf[6], 7
            if (buf[4] + buf[5] + lcs) & 0xFF:
                del buf[:7]
                raise ChecksumError("length")
        else:
            length, lcs, head = b0, b1, 4
            if (length + lcs) & 0xFF:
                del buf[:4]
                raise ChecksumError("length")
        if length == 0:
            del buf[:head]
            raise FrameError("PN532 information frame without data")
        if length > self.max_len:
            del buf[:head]
            raise FrameError(f"PN532 frame of {length} bytes is longer than any PN532 frame")
        end = head + length + 2  # body, DCS, postamble
        if len(buf) < end:
            return None
        body, dcs, postamble = bytes(buf[head : head + length]), buf[head + length], buf[end - 1]
        del buf[:end]
        if (sum(body) + dcs) & 0xFF:
            raise ChecksumError("data")
        if postamble != 0x00:
            raise FrameError("PN532 frame without its postamble")
        if body == bytes([ERROR_CODE]):
            return Frame(FrameKind.ERROR)
        return Frame(FrameKind.INFO, body[0], body[1:])


def decode_frame(raw: bytes) -> Frame:
    """Exactly one frame in ``raw`` (known-answer tests, fuzzing): incomplete or trailing bytes raise."""
    decoder = FrameDecoder()
    decoder.feed(raw)
    frame = decoder.next()
    if frame is None:
        raise FrameError("incomplete PN532 frame")
    if decoder.pending:
        raise FrameError("bytes after the PN532 frame")
    return frame


# --- commands (UM0701-02 §7) ----------------------------------------------------------------------------


def get_firmware_version() -> bytes:
    return bytes([Command.GET_FIRMWARE_VERSION])


def sam_configuration(mode: int = 0x01, timeout: int = 0x14, irq: int = 0x01) -> bytes:
    """Mode 1 = normal (no SAM); also what takes the PN532 out of power-down after the HSU wake-up."""
    return bytes([Command.SAM_CONFIGURATION, mode, timeout, irq])


def rf_max_retries(atr: int = 0xFF, psl: int = 0x01, passive_activation: int = 0x02) -> bytes:
    """RFConfiguration item 5 (§7.3.1): retries of ATR_REQ, PSL_REQ and passive activation — a finite
    ``passive_activation`` makes InListPassiveTarget answer "no card" instead of waiting for one."""
    return bytes([Command.RF_CONFIGURATION, 0x05, atr, psl, passive_activation])


def rf_field(on: bool) -> bytes:
    """RFConfiguration item 1: RF field on or off (auto RF collision avoidance off)."""
    return bytes([Command.RF_CONFIGURATION, 0x01, 0x01 if on else 0x00])


class CardType(enum.Enum):
    """The 106 kbps targets InListPassiveTarget can look for (BrTy, §7.3.5)."""

    A = 0x00  # ISO/IEC 14443 type A
    B = 0x03  # ISO/IEC 14443-3 type B


def in_list_passive_target(card_type: CardType, afi: int = 0x00) -> bytes:
    """One target (MaxTg 1); type B needs the AFI (``00``: every application family)."""
    extra = bytes([afi]) if card_type is CardType.B else b""
    return bytes([Command.IN_LIST_PASSIVE_TARGET, 0x01, card_type.value]) + extra


def in_data_exchange(tg: int, data: bytes, *, more: bool = False) -> bytes:
    """``more``: the MI bit — the rest of this command follows in the next InDataExchange."""
    return bytes([Command.IN_DATA_EXCHANGE, (tg & 0x3F) | (MI if more else 0)]) + data


def in_release(tg: int = 0) -> bytes:
    """Release target ``tg`` (0: all of them)."""
    return bytes([Command.IN_RELEASE, tg])


@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    ic: int  # 0x32 for the PN532
    version: int
    revision: int
    support: int  # bit 0 ISO 14443 type A, bit 1 type B, bit 2 ISO 18092

    def __str__(self) -> str:
        return f"PN5{self.ic:02X} firmware {self.version}.{self.revision}"


def parse_firmware_version(params: bytes) -> FirmwareVersion:
    if len(params) != 4:
        raise FrameError("malformed GetFirmwareVersion answer")
    return FirmwareVersion(*params)


@dataclass(frozen=True, slots=True)
class Target:
    """An activated target.  ``iso_dep``: it speaks ISO/IEC 14443-4 (APDUs).  The UID/PUPI is kept out
    of ``repr`` (a chip's identifier is personal data when it is fixed)."""

    card_type: CardType
    tg: int
    iso_dep: bool
    uid: bytes
    protocol_bytes: bytes  # type A: the ATS (with its length byte TL); type B: ATQB + ATTRIB_RES

    def __repr__(self) -> str:
        return f"Target(type {self.card_type.name}, tg={self.tg}, iso_dep={self.iso_dep})"


def parse_in_list_passive_target(params: bytes, card_type: CardType) -> Target | None:
    """NbTg and the target data of §7.3.5 (one target); ``None`` when no target answered."""
    if not params:
        raise FrameError("malformed InListPassiveTarget answer")
    if params[0] == 0:
        return None
    if params[0] != 1:
        raise FrameError("InListPassiveTarget answered more targets than asked for")
    data = params[1:]
    if card_type is CardType.A:
        # Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, then the ATS when SEL_RES says ISO 14443-4
        if len(data) < 5 or len(data) < 5 + data[4]:
            raise FrameError("malformed InListPassiveTarget answer (type A)")
        uid_end = 5 + data[4]
        iso_dep = bool(data[3] & 0x20)
        ats = data[uid_end:]
        if iso_dep and (not ats or ats[0] != len(ats)):
            raise FrameError("malformed InListPassiveTarget answer (ATS)")
        return Target(card_type, data[0], iso_dep, bytes(data[5:uid_end]), bytes(ats))
    # Tg, ATQB (12: 50, PUPI 4, application data 4, protocol info 3), ATTRIB_RES length, ATTRIB_RES
    if len(data) < 14 or data[1] != 0x50 or len(data) != 14 + data[13]:
        raise FrameError("malformed InListPassiveTarget answer (type B)")
    iso_dep = bool(data[11] & 0x01)  # protocol info byte 2, Protocol_Type bit 1: ISO/IEC 14443-4
    return Target(card_type, data[0], iso_dep, bytes(data[2:6]), bytes(data[1:]))


# InDataExchange status byte (§7.1, "Error handling"): bits 0-5 the error code, bit 6 MI, bit 7 NAD.
STATUS_TIMEOUT = 0x01  # the target did not answer: it has left the field
STATUS_CARD_GONE_B = 0x2B  # type B: the card activated before has disappeared
STATUS_TEXT: dict[int, str] = {
    0x01: "the card did not answer (time-out)",
    0x02: "CRC error on the RF link",
    0x03: "parity error on the RF link",
    0x05: "framing error on the RF link",
    0x06: "bit collision on the RF link",
    0x07: "PN532 communication buffer too small",
    0x09: "RF buffer overflow",
    0x0A: "RF field not switched on in time",
    0x0B: "RF protocol error",
    0x0D: "PN532 over-temperature",
    0x0E: "PN532 internal buffer overflow",
    0x10: "invalid parameter",
    0x13: "ISO/IEC 14443-4 block format error",
    0x25: "invalid device state",
    0x26: "operation not allowed in this configuration",
    0x27: "command not acceptable now (no such active target)",
    0x29: "target released",
    0x2A: "type B card identifier mismatch",
    0x2B: "the type B card has disappeared",
    0x2D: "over-current",
}


def status_text(code: int) -> str:
    return STATUS_TEXT.get(code, "PN532 error")


@dataclass(frozen=True, slots=True)
class Exchange:
    """An InDataExchange answer: ``error`` (0 = none), ``more`` (MI: more data follows), ``data``."""

    error: int
    more: bool
    data: bytes

    def __repr__(self) -> str:
        return f"Exchange(error={self.error:02X}, more={self.more}, {len(self.data)} bytes)"


def parse_in_data_exchange(params: bytes) -> Exchange:
    if not params:
        raise FrameError("malformed InDataExchange answer")
    status = params[0]
    return Exchange(status & 0x3F, bool(status & MI), bytes(params[1:]))

"""ISO/IEC 7816-4 command and response APDUs (§5.1), short and extended length.

Cases (ISO/IEC 7816-3 §12.1): 1 (header only), 2 (Le), 3 (Lc + data), 4 (Lc + data + Le), each in short
form (Nc ≤ 255, Ne ≤ 256) or extended form (Nc ≤ 65535, Ne ≤ 65536).  ``ne = 256`` encodes as Le ``00``
in short form and ``ne = 65536`` as ``0000`` in extended form.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader.errors import ParseError

SHORT_MAX_NC = 255
SHORT_MAX_NE = 256
EXT_MAX_NC = 65535
EXT_MAX_NE = 65536

SW_SUCCESS = 0x9000


@dataclass(frozen=True, slots=True)
class CommandAPDU:
    """A command APDU.  ``ne`` is the maximum number of response bytes expected (0 = none)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int = 0
    extended: bool = False  # force the extended form even when short would do

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            v = getattr(self, name)
            if not 0 <= v <= 0xFF:
                raise ParseError(f"{name} out of range")
        if len(self.data) > EXT_MAX_NC:
            raise ParseError("command data longer than 65535 bytes")
        if not 0 <= self.ne <= EXT_MAX_NE:
            raise ParseError("Ne out of range")

    def __repr__(self) -> str:  # data may be a key or personal data: never shown
        return (
            f"CommandAPDU({self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}, "
            f"nc={len(self.data)}, ne={self.ne})"
        )

    @property
    def is_extended(self) -> bool:
        """Whether :meth:`to_bytes` uses the extended-length form."""
        return self.extended or len(self.data) > SHORT_MAX_NC or self.ne > SHORT_MAX_NE

    @property
    def header(self) -> bytes:
        return bytes([self.cla, self.ins, self.p1, self.p2])

    def to_bytes(self) -> bytes:
        """Encode (ISO/IEC 7816-4 §5.1, table 1)."""
        out = bytearray(self.header)
        nc, ne = len(self.data), self.ne
        if not self.is_extended:
            if nc:
                out.append(nc)
                out += self.data
            if ne:
                out.append(0 if ne == SHORT_MAX_NE else ne)
            return bytes(out)
        if nc:
            out += b"\x00" + nc.to_bytes(2, "big") + self.data
        if ne:
            le = b"\x00\x00" if ne == EXT_MAX_NE else ne.to_bytes(2, "big")
            out += le if nc else b"\x00" + le
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Decode any of the seven cases; :class:`ParseError` on malformed input."""
        if len(raw) < 4:
            raise ParseError("command APDU shorter than its 4-byte header")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:  # case 2 short
            return cls(cla, ins, p1, p2, ne=body[0] or SHORT_MAX_NE)
        if body[0] != 0:  # short case 3 or 4
            nc = body[0]
            if n == 1 + nc:
                return cls(cla, ins, p1, p2, data=bytes(body[1:]))
            if n == 2 + nc:
                return cls(cla, ins, p1, p2, data=bytes(body[1 : 1 + nc]), ne=body[-1] or SHORT_MAX_NE)
            raise ParseError("short command APDU length fields disagree with its size")
        # extended forms start with 00
        if n == 3:  # case 2 extended
            le = int.from_bytes(body[1:3], "big")
            return cls(cla, ins, p1, p2, ne=le or EXT_MAX_NE, extended=True)
        if n < 3:
            raise ParseError("truncated extended length")
        nc = int.from_bytes(body[1:3], "big")
        if nc == 0:
            raise ParseError("extended Lc of zero")
        if n == 3 + nc:
            return cls(cla, ins, p1, p2, data=bytes(body[3:]), extended=True)
        if n == 5 + nc:
            le = int.from_bytes(body[-2:], "big")
            return cls(cla, ins, p1, p2, data=bytes(body[3 : 3 + nc]), ne=le or EXT_MAX_NE, extended=True)
        raise ParseError("extended command APDU length fields disagree with its size")


@dataclass(frozen=True, slots=True)
class ResponseAPDU:
    """A response APDU: data field and status word SW1-SW2."""

    data: bytes
    sw: int

    def __repr__(self) -> str:
        return f"ResponseAPDU(len={len(self.data)}, sw={self.sw:04X})"

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_SUCCESS

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseAPDU:
        if len(raw) < 2:
            raise ParseError("response APDU shorter than its status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

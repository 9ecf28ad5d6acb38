"""Strict BER-TLV codec (ISO/IEC 8825-1 §8.1, as profiled by ISO/IEC 7816-4 §5.2 and ICAO 9303-10 §4).

Tags are returned as integers holding all their bytes (``0x5F1F``, ``0x7F61``).  Lengths may use the
short form or the long form with up to four length bytes; the indefinite form is rejected, as ICAO 9303
files use definite lengths only.  Every malformed input raises :class:`reader.errors.TLVError` — never
``IndexError`` — and no error message quotes the content being parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from reader.errors import TLVError

MAX_TAG_BYTES = 4
MAX_LENGTH_BYTES = 4


@dataclass(frozen=True, slots=True)
class TLV:
    """One decoded data object.  ``value`` is the raw content; ``raw`` the whole encoding as read."""

    tag: int
    value: bytes
    raw: bytes

    def __repr__(self) -> str:  # content may be personal data: never shown
        return f"TLV(tag=0x{self.tag:X}, length={len(self.value)})"

    @property
    def constructed(self) -> bool:
        """True when bit 6 of the tag's first byte is set (ISO/IEC 8825-1 §8.1.2.5)."""
        return bool(_first_tag_byte(self.tag) & 0x20)

    def children(self) -> list[TLV]:
        """Decode the value of a constructed object as a sequence of objects."""
        if not self.constructed:
            raise TLVError(f"tag 0x{self.tag:X} is primitive and has no children")
        return decode_all(self.value)

    def child(self, tag: int) -> TLV:
        """The first child with ``tag``; :class:`TLVError` when absent."""
        for c in self.children():
            if c.tag == tag:
                return c
        raise TLVError(f"tag 0x{tag:X} missing inside 0x{self.tag:X}")

    def find_child(self, tag: int) -> TLV | None:
        """The first child with ``tag``, or ``None``."""
        for c in self.children():
            if c.tag == tag:
                return c
        return None


def _first_tag_byte(tag: int) -> int:
    while tag > 0xFF:
        tag >>= 8
    return tag


def decode_tag(data: bytes, offset: int = 0) -> tuple[int, int]:
    """Decode a tag at ``offset``; return ``(tag, offset after the tag)``."""
    if offset >= len(data):
        raise TLVError("truncated: tag expected")
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:  # high-tag-number form: subsequent bytes, b8 = more
        count = 1
        if offset < len(data) and data[offset] == 0x80:
            raise TLVError("tag number padded with a leading zero group")  # ISO/IEC 8825-1 §8.1.2.4.2 c
        while True:
            if offset >= len(data):
                raise TLVError("truncated inside a multi-byte tag")
            b = data[offset]
            offset += 1
            count += 1
            if count > MAX_TAG_BYTES:
                raise TLVError("tag longer than 4 bytes")
            tag = (tag << 8) | b
            if not b & 0x80:
                break
    if tag == 0x00:
        raise TLVError("tag 0x00 is not a valid tag")
    return tag, offset


def decode_length(data: bytes, offset: int = 0) -> tuple[int, int]:
    """Decode a definite length at ``offset``; return ``(length, offset after the length)``."""
    if offset >= len(data):
        raise TLVError("truncated: length expected")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    n = first & 0x7F
    if n == 0:
        raise TLVError("indefinite length is not allowed")
    if n > MAX_LENGTH_BYTES:
        raise TLVError(f"length field of {n} bytes is too long")
    if offset + n > len(data):
        raise TLVError("truncated inside a long-form length")
    return int.from_bytes(data[offset : offset + n], "big"), offset + n


def decode_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """Decode tag and length; return ``(tag, length, offset of the value)``.

    Useful to learn a file's total size from its first bytes before reading the rest.
    """
    tag, offset = decode_tag(data, offset)
    length, offset = decode_length(data, offset)
    return tag, length, offset


def decode_one(data: bytes, offset: int = 0) -> tuple[TLV, int]:
    """Decode one object at ``offset``; return it and the offset just after it."""
    start = offset
    tag, length, offset = decode_header(data, offset)
    end = offset + length
    if end > len(data):
        raise TLVError(f"value of tag 0x{tag:X} declares {length} bytes, only {len(data) - offset} present")
    return TLV(tag, bytes(data[offset:end]), bytes(data[start:end])), end


def iter_tlv(data: bytes) -> Iterator[TLV]:
    """Iterate over concatenated objects filling ``data`` exactly."""
    offset = 0
    while offset < len(data):
        obj, offset = decode_one(data, offset)
        yield obj


def decode_all(data: bytes) -> list[TLV]:
    """Decode concatenated objects filling ``data`` exactly."""
    return list(iter_tlv(data))


def decode(data: bytes, *, expected_tag: int | None = None, allow_trailing: bool = False) -> TLV:
    """Decode exactly one object.

    ``allow_trailing`` accepts bytes after the object (files padded by the card); otherwise trailing bytes
    are an error.  ``expected_tag`` checks the outer tag.
    """
    obj, end = decode_one(data, 0)
    if end != len(data) and not allow_trailing:
        raise TLVError(f"{len(data) - end} unexpected bytes after tag 0x{obj.tag:X}")
    if expected_tag is not None and obj.tag != expected_tag:
        raise TLVError(f"expected tag 0x{expected_tag:X}, found 0x{obj.tag:X}")
    return obj


def encode_tag(tag: int) -> bytes:
    """Encode a tag held as an integer of its bytes."""
    if tag <= 0:
        raise TLVError("tag must be positive")
    raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    try:
        decoded, end = decode_tag(raw)
    except TLVError:
        raise TLVError(f"0x{tag:X} is not a valid BER tag") from None
    if end != len(raw) or decoded != tag:
        raise TLVError(f"0x{tag:X} is not a valid BER tag")
    return raw


def encode_length(length: int) -> bytes:
    """Encode a definite length in the shortest form (DER, ISO/IEC 8825-1 §10.1)."""
    if length < 0:
        raise TLVError("negative length")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > MAX_LENGTH_BYTES:
        raise TLVError("length too large")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """Encode one object."""
    return encode_tag(tag) + encode_length(len(value)) + value


def encode_constructed(tag: int, *children: bytes) -> bytes:
    """Encode a constructed object from already encoded children."""
    return encode(tag, b"".join(children))

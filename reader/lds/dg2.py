"""DG2: encoded face images (ICAO 9303-10 §4.7.2) in ISO/IEC 19794-5:2005 or ISO/IEC 39794-5 records.

``75 { 7F61 { 02 <count>, 7F60 { A1 <BHT>, 5F2E|7F2E <BDB> } ... } }``.  A ``5F2E`` BDB starting with
``FAC\\0`` is an ISO/IEC 19794-5:2005 facial record (§5: general header, then per image a facial
information block, feature points, an image information block and the image data); otherwise the BDB is
the tagged ASN.1 of ISO/IEC 39794-5 (FaceImageDataBlock).  The image format is detected from its magic
bytes, and its width and height are read from the image header itself (JPEG SOFn, JP2 ``ihdr``, J2K SIZ)
as well as from the record.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.cardaccess import decode_integer

DG2_TAG = 0x75
BIT_GROUP_TAG = 0x7F61
BIT_TAG = 0x7F60
BHT_TAG = 0xA1
BDB_TAG = 0x5F2E
BDB_CONSTRUCTED_TAG = 0x7F2E
ISO19794_MAGIC = b"FAC\x00"
JPEG_MAGIC = b"\xff\xd8"
J2K_MAGIC = b"\xff\x4f\xff\x51"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


class DG2Error(ParseError):
    """DG2, its biometric record or an image header is malformed."""


class ImageFormat(enum.Enum):
    """Image encodings found in DG2, by magic bytes."""

    JPEG = "image/jpeg"
    JPEG2000 = "image/jp2"  # JP2 file format (boxes)
    JPEG2000_CODESTREAM = "image/j2k"  # bare codestream
    UNKNOWN = "application/octet-stream"

    @property
    def mime_type(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class FaceImage:
    """One face image.  ``width``/``height`` from the image header, ``record_*`` from the record."""

    image: bytes
    image_format: ImageFormat
    width: int | None
    height: int | None
    record_width: int | None
    record_height: int | None
    record_format: str  # "ISO/IEC 19794-5" or "ISO/IEC 39794-5"
    image_data_type: int | None = None  # record's code: 19794-5 (0 JPEG, 1 JPEG2000), 39794-5 format code
    gender: int | None = None  # 19794-5 code: 0 unspecified, 1 male, 2 female, 3 unknown
    face_image_type: int | None = None

    def __repr__(self) -> str:
        return (
            f"FaceImage({self.image_format.name}, {len(self.image)} bytes, "
            f"{self.width}x{self.height}, {self.record_format})"
        )

    @property
    def size_consistent(self) -> bool:
        """Whether the record's stated size agrees with the image header (when both are known)."""
        if None in (self.width, self.height, self.record_width, self.record_height):
            return True
        return (self.width, self.height) == (self.record_width, self.record_height)


@dataclass(frozen=True, slots=True)
class DG2:
    """The face images of DG2, in file order."""

    images: tuple[FaceImage, ...]

    def __repr__(self) -> str:
        return f"DG2({len(self.images)} image(s))"


def detect_format(image: bytes) -> ImageFormat:
    """The image encoding from its first bytes."""
    if image.startswith(JPEG_MAGIC):
        return ImageFormat.JPEG
    if image.startswith(JP2_MAGIC):
        return ImageFormat.JPEG2000
    if image.startswith(J2K_MAGIC):
        return ImageFormat.JPEG2000_CODESTREAM
    return ImageFormat.UNKNOWN


def image_size(image: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the image header; ``None`` for unknown formats; :class:`DG2Error` if the
    header of a known format is malformed."""
    fmt = detect_format(image)
    if fmt is ImageFormat.JPEG:
        return _jpeg_size(image)
    if fmt is ImageFormat.JPEG2000:
        return _jp2_size(image)
    if fmt is ImageFormat.JPEG2000_CODESTREAM:
        return _j2k_size(image, 0)
    return None


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})


def _u16(data: bytes, pos: int) -> int:
    if pos + 2 > len(data):
        raise DG2Error("image header truncated")
    return int.from_bytes(data[pos : pos + 2], "big")


def _u32(data: bytes, pos: int) -> int:
    if pos + 4 > len(data):
        raise DG2Error("image header truncated")
    return int.from_bytes(data[pos : pos + 4], "big")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first SOFn segment (ITU-T T.81 §B.2.2)."""
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise DG2Error("JPEG marker expected")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in _SOF_MARKERS:
            return _u16(data, pos + 5), _u16(data, pos + 3)
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        length = _u16(data, pos)
        if length < 2:
            raise DG2Error("JPEG segment length below 2")
        pos += length
    raise DG2Error("JPEG without a frame header (SOFn)")


def _jp2_size(data: bytes) -> tuple[int, int]:
    """Width and height from the ``ihdr`` box inside ``jp2h`` (ISO/IEC 15444-1 Annex I.5.3.1)."""
    for box_type, start, end in _boxes(data, 0, len(data)):
        if box_type == b"jp2h":
            for inner, s, e in _boxes(data, start, end):
                if inner == b"ihdr":
                    if e - s < 8:
                        raise DG2Error("JP2 ihdr box too short")
                    return _u32(data, s + 4), _u32(data, s)
            raise DG2Error("JP2 header box without ihdr")
        if box_type == b"jp2c":
            return _j2k_size(data, start)
    raise DG2Error("JP2 file without a header box")


def _boxes(data: bytes, pos: int, end: int) -> list[tuple[bytes, int, int]]:
    out = []
    while pos < end:
        length, box_type, header = _u32(data, pos), data[pos + 4 : pos + 8], 8
        if length == 1:
            length, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif length == 0:
            length = end - pos
        if length < header or pos + length > end:
            raise DG2Error("JP2 box length out of bounds")
        out.append((box_type, pos + header, pos + length))
        pos += length
    return out


def _j2k_size(data: bytes, pos: int) -> tuple[int, int]:
    """Width and height from the SIZ marker segment (ISO/IEC 15444-1 §A.5.1)."""
    if data[pos : pos + 4] != J2K_MAGIC:
        raise DG2Error("JPEG 2000 codestream without SOC/SIZ")
    x, y = _u32(data, pos + 8), _u32(data, pos + 12)
    x0, y0 = _u32(data, pos + 16), _u32(data, pos + 20)
    if x0 > x or y0 > y:
        raise DG2Error("JPEG 2000 SIZ offsets beyond the image")
    return x - x0, y - y0


def _make(
    image: bytes, record_format: str, record_size: tuple[int, int] | None, image_data_type: int | None = None,
    gender: int | None = None, face_image_type: int | None = None,
) -> FaceImage:
    size = image_size(image)
    return FaceImage(
        image=image, image_format=detect_format(image),
        width=size[0] if size else None, height=size[1] if size else None,
        record_width=record_size[0] if record_size else None,
        record_height=record_size[1] if record_size else None, record_format=record_format,
        image_data_type=image_data_type, gender=gender, face_image_type=face_image_type,
    )  # fmt: skip


# --- ISO/IEC 19794-5:2005 ------------------------------------------------------------------------------


def parse_iso19794_5(record: bytes) -> list[FaceImage]:
    """A facial record: 14-byte general header (§5.4), then per image (§5.5–5.7) a 20-byte facial
    information block, 8 bytes per feature point, a 12-byte image information block and the image."""
    if not record.startswith(ISO19794_MAGIC) or record[4:8] != b"010\x00":
        raise DG2Error("not an ISO/IEC 19794-5:2005 facial record (FAC, version 010)")
    length, count = _u32(record, 8), _u16(record, 12)
    if length < 14 or length > len(record):
        raise DG2Error("19794-5 record length out of bounds")
    images, pos = [], 14
    for _ in range(count):
        block_len = _u32(record, pos)
        end = pos + block_len
        feature_points = _u16(record, pos + 4)
        info = pos + 20 + 8 * feature_points
        if block_len < 32 or end > length or info + 12 > end:
            raise DG2Error("19794-5 facial record data block out of bounds")
        gender, face_type, data_type = record[pos + 6], record[info], record[info + 1]
        size = (_u16(record, info + 2), _u16(record, info + 4))
        images.append(_make(record[info + 12 : end], "ISO/IEC 19794-5", size, image_data_type=data_type,
                            gender=gender, face_image_type=face_type))  # fmt: skip
        pos = end
    if not images:
        raise DG2Error("19794-5 record without images")
    return images


# --- ISO/IEC 39794-5 -----------------------------------------------------------------------------------


def parse_iso39794_5(content: bytes) -> list[FaceImage]:
    """A FaceImageDataBlock (``[APPLICATION 5]`` or its fields directly): ``versionBlock [0]``,
    ``representationBlocks [1]``; each representation's ``imageRepresentation [1]`` leads through CHOICE
    wrappers to ``ImageRepresentation2DBlock { representationData2D [0], imageInformation2DBlock [1] }``."""
    try:
        items = tlv.decode_all(content)
        if len(items) == 1 and items[0].tag == 0x65:
            items = items[0].children()
        blocks = next((i for i in items if i.tag == 0xA1), None)
        if blocks is None:
            raise DG2Error("39794-5 block without representation blocks")
        images = [_representation_39794(rep) for rep in blocks.children()]
    except TLVError as exc:
        raise DG2Error(f"39794-5 structure: {exc}") from None
    if not images:
        raise DG2Error("39794-5 block without representations")
    return images


def _representation_39794(rep: tlv.TLV) -> FaceImage:
    node = rep.child(0xA1)
    for _ in range(3):  # CHOICE wrappers: base [0] -> imageRepresentation2DBlock [0]
        kids = node.children()
        if any(k.tag == 0x80 for k in kids):
            break
        if not kids or kids[0].tag != 0xA0:
            raise DG2Error("39794-5 representation without a 2D image block")
        node = kids[0]
    image = node.child(0x80).value
    info = node.child(0xA1)
    code = _format_code(info.find_child(0xA0))
    size_block = info.find_child(0xA7)
    size = (_ctx_int(size_block, 0x80), _ctx_int(size_block, 0x81)) if size_block else None
    return _make(image, "ISO/IEC 39794-5", size, image_data_type=code)


def _format_code(obj: tlv.TLV | None) -> int | None:
    if obj is None:
        return None
    if not obj.constructed:
        return decode_integer(obj.value)
    code = obj.find_child(0x80)
    return decode_integer(code.value) if code is not None else None


def _ctx_int(block: tlv.TLV, tag: int) -> int:
    value = decode_integer(block.child(tag).value)
    if not 0 <= value <= 0xFFFF:
        raise DG2Error("39794-5 image size out of range")
    return value


# --- DG2 -----------------------------------------------------------------------------------------------


def parse_dg2(raw: bytes) -> DG2:
    """Parse DG2 (ICAO 9303-10 §4.7.2); :class:`DG2Error` on malformed structure, record or header."""
    try:
        group = tlv.decode(raw, expected_tag=DG2_TAG).child(BIT_GROUP_TAG)
        children = group.children()
        if not children or children[0].tag != 0x02:
            raise DG2Error("biometric group template without its instance count")
        count = decode_integer(children[0].value)
        instances = [c for c in children[1:] if c.tag == BIT_TAG]
        if count != len(instances):
            raise DG2Error("biometric instance count disagrees with the templates present")
        images = [img for bit in instances for img in _instance(bit)]
    except TLVError as exc:
        raise DG2Error(f"DG2 structure: {exc}") from None
    if not images:
        raise DG2Error("DG2 holds no face image")
    return DG2(tuple(images))


def _instance(bit: tlv.TLV) -> list[FaceImage]:
    bdb = bit.find_child(BDB_TAG) or bit.find_child(BDB_CONSTRUCTED_TAG)
    if bdb is None:
        raise DG2Error("biometric information template without a data block")
    if bdb.tag == BDB_TAG and bdb.value.startswith(ISO19794_MAGIC):
        return parse_iso19794_5(bdb.value)
    return parse_iso39794_5(bdb.value)

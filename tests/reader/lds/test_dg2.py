"""DG2 face images (reader/lds/dg2.py): ICAO 9303-10 §4.7.2, ISO/IEC 19794-5:2005, ISO/IEC 39794-5."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reader import tlv
from reader.lds.dg2 import DG2Error, ImageFormat, detect_format, image_size, parse_dg2, parse_iso19794_5
from sims.lds_build import build_dg2, build_dg2_records, iso19794_5_record, iso39794_5_block


def _encode(fmt: str, size: tuple[int, int] = (123, 77), **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def images() -> dict[str, bytes]:
    return {
        "jpeg": _encode("JPEG", quality=80),
        "progressive": _encode("JPEG", progressive=True),
        "jp2": _encode("JPEG2000"),
        "j2k": _encode("JPEG2000", no_jp2=True),
    }


def test_detect_and_size(images: dict[str, bytes]) -> None:
    assert detect_format(images["jpeg"]) is ImageFormat.JPEG
    assert detect_format(images["progressive"]) is ImageFormat.JPEG
    assert detect_format(images["jp2"]) is ImageFormat.JPEG2000
    assert images["jp2"].startswith(bytes.fromhex("0000000C6A502020"))
    assert detect_format(images["j2k"]) is ImageFormat.JPEG2000_CODESTREAM
    assert images["j2k"].startswith(bytes.fromhex("FF4FFF51"))
    for data in images.values():
        assert image_size(data) == (123, 77)
    assert detect_format(b"\x89PNG\r\n") is ImageFormat.UNKNOWN and image_size(b"\x89PNG") is None


@pytest.mark.parametrize("kind", ["jpeg", "progressive", "jp2", "j2k"])
def test_iso19794_5_round_trip(images: dict[str, bytes], kind: str) -> None:
    dg2 = parse_dg2(build_dg2(images[kind], 123, 77, gender="F"))
    (face,) = dg2.images
    assert face.image == images[kind]
    assert (face.width, face.height, face.record_width, face.record_height) == (123, 77, 123, 77)
    assert face.size_consistent and face.gender == 2 and face.face_image_type == 1
    assert face.image_data_type == (0 if kind in ("jpeg", "progressive") else 1)
    assert face.record_format == "ISO/IEC 19794-5"


@pytest.mark.parametrize("kind", ["jpeg", "jp2", "j2k"])
def test_iso39794_5_round_trip(images: dict[str, bytes], kind: str) -> None:
    block = iso39794_5_block(images[kind], 123, 77)
    for tag, content in (
        (0x7F2E, block),
        (0x7F2E, tlv.encode(0x65, block)),
        (0x5F2E, tlv.encode(0x65, block)),
    ):
        (face,) = parse_dg2(build_dg2_records([(tag, content)])).images
        assert face.image == images[kind]
        assert (face.width, face.height, face.record_width, face.record_height) == (123, 77, 123, 77)
        assert face.record_format == "ISO/IEC 39794-5"
        assert face.image_data_type == (2 if kind == "jpeg" else 3)


def test_several_images_and_inconsistent_size(images: dict[str, bytes]) -> None:
    raw = build_dg2_records(
        [
            (0x5F2E, iso19794_5_record(images["jpeg"], 640, 480)),
            (0x7F2E, iso39794_5_block(images["jp2"], 123, 77)),
        ]
    )
    first, second = parse_dg2(raw).images
    assert not first.size_consistent and second.size_consistent
    assert first.image_format is ImageFormat.JPEG and second.image_format is ImageFormat.JPEG2000


def test_repr_hides_image(images: dict[str, bytes]) -> None:
    dg2 = parse_dg2(build_dg2(images["jpeg"], 123, 77))
    assert repr(dg2) == "DG2(1 image(s))"
    text = repr(dg2.images[0])
    assert "JPEG" in text and "123x77" in text and "\\x" not in text and "ffd8" not in text.lower()


def test_two_images_in_one_19794_record(images: dict[str, bytes]) -> None:
    one = iso19794_5_record(images["jpeg"], 123, 77)
    block = one[14:]
    record = b"FAC\x00010\x00" + (14 + 2 * len(block)).to_bytes(4, "big") + b"\x00\x02" + block + block
    assert len(parse_iso19794_5(record)) == 2


def _bad_jpeg_headers() -> list[bytes]:
    return [
        b"\xff\xd8",  # no frame header
        b"\xff\xd8\xff\xe0\x00",  # truncated segment length
        b"\xff\xd8\xff\xe0\x00\x01",  # segment length below 2
        b"\xff\xd8\x00\x00",  # no marker
        b"\xff\xd8\xff\xda\x00\x02",  # scan before frame
        b"\xff\xd8\xff\xc0\x00\x11\x08\x00",  # truncated SOF0
    ]


@pytest.mark.parametrize("data", _bad_jpeg_headers())
def test_bad_jpeg_headers(data: bytes) -> None:
    with pytest.raises(DG2Error):
        image_size(data)


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("0000000C6A5020200D0A870A"),  # signature only
        bytes.fromhex("0000000C6A5020200D0A870A00000010 6A703268 00000008 69686472"),  # ihdr too short
        bytes.fromhex("0000000C6A5020200D0A870A000000FF 6A703268"),  # box beyond the end
        bytes.fromhex("FF4FFF51 0029 0000 00000010"),  # truncated SIZ
        bytes.fromhex("FF4FFF51 0029 0000 00000010 00000010 00000020 00000000"),  # offset > size
    ],
)
def test_bad_jpeg2000_headers(data: bytes) -> None:
    with pytest.raises(DG2Error):
        image_size(data)


def _record(images: dict[str, bytes]) -> bytes:
    return iso19794_5_record(images["jpeg"], 123, 77)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r[:4] + b"020\x00" + r[8:],  # unsupported version
        lambda r: r[:8] + (len(r) + 1).to_bytes(4, "big") + r[12:],  # record length beyond data
        lambda r: r[:12] + b"\x00\x00" + r[14:],  # no images
        lambda r: r[:12] + b"\x00\x02" + r[14:],  # two announced, one present
        lambda r: r[:14] + (10).to_bytes(4, "big") + r[18:],  # block shorter than its headers
        lambda r: r[:18] + b"\xff\xff" + r[20:],  # absurd feature-point count
        lambda r: r[:13],  # truncated header
    ],
)
def test_malformed_19794_records(images: dict[str, bytes], mutate: object) -> None:
    with pytest.raises(DG2Error):
        parse_iso19794_5(mutate(_record(images)))  # type: ignore[operator]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes.fromhex("7500"),
        bytes.fromhex("7503 7F6100"),
        bytes.fromhex("7505 7F6102 020101"),  # count 1, no template
        bytes.fromhex("750A 7F6107 020101 7F6002 A100"),  # template without data block
        tlv.encode(0x75, tlv.encode_constructed(0x7F61, tlv.encode(0x02, b"\x00"))),  # no image at all
        build_dg2_records([(0x7F2E, b"\xa0\x00")]),  # 39794 without representations
        build_dg2_records([(0x7F2E, b"\xa1\x02\x30\x00")]),  # representation without image
        build_dg2_records([(0x5F2E, b"FAC\x00")]),  # 19794 truncated
    ],
)
def test_malformed_dg2(raw: bytes) -> None:
    with pytest.raises(DG2Error):
        parse_dg2(raw)

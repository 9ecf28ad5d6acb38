"""The strict BER-TLV codec (reader/tlv.py): ISO/IEC 8825-1 §8.1 as profiled by ISO/IEC 7816-4 §5.2."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader import tlv
from reader.errors import ParseError, TLVError

# --- known encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tag", "value"),
    [
        ("0101AA", 0x01, "AA"),
        ("5F1F03414243", 0x5F1F, "414243"),
        ("7F6100", 0x7F61, ""),
        ("5F8102 01 FF", 0x5F8102, "FF"),  # three-byte tag
        ("04 81 80" + "00" * 128, 0x04, "00" * 128),  # long form, one length byte
        ("04 82 0100" + "11" * 256, 0x04, "11" * 256),  # long form, two length bytes
        ("04 81 05 0102030405", 0x04, "0102030405"),  # non-minimal long form is valid BER
    ],
)
def test_decode_known(raw: str, tag: int, value: str) -> None:
    obj = tlv.decode(bytes.fromhex(raw))
    assert obj.tag == tag
    assert obj.value == bytes.fromhex(value)
    assert obj.raw == bytes.fromhex(raw)


def test_header_gives_total_size_from_first_bytes() -> None:
    tag, length, offset = tlv.decode_header(bytes.fromhex("6D82027A3082"))
    assert (tag, length, offset) == (0x6D, 0x027A, 4)


def test_encode_lengths_are_shortest_form() -> None:
    assert tlv.encode_length(0) == b"\x00"
    assert tlv.encode_length(127) == b"\x7f"
    assert tlv.encode_length(128) == b"\x81\x80"
    assert tlv.encode_length(255) == b"\x81\xff"
    assert tlv.encode_length(256) == b"\x82\x01\x00"
    assert tlv.encode_length(0xFFFFFFFF) == b"\x84\xff\xff\xff\xff"
    with pytest.raises(TLVError):
        tlv.encode_length(0x100000000)
    with pytest.raises(TLVError):
        tlv.encode_length(-1)


def test_constructed_and_children() -> None:
    raw = tlv.encode_constructed(0x7F61, tlv.encode(0x02, b"\x01"), tlv.encode_constructed(0x7F60))
    obj = tlv.decode(raw)
    assert obj.constructed
    assert [c.tag for c in obj.children()] == [0x02, 0x7F60]
    assert obj.child(0x02).value == b"\x01"
    assert obj.find_child(0x5F2E) is None
    with pytest.raises(TLVError):
        obj.child(0x5F2E)
    with pytest.raises(TLVError):
        obj.child(0x02).children()  # primitive


def test_repr_hides_value() -> None:
    obj = tlv.decode(tlv.encode(0x5F1F, b"SECRET-MRZ"))
    assert "SECRET" not in repr(obj)
    assert "length=10" in repr(obj)


# --- malformed input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("5F", "truncated multi-byte tag"),
        ("5F81", "truncated multi-byte tag"),
        ("5F818181 01 00", "tag longer than 4 bytes"),
        ("01", "length missing"),
        ("0180", "indefinite length"),
        ("0185 0000000001 00", "5 length bytes"),
        ("0182 01", "truncated long length"),
        ("0105 0102", "value shorter than declared"),
        ("0184FFFFFFFF", "absurd length"),
        ("000100", "tag 00"),
    ],
)
def test_decode_rejects(raw: str, why: str) -> None:
    with pytest.raises(TLVError):
        tlv.decode(bytes.fromhex(raw))


def test_trailing_bytes() -> None:
    raw = bytes.fromhex("010100FFFF")
    with pytest.raises(TLVError):
        tlv.decode(raw)
    assert tlv.decode(raw, allow_trailing=True).value == b"\x00"
    with pytest.raises(TLVError):
        tlv.decode(bytes.fromhex("010100"), expected_tag=0x02)


def test_errors_are_parse_errors_and_do_not_quote_content() -> None:
    with pytest.raises(ParseError) as info:
        tlv.decode(bytes.fromhex("5F1F0A4E475559454E"))
    assert "NGUYEN" not in str(info.value)
    assert "4E4755" not in str(info.value).upper()


def test_encode_rejects_non_positive_tags() -> None:
    with pytest.raises(TLVError):
        tlv.encode_tag(0)
    with pytest.raises(TLVError):
        tlv.encode_tag(-5)


@pytest.mark.parametrize("tag", [0x1F, 0x3F, 0x5F81, 0x5F8081])
def test_encode_rejects_malformed_tag_bytes(tag: int) -> None:
    # 0x1F/0x3F announce subsequent tag bytes that are absent; 0x5F81 ends on a byte with b8 = 1 (more).
    with pytest.raises(TLVError):
        tlv.encode(tag, b"")


def test_decode_rejects_padded_tag_number() -> None:
    # ISO/IEC 8825-1 §8.1.2.4.2 c): bits 7-1 of the first subsequent octet shall not all be zero.
    with pytest.raises(TLVError):
        tlv.decode(bytes.fromhex("5F800100"))


# --- property tests -----------------------------------------------------------------------------------


def _valid_tag() -> st.SearchStrategy[int]:
    """Tags as ICAO files use them: one byte (low bits != 11111), or a high-tag-number form."""
    single = st.integers(1, 0xFF).filter(lambda b: b & 0x1F != 0x1F)
    first = st.sampled_from([0x1F, 0x3F, 0x5F, 0x7F, 0x9F, 0xBF, 0xDF, 0xFF])
    two = st.builds(lambda f, b: (f << 8) | b, first, st.integers(0x1F, 0x7F))
    three = st.builds(
        lambda f, b1, b2: (f << 16) | (b1 << 8) | b2, first, st.integers(0x81, 0xFF), st.integers(0x00, 0x7F)
    )
    return st.one_of(single, two, three)


@given(tag=_valid_tag(), value=st.binary(max_size=600))
def test_round_trip_primitive(tag: int, value: bytes) -> None:
    raw = tlv.encode(tag, value)
    obj = tlv.decode(raw)
    assert (obj.tag, obj.value, obj.raw) == (tag, value, raw)
    assert tlv.decode_header(raw)[1] == len(value)


@given(items=st.lists(st.tuples(_valid_tag(), st.binary(max_size=300)), max_size=8))
def test_round_trip_sequence(items: list[tuple[int, bytes]]) -> None:
    raw = b"".join(tlv.encode(t, v) for t, v in items)
    assert [(o.tag, o.value) for o in tlv.decode_all(raw)] == items


@given(children=st.lists(st.tuples(_valid_tag(), st.binary(max_size=200)), max_size=5))
def test_round_trip_nested(children: list[tuple[int, bytes]]) -> None:
    inner = tlv.encode_constructed(0x7F60, *(tlv.encode(t, v) for t, v in children))
    outer = tlv.decode(tlv.encode_constructed(0x7F61, inner))
    assert [(c.tag, c.value) for c in outer.child(0x7F60).children()] == children


@given(length=st.integers(0, 0xFFFFFFFF))
def test_length_round_trip(length: int) -> None:
    enc = tlv.encode_length(length)
    assert tlv.decode_length(enc) == (length, len(enc))


@settings(max_examples=400)
@given(garbage=st.binary(max_size=64))
def test_garbage_raises_only_tlv_error(garbage: bytes) -> None:
    try:
        for obj in tlv.decode_all(garbage):
            if obj.constructed:
                obj.children()
    except TLVError:
        pass


@given(tag=_valid_tag(), value=st.binary(min_size=1, max_size=300), cut=st.integers(1, 400))
def test_truncation_is_detected(tag: int, value: bytes, cut: int) -> None:
    raw = tlv.encode(tag, value)
    cut = min(cut, len(raw) - 1)
    with pytest.raises(TLVError):
        tlv.decode(raw[: len(raw) - cut])

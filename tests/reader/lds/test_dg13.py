"""DG13 personal data (reader/lds/dg13.py): the layout of cccd-chip.md §4."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader import tlv
from reader.lds.cardaccess import encode_integer, encode_oid
from reader.lds.dg13 import DG13Error, parse_dg13, parse_vn_date
from sims.lds_build import DG13Value, build_dg13, dg13_field

RESIDENCE = (
    "Căn hộ số 1205, Tầng 12, Tòa nhà Chung cư Hoàng Quân, Số 357 Đường Nguyễn Văn Cừ nối dài, "
    "Khu vực 4, Phường An Khánh, Quận Ninh Kiều, Thành phố Cần Thơ"
)
FIELDS: dict[int, DG13Value] = {
    1: "079303001234",
    2: "Nguyễn Thị Mai Anh",
    3: "15/06/2003",
    4: "Nữ",
    5: "Việt Nam",
    6: "Kinh",
    7: "Không",
    8: "Phường Phú Hội, Thành phố Huế",
    9: RESIDENCE,
    10: "Nốt ruồi C:1cm trên trước mép trái",
    11: "20/04/2021",
    12: "15/06/2028",
    13: ("Nguyễn Văn Hùng", "Trần Thị Lan"),
    14: None,
}


def _seq(*parts: bytes) -> bytes:
    return tlv.encode_constructed(0x30, *parts)


def _dg13(*items: bytes, wrap_set: bool = True) -> bytes:
    fields = tlv.encode_constructed(0x31, *items) if wrap_set else b"".join(items)
    return tlv.encode(0x6D, _seq(encode_integer(1), encode_oid("1.0.10646.1.0.8"), fields))


def test_layout_bytes() -> None:
    raw = build_dg13(FIELDS)
    assert raw[:2] == b"\x6d\x82"  # 6D 82 LLLL: long form
    body = tlv.decode(raw).value
    assert body[:2] == b"\x30\x82"
    assert bytes.fromhex("020101 060628D316010008") in body
    assert bytes.fromhex("3003 02010E") in body  # empty spouse, exactly as on cards
    assert len(RESIDENCE.encode()) > 127


def test_parse_all_fields() -> None:
    data = parse_dg13(build_dg13(FIELDS))
    assert data.id_number == "079303001234"
    assert data.full_name == "Nguyễn Thị Mai Anh"
    assert (data.date_of_birth, data.sex, data.sex_code) == ("15/06/2003", "Nữ", "F")
    assert (data.nationality, data.ethnicity, data.religion) == ("Việt Nam", "Kinh", "Không")
    assert data.place_of_residence == RESIDENCE
    assert (data.father_name, data.mother_name, data.spouse_name) == ("Nguyễn Văn Hùng", "Trần Thị Lan", None)
    assert data.old_id_number is None and data.field16 is None
    assert data.birth_date() == date(2003, 6, 15) and data.expiry_date() == date(2028, 6, 15)
    assert [f.number for f in data.fields] == list(range(1, 15))
    assert data.version == 1 and data.charset == "1.0.10646.1.0.8"


def test_spouse_old_id_field16_and_unknown_fields() -> None:
    fields: dict[int, DG13Value] = {
        **FIELDS,
        14: ("Hồ Quang Trung",),
        15: "201456789",
        16: "CV21A0000456789B",
        42: tlv.encode(0x04, b"\x01\x02"),
    }
    data = parse_dg13(build_dg13(fields))
    assert data.spouse_name == "Hồ Quang Trung"
    assert data.old_id_number == "201456789" and data.field16 == "CV21A0000456789B"
    (unknown,) = data.unknown
    assert unknown.number == 42 and unknown.raw == dg13_field(42, tlv.encode(0x04, b"\x01\x02"))
    assert data.to_dict()["unknown"] == {"42": unknown.raw.hex()}


def test_flat_parents_and_spouse_and_no_set() -> None:
    parents = _seq(encode_integer(13), tlv.encode(0x0C, b"Cha"), tlv.encode(0x0C, "Mẹ".encode()))
    spouse = _seq(encode_integer(14), tlv.encode(0x0C, "Vợ".encode()))
    for wrap in (True, False):
        data = parse_dg13(_dg13(dg13_field(1, "001204003579"), parents, spouse, wrap_set=wrap))
        assert (data.father_name, data.mother_name, data.spouse_name) == ("Cha", "Mẹ", "Vợ")


def test_no_expiry_text() -> None:
    data = parse_dg13(_dg13(dg13_field(12, "Không thời hạn")))
    assert data.date_of_expiry == "Không thời hạn"
    assert data.expiry_date() is None


def test_text_kept_as_on_chip_and_nfc_copy() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Mai Anh")
    data = parse_dg13(_dg13(dg13_field(2, decomposed), dg13_field(4, unicodedata.normalize("NFD", "Nữ"))))
    assert data.full_name == decomposed
    assert data.nfc().full_name == "Nguyễn Thị Mai Anh" != decomposed
    assert data.sex_code == "F"


def test_to_dict_and_repr() -> None:
    data = parse_dg13(build_dg13(FIELDS))
    out = data.to_dict()
    assert out["full_name"] == "Nguyễn Thị Mai Anh"
    assert "Nguyễn" in json.dumps(out, ensure_ascii=False)
    text = repr(data)
    assert "079303***234" in text
    assert "Nguy" not in text and "079303001234" not in text and "Cần Thơ" not in text
    assert "Nguy" not in repr(data.fields[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/06/2003", date(2003, 6, 15)),
        ("15062003", date(2003, 6, 15)),
        ("31/02/2003", None),
        ("", None),
        (None, None),
        ("Không thời hạn", None),
    ],
)
def test_parse_vn_date(text: str | None, expected: date | None) -> None:
    assert parse_vn_date(text) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes.fromhex("6D00"),
        bytes.fromhex("6E03020101"),  # wrong tag
        tlv.encode(0x6D, _seq(encode_integer(1))),  # no OID
        tlv.encode(0x6D, _seq(encode_oid("1.0.10646.1.0.8"), encode_integer(1))),  # swapped
        _dg13(tlv.encode(0x02, b"\x01")),  # field not a SEQUENCE
        _dg13(_seq(tlv.encode(0x0C, b"x"))),  # field without its number
        _dg13(_seq(encode_integer(2), tlv.encode(0x0C, b"\xff\xfe"))),  # invalid UTF-8
        _dg13(_seq(encode_integer(2), tlv.encode(0x02, b"\x05"))),  # value of unexpected type
        _dg13(dg13_field(1, "1"), dg13_field(1, "2")),  # repeated field
        _dg13(_seq(encode_integer(13), _seq(_seq(_seq(_seq(_seq(tlv.encode(0x0C, b"x")))))))),  # too deep
        _dg13(_seq(tlv.encode(0x02, b""), tlv.encode(0x0C, b"x"))),  # empty INTEGER
        build_dg13(FIELDS)[:-1],  # truncated
    ],
)
def test_malformed(raw: bytes) -> None:
    with pytest.raises(DG13Error):
        parse_dg13(raw)


# --- fields the parser has not seen (the 2024 card may add some: docs/card-2024.md) -------------------


@pytest.mark.parametrize(
    "field",
    [
        _seq(encode_integer(17), tlv.encode(0x02, b"\x05")),  # an INTEGER
        _seq(encode_integer(17), tlv.encode(0x0C, b"\xff\xfe")),  # invalid UTF-8
        _seq(encode_integer(17), tlv.encode(0x80, b"ctx")),  # a context tag
        _seq(encode_integer(99), _seq(_seq(_seq(_seq(_seq(tlv.encode(0x0C, b"x"))))))),  # deeply nested
        _seq(encode_integer(0), tlv.encode(0x0C, b"zero")),  # number 0
        _seq(encode_integer(17)),  # no value at all
        _seq(encode_integer(17), tlv.encode(0x30, b"\x0c\x05ab")),  # a broken inner TLV
    ],
)
def test_an_unseen_field_never_fails_and_is_kept_raw(field: bytes) -> None:
    data = parse_dg13(_dg13(dg13_field(1, "079303001234"), field, field))  # repeated, too
    assert data.id_number == "079303001234"
    assert [f.raw for f in data.unknown] == [field, field]


@given(number=st.integers(min_value=17, max_value=2**31), value=st.binary(max_size=60))
@settings(max_examples=300, deadline=None)
def test_unseen_fields_with_any_content(number: int, value: bytes) -> None:
    field = _seq(encode_integer(number), value)
    data = parse_dg13(_dg13(dg13_field(2, "Tên"), field))
    assert data.full_name == "Tên" and data.unknown[0].number == number and data.unknown[0].raw == field

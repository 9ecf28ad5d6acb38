"""QR payloads of the CCCD (cccd-chip.md §5)."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.keyentry import QRFormatError, from_qr, parse_qr

ID = "079303001234"
SEVEN = f"{ID}|012345678|Nguyễn Thị Mai Anh|15062003|Nữ|1 Phố Mẫu, Hà Nội|10052021"


def test_seven_fields() -> None:
    q = parse_qr(SEVEN)
    assert q.variant == "2021-7"
    assert (q.id_number, q.old_id_number, q.full_name) == (ID, "012345678", "Nguyễn Thị Mai Anh")
    assert (q.birth_date, q.issue_date, q.sex) == (date(2003, 6, 15), date(2021, 5, 10), "F")
    assert q.address == "1 Phố Mẫu, Hà Nội"


def test_seven_fields_empty_old_id() -> None:
    q = parse_qr(f"{ID}||Nguyễn Văn An|01011990|Nam|Huế|02022022")
    assert q.variant == "2021-7" and q.old_id_number is None and q.sex == "M"


def test_six_field_variant() -> None:
    q = parse_qr(f"{ID}|Nguyễn Thị Mai Anh|15062003|Nữ|Hà Nội|10052021")
    assert q.variant == "2021-6" and q.old_id_number is None
    assert q.birth_date == date(2003, 6, 15) and q.issue_date == date(2021, 5, 10)


def test_scanner_bom_and_crlf_bytes() -> None:
    q = parse_qr(b"\xef\xbb\xbf" + SEVEN.encode() + b"\r\n")
    assert q.variant == "2021-7" and q.raw == SEVEN


def test_dates_with_slashes() -> None:
    q = parse_qr(f"{ID}||Nguyễn Thị Mai Anh|15/06/2003|Nữ|Hà Nội|10/05/2021")
    assert q.birth_date == date(2003, 6, 15) and q.issue_date == date(2021, 5, 10)


def test_decomposed_unicode_is_normalised() -> None:
    import unicodedata

    q = parse_qr(unicodedata.normalize("NFD", SEVEN))
    assert q.full_name == "Nguyễn Thị Mai Anh"


def test_unknown_2024_payload_is_parsed_tolerantly() -> None:
    raw = f"{ID}|Nguyễn Thị Mai Anh|Nữ|15062003|XYZ-123|01082024|15062028|extra"
    q = parse_qr(raw)
    assert q.variant == "tolerant" and q.raw == raw
    assert q.birth_date == date(2003, 6, 15)  # the date in the ID's encoded birth year
    assert q.issue_date == date(2024, 8, 1)  # the earliest later date
    assert q.full_name == "Nguyễn Thị Mai Anh" and q.sex == "F"
    keys = from_qr(q, today=date(2026, 1, 1))
    assert keys.expiry_candidates[0] == "280615"


def test_tolerant_without_birth_date_cannot_give_keys() -> None:
    q = parse_qr(f"{ID}|something|else")
    assert q.birth_date is None
    with pytest.raises(ValueError, match="birth date"):
        from_qr(q)


@pytest.mark.parametrize("payload", ["", "\ufeff\r\n", "12345|a|b", "abc", "07930300123X|x"])
def test_not_a_cccd_payload(payload: str) -> None:
    with pytest.raises(QRFormatError):
        parse_qr(payload)


def test_mangled_utf8_is_a_typed_error() -> None:
    with pytest.raises(QRFormatError, match="UTF-8"):
        parse_qr(SEVEN.encode("utf-8")[:-40] + b"\xc3\x28" + b"|10052021")


def test_repr_hides_personal_data() -> None:
    text = repr(parse_qr(SEVEN))
    assert "Nguyễn" not in text and ID not in text and "079303***234" in text

"""MRZ helpers and parsing (reader/lds/mrz.py, dg1.py): ICAO 9303-3 §4.9, 9303-4/5/6, cccd-chip.md §1."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader.lds.dg1 import Check, DG1Error, MRZFormat, cccd_td1_lines, parse_dg1, parse_mrz, td1_lines
from reader.lds.mrz import (
    cccd_can,
    cccd_document_number,
    cccd_expiry,
    check_digit,
    is_valid_check_digit,
    mask_id,
    mrz_information,
    mrz_name_field,
    to_mrz_name,
    yymmdd,
)
from sims.lds_build import build_dg1

# cccd-chip.md §1: synthetic example, all check digits valid.
CCCD_EXAMPLE = (
    "IDVNM3030012342079303001234<<2",
    "0306159F2806158VNM<<<<<<<<<<<2",
    "NGUYEN<<THI<MAI<ANH<<<<<<<<<<<",
)
# ICAO 9303-5 §4.2 specimen (TD1), 9303-4 Appendix A specimen (TD3), 9303-6 specimen (TD2).
ICAO_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
ICAO_TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
ICAO_TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
# ICAO 9303-5 example of a document number longer than 9 characters (overflow into optional data).
ICAO_TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("L898902C<", "3"),
        ("690806", "1"),
        ("940623", "6"),
        ("D23145890", "7"),
        ("079303001234", "2"),
        ("<<<<<<", "0"),
        ("AZ09<", "8"),
    ],
)
def test_check_digit(field: str, digit: str) -> None:
    assert check_digit(field) == digit
    assert is_valid_check_digit(field, digit)
    assert not is_valid_check_digit(field, "<")


def test_bac_mrz_information_vector(vectors: dict[str, Any]) -> None:
    v = vectors["bac_appendix_d"]
    assert (
        mrz_information(v["document_number"], v["date_of_birth"], v["date_of_expiry"]) == v["mrz_information"]
    )
    assert v["mrz_information"] == "L898902C<369080619406236"


def test_cccd_example() -> None:
    mrz = parse_mrz("\n".join(CCCD_EXAMPLE))
    assert mrz.format is MRZFormat.TD1
    assert mrz.valid and mrz.failed_checks == ()
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("ID", "VNM", "VNM")
    assert mrz.document_number == "303001234" == cccd_document_number("079303001234")
    assert mrz.personal_id == "079303001234"
    assert mrz.optional_data == "079303001234<<2"
    assert (mrz.date_of_birth, mrz.sex, mrz.date_of_expiry) == ("030615", "F", "280615")
    assert (mrz.surname, mrz.given_names) == ("NGUYEN", "THI MAI ANH")
    assert mrz.lines == CCCD_EXAMPLE
    assert mrz.mrz_information == "303001234" + "2" + "030615" + "9" + "280615" + "8"
    assert cccd_can(mrz.personal_id) == "001234"


def test_cccd_lines_are_recomposed_exactly() -> None:
    name = mrz_name_field("Nguyễn", "Thị Mai Anh", 30)
    assert cccd_td1_lines("079303001234", "030615", "F", "280615", name) == CCCD_EXAMPLE


@pytest.mark.parametrize("lines", [ICAO_TD1, ICAO_TD2, ICAO_TD3, ICAO_TD1_LONG])
def test_icao_specimens(lines: tuple[str, ...]) -> None:
    mrz = parse_mrz("".join(lines))
    assert mrz.valid, mrz.failed_checks
    assert mrz.lines == lines
    assert mrz.personal_id is None


def test_icao_specimen_fields() -> None:
    td3 = parse_mrz("\n".join(ICAO_TD3))
    assert (td3.document_number, td3.optional_data, td3.date_of_birth, td3.date_of_expiry) == (
        "L898902C3",
        "ZE184226B",
        "740812",
        "120415",
    )
    assert td3.name == "ERIKSSON ANNA MARIA"
    long = parse_mrz("".join(ICAO_TD1_LONG))
    assert long.document_number == "D23145890734"
    assert long.optional_data == ""
    assert td1_lines("I", "UTO", "D23145890734", "", "340712", "M", "950712", "UTO", ICAO_TD1_LONG[2]) == (
        ICAO_TD1_LONG
    )


@pytest.mark.parametrize(
    ("line", "pos", "check"),
    [
        (0, 14, Check.DOCUMENT_NUMBER),
        (1, 6, Check.DATE_OF_BIRTH),
        (1, 14, Check.DATE_OF_EXPIRY),
        (1, 29, Check.COMPOSITE),
        (0, 29, Check.PERSONAL_ID),
    ],
)
def test_each_failed_check_is_reported(line: int, pos: int, check: Check) -> None:
    lines = list(CCCD_EXAMPLE)
    wrong = str((int(lines[line][pos]) + 1) % 10)
    lines[line] = lines[line][:pos] + wrong + lines[line][pos + 1 :]
    mrz = parse_mrz("".join(lines))
    assert check in mrz.failed_checks
    assert not mrz.valid


def test_changed_data_breaks_checks() -> None:
    lines = list(CCCD_EXAMPLE)
    lines[1] = "0306169" + lines[1][7:]  # birth date 030616 with the old check digit 9
    failed = parse_mrz("".join(lines)).failed_checks
    assert Check.DATE_OF_BIRTH in failed and Check.COMPOSITE in failed


def test_td3_personal_number_filler() -> None:
    # ICAO 9303-4 §4.2.2: an unused personal number may carry '<' as its check digit.
    body = "L898902C36UTO7408122F1204159" + "<" * 15
    line2 = body + check_digit(body[0:10] + body[13:20] + body[21:43])
    mrz = parse_mrz(ICAO_TD3[0] + line2)
    assert mrz.valid
    assert mrz.optional_data == ""


@pytest.mark.parametrize(
    "text", ["", "IDVNM", "x" * 90, "IDVNM303001234207930300123a<<2" + "<" * 60, "é" * 88]
)
def test_malformed_mrz(text: str) -> None:
    with pytest.raises(DG1Error):
        parse_mrz(text)


def test_dg1_round_trip_and_repr() -> None:
    mrz = parse_dg1(build_dg1(CCCD_EXAMPLE))
    assert mrz.lines == CCCD_EXAMPLE
    text = repr(mrz)
    assert "NGUYEN" not in text and "079303" not in text and "303001234" not in text
    assert mrz.masked_id == mask_id("079303001234") == "079303***234"


@pytest.mark.parametrize(
    "raw", ["", "61", "6103 5F1F01", "6203 5F1F0141", "6104 5F1E0141", "6106 5F1F03 41FF42"]
)
def test_malformed_dg1(raw: str) -> None:
    with pytest.raises(DG1Error):
        parse_dg1(bytes.fromhex(raw))


def test_transliteration() -> None:
    assert to_mrz_name("Nguyễn Thị Mai Anh") == "NGUYEN<THI<MAI<ANH"
    assert to_mrz_name("Đặng Hữu Phước") == "DANG<HUU<PHUOC"
    assert to_mrz_name("  Lê  Văn-Tám ") == "LE<VAN<TAM"
    assert mrz_name_field("Trần", "", 30) == "TRAN" + "<" * 26
    assert len(mrz_name_field("A" * 20, "B" * 20, 30)) == 30


@pytest.mark.parametrize(
    ("born", "issued", "expiry"),
    [
        (date(2003, 6, 15), date(2021, 4, 20), date(2028, 6, 15)),  # age 17 -> 25
        (date(2000, 1, 10), date(2023, 1, 9), date(2025, 1, 10)),  # 22 (day before 23rd birthday) -> 25
        (date(2000, 1, 10), date(2023, 1, 10), date(2040, 1, 10)),  # 23 -> 40 (2-year rule)
        (date(1985, 5, 5), date(2021, 7, 1), date(2025, 5, 5)),  # 36 -> 40
        (date(1983, 5, 5), date(2021, 7, 1), date(2043, 5, 5)),  # 38 -> 60
        (date(1964, 5, 5), date(2021, 7, 1), date(2024, 5, 5)),  # 57 -> 60
        (date(1963, 5, 5), date(2021, 7, 1), None),  # 58 -> never
        (date(2000, 2, 29), date(2021, 3, 1), date(2025, 2, 28)),  # 29 February, non-leap milestone
    ],
)
def test_cccd_expiry(born: date, issued: date, expiry: date | None) -> None:
    assert cccd_expiry(born, issued) == expiry


def test_cccd_expiry_2023_law_and_mrz_form() -> None:
    assert cccd_expiry(date(2015, 3, 1), date(2024, 8, 1), law_2023=True) == date(2029, 3, 1)  # 9 -> 14
    assert cccd_expiry(date(2011, 3, 1), date(2024, 8, 1), law_2023=True) == date(2036, 3, 1)  # 13 -> 25
    assert cccd_expiry(date(2015, 3, 1), date(2024, 7, 1)) == date(2029, 3, 1)  # law inferred from issue
    assert cccd_expiry(date(2015, 3, 1), date(2024, 6, 30)) == date(2040, 3, 1)  # 2014 law: 9 -> 25
    assert cccd_expiry(date(2015, 3, 1), date(2024, 8, 1), law_2023=False) == date(2040, 3, 1)
    assert yymmdd(None) == "991231"
    assert yymmdd(date(2028, 6, 15)) == "280615"


@given(
    id_serial=st.integers(0, 999999),
    year=st.integers(1920, 2030),
    sex=st.sampled_from("MF"),
    expiry=st.dates(date(2020, 1, 1), date(2099, 12, 31)),
    surname=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10),
)
def test_cccd_lines_always_parse_valid(
    id_serial: int, year: int, sex: str, expiry: date, surname: str
) -> None:
    gender = (year // 100 - 19) * 2 + (sex == "F")
    id_number = f"079{gender}{year % 100:02d}{id_serial:06d}"
    lines = cccd_td1_lines(
        id_number, f"{year % 100:02d}0101", sex, yymmdd(expiry), mrz_name_field(surname, "X", 30)
    )
    mrz = parse_mrz("".join(lines))
    assert mrz.valid
    assert mrz.personal_id == id_number
    assert mrz.document_number == id_number[3:]


@given(born=st.dates(date(1930, 1, 1), date(2024, 6, 1)), days=st.integers(0, 365 * 95))
def test_cccd_expiry_agrees_with_key_entry_milestones(born: date, days: int) -> None:
    """The same rule lives in kiosk.keyentry.expiry (BAC candidates): both must agree."""
    from datetime import timedelta

    from kiosk.keyentry.expiry import birthday_in, milestone_for_issue

    issued = born + timedelta(days=days)
    milestone = milestone_for_issue(born, issued)
    expected = None if milestone is None else birthday_in(born, born.year + milestone)[0]
    assert cccd_expiry(born, issued) == expected

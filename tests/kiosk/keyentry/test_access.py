"""BAC/CAN inputs: expiry milestones (cccd-chip.md §2), typed ID + birth date, tolerant MRZ."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.keyentry import (
    NEVER_EXPIRES,
    InvalidDateError,
    InvalidIDError,
    MRZFormatError,
    expiry_candidates,
    from_id_and_birth,
    from_mrz,
    milestone_for_issue,
)
from reader.lds.mrz import mrz_information

MRZ = "IDVNM3030012342079303001234<<2\n0306159F2806158VNM<<<<<<<<<<<2\nNGUYEN<<THI<MAI<ANH<<<<<<<<<<<"
TODAY = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("birth", "issue", "expected"),
    [
        (date(2003, 6, 15), date(2021, 5, 10), "280615"),  # 17 → 25
        (date(1999, 6, 1), date(2021, 5, 10), "240601"),  # 21 → 25
        (date(1998, 1, 1), date(2021, 5, 10), "380101"),  # 23 → 40: the 2-year rule
        (date(1990, 5, 5), date(2021, 5, 10), "300505"),  # 31 → 40
        (date(1983, 2, 2), date(2021, 5, 10), "430202"),  # 38 → 60: the 2-year rule
        (date(1970, 7, 7), date(2021, 5, 10), "300707"),  # 50 → 60
        (date(1962, 12, 1), date(2021, 5, 10), NEVER_EXPIRES),  # 58 → never
        (date(1940, 1, 1), date(2022, 1, 1), NEVER_EXPIRES),
        (date(2015, 3, 3), date(2024, 8, 1), "290303"),  # 2023 law, 9 → 14
        (date(2011, 3, 3), date(2024, 8, 1), "360303"),  # 2023 law, 13 → 25
        (date(2015, 3, 3), date(2024, 6, 30), "400303"),  # 2014 law (before 1/7/2024), 9 → 25
    ],
)
def test_milestone_table(birth: date, issue: date, expected: str) -> None:
    assert expiry_candidates(birth, issue, today=TODAY)[0] == expected


def test_boundary_is_on_the_birthday() -> None:
    birth = date(1998, 6, 1)
    assert milestone_for_issue(birth, date(2021, 5, 31)) == 25  # 22 the day before the birthday
    assert milestone_for_issue(birth, date(2021, 6, 1)) == 40  # 23 on it


def test_29_february_tries_28_february_then_1_march() -> None:
    assert expiry_candidates(date(2004, 2, 29), date(2021, 5, 1), today=TODAY)[:2] == ("290228", "290301")
    assert expiry_candidates(date(2000, 2, 29), date(2024, 3, 1), today=TODAY)[0] == "400229"  # 2040 leap


def test_without_issue_date_valid_cards_first_nearest_first() -> None:
    # born 1999-06-01: a 2021 card (age 21) expired in 2024; one issued from age 23 runs to 40
    assert expiry_candidates(date(1999, 6, 1), today=TODAY) == ("390601", "240601")
    # born 1966: 2021 card (54) → 60 in 2026; issued at ≥ 58 (from 2024) → 991231
    assert expiry_candidates(date(1966, 9, 9), today=TODAY) == ("260909", NEVER_EXPIRES)
    # a child under the 2023 law: 14 first (valid, nearest), then 25
    assert expiry_candidates(date(2015, 5, 5), today=TODAY) == ("290505", "400505")


def test_with_issue_date_other_candidates_follow() -> None:
    c = expiry_candidates(date(1999, 6, 1), date(2021, 5, 10), today=TODAY)
    assert c[0] == "240601" and "390601" in c and len(set(c)) == len(c)


def test_bad_dates() -> None:
    with pytest.raises(InvalidDateError):
        expiry_candidates(date(2030, 1, 1), today=TODAY)
    with pytest.raises(InvalidDateError):
        expiry_candidates(date(2000, 1, 1), date(1999, 1, 1), today=TODAY)
    with pytest.raises(InvalidDateError):
        from_id_and_birth("079303001234", "31/02/2003")


def test_typed_id_and_birth() -> None:
    k = from_id_and_birth("079 303 001 234", "15/06/2003", "10052021", today=TODAY)
    assert (k.document_number, k.can, k.date_of_birth) == ("303001234", "001234", "030615")
    assert k.expiry_candidates[0] == "280615"
    assert k.bac_key_seeds()[0] == mrz_information("303001234", "030615", "280615")
    assert "001234" not in repr(k) and "030615" not in repr(k)


def test_id_contradicting_birth_year() -> None:
    with pytest.raises(InvalidIDError):
        from_id_and_birth("079303001234", date(1993, 6, 15))  # century digit 3 means 2000s
    with pytest.raises(InvalidIDError):
        from_id_and_birth("07930300123", date(2003, 6, 15))


def test_mrz_gives_the_exact_key_and_matches_the_derived_one() -> None:
    k = from_mrz(MRZ)
    assert k.expiry_candidates == ("280615",) and k.can == "001234" and k.id_number == "079303001234"
    typed = from_id_and_birth("079303001234", date(2003, 6, 15), date(2021, 5, 10), today=TODAY)
    assert k.bac_key_seeds()[0] == typed.bac_key_seeds()[0]


@pytest.mark.parametrize(
    "text",
    [
        MRZ.lower(),
        MRZ.replace("\n", " "),
        " ".join(MRZ[i : i + 5] for i in range(0, len(MRZ), 5)).replace("\n", ""),
        MRZ.replace("3030012342", "3O3OO12342").replace("0306159", "O3O6159"),  # OCR O for 0
        MRZ.replace("<<2\n0306", "««2\n0306"),
        "\n".join(MRZ.splitlines()[:2]),  # the name line is not needed
    ],
)
def test_mrz_normaliser(text: str) -> None:
    assert from_mrz(text).bac_key_seeds() == from_mrz(MRZ).bac_key_seeds()


@pytest.mark.parametrize(
    "text",
    [
        MRZ.replace("0306159", "0306169"),  # birth date check digit
        MRZ.replace("2806158", "2806168"),  # expiry check digit
        MRZ.replace("3030012342", "3030012352"),  # document number
        MRZ[:-40],  # too short
        "hello",
    ],
)
def test_mrz_errors(text: str) -> None:
    with pytest.raises(MRZFormatError):
        from_mrz(text)

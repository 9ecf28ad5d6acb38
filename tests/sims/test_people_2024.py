"""The 2024 card ("thẻ căn cước") in the simulated profiles: model, expiry of children's cards (the
14th-birthday milestone), DG13 as the guessed 2024 layout, and the reader keeping its unknown fields raw."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from reader.lds.dg13 import parse_dg13
from sims.lds_build import build_dg13
from sims.people import DG13_2024_OPAQUE, ProfileError, load_profile


def test_models() -> None:
    assert load_profile("default").model == "2021"
    adult, child = load_profile("card2024_adult"), load_profile("card2024_child")
    assert adult.model == child.model == "2024"
    card = adult.printed_card()
    assert (card["card_model"], card["qr_side"], card["chip_side"]) == ("2024", "back", "back")
    assert load_profile("default").printed_card()["qr_side"] == "front"


def test_child_card_expires_at_14() -> None:
    child = load_profile("card2024_child")
    assert child.date_of_issue.year - child.date_of_birth.year - 1 == 8  # before the September birthday
    assert child.date_of_expiry == date(2030, 9, 10)  # the 14th birthday
    assert child.mrz_expiry_date == "300910" and child.mrz_lines[1][8:14] == "300910"
    assert child.dg13_fields()[12] == "10/09/2030"
    # issued at 12 or 13 (within 2 years of 14): valid to 25; the 2021 law had no 14 milestone
    teen = replace(child, date_of_issue=date(2029, 3, 1))
    assert teen.date_of_expiry == date(2041, 9, 10)
    assert replace(child, date_of_issue=date(2028, 9, 9)).date_of_expiry == date(2030, 9, 10)  # age 11
    assert replace(child, date_of_issue=date(2028, 9, 10)).date_of_expiry == date(2041, 9, 10)  # age 12


def test_model_and_issue_date_must_agree() -> None:
    child = load_profile("card2024_child")
    with pytest.raises(ProfileError, match="issued from"):
        replace(child, date_of_issue=date(2024, 6, 30))
    with pytest.raises(ProfileError, match="no 2021 CCCD"):
        replace(child, card_model="2021")
    with pytest.raises(ProfileError, match="card_model"):
        replace(child, card_model="2030")


def test_dg13_of_the_2024_card_parses_with_unknown_fields_kept_raw() -> None:
    adult = load_profile("card2024_adult")
    fields = adult.dg13_fields()
    assert 10 not in fields and fields[8] == adult.place_of_birth_registration
    data = parse_dg13(build_dg13(fields))
    assert data.id_number == adult.id_number and data.full_name == "Lê Văn Thành"
    assert data.place_of_origin == adult.place_of_birth_registration  # field 8's meaning changed (guessed)
    assert data.place_of_residence == adult.place_of_residence and data.identifying_marks is None
    assert data.expiry_date() == date(2030, 2, 11)
    unknown = {f.number: f for f in data.unknown}
    assert sorted(unknown) == [17, 18]
    assert unknown[17].texts == ("Bộ Công an",)
    assert unknown[18].texts == () and unknown[18].raw.endswith(DG13_2024_OPAQUE)
    assert set(data.to_dict()["unknown"]) == {"17", "18"}


def test_card_for_under_6s_has_no_photo_on_the_chip() -> None:
    from sims.personalize import card_image

    infant = load_profile("card2024_infant")
    assert infant.date_of_expiry == date(2036, 5, 4)  # issued at 3: the 14th birthday
    image = card_image("card2024_infant")
    assert "DG2" not in image.lds_files and "DG13" in image.lds_files
    data = parse_dg13(image.lds_files["DG13"])
    assert data.place_of_origin == infant.place_of_birth_registration and data.full_name == "Trần Ngọc Hân"


@pytest.mark.parametrize("name", ["card2024_adult", "card2024_child", "card2024_infant"])
def test_key_entry_finds_the_2024_expiry(name: str) -> None:
    """Without the MRZ the kiosk tries the milestone expiries (kiosk.keyentry): the 2024 card's is among
    them — first when the issue date is known (from the QR), otherwise among the few candidates."""
    from kiosk.keyentry import expiry_candidates

    p = load_profile(name)
    today = date(2026, 12, 4)
    assert expiry_candidates(p.date_of_birth, p.date_of_issue, today=today)[0] == p.mrz_expiry_date
    blind = expiry_candidates(p.date_of_birth, today=today)
    assert p.mrz_expiry_date in blind and len(blind) <= 4

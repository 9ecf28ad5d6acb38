"""Synthetic citizens (sims/people.py): ID structure, expiry rule, MRZ, CAN, QR (cccd-chip.md §1, §2, §5)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from reader.lds.dg1 import parse_mrz
from reader.lds.mrz import cccd_expiry
from sims.people import (
    DEFAULT_FACES,
    FACE_HEIGHT,
    FACE_MAX_BYTES,
    FACE_MIN_BYTES,
    FACE_WIDTH,
    FACES_DIR,
    Profile,
    ProfileError,
    face_jpeg,
    list_profiles,
    load_profile,
    profile_from_toml,
)

CCCD_EXAMPLE = (
    "IDVNM3030012342079303001234<<2",
    "0306159F2806158VNM<<<<<<<<<<<2",
    "NGUYEN<<THI<MAI<ANH<<<<<<<<<<<",
)


@pytest.fixture(params=list_profiles())
def profile(request: pytest.FixtureRequest) -> Profile:
    return load_profile(request.param)


def test_ready_profiles() -> None:
    names = list_profiles()
    assert {"default", "elderly", "long_address", "young_man"} <= set(names)
    assert len(names) >= 4


def test_default_is_the_documented_mrz_example() -> None:
    p = load_profile("default")
    assert p.mrz_lines == CCCD_EXAMPLE
    assert (p.can, p.document_number) == ("001234", "303001234")
    assert p.sex == "F" and p.full_name == "Nguyễn Thị Mai Anh"


def test_id_consistent_with_birth_and_sex(profile: Profile) -> None:
    g = int(profile.id_number[3])
    assert 1900 + 100 * (g // 2) == profile.date_of_birth.year // 100 * 100
    assert profile.id_number[4:6] == f"{profile.date_of_birth.year % 100:02d}"
    assert (g % 2 == 1) == (profile.sex == "F")


def test_mrz_valid_and_consistent(profile: Profile) -> None:
    mrz = parse_mrz("".join(profile.mrz_lines))
    assert mrz.valid
    assert mrz.personal_id == profile.id_number
    assert mrz.document_number == profile.id_number[3:]
    assert mrz.date_of_birth == profile.date_of_birth.strftime("%y%m%d")
    assert all(len(line) == 30 for line in profile.mrz_lines)
    assert profile.can == profile.id_number[-6:]


def test_expiry_follows_milestones(profile: Profile) -> None:
    assert profile.date_of_expiry == cccd_expiry(profile.date_of_birth, profile.date_of_issue)


def test_elderly_never_expires() -> None:
    p = load_profile("elderly")
    assert p.date_of_issue.year - p.date_of_birth.year >= 58
    assert p.date_of_expiry is None
    assert p.mrz_expiry_date == "991231" and p.mrz_lines[1][8:14] == "991231"
    assert p.dg13_fields()[12] == "Không thời hạn" == p.printed_card()["date_of_expiry"]


def test_young_man_born_in_the_2000s() -> None:
    p = load_profile("young_man")
    assert p.id_number[3] == "2" and p.sex == "M" and p.date_of_birth.year >= 2000


def test_long_address() -> None:
    assert len(load_profile("long_address").place_of_residence.encode("utf-8")) > 127


def test_qr_payload(profile: Profile) -> None:
    fields = profile.qr_payload.split("|")
    assert len(fields) == 7
    assert fields[0] == profile.id_number
    assert fields[1] == (profile.old_id_number or "")
    assert fields[2] == profile.full_name
    assert fields[3] == profile.date_of_birth.strftime("%d%m%Y")
    assert fields[4] in ("Nam", "Nữ")
    assert fields[5] == profile.place_of_residence
    assert fields[6] == profile.date_of_issue.strftime("%d%m%Y")


def test_printed_card(profile: Profile) -> None:
    card = profile.printed_card()
    for key in (
        "id_number",
        "full_name",
        "date_of_birth",
        "date_of_expiry",
        "can",
        "mrz",
        "qr_payload",
        "mrz_birth_date",
        "mrz_expiry_date",
    ):
        assert key in card
    assert card["mrz"] == list(profile.mrz_lines)


def test_repr_masks(profile: Profile) -> None:
    text = repr(profile)
    assert profile.id_number not in text and profile.full_name not in text
    assert profile.id_number[:6] + "***" in text


def test_face_photo(profile: Profile) -> None:
    jpeg = profile.face_jpeg()
    assert FACE_MIN_BYTES <= len(jpeg) <= FACE_MAX_BYTES
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.size == (FACE_WIDTH, FACE_HEIGHT)


def test_faces_ship_with_the_package() -> None:
    """Every ready profile's portrait is a photo inside the package (sims/data/faces), never outside the
    repository; a profile naming a photo that is not there is refused (no drawn stand-in)."""
    sims_dir = FACES_DIR.parents[1]
    assert (FACES_DIR / "SOURCES.md").is_file()
    for name in list_profiles():
        path = load_profile(name).face_path()
        assert path.is_file() and path.resolve().is_relative_to(sims_dir), name
    p = load_profile("default")
    assert face_jpeg(p.face_path()) == p.face_jpeg()  # deterministic
    with pytest.raises(ProfileError):
        replace(p, face="no/such.jpg")


def test_profile_without_face_gets_a_shipped_portrait() -> None:
    p = replace(load_profile("default"), face=None, face_crop=None)
    assert p.face_path().relative_to(FACES_DIR).as_posix() in DEFAULT_FACES
    assert p.face_path() == replace(p).face_path()  # chosen by the ID number: stable
    assert FACE_MIN_BYTES <= len(p.face_jpeg()) <= FACE_MAX_BYTES


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"id_number": "07930300123"}, "11 digits"),
        ({"id_number": "079203001234"}, "gender digit says male"),
        ({"id_number": "079104001234"}, "century says 1900s"),
        ({"id_number": "079304001234"}, "year digits"),
        ({"sex": "X"}, "sex"),
        ({"date_of_issue": date(2000, 1, 1)}, "issued before birth"),
        ({"old_id_number": "12ab"}, "CMND"),
        ({"aa_key_type": "DSA"}, "AA key type"),
        ({"access_protocols": ("PACE-PIN",)}, "protocol"),
    ],
)
def test_inconsistent_profiles_rejected(change: dict[str, object], why: str) -> None:
    with pytest.raises(ProfileError):
        replace(load_profile("default"), **change)  # type: ignore[arg-type]


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'description = "test"\nid_number = "001204003579"\nfull_name = "Đặng Minh Khôi"\n'
        'date_of_birth = 2004-11-23\nsex = "M"\ndate_of_issue = 2022-01-15\n'
        '[card]\nselect_mf_quirk = true\naccess_protocols = ["BAC"]\naa_key_type = "EC"\n',
        encoding="utf-8",
    )
    p = profile_from_toml(path)
    assert p.name == "mine" and p.select_mf_quirk and p.access_protocols == ("BAC",) and p.aa_key_type == "EC"
    assert load_profile(str(path)) == p
    assert p.date_of_expiry == date(2029, 11, 23)


def test_toml_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\nunknown_key = 1\n', encoding="utf-8")
    with pytest.raises(ProfileError):
        profile_from_toml(bad)
    bad.write_text('description = "x"\n', encoding="utf-8")
    with pytest.raises(ProfileError):
        profile_from_toml(bad)
    bad.write_text("not toml = = =", encoding="utf-8")
    with pytest.raises(ProfileError):
        profile_from_toml(bad)
    with pytest.raises(KeyError):
        load_profile("nobody")


def test_face_crop(tmp_path: Path) -> None:
    base = 'description = "t"\nid_number = "001204003579"\nfull_name = "A B"\nsex = "M"\n'
    base += "date_of_birth = 2004-11-23\ndate_of_issue = 2022-01-15\n"
    path = tmp_path / "crop.toml"
    path.write_text(base + "face_crop = [0.1, 0, 0.9, 0.5]\n", encoding="utf-8")
    assert profile_from_toml(path).face_crop == (0.1, 0.0, 0.9, 0.5)
    for bad in ("[0.5, 0, 0.4, 1]", "[0, 0, 1, 2]", '["a", 0, 1, 1]', "[0, 0, 1]"):
        path.write_text(base + f"face_crop = {bad}\n", encoding="utf-8")
        with pytest.raises(ProfileError):
            profile_from_toml(path)
    young = load_profile("young_man")
    assert young.face_crop is not None
    assert young.face_jpeg() != face_jpeg(young.face_path())


def test_card_behaviour_defaults() -> None:
    p = load_profile("default")
    assert p.select_mf_quirk is False
    assert set(p.access_protocols) == {"PACE-CAN", "BAC"}
    assert p.aa_key_type in ("RSA", "EC")
    assert load_profile("elderly").select_mf_quirk is True

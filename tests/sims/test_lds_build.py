"""Card-side LDS builders (sims/lds_build.py) against the reader's parsers, for every ready profile."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader import tlv
from reader.lds import parse_data_group
from reader.lds.cardaccess import parse_card_access
from reader.lds.com import parse_com
from reader.lds.dg1 import parse_dg1
from reader.lds.dg2 import ImageFormat, parse_dg2
from reader.lds.dg13 import parse_dg13
from reader.lds.dg14 import parse_dg14
from reader.lds.dg15 import parse_dg15
from sims.lds_build import (
    build_card_access,
    build_dg1,
    build_dg2,
    build_dg13,
    build_dg14,
    build_dg15,
    build_ef_com,
    pace_info,
)
from sims.people import FACE_HEIGHT, FACE_WIDTH, Profile, list_profiles, load_profile

# cccd-chip.md §3, byte for byte.
CCCD_CARD_ACCESS = bytes.fromhex(
    "3134300D060804007F0007020202020101300F060A04007F00070202030202020101"
    "3012060A04007F0007020204020202010202010D"
)
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
DER = serialization.Encoding.DER


@pytest.fixture(params=list_profiles())
def profile(request: pytest.FixtureRequest) -> Profile:
    return load_profile(request.param)


def test_card_access_is_exactly_the_documented_bytes() -> None:
    assert build_card_access() == CCCD_CARD_ACCESS
    assert len(build_card_access()) == 54
    assert parse_card_access(build_card_access()).pace_infos[0].parameter_id == 13


def test_card_access_other_infos() -> None:
    raw = build_card_access(pace_info("0.4.0.127.0.7.2.2.4.6.4", parameter_id=17))
    (info,) = parse_card_access(raw).pace_infos
    assert tuple(info.pace)[:2] == ("ECDH", "CAM") and info.parameter_id == 17


def test_ef_com() -> None:
    com = parse_com(build_ef_com([1, 2, 3, 13, 14, 15]))
    assert com.data_groups == (1, 2, 3, 13, 14, 15)
    assert (com.lds_version, com.unicode_version) == ("0107", "040000")


def test_dg1_round_trip(profile: Profile) -> None:
    mrz = parse_dg1(build_dg1(profile.mrz_lines))
    assert mrz.valid
    assert mrz.lines == profile.mrz_lines
    assert mrz.personal_id == profile.id_number
    assert mrz.document_number == profile.document_number
    assert (mrz.date_of_birth, mrz.date_of_expiry, mrz.sex) == (
        profile.mrz_birth_date,
        profile.mrz_expiry_date,
        profile.sex,
    )


def test_dg13_round_trip(profile: Profile) -> None:
    raw = build_dg13(profile.dg13_fields())
    data = parse_dg13(raw)
    assert data.id_number == profile.id_number
    assert data.full_name == profile.full_name
    assert data.birth_date() == profile.date_of_birth
    assert data.sex_code == profile.sex
    assert data.place_of_residence == profile.place_of_residence
    assert (data.father_name, data.mother_name) == (profile.father_name, profile.mother_name)
    assert data.spouse_name == profile.spouse_name
    assert data.old_id_number == profile.old_id_number
    assert data.field16 == profile.card_serial
    assert data.expiry_date() == profile.date_of_expiry
    assert data.date_of_expiry == profile.expiry_text
    if profile.model == "2021":
        assert data.unknown == ()
    else:  # the 2024 card's extra fields, kept raw (docs/card-2024.md)
        assert sorted(f.number for f in data.unknown) == [17, 18]


def test_dg13_long_address_needs_long_form() -> None:
    profile = load_profile("long_address")
    assert len(profile.place_of_residence.encode("utf-8")) > 127
    raw = build_dg13(profile.dg13_fields())
    field9 = next(f for f in parse_dg13(raw).fields if f.number == 9)
    value = tlv.decode(field9.raw).children()[1]
    assert value.raw[1] == 0x81  # UTF8String with a long-form length
    assert parse_dg13(raw).place_of_residence == profile.place_of_residence


def test_dg2_round_trip(profile: Profile) -> None:
    jpeg = profile.face_jpeg()
    (face,) = parse_dg2(build_dg2(jpeg, FACE_WIDTH, FACE_HEIGHT, gender=profile.sex)).images
    assert face.image == jpeg
    assert face.image_format is ImageFormat.JPEG
    assert (face.width, face.height) == (FACE_WIDTH, FACE_HEIGHT) == (face.record_width, face.record_height)
    assert face.gender == (1 if profile.sex == "M" else 2)


def test_dg14_dg15() -> None:
    ca_key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key().public_bytes(DER, SPKI)
    infos = parse_dg14(build_dg14(ca_key, key_id=7))
    (key,) = infos.ca_public_keys
    assert key.subject_public_key_info == ca_key and key.key_id == 7
    assert infos.ca_infos[0].key_id == 7
    aa_key = rsa.generate_private_key(65537, 1024).public_key().public_bytes(DER, SPKI)
    assert parse_dg15(build_dg15(aa_key)).spki == aa_key
    assert parse_data_group(15, build_dg15(ca_key)).key_type == "EC"  # type: ignore[union-attr]

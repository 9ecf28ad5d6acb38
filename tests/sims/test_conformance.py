"""The simulated CCCD conforms where ICAO requires it (issue 12): PACE with the MRZ password, and an EC
Active Authentication key with its ActiveAuthenticationInfo in DG14 (ICAO 9303-11 §4.4.1, §9.2.4) — and the
reader uses the declared algorithm, and reports a chip that omits it."""

from __future__ import annotations

import pytest

from reader.access.control import AccessMode
from reader.engine import ChipReader, ReadRequest
from reader.findings import AA_INFO_MISSING
from reader.lds.dg14 import parse_dg14
from reader.pki.trust import CSCAStore
from reader.report import AntiCloneMethod, ProofResult, Verdict
from reader.transports import CallableTransport
from sims import lds_build
from sims.people import list_profiles
from sims.personalize import ECDSA_PLAIN_SHA256, CardImage, card_image
from tests.helpers.chip import expected_verdict


def _store(image: CardImage) -> CSCAStore:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_accepts_pace_with_the_mrz_password(name: str) -> None:
    image = card_image(name)
    if "EF.CardAccess" not in image.mf_files:
        pytest.skip("this profile offers no PACE")
    request = ReadRequest(bac_key=image.bac_key, access=AccessMode.PACE, trust=_store(image))  # no CAN
    result = ChipReader(CallableTransport(image.new_card().execute)).read(request)
    assert result.access.method == "PACE" and "MRZ" in (result.access.protocol or "")
    assert (result.verdict, result.reasons) == expected_verdict(image.lds_files)


def test_a_chip_refusing_the_mrz_password_falls_back_to_bac_with_the_downgrade_recorded() -> None:
    image = card_image("default")
    card = image.new_card(applets=image.security_applets(pace_mrz=False))
    result = ChipReader(CallableTransport(card.execute)).read(ReadRequest(bac_key=image.bac_key))
    assert result.access.method == "BAC" and result.access.downgraded
    assert (result.access.downgrade_reason or "").startswith("MSE_REFUSED_")


@pytest.mark.parametrize("name", [n for n in list_profiles() if card_image(n).profile.aa_key_type == "EC"])
def test_ec_active_authentication_keys_are_declared_in_dg14(name: str) -> None:
    image = card_image(name)
    infos = parse_dg14(image.lds_files["DG14"])
    assert [i.signature_algorithm for i in infos.aa_infos] == [ECDSA_PLAIN_SHA256]
    result = ChipReader(CallableTransport(image.new_card().execute)).read(
        ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_store(image))
    )
    assert (result.verdict, result.reasons) == expected_verdict(image.lds_files)
    assert AA_INFO_MISSING not in [f.code for f in result.findings]
    aa = result.evidence["aa"]
    assert aa["signature_algorithm"] == ECDSA_PLAIN_SHA256 and aa["hash"] == "sha256"


def test_rsa_profiles_declare_no_active_authentication_info() -> None:
    image = card_image("default")
    assert image.profile.aa_key_type == "RSA"
    assert parse_dg14(image.lds_files["DG14"]).aa_infos == ()


def test_a_chip_omitting_the_declaration_is_reported() -> None:
    """DG14 without ActiveAuthenticationInfo for an EC key: the reader still tries the usual hashes, and
    says the chip is not conformant (AA_INFO_MISSING)."""
    image = card_image("young_man")
    assert image.ca_key is not None
    card = image.new_card()
    from cryptography.hazmat.primitives import serialization

    spki = image.ca_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    card.lds[0x010E].content = lds_build.build_dg14(spki)  # the CA key only, as before issue 12
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, can=image.profile.can)
    )
    assert AA_INFO_MISSING in [f.code for f in result.findings]
    aa = next(p for p in result.proofs if p.method is AntiCloneMethod.AA)
    assert aa.result is ProofResult.PASSED  # the signature itself is good; the chip's DG14 is not
    assert result.verdict is Verdict.NOT_AUTHENTIC  # DG14 no longer matches its hash in EF.SOD

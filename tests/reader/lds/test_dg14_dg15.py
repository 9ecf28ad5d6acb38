"""DG14 (Chip Authentication SecurityInfos) and DG15 (Active Authentication key): ICAO 9303-10 §4.7.14–15."""

from __future__ import annotations

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader import tlv
from reader.errors import ParseError
from reader.lds import UnsupportedDataGroup, parse_data_group
from reader.lds.cardaccess import SecurityInfoError
from reader.lds.dg14 import DG14Error, chip_authentication_keys, parse_dg14
from reader.lds.dg15 import DG15Error, parse_dg15, parse_subject_public_key_info
from sims.lds_build import build_dg14, build_dg15, build_security_infos, ca_info, ca_public_key_info

SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
DER = serialization.Encoding.DER


def _ec(curve: ec.EllipticCurve) -> bytes:
    return ec.generate_private_key(curve).public_key().public_bytes(DER, SPKI)


@pytest.fixture(scope="module")
def rsa_spki() -> bytes:
    return rsa.generate_private_key(65537, 1024).public_key().public_bytes(DER, SPKI)


def test_dg14_one_key() -> None:
    spki = _ec(ec.BrainpoolP256R1())
    infos = parse_dg14(build_dg14(spki))
    ((key, ca),) = chip_authentication_keys(infos)
    assert key.subject_public_key_info == spki and key.key_agreement == "ECDH"
    assert ca is not None and ca.ca.key_agreement == "ECDH"
    assert parse_data_group(14, build_dg14(spki)) == infos


def test_dg14_several_keys_by_id() -> None:
    a, b = _ec(ec.BrainpoolP256R1()), _ec(ec.SECP256R1())
    raw = tlv.encode(
        0x6E,
        build_security_infos(
            ca_public_key_info(a, 1), ca_public_key_info(b, 2), ca_info(key_id=2), ca_info(key_id=1)
        ),
    )
    pairs = chip_authentication_keys(parse_dg14(raw))
    assert [(k.key_id, ca.key_id if ca else None) for k, ca in pairs] == [(1, 1), (2, 2)]
    raw_dup = tlv.encode(0x6E, build_security_infos(ca_public_key_info(a, 1), ca_public_key_info(b, 1)))
    with pytest.raises(DG14Error):
        chip_authentication_keys(parse_dg14(raw_dup))


def test_dg14_malformed() -> None:
    with pytest.raises(DG14Error):
        parse_dg14(bytes.fromhex("6F023100"))
    with pytest.raises(SecurityInfoError):
        parse_dg14(bytes.fromhex("6E023000"))


def test_dg15_rsa(rsa_spki: bytes) -> None:
    key = parse_dg15(build_dg15(rsa_spki))
    assert (key.key_type, key.key_size, key.curve) == ("RSA", 1024, None)
    assert key.spki == rsa_spki
    assert repr(key) == "ActiveAuthenticationPublicKey(RSA, 1024 bits)"


@pytest.mark.parametrize(
    ("curve", "name", "bits"),
    [
        (ec.BrainpoolP256R1(), "brainpoolP256r1", 256),
        (ec.SECP384R1(), "secp384r1", 384),
        (ec.BrainpoolP512R1(), "brainpoolP512r1", 512),
    ],
)
def test_dg15_ec_named(curve: ec.EllipticCurve, name: str, bits: int) -> None:
    key = parse_data_group(15, build_dg15(_ec(curve)))
    assert (key.key_type, key.curve, key.key_size) == ("EC", name, bits)  # type: ignore[union-attr]


def test_dg15_ec_explicit_parameters() -> None:
    # brainpoolP256r1 with explicit domain parameters (RFC 3279 §2.3.5), as some documents encode it.
    p = 0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377
    named = asn1_keys.PublicKeyInfo.load(_ec(ec.BrainpoolP256R1()))
    specified = asn1_keys.SpecifiedECDomain(
        {
            "version": "ecdpVer1",
            "field_id": {"field_type": "prime_field", "parameters": p},
            "curve": {
                "a": (0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9).to_bytes(32, "big"),
                "b": (0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6).to_bytes(32, "big"),
            },
            "base": b"\x04" + bytes(64),
            "order": 0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
            "cofactor": 1,
        }
    )
    spki = asn1_keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": asn1_keys.ECDomainParameters("specified", specified),
            },
            "public_key": named["public_key"].native,
        }
    ).dump()
    key = parse_subject_public_key_info(spki)
    assert (key.key_type, key.curve, key.key_size) == ("EC", "explicit", 256)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes.fromhex("6F00"),
        bytes.fromhex("6F023000"),
        bytes.fromhex("6E023000"),  # wrong tag
    ],
)
def test_dg15_malformed(raw: bytes) -> None:
    with pytest.raises(DG15Error):
        parse_dg15(raw)


def test_dg15_unsupported_algorithm() -> None:
    dsa_like = tlv.encode_constructed(
        0x30,
        tlv.encode_constructed(0x30, bytes.fromhex("06072A8648CE380401")),
        tlv.encode(0x03, b"\x00\x02\x01\x05"),
    )
    with pytest.raises(DG15Error):
        parse_subject_public_key_info(dsa_like)


def test_dispatcher_unsupported() -> None:
    with pytest.raises(UnsupportedDataGroup):
        parse_data_group(3, b"")
    assert issubclass(UnsupportedDataGroup, ParseError)

"""Chip Authentication v1 cryptography: chip keys from SubjectPublicKeyInfo, protocol choice, agreement."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from reader import tlv
from reader.access.params import STANDARDIZED, DHGroup, ECGroup, GroupError, standardized
from reader.auth.chip import (
    DH_PUBLIC_NUMBER,
    EC_PUBLIC_KEY,
    ChipAuthChoice,
    ChipAuthKeyError,
    chip_key_agreement,
    choose,
    general_authenticate_data,
    mse_set_at_data,
    mse_set_kat_data,
    parse_chip_auth_public_key,
    terminal_key_agreement,
)
from reader.crypto import CipherAlg
from reader.lds.cardaccess import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    ca_protocol,
    encode_integer,
    encode_oid,
    parse_security_info,
)

h = bytes.fromhex
# ICAO 9303-11 Appendix I.1: ChipAuthenticationPublicKeyInfo with standardizedDomainParameters (ID 13).
I1_PK_INFO = h(
    "30620609 04007F00 07020201 02305230 0C060704 007F0007 01020201 0D034200 04187270 9494399E 7470A643"
    " 1BE25E83 EEE24FEA 568C2ED2 8DB48E05 DB3A610D C884D256 A40E35EF CB59BF67 53D3A489 D28C7A4D 973C2DA1"
    " 38A6E7A4 A08F68E1 6F02010D".replace(" ", "")
)


def _seq(*parts: bytes) -> bytes:
    return tlv.encode(0x30, b"".join(parts))


def _spki(algorithm: bytes, key: bytes) -> bytes:
    return _seq(algorithm, tlv.encode(0x03, b"\x00" + key))


def _uint(value: int) -> bytes:
    return encode_integer(value)


def _explicit_ec_spki(group: ECGroup, point: bytes, *, base: bytes | None = None) -> bytes:
    size = group.size
    params = _seq(
        _uint(1),
        _seq(encode_oid("1.2.840.10045.1.1"), _uint(group.p)),
        _seq(
            tlv.encode(0x04, group.a.to_bytes(size, "big")), tlv.encode(0x04, group.b.to_bytes(size, "big"))
        ),
        tlv.encode(0x04, base or group.encode(group.generator)),
        _uint(group.order),
        _uint(1),
    )
    return _spki(_seq(encode_oid(EC_PUBLIC_KEY), params), point)


def _dh_spki(group: DHGroup, y: int) -> bytes:
    params = _seq(_uint(group.p), _uint(group.g), _uint(group.q))
    return _spki(_seq(encode_oid(DH_PUBLIC_NUMBER), params), _uint(y))


def test_appendix_i_standardized_domain_parameters_key() -> None:
    info = parse_security_info(I1_PK_INFO)
    assert isinstance(info, ChipAuthenticationPublicKeyInfo) and info.key_id == 13
    key = parse_chip_auth_public_key(info.subject_public_key_info, info.key_id)
    assert key.group.parameter_id == 13 and key.key_agreement == "ECDH"
    assert key.public_key.hex().upper().startswith("041872709494399E")
    assert "1872" not in repr(key)


def test_named_curve_key_from_cryptography() -> None:
    private = ec.generate_private_key(ec.BrainpoolP256R1())
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = parse_chip_auth_public_key(spki)
    assert key.group.name == "brainpoolP256r1"
    numbers = private.public_key().public_numbers()
    assert key.public_key == b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def test_explicit_parameters_map_to_the_standard_curve_only() -> None:
    group = standardized(17)
    assert isinstance(group, ECGroup)
    point = group.encoded_public_key(99)
    assert parse_chip_auth_public_key(_explicit_ec_spki(group, point)).group is group
    forged = group.encode(group.exp(group.generator, 5))
    with pytest.raises(ChipAuthKeyError):
        parse_chip_auth_public_key(_explicit_ec_spki(group, point, base=forged))


def test_dh_public_number_key() -> None:
    group = standardized(1)
    assert isinstance(group, DHGroup)
    y = pow(group.g, 4242, group.p)
    key = parse_chip_auth_public_key(_dh_spki(group, y))
    assert key.group is group and key.key_agreement == "DH"
    assert key.public_key == y.to_bytes(256, "big")
    with pytest.raises(ChipAuthKeyError):
        parse_chip_auth_public_key(_dh_spki(group, group.p - 1))  # outside the subgroup


@pytest.mark.parametrize(
    "spki",
    [b"", b"\x30\x00", b"\x30\x03\x02\x01\x00", _spki(_seq(encode_oid("1.2.840.113549.1.1.1")), b"\x00"),
     _spki(_seq(encode_oid(EC_PUBLIC_KEY), encode_oid("1.3.132.0.10")), b"\x04" + bytes(64)),
     _spki(_seq(encode_oid("0.4.0.127.0.7.1.2"), _uint(13)), b"\x04" + bytes(64)),
     _spki(_seq(encode_oid("0.4.0.127.0.7.1.2"), _uint(5)), b"\x04" + bytes(64))],
)  # fmt: skip
def test_bad_keys_raise_a_typed_error(spki: bytes) -> None:
    with pytest.raises(ChipAuthKeyError):
        parse_chip_auth_public_key(spki)


def _pair(
    oid: str | None, spki: bytes, key_id: int | None = None
) -> tuple[ChipAuthenticationPublicKeyInfo, ChipAuthenticationInfo | None]:
    pk = ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.2", spki, key_id, b"")
    ca = ChipAuthenticationInfo(oid, 1, key_id, b"") if oid else None
    return pk, ca


def test_choice_prefers_aes_and_defaults_to_3des() -> None:
    info = parse_security_info(I1_PK_INFO)
    assert isinstance(info, ChipAuthenticationPublicKeyInfo)
    spki = info.subject_public_key_info
    only_key = choose([_pair(None, spki)])
    assert only_key.protocol.name == "id-CA-ECDH-3DES-CBC-CBC" and only_key.uses_mse_set_kat
    both = choose([_pair("0.4.0.127.0.7.2.2.3.2.1", spki, 1), _pair("0.4.0.127.0.7.2.2.3.2.2", spki, 2)])
    assert both.protocol.cipher is CipherAlg.AES128 and both.key.key_id == 2 and not both.uses_mse_set_kat
    with pytest.raises(ChipAuthKeyError):
        choose([_pair("0.4.0.127.0.7.2.2.3.1.2", spki)])  # a DH protocol with an EC key
    with pytest.raises(ChipAuthKeyError):
        choose([])


@pytest.mark.parametrize("cipher_arc", [1, 2, 3, 4])
@pytest.mark.parametrize("parameter_id", [0, 2, 8, 11, 13, 14, 18])
def test_terminal_and_chip_derive_the_same_keys(parameter_id: int, cipher_arc: int) -> None:
    group = STANDARDIZED[parameter_id]
    sk_ic = group.random_private(os.urandom)
    key = parse_chip_auth_public_key(
        _spki(_seq(encode_oid("0.4.0.127.0.7.1.2"), _uint(parameter_id)),
              group.encoded_public_key(sk_ic) if isinstance(group, ECGroup)
              else _uint(int.from_bytes(group.encoded_public_key(sk_ic), "big")))
    )  # fmt: skip
    kind = 2 if isinstance(group, ECGroup) else 1
    protocol = ca_protocol(f"0.4.0.127.0.7.2.2.3.{kind}.{cipher_arc}")
    terminal = terminal_key_agreement(ChipAuthChoice(protocol, key), os.urandom)
    chip = chip_key_agreement(group, sk_ic, protocol, terminal.ephemeral_public_key)
    assert (terminal.keys.ks_enc, terminal.keys.ks_mac) == (chip.ks_enc, chip.ks_mac)
    assert len(terminal.ephemeral_public_key) in (1 + 2 * group.size, group.size)
    assert "ks" not in repr(terminal).lower()


def test_ecdh_agreement_matches_cryptography() -> None:
    """CA's ECDH, computed with fastecdsa, equals OpenSSL's on the same keys."""
    chip = ec.generate_private_key(ec.SECP256R1())
    group = standardized(12)
    sk_ic = chip.private_numbers().private_value
    terminal = group.random_private(os.urandom)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), group.encoded_public_key(terminal))
    assert isinstance(group, ECGroup)
    assert chip.exchange(ec.ECDH(), peer) == group.agree(terminal, group.public_key(sk_ic))


def test_chip_rejects_an_invalid_ephemeral_key() -> None:
    group = standardized(13)
    protocol = ca_protocol("0.4.0.127.0.7.2.2.3.2.2")
    with pytest.raises(GroupError):
        chip_key_agreement(group, 5, protocol, b"\x04" + bytes(64))


def test_apdu_data_objects() -> None:
    assert mse_set_kat_data(b"\x04\x01", None) == h("91020401")
    assert mse_set_kat_data(b"\x04\x01", 300) == h("9102040184020" + "12C")
    assert mse_set_at_data("0.4.0.127.0.7.2.2.3.2.2", 13) == h("800A04007F00070202030202" + "84010D")
    assert mse_set_at_data("0.4.0.127.0.7.2.2.3.2.2", None) == h("800A04007F00070202030202")
    assert general_authenticate_data(b"\x04\x01") == h("7C0480020401")

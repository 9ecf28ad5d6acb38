"""Standardized domain parameters (ICAO 9303-11 §9.5.1), element validation, mappings on every group."""

from __future__ import annotations

import os
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from reader.access.pace import PACESuite
from reader.access.pace_mapping import (
    generic_map,
    integrated_map_dh,
    integrated_map_ec,
    nonce_length,
    prf,
)
from reader.access.params import (
    STANDARDIZED,
    DHGroup,
    ECGroup,
    Group,
    GroupError,
    dh_group_by_parameters,
    ec_group_by_oid,
    ec_group_by_parameters,
    standardized,
)
from reader.crypto import CipherAlg
from reader.lds.cardaccess import SecurityInfoError

E = TypeVar("E")
EC_IDS = [i for i, g in STANDARDIZED.items() if isinstance(g, ECGroup)]
DH_IDS = [i for i, g in STANDARDIZED.items() if isinstance(g, DHGroup)]
SIZES = {0: 1024, 1: 2048, 2: 2048, 8: 192, 9: 192, 10: 224, 11: 224, 12: 256, 13: 256, 14: 320, 15: 384,
         16: 384, 17: 512, 18: 521}  # fmt: skip
CRYPTOGRAPHY_CURVES = {
    "secp192r1": ec.SECP192R1(), "secp224r1": ec.SECP224R1(), "secp256r1": ec.SECP256R1(),
    "secp384r1": ec.SECP384R1(), "secp521r1": ec.SECP521R1(), "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(), "brainpoolP512r1": ec.BrainpoolP512R1(),
}  # fmt: skip


def _probable_prime(n: int) -> bool:
    return all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13))


def test_the_table_has_exactly_the_icao_ids() -> None:
    assert sorted(STANDARDIZED) == [0, 1, 2, *range(8, 19)]
    for parameter_id, bits in SIZES.items():
        group = standardized(parameter_id)
        field_bits = group.p.bit_length()
        assert field_bits == bits, group.name
    for rfu in (3, 7, 19, 31):
        with pytest.raises(GroupError):
            standardized(rfu)


@pytest.mark.parametrize("parameter_id", DH_IDS)
def test_dh_groups_are_prime_order_subgroups(parameter_id: int) -> None:
    group = STANDARDIZED[parameter_id]
    assert isinstance(group, DHGroup)
    assert _probable_prime(group.p) and _probable_prime(group.q)
    assert (group.p - 1) % group.q == 0
    assert pow(group.g, group.q, group.p) == 1 and group.g != 1
    assert group.q.bit_length() == {0: 160, 1: 224, 2: 256}[parameter_id]


@pytest.mark.parametrize("parameter_id", EC_IDS)
def test_ec_groups_have_prime_order_generators(parameter_id: int) -> None:
    group = STANDARDIZED[parameter_id]
    assert isinstance(group, ECGroup)
    assert _probable_prime(group.p) and _probable_prime(group.order)
    assert group.is_identity(group.exp(group.generator, group.order))
    assert not group.is_identity(group.generator)
    assert group.decode(group.encode(group.generator)) == group.generator


@pytest.mark.parametrize("name", sorted(CRYPTOGRAPHY_CURVES))
def test_curves_agree_with_cryptography(name: str) -> None:
    """An independent check of the curve constants: OpenSSL derives the same public keys."""
    group = next(g for g in STANDARDIZED.values() if g.name == name)
    assert isinstance(group, ECGroup)
    private = int.from_bytes(os.urandom(group.size), "big") % (group.order - 1) + 1
    numbers = ec.derive_private_key(private, CRYPTOGRAPHY_CURVES[name]).public_key().public_numbers()
    point = group.public_key(private)
    assert (point.x, point.y) == (numbers.x, numbers.y)


def test_encodings_are_left_padded_to_full_length() -> None:
    group = standardized(18)  # P-521: 66-byte coordinates
    assert isinstance(group, ECGroup)
    for private in (1, 2, 3, 2**200 + 1):
        encoded = group.encoded_public_key(private)
        assert len(encoded) == 1 + 2 * 66 and encoded[0] == 4
        assert len(group.shared_secret(group.public_key(private))) == 66
    dh = standardized(0)
    assert isinstance(dh, DHGroup)
    assert dh.encode(5) == bytes(127) + b"\x05"
    small = next(k for k in range(2, 10_000) if pow(dh.g, k, dh.p) < 2**1016)  # leading zero byte
    assert len(dh.encoded_public_key(small)) == 128


def test_ec_decode_rejects_invalid_points() -> None:
    group = standardized(13)
    assert isinstance(group, ECGroup)
    good = group.encoded_public_key(12345)
    with pytest.raises(GroupError):
        group.decode(b"\x02" + good[1:33])  # compressed
    with pytest.raises(GroupError):
        group.decode(good[:-1])
    with pytest.raises(GroupError):
        group.decode(good[:-1] + bytes([good[-1] ^ 1]))  # off the curve
    p_bytes = group.p.to_bytes(32, "big")
    with pytest.raises(GroupError):
        group.decode(b"\x04" + p_bytes + good[33:])  # x = p
    with pytest.raises(GroupError):
        group.encode(group.exp(group.generator, group.order))


def test_dh_decode_validates_the_subgroup() -> None:
    group = standardized(0)
    assert isinstance(group, DHGroup)
    for bad in (0, 1, group.p - 1):
        with pytest.raises(GroupError):
            group.decode(bad.to_bytes(128, "big"))
    non_member = next(x for x in range(2, 100) if pow(x, group.q, group.p) != 1)
    with pytest.raises(GroupError):
        group.decode(non_member.to_bytes(128, "big"))
    with pytest.raises(GroupError):
        group.decode(b"\x01" + bytes(128))  # longer than p
    y = pow(group.g, 777, group.p)
    assert group.decode(y.to_bytes(128, "big").lstrip(b"\x00")) == y  # shorter encodings accepted


def test_agreement_refuses_the_identity() -> None:
    group = standardized(12)
    assert isinstance(group, ECGroup)
    with pytest.raises(GroupError):
        group.agree(group.order, group.generator)


def test_lookup_by_oid_and_explicit_parameters() -> None:
    assert ec_group_by_oid("1.3.36.3.3.2.8.1.1.7").parameter_id == 13
    assert ec_group_by_oid("1.3.132.0.35").parameter_id == 18
    with pytest.raises(GroupError):
        ec_group_by_oid("1.3.132.0.10")  # secp256k1: not an ICAO curve
    g = standardized(16)
    assert isinstance(g, ECGroup)
    gen = g.generator
    assert ec_group_by_parameters(g.p, g.a, g.b, gen.x, gen.y, g.order) is g
    other = g.exp(gen, 2)
    with pytest.raises(GroupError):
        ec_group_by_parameters(g.p, g.a, g.b, other.x, other.y, g.order)  # forged base point
    dh = standardized(2)
    assert isinstance(dh, DHGroup)
    assert dh_group_by_parameters(dh.p, dh.g, dh.q) is dh
    with pytest.raises(GroupError):
        dh_group_by_parameters(dh.p, 2, dh.q)


def test_random_private_is_in_range() -> None:
    group = standardized(8)
    for _ in range(50):
        assert 1 <= group.random_private(os.urandom) < group.order
    assert group.random_private(lambda n: b"\xff" * n) < group.order


def _check_generic_mapping(group: Group[E]) -> None:
    shared = group.public_key(group.random_private(os.urandom))
    mapped = generic_map(group, os.urandom(16), shared)
    assert not group.is_identity(mapped)
    assert group.is_identity(group.exp(mapped, group.order))


@pytest.mark.parametrize("parameter_id", EC_IDS + DH_IDS)
def test_generic_mapping_gives_a_group_element(parameter_id: int) -> None:
    group = standardized(parameter_id)
    if isinstance(group, ECGroup):
        _check_generic_mapping(group)
    else:
        _check_generic_mapping(group)


@pytest.mark.parametrize("cipher", list(CipherAlg))
@pytest.mark.parametrize("parameter_id", [i for i in EC_IDS if i != 10])
def test_integrated_mapping_ec_on_every_curve_and_cipher(parameter_id: int, cipher: CipherAlg) -> None:
    group = standardized(parameter_id)
    assert isinstance(group, ECGroup)
    s = os.urandom(nonce_length(cipher))
    t = os.urandom(16 if cipher is CipherAlg.DESEDE2 else cipher.key_length)
    mapped = integrated_map_ec(group, s, t, cipher)
    assert group.is_identity(group.exp(mapped, group.order))
    assert len(prf(s, t, group.p, cipher)) * 8 >= group.p.bit_length() + 64


@pytest.mark.parametrize("cipher", list(CipherAlg))
@pytest.mark.parametrize("parameter_id", DH_IDS)
def test_integrated_mapping_dh(parameter_id: int, cipher: CipherAlg) -> None:
    group = standardized(parameter_id)
    assert isinstance(group, DHGroup)
    s = os.urandom(nonce_length(cipher))
    t = os.urandom(16 if cipher is CipherAlg.DESEDE2 else cipher.key_length)
    mapped = integrated_map_dh(group, s, t, cipher)
    assert pow(mapped, group.q, group.p) == 1 and mapped != 1


def test_integrated_mapping_refuses_p224_and_bad_nonces() -> None:
    p224 = standardized(10)
    assert isinstance(p224, ECGroup)
    with pytest.raises(GroupError):
        integrated_map_ec(p224, bytes(16), bytes(16), CipherAlg.AES128)
    with pytest.raises(GroupError):
        prf(bytes(8), bytes(16), p224.p, CipherAlg.AES128)


def test_suite_checks_protocol_against_parameters() -> None:
    assert PACESuite.create("0.4.0.127.0.7.2.2.4.1.4", 2).cipher is CipherAlg.AES256
    with pytest.raises(GroupError):
        PACESuite.create("0.4.0.127.0.7.2.2.4.2.2", 0)  # ECDH on a MODP group
    with pytest.raises(GroupError):
        PACESuite.create("0.4.0.127.0.7.2.2.4.1.2", 13)  # DH on a curve
    with pytest.raises(GroupError):
        PACESuite.create("0.4.0.127.0.7.2.2.4.4.2", 10)  # IM on P-224
    with pytest.raises(SecurityInfoError):
        PACESuite.create("0.4.0.127.0.7.2.2.4.6.1", 13)  # CAM with 3DES does not exist

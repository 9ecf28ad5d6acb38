"""Active Authentication verification: Appendix F, every trailer and hash, ECDSA plain and DER, failures."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader.auth.active import (
    AAReason,
    check_message_representative,
    verify_active_authentication,
)
from reader.lds.cardaccess import ID_ECDSA_PLAIN
from sims.activeauth import sign_ecdsa, sign_iso9796_2

RND_IFD = bytes.fromhex("F173589974BF40C6")


@lru_cache(maxsize=4)
def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@lru_cache(maxsize=4)
def _ec(curve_name: str) -> ec.EllipticCurvePrivateKey:
    curve = {"brainpoolP256r1": ec.BrainpoolP256R1(), "secp384r1": ec.SECP384R1(),
             "brainpoolP512r1": ec.BrainpoolP512R1(), "secp224r1": ec.SECP224R1()}[curve_name]  # fmt: skip
    return ec.generate_private_key(curve)


def _spki(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_appendix_f_message_representative(vectors: dict[str, Any]) -> None:
    v = vectors["active_authentication_appendix_f"]
    f, m2 = bytes.fromhex(v["recovered_message_f"]), bytes.fromhex(v["rnd_ifd_m2"])
    result = check_message_representative(f, m2)
    assert result.valid and result.reason is AAReason.VALID and result.hash_name == "sha1"
    assert f[0] == 0x6A and f[-1] == 0xBC
    m1 = f[1:-21]
    assert hashlib.sha1(m1 + m2).digest() == f[-21:-1]  # D = SHA-1(M1 ‖ M2), as the note says
    other = check_message_representative(f, bytes(8))
    assert not other.valid and other.reason is AAReason.DIGEST_MISMATCH


def test_appendix_f_representative_tampering(vectors: dict[str, Any]) -> None:
    v = vectors["active_authentication_appendix_f"]
    f, m2 = bytes.fromhex(v["recovered_message_f"]), bytes.fromhex(v["rnd_ifd_m2"])
    assert check_message_representative(b"\x4a" + f[1:], m2).reason is AAReason.BAD_HEADER
    assert check_message_representative(f[:-1] + b"\xbd", m2).reason is AAReason.BAD_TRAILER
    assert check_message_representative(f[:-1] + b"\xcc", m2).reason is AAReason.BAD_TRAILER  # 27CC
    flipped = f[:10] + bytes([f[10] ^ 1]) + f[11:]
    assert check_message_representative(flipped, m2).reason is AAReason.DIGEST_MISMATCH


@pytest.mark.parametrize(
    ("hash_name", "two_byte"),
    [("sha1", False), ("sha1", True), ("sha224", True), ("sha256", True), ("sha384", True), ("sha512", True)],
)
def test_rsa_every_trailer_and_hash(hash_name: str, two_byte: bool) -> None:
    key = _rsa(2048)
    signature = sign_iso9796_2(key, RND_IFD, os.urandom, hash_name=hash_name, two_byte_trailer=two_byte)
    result = verify_active_authentication(_spki(key), RND_IFD, signature)
    assert result.valid, result
    assert result.hash_name == hash_name and result.scheme == "iso9796-2-scheme1"
    assert not verify_active_authentication(_spki(key), bytes(8), signature).valid


@pytest.mark.parametrize("bits", [1024, 1536, 3072])
def test_rsa_key_sizes(bits: int) -> None:
    key = _rsa(bits)
    signature = sign_iso9796_2(key, RND_IFD, os.urandom, hash_name="sha256")
    assert len(signature) == bits // 8
    assert verify_active_authentication(_spki(key), RND_IFD, signature).valid


def test_rsa_signature_from_another_key_fails_with_a_reason() -> None:
    signature = sign_iso9796_2(_rsa(1024), RND_IFD, os.urandom)
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    result = verify_active_authentication(_spki(other), RND_IFD, signature)
    assert not result.valid and result.reason in (
        AAReason.BAD_HEADER,
        AAReason.BAD_TRAILER,
        AAReason.BAD_LENGTH,
    )


def test_rsa_malformed_signatures() -> None:
    key = _rsa(2048)
    n = key.public_key().public_numbers().n
    assert verify_active_authentication(_spki(key), RND_IFD, b"").reason is AAReason.BAD_LENGTH
    too_big = (n + 1).to_bytes(256, "big")
    assert verify_active_authentication(_spki(key), RND_IFD, too_big).reason is AAReason.BAD_LENGTH
    assert verify_active_authentication(_spki(key), RND_IFD, bytes(257)).reason is AAReason.BAD_LENGTH
    assert verify_active_authentication(_spki(key), b"short", bytes(256)).reason is AAReason.BAD_CHALLENGE


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize(
    ("curve", "hash_name"),
    [("brainpoolP256r1", "sha256"), ("secp384r1", "sha384"), ("brainpoolP512r1", "sha512"),
     ("secp224r1", "sha224"), ("brainpoolP256r1", "sha224")],
)  # fmt: skip
def test_ecdsa_plain_and_der(curve: str, hash_name: str, plain: bool) -> None:
    key = _ec(curve)
    signature = sign_ecdsa(key, RND_IFD, hash_name=hash_name, plain=plain)
    result = verify_active_authentication(_spki(key), RND_IFD, signature)
    assert result.valid and result.hash_name == hash_name
    assert result.scheme == ("ecdsa-plain" if plain else "ecdsa-der")
    named = f"{ID_ECDSA_PLAIN}.{ {'sha224': 2, 'sha256': 3, 'sha384': 4, 'sha512': 5}[hash_name] }"
    assert verify_active_authentication(_spki(key), RND_IFD, signature, signature_algorithm=named).valid
    assert not verify_active_authentication(_spki(key), os.urandom(8), signature).valid


def test_ecdsa_failures_are_values() -> None:
    key = _ec("brainpoolP256r1")
    signature = sign_ecdsa(key, RND_IFD)
    wrong_hash = f"{ID_ECDSA_PLAIN}.5"  # SHA-512 named by DG14, signature made with SHA-256
    result = verify_active_authentication(_spki(key), RND_IFD, signature, signature_algorithm=wrong_hash)
    assert not result.valid and result.reason is AAReason.ECDSA_INVALID
    assert verify_active_authentication(_spki(key), RND_IFD, signature[:-1]).reason is AAReason.BAD_LENGTH
    assert verify_active_authentication(_spki(key), RND_IFD, bytes(64)).reason is AAReason.ECDSA_INVALID
    result = verify_active_authentication(_spki(key), RND_IFD, signature, signature_algorithm="1.2.3.4")
    assert result.reason is AAReason.UNSUPPORTED_KEY
    other = _spki(ec.generate_private_key(ec.BrainpoolP256R1()))
    assert verify_active_authentication(other, RND_IFD, signature).reason is AAReason.ECDSA_INVALID


def test_unreadable_key_is_a_value() -> None:
    result = verify_active_authentication(b"\x30\x03\x02\x01\x00", RND_IFD, bytes(64))
    assert not result.valid and result.reason is AAReason.UNSUPPORTED_KEY
    assert result.to_dict()["reason"] == "unsupported_key"

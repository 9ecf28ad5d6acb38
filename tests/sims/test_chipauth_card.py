"""Reader ⇄ simulated card: Chip Authentication (3DES via MSE:Set KAT, AES via MSE:Set AT + GA; ECDH and
DH), clones with the wrong private key, and Active Authentication (RSA trailers, ECDSA, extended length)."""

from __future__ import annotations

import os
from functools import lru_cache

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reader import tlv
from reader.access.bac import BACKeyInput, perform_bac
from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.access.pace_protocol import perform_pace
from reader.access.params import STANDARDIZED, ECGroup
from reader.apdu import CommandAPDU
from reader.auth.active import AAReason, perform_active_authentication
from reader.auth.chip import ChipAuthChoice, choose, parse_chip_auth_public_key, perform_chip_authentication
from reader.lds.cardaccess import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    ca_protocol,
    encode_integer,
    encode_oid,
)
from reader.lds.files import LDS1_AID
from reader.session import CardSession
from reader.transports.base import CallableTransport
from sims import lds_build
from sims.activeauth import ActiveAuthApplet
from sims.card import CardApplet, CardOS
from sims.chipauth import ChipAuthApplet
from sims.pace import PACEApplet, security_applets

BAC_KEY = BACKeyInput("123456789", "900101", "300101")
CAN = PACEPassword.can("123456")
EF_COM = lds_build.build_ef_com([1, 2, 14, 15])
PACE_SUITE = PACESuite.create("0.4.0.127.0.7.2.2.4.2.2", 13)


def _spki_standardized(parameter_id: int, public_key: bytes) -> bytes:
    group = STANDARDIZED[parameter_id]
    key = public_key if isinstance(group, ECGroup) else encode_integer(int.from_bytes(public_key, "big"))
    algorithm = tlv.encode(
        0x30, encode_oid("0.4.0.127.0.7.1.2") + bytes.fromhex("02") + bytes([1, parameter_id])
    )
    return tlv.encode(0x30, algorithm + tlv.encode(0x03, b"\x00" + key))


def _card(*applets: CardApplet | None, pace: bool = False, ca: ChipAuthApplet | None = None) -> CardOS:
    pace_applet = PACEApplet((PACE_SUITE,), {PasswordType.CAN: CAN}) if pace else None
    return CardOS(
        {}, {"EF.COM": EF_COM}, bac_key=BAC_KEY, applets=security_applets(pace_applet, ca, others=applets)
    )


def _open(card: CardOS, *, pace: bool = False, extended: bool = True) -> CardSession:
    session = CardSession(CallableTransport(card.execute, extended_length=extended))
    if pace:
        perform_pace(session, PACE_SUITE, CAN)
        session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS1_AID), "SELECT application")
    else:
        session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS1_AID), "SELECT application")
        session.start_secure_messaging(perform_bac(session, BAC_KEY))
    return session


def _read_ef_com(session: CardSession) -> bytes:
    return session.send(CommandAPDU(0x00, 0xB0, 0x9E, 0x00, ne=256), "READ BINARY")


# --- Chip Authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pace", [False, True])
@pytest.mark.parametrize("cipher_arc", [1, 2, 3, 4])
@pytest.mark.parametrize("parameter_id", [13, 12, 0, 2])
def test_chip_authentication_pair(parameter_id: int, cipher_arc: int, pace: bool) -> None:
    group = STANDARDIZED[parameter_id]
    kind = 2 if isinstance(group, ECGroup) else 1
    protocol = ca_protocol(f"0.4.0.127.0.7.2.2.3.{kind}.{cipher_arc}")
    sk_ic = group.random_private(os.urandom)
    applet = ChipAuthApplet(protocol, group, sk_ic, key_id=7)
    session = _open(_card(pace=pace, ca=applet), pace=pace)
    key = parse_chip_auth_public_key(_spki_standardized(parameter_id, group.encoded_public_key(sk_ic)), 7)
    outcome = perform_chip_authentication(session, ChipAuthChoice(protocol, key))
    assert outcome.passed and outcome.reason is None and outcome.session_intact, outcome
    sm = session.secure_messaging
    assert sm is not None and sm.alg is protocol.cipher
    assert _read_ef_com(session) == EF_COM
    assert outcome.evidence()["protocol"] == protocol.oid


def test_chip_authentication_with_the_personalised_ec_key() -> None:
    private = ec.generate_private_key(ec.BrainpoolP256R1())
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    applet = ChipAuthApplet.from_ec_key(private)
    pair = (
        ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.2", spki, None, b""),
        ChipAuthenticationInfo("0.4.0.127.0.7.2.2.3.2.2", 1, None, b""),
    )
    session = _open(_card(pace=True, ca=applet), pace=True)
    assert perform_chip_authentication(session, choose([pair])).passed
    assert _read_ef_com(session) == EF_COM


@pytest.mark.parametrize("cipher_arc", [1, 2])
def test_clone_with_the_wrong_private_key_fails(cipher_arc: int) -> None:
    group = STANDARDIZED[13]
    protocol = ca_protocol(f"0.4.0.127.0.7.2.2.3.2.{cipher_arc}")
    genuine = group.random_private(os.urandom)
    clone = ChipAuthApplet(protocol, group, genuine + 1)  # same DG14, another private key
    session = _open(_card(ca=clone))
    key = parse_chip_auth_public_key(_spki_standardized(13, group.encoded_public_key(genuine)))
    outcome = perform_chip_authentication(session, ChipAuthChoice(protocol, key))
    assert not outcome.passed and not outcome.session_intact
    assert outcome.reason == "NO_SECURE_MESSAGING_UNDER_NEW_KEYS"


def test_card_without_chip_authentication_refuses_and_the_old_channel_survives() -> None:
    group = STANDARDIZED[13]
    protocol = ca_protocol("0.4.0.127.0.7.2.2.3.2.2")
    session = _open(_card())  # no CA applet: MSE answers 6D00 under secure messaging
    key = parse_chip_auth_public_key(_spki_standardized(13, group.encoded_public_key(99)))
    outcome = perform_chip_authentication(session, ChipAuthChoice(protocol, key))
    assert not outcome.passed and outcome.reason == "CA_REFUSED_6D00" and outcome.session_intact
    assert _read_ef_com(session) == EF_COM


def test_wrong_key_reference_is_refused() -> None:
    group = STANDARDIZED[12]
    protocol = ca_protocol("0.4.0.127.0.7.2.2.3.2.2")
    sk = group.random_private(os.urandom)
    session = _open(_card(ca=ChipAuthApplet(protocol, group, sk, key_id=1)))
    key = parse_chip_auth_public_key(_spki_standardized(12, group.encoded_public_key(sk)), key_id=2)
    outcome = perform_chip_authentication(session, ChipAuthChoice(protocol, key))
    assert outcome.reason == "CA_REFUSED_6A88" and outcome.session_intact


# --- Active Authentication --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _spki(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("pace", [False, True])
@pytest.mark.parametrize(
    ("bits", "hash_name", "two_byte"),
    [(1024, "sha1", False), (2048, "sha1", True), (2048, "sha256", True), (1536, "sha224", True),
     (2048, "sha384", True), (3072, "sha512", True)],
)  # fmt: skip
def test_active_authentication_rsa_pair(bits: int, hash_name: str, two_byte: bool, pace: bool) -> None:
    key = _rsa(bits)
    applet = ActiveAuthApplet(key, hash_name=hash_name, two_byte_trailer=two_byte)
    session = _open(_card(applet, pace=pace), pace=pace)
    outcome = perform_active_authentication(session, _spki(key))
    assert outcome.valid and outcome.result.hash_name == hash_name, outcome.result
    assert len(outcome.rnd_ifd) == 8 and len(outcome.signature) == bits // 8
    assert outcome.evidence()["rnd_ifd"] == outcome.rnd_ifd.hex().upper()


@pytest.mark.parametrize("ecdsa_format", ["plain", "der"])
@pytest.mark.parametrize(
    ("curve", "hash_name"),
    [(ec.BrainpoolP256R1(), "sha256"), (ec.SECP384R1(), "sha384"), (ec.BrainpoolP512R1(), "sha512")],
)
def test_active_authentication_ecdsa_pair(curve: ec.EllipticCurve, hash_name: str, ecdsa_format: str) -> None:
    key = ec.generate_private_key(curve)
    applet = ActiveAuthApplet(key, hash_name=hash_name, ecdsa_format=ecdsa_format)  # type: ignore[arg-type]
    session = _open(_card(applet, pace=True), pace=True)
    outcome = perform_active_authentication(session, _spki(key))
    assert outcome.valid and outcome.result.scheme == f"ecdsa-{ecdsa_format}"


def test_active_authentication_clone_and_missing_key() -> None:
    genuine, other = _rsa(1024), rsa.generate_private_key(public_exponent=65537, key_size=1024)
    session = _open(_card(ActiveAuthApplet(other)))
    outcome = perform_active_authentication(session, _spki(genuine))
    assert not outcome.valid and outcome.result.reason is not AAReason.VALID
    session = _open(_card())
    outcome = perform_active_authentication(session, _spki(genuine))
    assert not outcome.valid and outcome.result.reason is AAReason.CARD_REFUSED
    assert _read_ef_com(session) == EF_COM  # a refusal does not break the channel


def test_long_rsa_key_needs_extended_length() -> None:
    key = _rsa(3072)
    session = _open(_card(ActiveAuthApplet(key)), extended=False)
    outcome = perform_active_authentication(session, _spki(key))
    assert not outcome.valid and outcome.result.reason is AAReason.NOT_PERFORMED
    session = _open(_card(ActiveAuthApplet(_rsa(1024))), extended=False)
    assert perform_active_authentication(session, _spki(_rsa(1024))).valid

"""SecurityInfos (reader/lds/cardaccess.py): ICAO 9303-11 §9.2, BSI TR-03110-3 §A.1, cccd-chip.md §3."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from reader import tlv
from reader.crypto import CipherAlg
from reader.lds.cardaccess import (
    ID_AA,
    ID_PK_DH,
    ID_PK_ECDH,
    OID_NAMES,
    STANDARD_DOMAIN_PARAMETERS,
    ActiveAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfoError,
    TerminalAuthenticationInfo,
    UnknownSecurityInfo,
    ca_protocol,
    decode_integer,
    decode_oid,
    encode_integer,
    encode_oid,
    oid_name,
    pace_protocol,
    parse_card_access,
    parse_security_infos,
)

# cccd-chip.md §3: EF.CardAccess as hard-coded by public readers.
CCCD_CARD_ACCESS = bytes.fromhex(
    "3134"
    "300D060804007F0007020202020101"
    "300F060A04007F00070202030202020101"
    "3012060A04007F0007020204020202010202010D"
)
BSI = "0.4.0.127.0.7.2.2"


def test_cccd_card_access() -> None:
    assert len(CCCD_CARD_ACCESS) == 54
    infos = parse_card_access(CCCD_CARD_ACCESS)
    ta, ca, pace = infos.infos
    assert isinstance(ta, TerminalAuthenticationInfo) and ta.version == 1 and ta.ef_cvca is None
    assert isinstance(ca, ChipAuthenticationInfo) and ca.version == 1 and ca.key_id is None
    assert ca.ca.key_agreement == "ECDH" and ca.ca.cipher is CipherAlg.AES128
    assert isinstance(pace, PACEInfo) and pace.version == 2 and pace.parameter_id == 13
    key_agreement, mapping, cipher = pace.pace
    assert (key_agreement, mapping, cipher) == ("ECDH", "GM", CipherAlg.AES128)
    assert STANDARD_DOMAIN_PARAMETERS[13] == "brainpoolP256r1"
    assert infos.pace_infos == (pace,) and infos.ca_infos == (ca,) and infos.ta_infos == (ta,)
    assert oid_name(pace.protocol) == "id-PACE-ECDH-GM-AES-CBC-CMAC-128"
    assert oid_name(ca.protocol) == "id-CA-ECDH-AES-CBC-CMAC-128"
    assert (
        repr(infos) == "SecurityInfos(id-TA, id-CA-ECDH-AES-CBC-CMAC-128, id-PACE-ECDH-GM-AES-CBC-CMAC-128)"
    )
    assert infos.raw == CCCD_CARD_ACCESS


def test_icao_appendix_g_pace_info(vectors: dict[str, Any]) -> None:
    info = parse_security_infos(
        tlv.encode(0x31, bytes.fromhex(vectors["pace_ecdh_gm_appendix_g1"]["pace_info"]))
    )
    (pace,) = info.pace_infos
    assert tuple(pace.pace) == ("ECDH", "GM", CipherAlg.AES128) and pace.parameter_id == 13


_CIPHERS = {1: CipherAlg.DESEDE2, 2: CipherAlg.AES128, 3: CipherAlg.AES192, 4: CipherAlg.AES256}
_CIPHER_NAMES = {1: "3DES-CBC-CBC", 2: "AES-CBC-CMAC-128", 3: "AES-CBC-CMAC-192", 4: "AES-CBC-CMAC-256"}
_PACE = {1: ("DH", "GM"), 2: ("ECDH", "GM"), 3: ("DH", "IM"), 4: ("ECDH", "IM"), 6: ("ECDH", "CAM")}


@pytest.mark.parametrize("family", sorted(_PACE))
@pytest.mark.parametrize("arc", sorted(_CIPHERS))
def test_every_pace_variant(family: int, arc: int) -> None:
    oid = f"{BSI}.4.{family}.{arc}"
    ka, mapping = _PACE[family]
    if mapping == "CAM" and arc == 1:
        with pytest.raises(SecurityInfoError):
            pace_protocol(oid)
        assert oid not in OID_NAMES
        return
    p = pace_protocol(oid)
    assert (p.key_agreement, p.mapping, p.cipher) == (ka, mapping, _CIPHERS[arc])
    assert p.name == f"id-PACE-{ka}-{mapping}-{_CIPHER_NAMES[arc]}"


@pytest.mark.parametrize("family", [1, 2])
@pytest.mark.parametrize("arc", sorted(_CIPHERS))
def test_every_ca_variant(family: int, arc: int) -> None:
    ka = {1: "DH", 2: "ECDH"}[family]
    c = ca_protocol(f"{BSI}.3.{family}.{arc}")
    assert (c.key_agreement, c.cipher) == (ka, _CIPHERS[arc])
    assert c.name == f"id-CA-{ka}-{_CIPHER_NAMES[arc]}"
    key_agreement, cipher = c
    assert (key_agreement, cipher) == (ka, _CIPHERS[arc])


@pytest.mark.parametrize(
    "oid", [f"{BSI}.4.5.2", f"{BSI}.4.2", f"{BSI}.4.2.9", f"{BSI}.3.2.2", "1.2.3", f"{BSI}.4.2.2.1"]
)
def test_not_pace_oids(oid: str) -> None:
    with pytest.raises(SecurityInfoError):
        pace_protocol(oid)


def test_oid_names() -> None:
    assert oid_name(f"{BSI}.2") == "id-TA"
    assert oid_name(ID_AA) == "id-AA"
    assert oid_name(ID_PK_ECDH) == "id-PK-ECDH"
    assert oid_name(f"{BSI}.3.1.1") == "id-CA-DH-3DES-CBC-CBC"
    assert oid_name(f"{BSI}.4.6.4") == "id-PACE-ECDH-CAM-AES-CBC-CMAC-256"
    assert oid_name("1.3.36.3.3.2.8.1.1.7") == "brainpoolP256r1"
    assert oid_name("0.4.0.127.0.7.1.1.4.1.3") == "ecdsa-plain-SHA256"
    assert oid_name("1.2.3.4") == "1.2.3.4"


@pytest.mark.parametrize(
    "oid", ["0.4.0.127.0.7.2.2.4.2.2", "2.23.136.1.1.5", "1.2.840.113549.1.1.1", "2.999.1", "0.0"]
)
def test_oid_round_trip(oid: str) -> None:
    enc = encode_oid(oid)
    assert decode_oid(tlv.decode(enc).value) == oid


def test_oid_known_encoding_and_errors() -> None:
    assert encode_oid("2.23.136.1.1.5") == bytes.fromhex("0606678108010105")
    for bad in ("", "80", "2B8001", "2B06FF"):
        with pytest.raises(SecurityInfoError):
            decode_oid(bytes.fromhex(bad))
    for bad_text in ("1", "3.1", "1.40", "a.b"):
        with pytest.raises(SecurityInfoError):
            encode_oid(bad_text)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, 65535, -1, -128, -129, 2**70])
def test_integer_round_trip(value: int) -> None:
    assert decode_integer(tlv.decode(encode_integer(value)).value) == value


def test_integer_errors() -> None:
    for bad in ("", "0001", "FF80"):
        with pytest.raises(SecurityInfoError):
            decode_integer(bytes.fromhex(bad))


def _seq(*parts: bytes) -> bytes:
    return tlv.encode_constructed(0x30, *parts)


def _ec_spki() -> bytes:
    key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_all_info_kinds() -> None:
    ec_params = _seq(encode_oid("1.2.840.10045.2.1"), encode_oid("1.3.36.3.3.2.8.1.1.7"))
    spki = _ec_spki()
    raw = tlv.encode_constructed(
        0x31,
        _seq(encode_oid(f"{BSI}.4.2"), ec_params, encode_integer(13)),  # PACEDomainParameterInfo
        _seq(encode_oid(f"{BSI}.3.2"), ec_params, encode_integer(1)),  # CA domain parameters
        _seq(encode_oid(ID_PK_ECDH), spki, encode_integer(1)),  # CA public key
        _seq(encode_oid(f"{BSI}.3.2.4"), encode_integer(2), encode_integer(1)),  # CA info with key id
        _seq(encode_oid(f"{BSI}.2"), encode_integer(2), _seq(tlv.encode(0x04, b"\x01\x1c"))),  # TA + FileID
        _seq(encode_oid(ID_AA), encode_integer(1), encode_oid("1.2.840.10045.4.3.2")),  # AA
        _seq(encode_oid("1.2.3.4"), tlv.encode(0x04, b"opaque")),  # unknown
    )
    infos = parse_security_infos(raw).infos
    pdp, cdp, pk, ca, ta, aa, unknown = infos
    assert isinstance(pdp, PACEDomainParameterInfo) and pdp.parameter_id == 13
    assert pdp.algorithm == "1.2.840.10045.2.1" and pdp.domain_parameter == ec_params
    assert isinstance(cdp, ChipAuthenticationDomainParameterInfo) and cdp.key_id == 1
    assert isinstance(pk, ChipAuthenticationPublicKeyInfo) and pk.subject_public_key_info == spki
    assert pk.key_id == 1 and pk.key_agreement == "ECDH"
    assert isinstance(ca, ChipAuthenticationInfo) and ca.ca.cipher is CipherAlg.AES256 and ca.key_id == 1
    assert isinstance(ta, TerminalAuthenticationInfo) and ta.version == 2 and ta.ef_cvca == b"\x01\x1c"
    assert isinstance(aa, ActiveAuthenticationInfo) and aa.signature_algorithm == "1.2.840.10045.4.3.2"
    assert isinstance(unknown, UnknownSecurityInfo) and unknown.protocol == "1.2.3.4"
    assert unknown.raw.endswith(b"opaque")
    assert spki.hex() not in repr(pk)


def test_dh_public_key_info() -> None:
    spki = _seq(
        _seq(encode_oid("1.2.840.10046.2.1"), _seq(encode_integer(23), encode_integer(5))),
        tlv.encode(0x03, b"\x00" + encode_integer(9)),
    )
    (pk,) = parse_security_infos(tlv.encode(0x31, _seq(encode_oid(ID_PK_DH), spki))).ca_public_keys
    assert pk.key_agreement == "DH" and pk.key_id is None


def test_card_access_padding() -> None:
    assert parse_card_access(CCCD_CARD_ACCESS + b"\x00\x00\xff").raw == CCCD_CARD_ACCESS
    with pytest.raises(SecurityInfoError):
        parse_card_access(CCCD_CARD_ACCESS + b"\x01")
    with pytest.raises(SecurityInfoError):
        parse_security_infos(CCCD_CARD_ACCESS + b"\x00")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "31",
        "3000",
        "3102 0500",  # not a SET, no SEQUENCE
        "3103 300102",  # SEQUENCE with garbage
        "3104 3002 0600",  # OID only / empty OID
        "310C 300A 0608 04007F0007020202",  # TA without version
        "310F 300D 0608 04007F0007020202 0C0101",  # TA version not an INTEGER
        "310F 300D 0608 04007F0007020202 0201FF",  # negative version
        "3117 3015 060A 04007F00070202040202 020102 020101 020101",  # PACEInfo with extra element
        "3112 3010 060A 04007F00070202040601 020102",  # PACE-CAM-3DES does not exist
        "310D 300B 0606 678108010105 020101",  # AA without signature algorithm
        "3111 300F 0609 04007F000702020102 3002 0500",  # CA public key that is no SPKI
    ],
)
def test_malformed_security_infos(raw: str) -> None:
    with pytest.raises(SecurityInfoError):
        parse_security_infos(bytes.fromhex(raw.replace(" ", "")))

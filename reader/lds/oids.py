"""OBJECT IDENTIFIERs and INTEGERs of the SecurityInfos (ISO/IEC 8825-1 §8.3, §8.19), the OID names table,
and the decoders of PACE and Chip Authentication protocol OIDs (ICAO 9303-11 §9.2; BSI TR-03110-3 §A.1).

Used by :mod:`reader.lds.cardaccess` (which re-exports these names), the PACE and CA protocols and the
simulated card's builders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from reader import tlv
from reader.crypto import CipherAlg
from reader.errors import ParseError

SET_TAG = 0x31
SEQUENCE_TAG = 0x30
INTEGER_TAG = 0x02
OID_TAG = 0x06
OCTET_STRING_TAG = 0x04

KeyAgreement = Literal["DH", "ECDH"]
Mapping = Literal["GM", "IM", "CAM"]


class SecurityInfoError(ParseError):
    """A SecurityInfos structure is malformed (ICAO 9303-11 §9.2)."""


# --- DER primitives (ISO/IEC 8825-1 §8.3 INTEGER, §8.19 OBJECT IDENTIFIER) ------------------------------


def decode_oid(content: bytes) -> str:
    """Dotted OID from DER content octets; non-minimal sub-identifiers are rejected."""
    if not content or content[-1] & 0x80:
        raise SecurityInfoError("empty or truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    fresh = True
    for b in content:
        if fresh and b == 0x80:
            raise SecurityInfoError("non-minimal OBJECT IDENTIFIER sub-identifier")
        value = (value << 7) | (b & 0x7F)
        fresh = not b & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def encode_oid(dotted: str) -> bytes:
    """DER encoding (tag, length, content) of a dotted OID."""
    try:
        arcs = [int(a) for a in dotted.split(".")]
    except ValueError:
        raise SecurityInfoError("malformed dotted OID") from None
    if len(arcs) < 2 or arcs[0] > 2 or min(arcs) < 0 or (arcs[0] < 2 and arcs[1] >= 40):
        raise SecurityInfoError("malformed dotted OID")
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv.encode(OID_TAG, bytes(body))


def decode_integer(content: bytes) -> int:
    """A DER INTEGER's content octets as a signed integer (two's complement, minimal)."""
    if not content:
        raise SecurityInfoError("empty INTEGER")
    if len(content) > 1 and (
        (content[0] == 0x00 and not content[1] & 0x80) or (content[0] == 0xFF and content[1] & 0x80)
    ):
        raise SecurityInfoError("non-minimal INTEGER encoding")
    return int.from_bytes(content, "big", signed=True)


def encode_integer(value: int) -> bytes:
    """DER encoding (tag, length, content) of an INTEGER."""
    size = (value + (value < 0)).bit_length() // 8 + 1
    return tlv.encode(INTEGER_TAG, value.to_bytes(size, "big", signed=True))


# --- OIDs (ICAO 9303-11 §9.2; BSI TR-03110-3 §A.1.1) -----------------------------------------------------

BSI_DE = "0.4.0.127.0.7"
ID_PK = BSI_DE + ".2.2.1"
ID_PK_DH = ID_PK + ".1"
ID_PK_ECDH = ID_PK + ".2"
ID_TA = BSI_DE + ".2.2.2"
ID_CA = BSI_DE + ".2.2.3"
ID_PACE = BSI_DE + ".2.2.4"
ID_AA = "2.23.136.1.1.5"
ID_ECDSA_PLAIN = BSI_DE + ".1.1.4.1"

_CIPHER_NAMES = {1: "3DES-CBC-CBC", 2: "AES-CBC-CMAC-128", 3: "AES-CBC-CMAC-192", 4: "AES-CBC-CMAC-256"}
_HASHES = ("SHA1", "SHA224", "SHA256", "SHA384", "SHA512")


def _oid_table() -> dict[str, str]:
    names = {
        ID_PK_DH: "id-PK-DH", ID_PK_ECDH: "id-PK-ECDH", ID_TA: "id-TA", ID_CA: "id-CA", ID_PACE: "id-PACE",
        ID_AA: "id-AA", ID_TA + ".1": "id-TA-RSA", ID_TA + ".2": "id-TA-ECDSA",
        BSI_DE + ".2.2.5": "id-RI", BSI_DE + ".2.2.6": "id-CI", BSI_DE + ".2.2.7": "id-eIDSecurity",
        BSI_DE + ".2.2.8": "id-PT",
        "2.23.136.1.1.1": "id-icao-mrtd-security-ldsSecurityObject",
        "2.23.136.1.1.2": "id-icao-cscaMasterList",
        "1.2.840.113549.1.1.1": "rsaEncryption", "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10": "id-RSASSA-PSS", "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
        "1.2.840.10045.2.1": "id-ecPublicKey", "1.2.840.10046.2.1": "dhpublicnumber",
        "1.2.840.10045.4.1": "ecdsa-with-SHA1", "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2": "ecdsa-with-SHA256", "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4": "ecdsa-with-SHA512", "1.2.840.10045.3.1.1": "secp192r1",
        "1.2.840.10045.3.1.7": "secp256r1", "1.3.132.0.33": "secp224r1", "1.3.132.0.34": "secp384r1",
        "1.3.132.0.35": "secp521r1",
    }  # fmt: skip
    for i, bits in enumerate((160, 192, 224, 256, 320, 384, 512)):
        names[f"1.3.36.3.3.2.8.1.1.{2 * i + 1}"] = f"brainpoolP{bits}r1"
    for kind, (ka, mapping) in PACE_FAMILIES.items():
        names[f"{ID_PACE}.{kind}"] = f"id-PACE-{ka}-{mapping}"
        for arc, cipher in _CIPHER_NAMES.items():
            if not (mapping == "CAM" and arc == 1):
                names[f"{ID_PACE}.{kind}.{arc}"] = f"id-PACE-{ka}-{mapping}-{cipher}"
    for kind, ka in CA_FAMILIES.items():
        names[f"{ID_CA}.{kind}"] = f"id-CA-{ka}"
        for arc, cipher in _CIPHER_NAMES.items():
            names[f"{ID_CA}.{kind}.{arc}"] = f"id-CA-{ka}-{cipher}"
    for i, h in enumerate(("v1-5-SHA-1", "v1-5-SHA-256", "PSS-SHA-1", "PSS-SHA-256", "v1-5-SHA-512",
                           "PSS-SHA-512"), 1):  # fmt: skip
        names[f"{ID_TA}.1.{i}"] = f"id-TA-RSA-{h}"
    for i, h in enumerate(_HASHES, 1):
        names[f"{ID_TA}.2.{i}"] = f"id-TA-ECDSA-{h.replace('SHA', 'SHA-')}"
        names[f"{ID_ECDSA_PLAIN}.{i}"] = f"ecdsa-plain-{h}"
    names[f"{ID_ECDSA_PLAIN}.6"] = "ecdsa-plain-RIPEMD160"
    return names


OID_NAMES: dict[str, str] = {}  # filled below, after the family tables are defined


def oid_name(oid: str) -> str:
    """The spec name of an OID (``id-PACE-ECDH-GM-AES-CBC-CMAC-128``), or the dotted form if unknown."""
    return OID_NAMES.get(oid, oid)


_CIPHER_ARCS: dict[int, CipherAlg] = {
    1: CipherAlg.DESEDE2, 2: CipherAlg.AES128, 3: CipherAlg.AES192, 4: CipherAlg.AES256,
}  # fmt: skip
PACE_FAMILIES: dict[int, tuple[KeyAgreement, Mapping]] = {
    1: ("DH", "GM"), 2: ("ECDH", "GM"), 3: ("DH", "IM"), 4: ("ECDH", "IM"), 6: ("ECDH", "CAM"),
}  # fmt: skip
CA_FAMILIES: dict[int, KeyAgreement] = {1: "DH", 2: "ECDH"}
OID_NAMES.update(_oid_table())

# Standardized domain parameters (ICAO 9303-11 §9.5.1, table 6): parameterId -> group or curve.
STANDARD_DOMAIN_PARAMETERS: dict[int, str] = {
    0: "MODP-1024-160 (RFC 5114)", 1: "MODP-2048-224 (RFC 5114)", 2: "MODP-2048-256 (RFC 5114)",
    8: "secp192r1", 9: "brainpoolP192r1", 10: "secp224r1", 11: "brainpoolP224r1", 12: "secp256r1",
    13: "brainpoolP256r1", 14: "brainpoolP320r1", 15: "secp384r1", 16: "brainpoolP384r1",
    17: "brainpoolP512r1", 18: "secp521r1",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PACEProtocol:
    """A PACE protocol OID decoded (ICAO 9303-11 §9.2.1, table of id-PACE-*)."""

    oid: str
    key_agreement: KeyAgreement
    mapping: Mapping
    cipher: CipherAlg

    def __iter__(self) -> Iterator[object]:  # ka, mapping, cipher = pace_protocol(oid)
        return iter((self.key_agreement, self.mapping, self.cipher))

    @property
    def name(self) -> str:
        return oid_name(self.oid)


@dataclass(frozen=True, slots=True)
class CAProtocol:
    """A Chip Authentication protocol OID decoded (ICAO 9303-11 §9.2.5, id-CA-*)."""

    oid: str
    key_agreement: KeyAgreement
    cipher: CipherAlg

    def __iter__(self) -> Iterator[object]:  # ka, cipher = ca_protocol(oid)
        return iter((self.key_agreement, self.cipher))

    @property
    def name(self) -> str:
        return oid_name(self.oid)


def arcs_under(oid: str, prefix: str) -> list[int] | None:
    if not oid.startswith(prefix + "."):
        return None
    try:
        return [int(a) for a in oid[len(prefix) + 1 :].split(".")]
    except ValueError:
        return None


def pace_protocol(oid: str) -> PACEProtocol:
    """Decode ``id-PACE-<DH|ECDH>-<GM|IM|CAM>-<cipher>``; :class:`SecurityInfoError` if not one."""
    arcs = arcs_under(oid, ID_PACE)
    if arcs is None or len(arcs) != 2 or arcs[0] not in PACE_FAMILIES or arcs[1] not in _CIPHER_ARCS:
        raise SecurityInfoError(f"not a PACE protocol OID: {oid}")
    key_agreement, mapping = PACE_FAMILIES[arcs[0]]
    if mapping == "CAM" and arcs[1] == 1:
        raise SecurityInfoError("PACE-CAM has no 3DES variant")
    return PACEProtocol(oid, key_agreement, mapping, _CIPHER_ARCS[arcs[1]])


def ca_protocol(oid: str) -> CAProtocol:
    """Decode ``id-CA-<DH|ECDH>-<cipher>``; :class:`SecurityInfoError` if not one."""
    arcs = arcs_under(oid, ID_CA)
    if arcs is None or len(arcs) != 2 or arcs[0] not in CA_FAMILIES or arcs[1] not in _CIPHER_ARCS:
        raise SecurityInfoError(f"not a Chip Authentication protocol OID: {oid}")
    return CAProtocol(oid, CA_FAMILIES[arcs[0]], _CIPHER_ARCS[arcs[1]])

"""DG15: the Active Authentication public key (ICAO 9303-10 §4.7.15, 9303-11 §6.1).

``6F { SubjectPublicKeyInfo }`` (RFC 5280 §4.1.2.7), RSA or EC.  The raw SubjectPublicKeyInfo is kept for
the verifier; here it is only checked and described: key type, size, named curve or explicit parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.cardaccess import decode_integer, decode_oid, oid_name

DG15_TAG = 0x6F
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"


class DG15Error(ParseError):
    """DG15 or its SubjectPublicKeyInfo is malformed."""


@dataclass(frozen=True, slots=True)
class ActiveAuthenticationPublicKey:
    """An Active Authentication key: raw SPKI (DER), ``RSA``/``EC``, size in bits, curve for EC.

    ``curve`` is the named curve's name (or dotted OID), ``"explicit"`` for explicit domain parameters.
    """

    spki: bytes
    key_type: Literal["RSA", "EC"]
    algorithm: str
    key_size: int
    curve: str | None = None

    def __repr__(self) -> str:
        curve = f", {self.curve}" if self.curve else ""
        return f"ActiveAuthenticationPublicKey({self.key_type}, {self.key_size} bits{curve})"


def parse_dg15(raw: bytes) -> ActiveAuthenticationPublicKey:
    """Parse DG15 (ICAO 9303-10 §4.7.15)."""
    try:
        outer = tlv.decode(raw, expected_tag=DG15_TAG)
        spki = tlv.decode(outer.value, expected_tag=0x30)
    except TLVError as exc:
        raise DG15Error(f"DG15 structure: {exc}") from None
    return parse_subject_public_key_info(spki.raw)


def parse_subject_public_key_info(spki: bytes) -> ActiveAuthenticationPublicKey:
    """Describe an RSA or EC SubjectPublicKeyInfo; :class:`DG15Error` for anything else or malformed."""
    try:
        parts = tlv.decode(spki, expected_tag=0x30).children()
        if len(parts) != 2 or parts[0].tag != 0x30 or parts[1].tag != 0x03:
            raise DG15Error("SubjectPublicKeyInfo must be { AlgorithmIdentifier, BIT STRING }")
        alg = parts[0].children()
        if not 1 <= len(alg) <= 2 or alg[0].tag != 0x06:
            raise DG15Error("malformed AlgorithmIdentifier")
        algorithm = decode_oid(alg[0].value)
        bits = parts[1].value
        if not bits or bits[0] != 0:
            raise DG15Error("public key BIT STRING must have no unused bits")
        if algorithm == RSA_ENCRYPTION:
            return ActiveAuthenticationPublicKey(bytes(spki), "RSA", algorithm, _rsa_bits(bits[1:]))
        if algorithm == EC_PUBLIC_KEY:
            if len(alg) != 2:
                raise DG15Error("EC key without domain parameters")
            curve, size = _ec_curve(alg[1], bits[1:])
            return ActiveAuthenticationPublicKey(bytes(spki), "EC", algorithm, size, curve)
    except TLVError as exc:
        raise DG15Error(f"SubjectPublicKeyInfo: {exc}") from None
    raise DG15Error(f"unsupported Active Authentication key algorithm {oid_name(algorithm)}")


def _rsa_bits(key: bytes) -> int:
    """``RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`` (RFC 8017 §A.1.1)."""
    parts = tlv.decode(key, expected_tag=0x30).children()
    if len(parts) != 2 or any(p.tag != 0x02 for p in parts):
        raise DG15Error("malformed RSAPublicKey")
    modulus, exponent = decode_integer(parts[0].value), decode_integer(parts[1].value)
    if modulus <= 0 or exponent <= 1:
        raise DG15Error("RSA modulus or exponent out of range")
    return modulus.bit_length()


def _ec_curve(params: tlv.TLV, point: bytes) -> tuple[str, int]:
    """Named curve (OID) or explicit ``ECParameters`` (RFC 3279 §2.3.5); size from the field prime."""
    if not point or point[0] not in (0x02, 0x03, 0x04):
        raise DG15Error("malformed EC public point")
    coordinate = len(point) - 1 if point[0] != 0x04 else (len(point) - 1) // 2
    if params.tag == 0x06:
        return oid_name(decode_oid(params.value)), coordinate * 8
    if params.tag != 0x30:
        raise DG15Error("EC parameters must be a named curve or explicit parameters")
    fields = params.children()
    if len(fields) < 5 or fields[1].tag != 0x30:
        raise DG15Error("malformed explicit EC parameters")
    field_id = fields[1].children()
    if len(field_id) != 2 or field_id[1].tag != 0x02:
        raise DG15Error("malformed EC field identifier")
    return "explicit", decode_integer(field_id[1].value).bit_length()

"""EC private keys on any curve a chip's DG14 can declare, including explicit domain parameters.

``cryptography`` loads keys on the curves OpenSSL names (not brainpoolP224r1, not brainpoolP320r1) and
refuses explicit domain parameters outright (``UnsupportedAlgorithm``) — yet a Chip Authentication key in
DG14 may be written either way (ICAO 9303-11 §9.2.6; the BSI TR-03105-5 reference data set uses
brainpoolP224r1 with explicit parameters).  This module reads and writes such keys itself:

* ``ECPrivateKey`` (RFC 5915 §3, PEM ``EC PRIVATE KEY``) and PKCS#8 (RFC 5208 §5, PEM ``PRIVATE KEY``)
  with ``ECParameters`` as a named-curve OID or explicit SpecifiedECDomain (RFC 3279 §2.3.5);
* explicit parameters are accepted only when they are exactly a standardized curve (the reader's rule,
  :func:`reader.access.params.ec_group_by_parameters`), and the key must match its public key if given.

The key is a :class:`RawECPrivateKey`: the reader's own :class:`~reader.access.params.ECGroup` and the
scalar, which the simulated chip's Chip Authentication and PACE-CAM use directly.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from asn1crypto import pem
from cryptography.hazmat.primitives.asymmetric import ec

from reader import tlv
from reader.access.params import CURVE_OIDS, STANDARDIZED, ECGroup, GroupError
from reader.auth.chip import EC_PUBLIC_KEY, PRIME_FIELD, domain_parameters
from reader.errors import ParseError
from reader.lds.oids import decode_integer, decode_oid, encode_integer, encode_oid

_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----(.+?)-----END \1-----", re.S)


class ECKeyError(ValueError):
    """Not an EC private key this module can use (the message says why, never the key)."""


@dataclass(frozen=True, slots=True)
class RawECPrivateKey:
    """An EC private key: the group and the scalar ``d`` (never shown)."""

    group: ECGroup
    d: int = field(repr=False)

    def __repr__(self) -> str:
        return f"RawECPrivateKey({self.group.name})"

    @property
    def public_key(self) -> bytes:
        return self.group.encoded_public_key(self.d)


def standardized_group(curve: ec.EllipticCurve) -> ECGroup:
    """The standardized group (BSI TR-03110-3 standardized domain parameters) of a ``cryptography`` curve;
    :class:`GroupError` for a curve that is not one of them."""
    for group in STANDARDIZED.values():
        if isinstance(group, ECGroup) and group.name == curve.name:
            return group
    raise GroupError(f"{curve.name} is not a standardized curve")


# --- writing (for test chips and their dumps) -------------------------------------------------------------


def _seq(*parts: bytes) -> bytes:
    return tlv.encode_constructed(0x30, *parts)


def explicit_parameters(group: ECGroup) -> bytes:
    """``SpecifiedECDomain`` (RFC 3279 §2.3.5, version 1, no seed, cofactor 1) of ``group``."""
    size = group.size
    return _seq(
        encode_integer(1),
        _seq(encode_oid(PRIME_FIELD), encode_integer(group.p)),
        _seq(
            tlv.encode(0x04, group.a.to_bytes(size, "big")), tlv.encode(0x04, group.b.to_bytes(size, "big"))
        ),
        tlv.encode(0x04, group.encode(group.generator)),
        encode_integer(group.order),
        encode_integer(1),
    )


def public_key_spki(key: RawECPrivateKey, *, explicit: bool = True) -> bytes:
    """The SubjectPublicKeyInfo of ``key`` with explicit parameters (or the named curve's OID)."""
    params = explicit_parameters(key.group) if explicit else encode_oid(_curve_oid(key.group))
    algorithm = _seq(encode_oid(EC_PUBLIC_KEY), params)
    return _seq(algorithm, tlv.encode(0x03, b"\x00" + key.public_key))


def private_key_pem(key: RawECPrivateKey, *, explicit: bool = True) -> bytes:
    """RFC 5915 ``ECPrivateKey`` in PEM (``EC PRIVATE KEY``), with its parameters and public key."""
    params = explicit_parameters(key.group) if explicit else encode_oid(_curve_oid(key.group))
    der = _seq(
        encode_integer(1),
        tlv.encode(0x04, key.d.to_bytes((key.group.order.bit_length() + 7) // 8, "big")),
        tlv.encode(0xA0, params),
        tlv.encode(0xA1, tlv.encode(0x03, b"\x00" + key.public_key)),
    )
    return bytes(pem.armor("EC PRIVATE KEY", der))


def _curve_oid(group: ECGroup) -> str:

    for oid, parameter_id in CURVE_OIDS.items():
        if parameter_id == group.parameter_id:
            return oid
    raise ECKeyError(f"{group.name} has no curve OID")


# --- reading ----------------------------------------------------------------------------------------------


def load_pem(data: bytes) -> RawECPrivateKey:
    """An unencrypted EC private key in PEM (``EC PRIVATE KEY`` or ``PRIVATE KEY``)."""
    match = _PEM.search(data)
    if match is None:
        raise ECKeyError("no PEM block")
    try:
        der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ECKeyError("PEM body is not base64") from None
    kind = match.group(1)
    if kind == b"EC PRIVATE KEY":
        return load_ec_private_key(der, None)
    if kind == b"PRIVATE KEY":
        return load_pkcs8(der)
    raise ECKeyError(f"PEM block {kind.decode('ascii', 'replace')!r} is not an unencrypted private key")


def load_pkcs8(der: bytes) -> RawECPrivateKey:
    """PKCS#8 ``PrivateKeyInfo`` (RFC 5208 §5) holding an EC key."""
    try:
        parts = tlv.decode(der, expected_tag=0x30).children()
        algorithm = parts[1].children()
        if decode_oid(algorithm[0].value) != EC_PUBLIC_KEY:
            raise ECKeyError("not an EC key")
        params = algorithm[1] if len(algorithm) > 1 else None
        return load_ec_private_key(tlv.decode(parts[2].value, expected_tag=0x04).value if parts[2].tag == 0x04
                                   else parts[2].value, params)  # fmt: skip
    except (ParseError, IndexError):
        raise ECKeyError("malformed PKCS#8 PrivateKeyInfo") from None


def load_ec_private_key(der: bytes, outer_params: tlv.TLV | None) -> RawECPrivateKey:
    """RFC 5915 ``ECPrivateKey``; ``outer_params``: the parameters of a PKCS#8 wrapper, if any."""
    try:
        parts = tlv.decode(der, expected_tag=0x30).children()
        if len(parts) < 2 or decode_integer(parts[0].value) != 1 or parts[1].tag != 0x04:
            raise ECKeyError("malformed ECPrivateKey")
        d = int.from_bytes(parts[1].value, "big")
        params, public = outer_params, None
        for extra in parts[2:]:
            if extra.tag == 0xA0:
                params = tlv.decode(extra.value)
            elif extra.tag == 0xA1:
                bits = tlv.decode(extra.value, expected_tag=0x03).value
                public = bits[1:]
        if params is None:
            raise ECKeyError("the key names no curve")
        group = domain_parameters(EC_PUBLIC_KEY, params)
    except (ParseError, GroupError) as exc:
        raise ECKeyError(f"EC private key: {exc}") from None
    if not isinstance(group, ECGroup) or not 0 < d < group.order:
        raise ECKeyError("EC private key out of range")
    key = RawECPrivateKey(group, d)
    try:
        matches = public is None or group.reencode(public) == key.public_key
    except GroupError:
        matches = False
    if not matches:
        raise ECKeyError("the private key does not match its public key")
    return key

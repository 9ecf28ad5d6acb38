"""Domain parameters for PACE and Chip Authentication (ICAO 9303-11 §9.5, §9.6; BSI TR-03111 §3).

The standardized domain parameters of ICAO 9303-11 §9.5.1 (table 12) as groups with one small interface:
IDs 0–2 are the RFC 5114 MODP groups with prime-order subgroups, IDs 8–18 the NIST and Brainpool prime
curves.  Elliptic-curve arithmetic comes from ``fastecdsa`` (all eleven curves, arbitrary base points — PACE
maps the generator); modular exponentiation is Python's ``pow``.

Every encoding is left-padded to its full length: an uncompressed point is ``04 ‖ x ‖ y`` with x and y as
long as p; a DH value and a shared secret are as long as p.  Received group elements are validated before
use (TR-03111 §3.2.2 for points, RFC 2631 §2.1.5 for DH values); a bad one raises :class:`GroupError`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fastecdsa import curve as fcurve
from fastecdsa.rust import Curve, Point

from reader.errors import ParseError

Random = Callable[[int], bytes]
E = TypeVar("E")

EC_TAG = 0x86  # public point Y in a public-key data object (ICAO 9303-11 §9.4.4)
DH_TAG = 0x84  # public value y (§9.4.3)


class GroupError(ParseError):
    """A domain parameter ID is unknown, or a received group element is not a valid public key."""


class Group(abc.ABC, Generic[E]):
    """A cyclic group of prime order with a base element: an EC group or a DH subgroup."""

    __slots__ = ()

    parameter_id: int | None
    name: str

    @property
    @abc.abstractmethod
    def order(self) -> int:
        """The prime order of the base element (q or n)."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Length in bytes of a field element (of p)."""

    @property
    @abc.abstractmethod
    def generator(self) -> E:
        """The static base element G or g."""

    @property
    @abc.abstractmethod
    def public_key_tag(self) -> int:
        """Context tag of the public value in a public-key data object: 0x86 (EC) or 0x84 (DH)."""

    @abc.abstractmethod
    def exp(self, base: E, k: int) -> E:
        """k × base (EC) or base^k mod p (DH)."""

    @abc.abstractmethod
    def op(self, a: E, b: E) -> E:
        """The group operation: point addition or multiplication mod p."""

    @abc.abstractmethod
    def encode(self, element: E) -> bytes:
        """Full-length encoding: uncompressed point, or the value padded to the length of p."""

    @abc.abstractmethod
    def decode(self, data: bytes) -> E:
        """Decode and validate a received public element; :class:`GroupError` if invalid."""

    @abc.abstractmethod
    def shared_secret(self, element: E) -> bytes:
        """The octet string K of a key agreement result (x-coordinate or value, full length, §9.7.1)."""

    @abc.abstractmethod
    def is_identity(self, element: E) -> bool: ...

    def random_private(self, rng: Random) -> int:
        """A private key uniform in [1, order − 1] (64 extra random bits make the bias negligible)."""
        nbytes = (self.order.bit_length() + 7) // 8 + 8
        return int.from_bytes(rng(nbytes), "big") % (self.order - 1) + 1

    def public_key(self, private: int, base: E | None = None) -> E:
        """private × base (the static generator unless a mapped one is given)."""
        return self.exp(self.generator if base is None else base, private)

    def encoded_public_key(self, private: int) -> bytes:
        """The encoded public key on the static generator (for callers holding a union of groups)."""
        return self.encode(self.public_key(private))

    def agree_encoded(self, private: int, peer_public_key: bytes) -> bytes:
        """Validate an encoded peer public key, then :meth:`agree`."""
        return self.agree(private, self.decode(peer_public_key))

    def reencode(self, public_key: bytes) -> bytes:
        """Validate an encoded public key and return its full-length encoding."""
        return self.encode(self.decode(public_key))

    def agree(self, private: int, peer: E) -> bytes:
        """Anonymous key agreement KA(private, peer) → K (ECKA-DH of TR-03111 §4.3.1 or PKCS#3 DH)."""
        result = self.exp(peer, private)
        if self.is_identity(result):
            raise GroupError("key agreement produced the identity element")
        return self.shared_secret(result)


@dataclass(frozen=True, slots=True)
class ECGroup(Group[Point]):
    """A prime curve y² = x³ + ax + b over GF(p) with cofactor 1 (all standardized curves)."""

    parameter_id: int | None
    name: str
    curve: Curve = field(repr=False, compare=False)

    @property
    def p(self) -> int:
        return self.curve.p

    @property
    def a(self) -> int:
        return self.curve.a

    @property
    def b(self) -> int:
        return self.curve.b

    @property
    def order(self) -> int:
        return self.curve.q

    @property
    def size(self) -> int:
        return (self.curve.p.bit_length() + 7) // 8

    @property
    def generator(self) -> Point:
        return self.curve.G

    @property
    def public_key_tag(self) -> int:
        return EC_TAG

    def exp(self, base: Point, k: int) -> Point:
        return base * k

    def op(self, a: Point, b: Point) -> Point:
        return a + b

    def is_identity(self, element: Point) -> bool:
        return element.z == 0

    def point(self, x: int, y: int) -> Point:
        """A point from affine coordinates, checked to lie on the curve."""
        if not (0 <= x < self.p and 0 <= y < self.p):
            raise GroupError("point coordinate outside the field")
        try:
            return Point(x, y, self.curve)
        except ValueError:
            raise GroupError("point is not on the curve") from None

    def encode(self, element: Point) -> bytes:
        """TR-03111 §3.2.1 uncompressed encoding ``04 ‖ x ‖ y``, coordinates padded to the length of p."""
        if self.is_identity(element):
            raise GroupError("the point at infinity has no uncompressed encoding")
        return b"\x04" + element.x.to_bytes(self.size, "big") + element.y.to_bytes(self.size, "big")

    def decode(self, data: bytes) -> Point:
        """Decode an uncompressed point and validate it (TR-03111 §3.2.2: in the field, on the curve)."""
        if len(data) != 1 + 2 * self.size or data[0] != 0x04:
            raise GroupError("not an uncompressed point of this curve")
        x = int.from_bytes(data[1 : 1 + self.size], "big")
        y = int.from_bytes(data[1 + self.size :], "big")
        return self.point(x, y)

    def shared_secret(self, element: Point) -> bytes:
        return element.x.to_bytes(self.size, "big")


@dataclass(frozen=True, slots=True)
class DHGroup(Group[int]):
    """A MODP group with a prime-order-q subgroup generated by g (RFC 5114 §2)."""

    parameter_id: int | None
    name: str
    p: int = field(repr=False)
    g: int = field(repr=False)
    q: int = field(repr=False)

    @property
    def order(self) -> int:
        return self.q

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8

    @property
    def generator(self) -> int:
        return self.g

    @property
    def public_key_tag(self) -> int:
        return DH_TAG

    def exp(self, base: int, k: int) -> int:
        return pow(base, k, self.p)

    def op(self, a: int, b: int) -> int:
        return a * b % self.p

    def is_identity(self, element: int) -> bool:
        return element == 1

    def encode(self, element: int) -> bytes:
        return element.to_bytes(self.size, "big")

    def decode(self, data: bytes) -> int:
        """Decode a public value (it may arrive without leading zeros) and validate it (RFC 2631 §2.1.5)."""
        if not data or len(data) > self.size:
            raise GroupError("DH public value of the wrong length")
        y = int.from_bytes(data, "big")
        if not 1 < y < self.p - 1 or pow(y, self.q, self.p) != 1:
            raise GroupError("DH public value is not in the prime-order subgroup")
        return y

    def shared_secret(self, element: int) -> bytes:
        return element.to_bytes(self.size, "big")


DomainParameters = ECGroup | DHGroup

# --- RFC 5114 §2.1–2.3 MODP groups (ICAO 9303-11 §9.5.1, IDs 0–2) -----------------------------------------

_MODP_1024_160 = (
    "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C0"
    "13ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0"
    "A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371",
    "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213"
    "160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28A"
    "D662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5",
    "F518AA8781A8DF278ABA4E7D64B7CB9D49462353",
)
_MODP_2048_224 = (
    "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15"
    "EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207"
    "C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330"
    "278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8"
    "BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71"
    "CF9DE5384E71B81C0AC4DFFE0C10E64F",
    "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFA"
    "AB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98A"
    "E247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EF"
    "BB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381"
    "B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC0179"
    "81BC087F2A7065B384B890D3191F2BFA",
    "801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB",
)
_MODP_2048_256 = (
    "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA30"
    "16C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B"
    "6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0E"
    "F13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026"
    "C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F"
    "693877FAD7EF09CADB094AE91E1A1597",
    "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555"
    "BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B"
    "777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55"
    "A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915"
    "B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D4795451"
    "5E2327CFEF98C582664B4C0F6CC41659",
    "8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3",
)


def _dh(parameter_id: int, name: str, values: tuple[str, str, str]) -> DHGroup:
    p, g, q = (int(v, 16) for v in values)
    return DHGroup(parameter_id, name, p, g, q)


# ICAO 9303-11 §9.5.1, table 12.  Curve OIDs: RFC 5480 §2.1.1.1 (NIST), RFC 5639 §4.1 (Brainpool).
STANDARDIZED: dict[int, DomainParameters] = {
    0: _dh(0, "MODP-1024-160", _MODP_1024_160),
    1: _dh(1, "MODP-2048-224", _MODP_2048_224),
    2: _dh(2, "MODP-2048-256", _MODP_2048_256),
    8: ECGroup(8, "secp192r1", fcurve.P192),
    9: ECGroup(9, "brainpoolP192r1", fcurve.brainpoolP192r1),
    10: ECGroup(10, "secp224r1", fcurve.P224),
    11: ECGroup(11, "brainpoolP224r1", fcurve.brainpoolP224r1),
    12: ECGroup(12, "secp256r1", fcurve.P256),
    13: ECGroup(13, "brainpoolP256r1", fcurve.brainpoolP256r1),
    14: ECGroup(14, "brainpoolP320r1", fcurve.brainpoolP320r1),
    15: ECGroup(15, "secp384r1", fcurve.P384),
    16: ECGroup(16, "brainpoolP384r1", fcurve.brainpoolP384r1),
    17: ECGroup(17, "brainpoolP512r1", fcurve.brainpoolP512r1),
    18: ECGroup(18, "secp521r1", fcurve.P521),
}

CURVE_OIDS: dict[str, int] = {
    "1.2.840.10045.3.1.1": 8, "1.3.36.3.3.2.8.1.1.3": 9, "1.3.132.0.33": 10, "1.3.36.3.3.2.8.1.1.5": 11,
    "1.2.840.10045.3.1.7": 12, "1.3.36.3.3.2.8.1.1.7": 13, "1.3.36.3.3.2.8.1.1.9": 14, "1.3.132.0.34": 15,
    "1.3.36.3.3.2.8.1.1.11": 16, "1.3.36.3.3.2.8.1.1.13": 17, "1.3.132.0.35": 18,
}  # fmt: skip

# The Integrated Mapping's point encoding needs p ≡ 3 (mod 4); NIST P-224 is excluded (§9.5.1, note).
IM_EXCLUDED = frozenset({10})


def standardized(parameter_id: int) -> DomainParameters:
    """The standardized domain parameters with this ID; :class:`GroupError` for RFU or unknown IDs."""
    try:
        return STANDARDIZED[parameter_id]
    except KeyError:
        raise GroupError(f"unknown standardized domain parameter ID {parameter_id}") from None


def ec_group_by_oid(oid: str) -> ECGroup:
    """The standardized curve with this named-curve OID."""
    group = STANDARDIZED.get(CURVE_OIDS.get(oid, -1))
    if not isinstance(group, ECGroup):
        raise GroupError(f"unsupported named curve {oid}")
    return group


def ec_group_by_parameters(p: int, a: int, b: int, gx: int, gy: int, n: int) -> ECGroup:
    """The standardized curve whose p, a, b, G and n all equal the given explicit parameters.

    Explicit parameters matching no standardized curve are refused: a forged base point on a known field
    is a known attack (CVE-2020-0601), and only exact matches are safe.
    """
    for group in STANDARDIZED.values():
        if not isinstance(group, ECGroup):
            continue
        base = (group.generator.x, group.generator.y)
        if (group.p, group.a, group.b, group.order, base) == (p, a, b, n, (gx, gy)):
            return group
    raise GroupError("explicit EC domain parameters match no standardized curve")


def dh_group_by_parameters(p: int, g: int, q: int) -> DHGroup:
    """The standardized MODP group with these parameters, else a validated explicit group.

    An explicit group must have q | p − 1, g of order q and sizes in the range ICAO allows (p ≥ 1024 bits).
    """
    for group in STANDARDIZED.values():
        if isinstance(group, DHGroup) and (group.p, group.g, group.q) == (p, g, q):
            return group
    if p.bit_length() < 1024 or q.bit_length() < 160 or (p - 1) % q or not 1 < g < p or pow(g, q, p) != 1:
        raise GroupError("explicit DH domain parameters are not a prime-order subgroup ICAO allows")
    return DHGroup(None, f"MODP-{p.bit_length()}-{q.bit_length()}", p, g, q)

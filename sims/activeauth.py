"""Active Authentication on the simulated card (ICAO 9303-11 §6.1; ISO/IEC 9796-2 scheme 1; TR-03111).

INTERNAL AUTHENTICATE (INS 88) with an 8-byte RND.IFD; the card answers the signature:

* RSA: ISO/IEC 9796-2 digital signature scheme 1, partial recovery, the generation scheme of B.6 as
  §6.1.2.2 recommends: F = 6A ‖ M1 ‖ H(M1 ‖ RND.IFD) ‖ trailer, with a fresh random M1 filling the
  capacity, then F^d mod n.  Trailer BC for SHA-1 (or 33 CC when asked), xx CC for SHA-2.
* ECDSA over RND.IFD, plain r ‖ s (TR-03111) or, to imitate chips that do so, DER.

A clone is modelled by an applet holding a *different* private key than the one DG15 carries, or by no
applet at all (the card then answers ``6D00``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from Crypto.Math.Numbers import Integer
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from reader.apdu import CommandAPDU, ResponseAPDU
from reader.auth.active import RND_IFD_LENGTH, TRAILER_IDS
from reader.pki.algorithms import crypto_hash
from sims.card import CardOS, Handler, StatusWord

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Random = Callable[[int], bytes]


def sign_iso9796_2(
    key: rsa.RSAPrivateKey,
    rnd_ifd: bytes,
    rng: Random,
    *,
    hash_name: str = "sha1",
    two_byte_trailer: bool = False,
) -> bytes:
    """ISO/IEC 9796-2 scheme 1 signature over M = M1 ‖ RND.IFD, M1 recoverable (Appendix F, steps 3–10)."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    k_bytes = (n.bit_length() + 7) // 8
    if n.bit_length() % 8:
        raise ValueError("modulus length must be a multiple of 8 bits")
    if hash_name == "sha1" and not two_byte_trailer:
        trailer = b"\xbc"
    else:
        trailer = bytes([TRAILER_IDS[hash_name], 0xCC])
    lh = hashlib.new(hash_name).digest_size
    m1 = rng(k_bytes - 1 - lh - len(trailer))  # LM1 = c − 4 bits, c = k − Lh − 8t − 4
    f = b"\x6a" + m1 + hashlib.new(hash_name, m1 + rnd_ifd).digest() + trailer
    return _rsa_private(numbers, int.from_bytes(f, "big")).to_bytes(k_bytes, "big")


def _rsa_private(numbers: rsa.RSAPrivateNumbers, m: int) -> int:
    """m^d mod n by the Chinese remainder theorem (RFC 8017 §5.1.2, RSADP step 2.b), the two half-size
    exponentiations in pycryptodome's native integers: about 0.9 ms for RSA-2048 instead of 10-30 ms for
    Python's ``pow(m, d, n)``, which made it the hot spot of every simulated read (docs/fuzzing.md)."""
    p, q = numbers.p, numbers.q
    m1 = int(pow(Integer(m % p), numbers.dmp1, p))
    m2 = int(pow(Integer(m % q), numbers.dmq1, q))
    h = (numbers.iqmp * (m1 - m2)) % p
    return m2 + h * q


def sign_ecdsa(
    key: ec.EllipticCurvePrivateKey, rnd_ifd: bytes, *, hash_name: str = "sha256", plain: bool = True
) -> bytes:
    """ECDSA over RND.IFD; plain r ‖ s with each half as long as the order (TR-03111 §5.2.1) or DER."""
    der = key.sign(rnd_ifd, ec.ECDSA(crypto_hash(hash_name)))
    if not plain:
        return der
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


@dataclass
class ActiveAuthApplet:
    """INTERNAL AUTHENTICATE with ``private_key``; options choose the hash and the signature format."""

    private_key: PrivateKey
    hash_name: str | None = None  # default: SHA-1 for RSA (trailer BC), SHA-256 for ECDSA
    two_byte_trailer: bool = False
    ecdsa_format: Literal["plain", "der"] = "plain"
    require_secure_messaging: bool = True

    def __repr__(self) -> str:
        kind = "RSA" if isinstance(self.private_key, rsa.RSAPrivateKey) else "EC"
        return f"ActiveAuthApplet({kind})"

    def ins_handlers(self) -> Mapping[int, Handler]:
        return {0x88: self.internal_authenticate}

    def sign(self, rnd_ifd: bytes, rng: Random) -> bytes:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return sign_iso9796_2(
                self.private_key, rnd_ifd, rng,
                hash_name=self.hash_name or "sha1", two_byte_trailer=self.two_byte_trailer,
            )  # fmt: skip
        return sign_ecdsa(
            self.private_key,
            rnd_ifd,
            hash_name=self.hash_name or "sha256",
            plain=self.ecdsa_format == "plain",
        )

    def internal_authenticate(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        """ICAO 9303-11 §6.1.3: P1-P2 00 00, data RND.IFD, response the signature."""
        if self.require_secure_messaging and card.state.sm is None:
            raise StatusWord(0x6982)
        if (command.p1, command.p2) != (0, 0):
            raise StatusWord(0x6A86)
        if len(command.data) != RND_IFD_LENGTH:
            raise StatusWord(0x6700)
        signature = self.sign(command.data, card.rng)
        if command.ne < len(signature):
            raise StatusWord(0x6700)
        return ResponseAPDU(signature, 0x9000)

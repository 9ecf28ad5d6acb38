"""Active Authentication — verification (ICAO 9303-11 §6.1, Appendix F; ISO/IEC 9796-2; BSI TR-03111).

The chip signs the terminal's 8-byte challenge RND.IFD with the private key whose public key is in DG15:

* RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery.  The signature opens to
  F = ``6A`` ‖ M1 ‖ H(M1 ‖ M2) ‖ trailer, M2 = RND.IFD; the trailer is ``BC`` (SHA-1, option 1) or
  ``xx CC`` naming the hash (option 2: 38 SHA-224, 34 SHA-256, 36 SHA-384, 35 SHA-512; 33 SHA-1).
* ECDSA: over RND.IFD, in the plain format r ‖ s of TR-03111 §5.2.1 (what §6.1.2.3 prescribes) or, as
  some chips answer, DER ``Ecdsa-Sig-Value``; the hash comes from the ActiveAuthenticationInfo in DG14.

The outcome is an :class:`AAResult` value with a reason — a bad signature is a result, never an exception.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from reader import tlv
from reader.apdu import EXT_MAX_NE, SHORT_MAX_NE, CommandAPDU
from reader.errors import CardStatusError, ParseError
from reader.lds.cardaccess import encode_oid
from reader.pki.algorithms import SignatureAlgorithm, SignatureScheme, crypto_hash
from reader.pki.errors import PKIError
from reader.pki.keys import load_public_key
from reader.sm import SecureMessaging

Random = Callable[[int], bytes]

RND_IFD_LENGTH = 8

# ISO/IEC 10118-3 hash identifiers in a two-byte trailer ``xx CC`` (ICAO 9303-11 §6.1.2.2).
TRAILER_HASHES: dict[int, str] = {
    0x33: "sha1",
    0x38: "sha224",
    0x34: "sha256",
    0x36: "sha384",
    0x35: "sha512",
}
TRAILER_IDS: dict[str, int] = {name: ident for ident, name in TRAILER_HASHES.items()}
_ECDSA_HASHES = ("sha224", "sha256", "sha384", "sha512")  # §6.1.2.3: never SHA-1 or RIPEMD-160 by default


class AAReason(enum.Enum):
    """Why an Active Authentication signature was accepted or refused."""

    VALID = "valid"
    DIGEST_MISMATCH = "digest_mismatch"  # ISO 9796-2: recovered hash differs from H(M1 ‖ RND.IFD)
    BAD_HEADER = "bad_header"  # the representative does not start with 6A (partial recovery)
    BAD_TRAILER = "bad_trailer"  # neither BC nor a known xx CC
    BAD_LENGTH = "bad_length"  # signature longer than the modulus, or too short for its hash
    ECDSA_INVALID = "ecdsa_invalid"  # the ECDSA signature does not verify
    BAD_CHALLENGE = "bad_challenge"  # RND.IFD is not 8 bytes
    UNSUPPORTED_KEY = "unsupported_key"  # DG15 key type, curve or algorithm not supported
    CARD_REFUSED = "card_refused"  # INTERNAL AUTHENTICATE answered with an error status word
    NOT_PERFORMED = "not_performed"  # e.g. the reader cannot carry the extended-length answer


@dataclass(frozen=True, slots=True)
class AAResult:
    """Outcome of Active Authentication: ``valid`` plus the reason, the scheme and the hash used."""

    valid: bool
    reason: AAReason
    scheme: str  # "iso9796-2-scheme1", "ecdsa-plain", "ecdsa-der" or "" when unknown
    hash_name: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid, "reason": self.reason.value, "scheme": self.scheme,
            "hash": self.hash_name, "detail": self.detail,
        }  # fmt: skip


def _fail(reason: AAReason, scheme: str, detail: str, hash_name: str | None = None) -> AAResult:
    return AAResult(False, reason, scheme, hash_name, detail)


ISO9796 = "iso9796-2-scheme1"


def check_message_representative(f: bytes, rnd_ifd: bytes) -> AAResult:
    """Check an opened ISO/IEC 9796-2 scheme 1 representative F against M2 = RND.IFD (Appendix F, 12–18).

    Header: nibble 6 (``01`` + partial recovery), optional padding nibbles B…B, then A; M1 must start on a
    byte boundary.  Trailer: ``BC`` (SHA-1) or ``xx CC``.
    """
    nibbles = f.hex()
    if len(f) < 3 or nibbles[0] != "6":
        return _fail(AAReason.BAD_HEADER, ISO9796, "representative is not a partial-recovery one (6x)")
    start = 1
    while start < len(nibbles) and nibbles[start] == "b":
        start += 1
    if start >= len(nibbles) or nibbles[start] != "a" or start % 2 == 0:
        return _fail(AAReason.BAD_HEADER, ISO9796, "malformed padding field in the header")
    m1_start = (start + 1) // 2
    if f[-1] == 0xBC:
        hash_name, trailer = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in TRAILER_HASHES:
        hash_name, trailer = TRAILER_HASHES[f[-2]], 2
    else:
        return _fail(AAReason.BAD_TRAILER, ISO9796, f"unknown trailer {f[-2:].hex().upper()}")
    lh = hashlib.new(hash_name).digest_size
    if len(f) < m1_start + lh + trailer:
        return _fail(AAReason.BAD_LENGTH, ISO9796, "representative too short for its hash", hash_name)
    m1 = f[m1_start : len(f) - trailer - lh]
    d = f[len(f) - trailer - lh : len(f) - trailer]
    if not hmac.compare_digest(hashlib.new(hash_name, m1 + rnd_ifd).digest(), d):
        return _fail(
            AAReason.DIGEST_MISMATCH, ISO9796, "recovered digest differs from H(M1 ‖ RND.IFD)", hash_name
        )
    return AAResult(True, AAReason.VALID, ISO9796, hash_name)


def verify_rsa(key: rsa.RSAPublicKey, rnd_ifd: bytes, signature: bytes) -> AAResult:
    """Open the signature with the public key (F = s^e mod n) and check F (ISO/IEC 9796-2 scheme 1)."""
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    k_bytes = (n.bit_length() + 7) // 8
    if n.bit_length() % 8:
        return _fail(AAReason.UNSUPPORTED_KEY, ISO9796, "RSA modulus length is not a multiple of 8 bits")
    s = int.from_bytes(signature, "big")
    if not signature or len(signature) > k_bytes or not 0 < s < n:
        return _fail(AAReason.BAD_LENGTH, ISO9796, "signature is not a number below the modulus")
    return check_message_representative(pow(s, e, n).to_bytes(k_bytes, "big"), rnd_ifd)


def _ecdsa_hashes(key: ec.EllipticCurvePublicKey, signature_algorithm: str | None) -> list[str]:
    if signature_algorithm is not None:
        der = tlv.encode(0x30, encode_oid(signature_algorithm))
        alg = SignatureAlgorithm.from_der(der, default_hash=None)
        if alg.scheme not in (SignatureScheme.ECDSA, SignatureScheme.ECDSA_PLAIN):
            raise PKIError(f"{signature_algorithm} is not an ECDSA algorithm")
        return [alg.hash_name]
    bits = key.curve.key_size
    first = "sha224" if bits <= 224 else "sha256" if bits <= 256 else "sha384" if bits <= 384 else "sha512"
    return [first] + [h for h in _ECDSA_HASHES if h != first]


def _ecdsa_rs(key: ec.EllipticCurvePublicKey, signature: bytes) -> tuple[str, int, int] | None:
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        return "ecdsa-plain", int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    try:
        seq = tlv.decode(signature, expected_tag=0x30).children()
    except ParseError:
        return None
    if len(seq) != 2 or any(c.tag != 0x02 or not c.value for c in seq):
        return None
    return "ecdsa-der", int.from_bytes(seq[0].value, "big"), int.from_bytes(seq[1].value, "big")


def verify_ecdsa(
    key: ec.EllipticCurvePublicKey, rnd_ifd: bytes, signature: bytes, signature_algorithm: str | None = None
) -> AAResult:
    """Verify an ECDSA signature over RND.IFD, plain (r ‖ s) or DER (§6.1.2.3).

    ``signature_algorithm`` is the OID from DG14's ActiveAuthenticationInfo; without it the hash matching
    the key size is tried first, then the other SHA-2 hashes.
    """
    try:
        hashes = _ecdsa_hashes(key, signature_algorithm)
    except PKIError as exc:
        return _fail(AAReason.UNSUPPORTED_KEY, "", str(exc))
    decoded = _ecdsa_rs(key, signature)
    if decoded is None:
        return _fail(AAReason.BAD_LENGTH, "", "neither a plain r ‖ s nor a DER ECDSA signature")
    scheme, r, s = decoded
    if r <= 0 or s <= 0:
        return _fail(AAReason.ECDSA_INVALID, scheme, "r or s is zero")
    der = encode_dss_signature(r, s)
    for name in hashes:
        try:
            key.verify(der, rnd_ifd, ec.ECDSA(crypto_hash(name)))
        except InvalidSignature:
            continue
        return AAResult(True, AAReason.VALID, scheme, name)
    return _fail(AAReason.ECDSA_INVALID, scheme, "ECDSA signature does not verify", "/".join(hashes))


def verify_active_authentication(
    spki: bytes, rnd_ifd: bytes, signature: bytes, *, signature_algorithm: str | None = None
) -> AAResult:
    """Verify the chip's answer to INTERNAL AUTHENTICATE with the DG15 SubjectPublicKeyInfo.

    Works the same live and offline (``cccd verify-dump`` re-checks the saved challenge and signature).
    """
    if len(rnd_ifd) != RND_IFD_LENGTH:
        return _fail(AAReason.BAD_CHALLENGE, "", "RND.IFD must be 8 bytes")
    try:
        key = load_public_key(spki)
    except PKIError as exc:
        return _fail(AAReason.UNSUPPORTED_KEY, "", str(exc))
    if isinstance(key, rsa.RSAPublicKey):
        return verify_rsa(key, rnd_ifd, signature)
    return verify_ecdsa(key, rnd_ifd, signature, signature_algorithm)


# --- the terminal's protocol step (§6.1.3) ----------------------------------------------------------------


class AASender(Protocol):
    """The slice of :class:`reader.session.CardSession` Active Authentication needs."""

    @property
    def secure_messaging(self) -> SecureMessaging | None: ...

    @property
    def supports_extended_length(self) -> bool: ...

    def send(self, command: CommandAPDU, what: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class AAOutcome:
    """The challenge, the chip's answer and the verification — all re-checkable offline."""

    rnd_ifd: bytes
    signature: bytes
    result: AAResult

    @property
    def valid(self) -> bool:
        return self.result.valid

    def evidence(self) -> dict[str, Any]:
        """For ``evidence.json``: ``cccd verify-dump`` re-verifies this with DG15 from the dump."""
        return {
            "rnd_ifd": self.rnd_ifd.hex().upper(), "signature": self.signature.hex().upper(),
            **self.result.to_dict(),
        }  # fmt: skip


def expected_signature_length(spki: bytes) -> int:
    """Upper bound of the signature's length: the modulus length, or 2 · order length + 9 for DER ECDSA."""
    key = load_public_key(spki)
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    return 2 * ((key.curve.key_size + 7) // 8) + 9


def _protected_length(sm: SecureMessaging | None, length: int) -> int:
    """Length of the response data on the wire (DO'87' + DO'99' + DO'8E' under secure messaging)."""
    if sm is None:
        return length
    block = sm.alg.block_size
    cryptogram = 1 + (length // block + 1) * block
    return len(tlv.encode(0x87, bytes(cryptogram))) + 4 + 10


def internal_authenticate(rnd_ifd: bytes, spki: bytes, sm: SecureMessaging | None) -> CommandAPDU:
    """INTERNAL AUTHENTICATE with RND.IFD; extended length when the answer cannot fit 256 bytes (§6.1.4)."""
    if _protected_length(sm, expected_signature_length(spki)) > SHORT_MAX_NE:
        return CommandAPDU(0x00, 0x88, 0x00, 0x00, rnd_ifd, ne=EXT_MAX_NE, extended=True)
    return CommandAPDU(0x00, 0x88, 0x00, 0x00, rnd_ifd, ne=SHORT_MAX_NE)


def perform_active_authentication(
    session: AASender, spki: bytes, *, signature_algorithm: str | None = None, rng: Random = os.urandom
) -> AAOutcome:
    """Send a fresh 8-byte RND.IFD and verify the answer with the DG15 key; never raises on a bad answer.

    ``signature_algorithm``: the ECDSA OID of DG14's ActiveAuthenticationInfo, if any.  A refusal by the
    chip is ``AAReason.CARD_REFUSED``; a reader without extended length for a long key, ``NOT_PERFORMED``.
    """
    rnd_ifd = rng(RND_IFD_LENGTH)
    try:
        command = internal_authenticate(rnd_ifd, spki, session.secure_messaging)
    except PKIError as exc:
        return AAOutcome(rnd_ifd, b"", _fail(AAReason.UNSUPPORTED_KEY, "", str(exc)))
    if command.is_extended and not session.supports_extended_length:
        return AAOutcome(
            rnd_ifd, b"", _fail(AAReason.NOT_PERFORMED, "", "the key needs extended-length APDUs")
        )
    try:
        signature = session.send(command, "INTERNAL AUTHENTICATE")
    except CardStatusError as exc:
        return AAOutcome(rnd_ifd, b"", _fail(AAReason.CARD_REFUSED, "", f"the chip answered {exc.sw:04X}"))
    result = verify_active_authentication(spki, rnd_ifd, signature, signature_algorithm=signature_algorithm)
    return AAOutcome(rnd_ifd, signature, result)

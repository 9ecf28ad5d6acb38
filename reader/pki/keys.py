"""Public keys from a SubjectPublicKeyInfo, including EC keys with *explicit* domain parameters, and
signature verification (RFC 5280 §4.1.2.7; RFC 3279 §2.3.5; SEC 1 §C.2; ICAO 9303-12 §7.1.2; RFC 8017).

Several CSCAs (among them Vietnam's ePassport CSCA, brainpoolP512r1) encode their EC keys with the full
``SpecifiedECDomain`` instead of a curve OID.  ``cryptography`` refuses such keys, so the SPKI is decoded
here with ``asn1crypto`` and the parameters are mapped to the named curve whose p, a, b, G, n (and cofactor)
all match.  Parameters that match no known curve are rejected rather than used: a forged generator on a
known field is a known attack on explicit parameters (CVE-2020-0601), and only exact matches are safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509 import ObjectIdentifier
from fastecdsa import curve as fcurve

from reader.pki.algorithms import SignatureAlgorithm, SignatureScheme, crypto_hash
from reader.pki.errors import ASN1_ERRORS, KeyParseError, UnsupportedAlgorithmError

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True, slots=True)
class CurveParameters:
    """The domain parameters of a prime-field curve (SEC 1 §3.1.1), cofactor 1 for all curves here."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def size(self) -> int:
        """Length in bytes of a field element."""
        return (self.p.bit_length() + 7) // 8


def _params(name: str, c: Any) -> CurveParameters:
    return CurveParameters(name, c.p, c.a, c.b, c.G.x, c.G.y, c.q)


# Named curves ``cryptography`` can verify on, with their parameters (taken from fastecdsa's tables).
_CURVES: tuple[tuple[ec.EllipticCurve, CurveParameters], ...] = (
    (ec.SECP192R1(), _params("secp192r1", fcurve.P192)),
    (ec.SECP224R1(), _params("secp224r1", fcurve.P224)),
    (ec.SECP256R1(), _params("secp256r1", fcurve.P256)),
    (ec.SECP384R1(), _params("secp384r1", fcurve.P384)),
    (ec.SECP521R1(), _params("secp521r1", fcurve.P521)),
    (ec.SECP256K1(), _params("secp256k1", fcurve.secp256k1)),
    (ec.BrainpoolP256R1(), _params("brainpoolP256r1", fcurve.brainpoolP256r1)),
    (ec.BrainpoolP384R1(), _params("brainpoolP384r1", fcurve.brainpoolP384r1)),
    (ec.BrainpoolP512R1(), _params("brainpoolP512r1", fcurve.brainpoolP512r1)),
)


def curve_parameters(curve: ec.EllipticCurve) -> CurveParameters:
    """The explicit parameters of a named curve (used to encode explicit SPKIs and in tests)."""
    for known, params in _CURVES:
        if known.name == curve.name:
            return params
    raise UnsupportedAlgorithmError(f"unsupported curve {curve.name}")


def load_public_key(spki_der: bytes) -> PublicKey:
    """Decode a DER SubjectPublicKeyInfo into a ``cryptography`` public key (RSA, RSASSA-PSS or EC)."""
    try:
        spki = keys.PublicKeyInfo.load(spki_der, strict=True)
        algorithm = spki["algorithm"]["algorithm"].native
        if algorithm in ("rsa", "rsassa_pss"):
            rsa_key = spki["public_key"].parsed
            n, e = int(rsa_key["modulus"].native), int(rsa_key["public_exponent"].native)
            return rsa.RSAPublicNumbers(e, n).public_key()
        if algorithm == "ec":
            curve = _ec_curve(spki["algorithm"]["parameters"])
            point = bytes(spki["public_key"].native)
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
    except (UnsupportedAlgorithmError, KeyParseError):
        raise
    except ASN1_ERRORS as exc:
        raise KeyParseError("malformed SubjectPublicKeyInfo") from exc
    raise UnsupportedAlgorithmError(f"unsupported public key algorithm {algorithm}")


def _ec_curve(parameters: keys.ECDomainParameters) -> ec.EllipticCurve:
    if parameters.name == "named":
        oid = parameters.chosen.dotted
        try:
            return ec.get_curve_for_oid(ObjectIdentifier(oid))()
        except LookupError:
            raise UnsupportedAlgorithmError(f"unsupported named curve {oid}") from None
    if parameters.name == "specified":
        return named_curve_for_explicit(parameters.chosen)
    raise UnsupportedAlgorithmError("EC key with implicitlyCA parameters")


def named_curve_for_explicit(domain: keys.SpecifiedECDomain) -> ec.EllipticCurve:
    """Map ``SpecifiedECDomain`` (SEC 1 §C.2) to the named curve with identical p, a, b, G, n, h."""
    if domain["field_id"]["field_type"].native != "prime_field":
        raise UnsupportedAlgorithmError("EC parameters over a characteristic-two field")
    p = int(domain["field_id"]["parameters"].native)
    a = int.from_bytes(bytes(domain["curve"]["a"].native), "big")
    b = int.from_bytes(bytes(domain["curve"]["b"].native), "big")
    n = int(domain["order"].native)
    cofactor = domain["cofactor"].native
    base = bytes(domain["base"].native)
    for curve, params in _CURVES:
        if (params.p, params.a, params.b, params.n) != (p, a, b, n):
            continue
        if cofactor is not None and int(cofactor) != 1:
            break
        if _is_generator(base, params):
            return curve
        break
    raise UnsupportedAlgorithmError("explicit EC parameters match no supported named curve")


def _is_generator(encoded: bytes, params: CurveParameters) -> bool:
    """True when the encoded base point (SEC 1 §2.3.4, compressed or not) is the curve's generator."""
    size = params.size
    x = params.gx.to_bytes(size, "big")
    if len(encoded) == 1 + 2 * size and encoded[0] == 0x04:
        return encoded[1:] == x + params.gy.to_bytes(size, "big")
    if len(encoded) == 1 + size and encoded[0] in (0x02, 0x03):
        return encoded[1:] == x and (encoded[0] & 1) == (params.gy & 1)
    return False


def verify_signature(key: PublicKey, algorithm: SignatureAlgorithm, signature: bytes, message: bytes) -> bool:
    """Verify ``signature`` over ``message``; False when it does not verify.

    :class:`UnsupportedAlgorithmError` when the algorithm does not fit the key type.
    """
    hash_ = crypto_hash(algorithm.hash_name)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            der = _ecdsa_der(key, algorithm.scheme, signature)
            if der is None:
                return False
            key.verify(der, message, ec.ECDSA(hash_))
            return True
        if algorithm.scheme is SignatureScheme.RSA_PKCS1V15:
            key.verify(signature, message, padding.PKCS1v15(), hash_)
            return True
        if algorithm.scheme is SignatureScheme.RSA_PSS:
            assert algorithm.mgf1_hash is not None and algorithm.salt_length is not None
            pss = padding.PSS(
                mgf=padding.MGF1(crypto_hash(algorithm.mgf1_hash)), salt_length=algorithm.salt_length
            )
            key.verify(signature, message, pss, hash_)
            return True
    except InvalidSignature:
        return False
    raise UnsupportedAlgorithmError(f"{algorithm.scheme.value} signature with an RSA key")


def _ecdsa_der(key: ec.EllipticCurvePublicKey, scheme: SignatureScheme, signature: bytes) -> bytes | None:
    """The signature as strict DER ``Ecdsa-Sig-Value``; None when it cannot be one."""
    if scheme is SignatureScheme.ECDSA:
        try:  # re-encode: some issuers emit BER integers (leading zeros) that OpenSSL rejects
            sig = algos.DSASignature.load(signature, strict=True)
            r, s = int(sig["r"].native), int(sig["s"].native)
        except ASN1_ERRORS:
            return None
    elif scheme is SignatureScheme.ECDSA_PLAIN:
        size = (key.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            return None
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    else:
        raise UnsupportedAlgorithmError(f"{scheme.value} signature with an EC key")
    if r <= 0 or s <= 0:
        return None
    return encode_dss_signature(r, s)

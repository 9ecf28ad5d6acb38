"""Hash and signature algorithm identifiers used by eMRTD PKI (ICAO 9303-12 §7.1.2, Appendix A; RFC 3279,
RFC 4055, RFC 5758; BSI TR-03111 §5.2.1 for plain ECDSA).

An ``AlgorithmIdentifier`` is decoded into a :class:`SignatureAlgorithm`: the scheme, the hash, and for
RSASSA-PSS its parameters (RFC 4055 §3.1, with the defaults SHA-1 / MGF1-SHA-1 / salt 20 / trailer 1).
Where the OID names only the key type (``rsaEncryption``, ``id-ecPublicKey``) — which some issuers put in a
CMS ``SignerInfo`` — the hash comes from the ``digestAlgorithm`` next to it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos
from cryptography.hazmat.primitives import hashes

from reader.pki.errors import ASN1_ERRORS, UnsupportedAlgorithmError

#: Digest algorithms allowed for data-group hashes and signatures (ICAO 9303-12 §7.1.2).
HASH_OIDS: dict[str, str] = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
HASH_NAMES: dict[str, str] = {name: oid for oid, name in HASH_OIDS.items()}

_CRYPTO_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class SignatureScheme(enum.Enum):
    ECDSA = "ecdsa"  # X9.62 Ecdsa-Sig-Value (DER SEQUENCE { r, s })
    ECDSA_PLAIN = "ecdsa-plain"  # BSI TR-03111: r || s, each as long as the order
    RSA_PKCS1V15 = "rsassa-pkcs1-v1_5"
    RSA_PSS = "rsassa-pss"


# OID -> (scheme, hash or None when the hash comes from elsewhere)
_SIGNATURE_OIDS: dict[str, tuple[SignatureScheme, str | None]] = {
    "1.2.840.10045.4.1": (SignatureScheme.ECDSA, "sha1"),
    "1.2.840.10045.4.3.1": (SignatureScheme.ECDSA, "sha224"),
    "1.2.840.10045.4.3.2": (SignatureScheme.ECDSA, "sha256"),
    "1.2.840.10045.4.3.3": (SignatureScheme.ECDSA, "sha384"),
    "1.2.840.10045.4.3.4": (SignatureScheme.ECDSA, "sha512"),
    "1.2.840.10045.2.1": (SignatureScheme.ECDSA, None),  # id-ecPublicKey, seen in some SignerInfos
    "1.2.840.10045.4": (SignatureScheme.ECDSA, None),
    "0.4.0.127.0.7.1.1.4.1.1": (SignatureScheme.ECDSA_PLAIN, "sha1"),
    "0.4.0.127.0.7.1.1.4.1.2": (SignatureScheme.ECDSA_PLAIN, "sha224"),
    "0.4.0.127.0.7.1.1.4.1.3": (SignatureScheme.ECDSA_PLAIN, "sha256"),
    "0.4.0.127.0.7.1.1.4.1.4": (SignatureScheme.ECDSA_PLAIN, "sha384"),
    "0.4.0.127.0.7.1.1.4.1.5": (SignatureScheme.ECDSA_PLAIN, "sha512"),
    "1.2.840.113549.1.1.5": (SignatureScheme.RSA_PKCS1V15, "sha1"),
    "1.2.840.113549.1.1.14": (SignatureScheme.RSA_PKCS1V15, "sha224"),
    "1.2.840.113549.1.1.11": (SignatureScheme.RSA_PKCS1V15, "sha256"),
    "1.2.840.113549.1.1.12": (SignatureScheme.RSA_PKCS1V15, "sha384"),
    "1.2.840.113549.1.1.13": (SignatureScheme.RSA_PKCS1V15, "sha512"),
    "1.2.840.113549.1.1.1": (SignatureScheme.RSA_PKCS1V15, None),  # rsaEncryption
}
RSASSA_PSS_OID = "1.2.840.113549.1.1.10"
MGF1_OID = "1.2.840.113549.1.1.8"


def hash_name(oid: str) -> str:
    """The hash name (``"sha256"``) of a digest-algorithm OID; :class:`UnsupportedAlgorithmError` else."""
    try:
        return HASH_OIDS[oid]
    except KeyError:
        raise UnsupportedAlgorithmError(f"unsupported digest algorithm {oid}") from None


def digest(name: str, data: bytes) -> bytes:
    """Hash ``data`` with the named algorithm (one of :data:`HASH_NAMES`)."""
    if name not in HASH_NAMES:
        raise UnsupportedAlgorithmError(f"unsupported digest algorithm {name}")
    return hashlib.new(name, data).digest()


def crypto_hash(name: str) -> hashes.HashAlgorithm:
    """The ``cryptography`` hash object for a hash name."""
    try:
        return _CRYPTO_HASHES[name]()
    except KeyError:
        raise UnsupportedAlgorithmError(f"unsupported digest algorithm {name}") from None


@dataclass(frozen=True, slots=True)
class SignatureAlgorithm:
    """A decoded signature ``AlgorithmIdentifier``."""

    scheme: SignatureScheme
    hash_name: str
    oid: str
    mgf1_hash: str | None = None  # RSASSA-PSS only
    salt_length: int | None = None  # RSASSA-PSS only

    @classmethod
    def from_der(cls, der: bytes, *, default_hash: str | None = None) -> SignatureAlgorithm:
        """Decode a DER ``AlgorithmIdentifier``; ``default_hash`` serves OIDs that name no hash."""
        try:
            alg = algos.SignedDigestAlgorithm.load(der, strict=True)
            oid = alg["algorithm"].dotted
            if oid == RSASSA_PSS_OID:
                return cls._pss(oid, alg["parameters"])
        except ASN1_ERRORS as exc:
            raise UnsupportedAlgorithmError("malformed signature algorithm identifier") from exc
        try:
            scheme, hash_ = _SIGNATURE_OIDS[oid]
        except KeyError:
            raise UnsupportedAlgorithmError(f"unsupported signature algorithm {oid}") from None
        hash_ = hash_ or default_hash
        if hash_ is None:
            raise UnsupportedAlgorithmError(f"signature algorithm {oid} needs a digest algorithm")
        crypto_hash(hash_)
        return cls(scheme, hash_, oid)

    @classmethod
    def _pss(cls, oid: str, params: Any) -> SignatureAlgorithm:
        """RSASSA-PSS-params (RFC 4055 §3.1); absent fields take their DEFAULT values."""
        if params is None or params.native is None:
            return cls(SignatureScheme.RSA_PSS, "sha1", oid, "sha1", 20)
        hash_ = hash_name(params["hash_algorithm"]["algorithm"].dotted)
        mgf = params["mask_gen_algorithm"]
        if mgf["algorithm"].dotted != MGF1_OID:
            raise UnsupportedAlgorithmError("RSASSA-PSS with a mask generation function other than MGF1")
        mgf_hash = hash_name(mgf["parameters"]["algorithm"].dotted)
        salt = int(params["salt_length"].native)
        if params["trailer_field"].native not in (1, "trailer_field_bc"):
            raise UnsupportedAlgorithmError("RSASSA-PSS trailer field other than 1")
        if salt < 0:
            raise UnsupportedAlgorithmError("RSASSA-PSS negative salt length")
        return cls(SignatureScheme.RSA_PSS, hash_, oid, mgf_hash, salt)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"scheme": self.scheme.value, "hash": self.hash_name, "oid": self.oid}
        if self.scheme is SignatureScheme.RSA_PSS:
            d |= {"mgf1_hash": self.mgf1_hash, "salt_length": self.salt_length}
        return d

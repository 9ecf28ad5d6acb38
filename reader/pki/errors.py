"""Typed errors of the PKI layer (certificates, CMS, CRLs, master lists, trust stores).

Parse failures are :class:`reader.errors.ParseError` subclasses, so that a caller that only knows the chip
engine's hierarchy still catches them.  Library errors from ``asn1crypto`` are mapped to these at the
boundary (:data:`ASN1_ERRORS`); no message quotes the bytes being parsed.
"""

from __future__ import annotations

from reader.errors import ParseError, ReaderError

#: What ``asn1crypto`` may raise on malformed input (it parses lazily and reports errors with built-in
#: exception types).  Callers catch these at the parsing boundary and re-raise one of the errors below.
# AttributeError: asn1crypto 1.5 fails that way on some malformed inputs (e.g. an ObjectDescriptor where a
# certificate is expected has no ``native``), found by the SOD mutation fuzz test.
ASN1_ERRORS: tuple[type[Exception], ...] = (
    ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError,
)  # fmt: skip


class PKIError(ReaderError):
    """Base class of the PKI layer's errors."""


class CertificateParseError(PKIError, ParseError):
    """A certificate (X.509, RFC 5280 §4.1) cannot be decoded."""


class CRLParseError(PKIError, ParseError):
    """A certificate revocation list (RFC 5280 §5.1) cannot be decoded."""


class CMSParseError(PKIError, ParseError):
    """A CMS SignedData structure (RFC 5652 §5) cannot be decoded or violates its profile."""


class MasterListError(CMSParseError):
    """A CSCA master list (ICAO 9303-12 §8) cannot be decoded."""


class MasterListSignatureError(PKIError):
    """A CSCA master list carries a signer whose signature does not verify: its content is not trusted."""


class UnsupportedAlgorithmError(PKIError):
    """A hash, signature algorithm, key type or elliptic curve this implementation does not support."""


class KeyParseError(PKIError, ParseError):
    """A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) cannot be decoded into a usable public key."""


class TrustStoreError(PKIError):
    """A trust-store location cannot be used (missing folder, unreadable file)."""

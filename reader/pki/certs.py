"""X.509 certificates of the eMRTD PKI (RFC 5280 §4.1; ICAO 9303-12 §7.1 certificate profile).

:class:`Certificate` is decoded eagerly with ``asn1crypto`` (which, unlike ``cryptography``, accepts EC keys
with explicit domain parameters), so that a malformed certificate fails when it is loaded.  The public key
is decoded on demand by :mod:`reader.pki.keys`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import pem, x509

from reader.pki.algorithms import SignatureAlgorithm
from reader.pki.errors import ASN1_ERRORS, CertificateParseError
from reader.pki.keys import PublicKey, load_public_key, verify_signature


class Validity(enum.Enum):
    """A certificate's validity period compared with a point in time (RFC 5280 §4.1.2.5)."""

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NOT_CHECKED = "not_checked"


_SHORT_NAMES = {
    "common_name": "CN",
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "serial_number": "serialNumber",
    "email_address": "emailAddress",
}


_ESCAPE = re.compile(r'([,+;<>="\\])')  # RFC 4514 §2.4 special characters


def format_name(name: Any) -> str:
    """An RFC 4514-style string of an ``asn1crypto`` Name (most significant RDN last)."""
    parts: list[str] = []
    for rdn in reversed(list(name.chosen)):
        values = []
        for atv in rdn:
            type_ = atv["type"].native
            key = _SHORT_NAMES.get(type_, atv["type"].dotted)
            value = atv["value"].native
            text = value if isinstance(value, str) else str(value)
            values.append(key + "=" + _ESCAPE.sub(r"\\\1", text))
        parts.append("+".join(values))
    return ",".join(parts)


#: Names already prepared for comparison, by DER encoding (CSCA, DS and CRL issuer names: public PKI
#: names, a handful per deployment); emptied when full.
_PREPARED_NAMES: dict[bytes, Any] = {}
_PREPARED_NAMES_LIMIT = 256


def comparable_name(name: Any) -> Any:
    """``name`` (an ``asn1crypto.x509.Name``) once comparing it is known to work.

    asn1crypto decodes a name's strings lazily, when it is first compared (RFC 5280 §7.1 string
    preparation); a malformed string then raises ``ValueError``/``UnicodeDecodeError`` far from the
    parser.  Comparing it with itself here moves that failure to parse time, where callers map it to a
    typed error (found by fuzz/targets.py ``sod``, ``cms`` and ``master_list``).

    The preparation (RFC 4518 stringprep, in Python) cost a third of parsing an EF.SOD, for the same few
    names at every read: a name met before is answered with the prepared ``Name`` of the same DER
    encoding, which compares exactly as ``name`` would.
    """
    der = name.dump()
    prepared = _PREPARED_NAMES.get(der)
    if prepared is not None:
        return prepared
    _ = name == name  # forces the lazy decoding
    if len(_PREPARED_NAMES) >= _PREPARED_NAMES_LIMIT:
        _PREPARED_NAMES.clear()
    _PREPARED_NAMES[der] = name
    return name


@dataclass(frozen=True, slots=True)
class Certificate:
    """A decoded X.509 certificate.  Equal when their DER encodings are equal."""

    der: bytes
    subject: str
    issuer: str
    serial_number: int
    not_before: datetime
    not_after: datetime
    subject_key_identifier: bytes | None
    authority_key_identifier: bytes | None
    is_ca: bool | None  # None: no basicConstraints extension
    key_usage: frozenset[str] | None  # None: no keyUsage extension
    spki_der: bytes
    tbs_der: bytes
    signature_algorithm_der: bytes
    signature: bytes
    subject_name: Any = field(repr=False, compare=False, hash=False)
    issuer_name: Any = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_der(cls, der: bytes) -> Certificate:
        """Decode a DER certificate; :class:`CertificateParseError` on malformed input."""
        try:
            return cls.from_asn1(x509.Certificate.load(bytes(der), strict=True))
        except CertificateParseError:
            raise
        except ASN1_ERRORS as exc:
            raise CertificateParseError("malformed X.509 certificate") from exc

    @classmethod
    def from_asn1(cls, cert: Any) -> Certificate:
        """Build from an ``asn1crypto.x509.Certificate`` (e.g. one embedded in a CMS structure)."""
        try:
            tbs = cert["tbs_certificate"]
            validity = tbs["validity"]
            bc = cert.basic_constraints_value
            ku = cert.key_usage_value
            ski = cert.key_identifier_value
            aki = cert.authority_key_identifier_value
            subject_name, issuer_name = comparable_name(tbs["subject"]), comparable_name(tbs["issuer"])
            return cls(
                der=cert.dump(),
                subject=format_name(subject_name),
                issuer=format_name(issuer_name),
                serial_number=int(tbs["serial_number"].native),
                not_before=validity["not_before"].native,
                not_after=validity["not_after"].native,
                subject_key_identifier=bytes(ski.native) if ski is not None else None,
                authority_key_identifier=_aki_key_id(aki),
                is_ca=bool(bc["ca"].native) if bc is not None else None,
                key_usage=frozenset(ku.native) if ku is not None else None,
                spki_der=tbs["subject_public_key_info"].dump(),
                tbs_der=tbs.dump(),
                signature_algorithm_der=cert["signature_algorithm"].dump(),
                signature=bytes(cert["signature_value"].native),
                subject_name=subject_name,
                issuer_name=issuer_name,
            )
        except ASN1_ERRORS as exc:
            raise CertificateParseError("malformed X.509 certificate") from exc

    def __repr__(self) -> str:
        return f"Certificate(subject={self.subject!r}, serial={self.serial_number:X})"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER encoding, hex."""
        return hashlib.sha256(self.der).hexdigest()

    def public_key(self) -> PublicKey:
        """The subject public key (explicit EC parameters mapped to the named curve)."""
        return load_public_key(self.spki_der)

    def validity_at(self, at: datetime) -> Validity:
        """Whether ``at`` falls inside notBefore..notAfter (inclusive)."""
        if at < self.not_before:
            return Validity.NOT_YET_VALID
        if at > self.not_after:
            return Validity.EXPIRED
        return Validity.VALID

    def issued_by_name(self, issuer: Certificate) -> bool:
        """True when this certificate's issuer name equals ``issuer``'s subject (RFC 5280 §7.1)."""
        return bool(self.issuer_name == issuer.subject_name)

    def is_signed_by(self, issuer: Certificate) -> bool:
        """Verify this certificate's signature with ``issuer``'s public key (RFC 5280 §6.1.3 (a)(1))."""
        algorithm = SignatureAlgorithm.from_der(self.signature_algorithm_der)
        return verify_signature(issuer.public_key(), algorithm, self.signature, self.tbs_der)


def _aki_key_id(aki: Any) -> bytes | None:
    if aki is None:
        return None
    key_id = aki["key_identifier"].native
    return bytes(key_id) if key_id is not None else None


def load_certificates(data: bytes) -> list[Certificate]:
    """All certificates in ``data``: one DER certificate, or PEM with one or more CERTIFICATE blocks."""
    if pem.detect(data):
        try:
            blocks = [der for type_, _, der in pem.unarmor(data, multiple=True) if type_ == "CERTIFICATE"]
        except ASN1_ERRORS as exc:
            raise CertificateParseError("malformed PEM") from exc
        if not blocks:
            raise CertificateParseError("no CERTIFICATE block in PEM data")
        return [Certificate.from_der(der) for der in blocks]
    return [Certificate.from_der(data)]

"""Certificate revocation lists issued by a CSCA (RFC 5280 §5; ICAO 9303-12 §7.1.4 CRL profile).

A CRL is only evidence once its signature verifies with the issuing CSCA's key; :meth:`CRL.verified_by`
does that, and :class:`reader.pki.trust.CSCAStore` only consults CRLs that pass it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import crl, pem

from reader.pki.algorithms import SignatureAlgorithm
from reader.pki.certs import Certificate, comparable_name, format_name
from reader.pki.errors import ASN1_ERRORS, CRLParseError, PKIError
from reader.pki.keys import verify_signature


@dataclass(frozen=True, slots=True)
class CRL:
    """A decoded CRL: issuer, update times and the revoked serial numbers."""

    der: bytes = field(repr=False)
    issuer: str
    this_update: datetime
    next_update: datetime | None
    revoked_serials: frozenset[int] = field(repr=False)
    tbs_der: bytes = field(repr=False)
    signature_algorithm_der: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    issuer_name: Any = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> CRL:
        """Decode a CRL in DER or PEM (``X509 CRL`` block)."""
        try:
            if pem.detect(data):
                type_, _, data = pem.unarmor(data)
                if type_ != "X509 CRL":
                    raise CRLParseError("PEM block is not an X509 CRL")
            lst = crl.CertificateList.load(bytes(data), strict=True)
            tbs = lst["tbs_cert_list"]
            revoked = tbs["revoked_certificates"]
            serials = (
                frozenset(int(e["user_certificate"].native) for e in revoked)
                if revoked.native is not None
                else frozenset()
            )
            return cls(
                der=lst.dump(),
                issuer=format_name(tbs["issuer"]),
                this_update=tbs["this_update"].native,
                next_update=tbs["next_update"].native,
                revoked_serials=serials,
                tbs_der=tbs.dump(),
                signature_algorithm_der=lst["signature_algorithm"].dump(),
                signature=bytes(lst["signature"].native),
                issuer_name=comparable_name(tbs["issuer"]),
            )
        except CRLParseError:
            raise
        except ASN1_ERRORS as exc:
            raise CRLParseError("malformed CRL") from exc

    def names_issuer(self, csca: Certificate) -> bool:
        """True when the CRL's issuer name is ``csca``'s subject."""
        return bool(self.issuer_name == csca.subject_name)

    def is_signed_by(self, csca: Certificate) -> bool:
        """Verify the CRL signature with the CSCA's key (RFC 5280 §6.3.3 (f))."""
        algorithm = SignatureAlgorithm.from_der(self.signature_algorithm_der)
        return verify_signature(csca.public_key(), algorithm, self.signature, self.tbs_der)

    def verified_by(self, csca: Certificate) -> bool:
        """True when the CRL is issued under ``csca``'s name and its key verifies the signature (a key or
        algorithm that cannot be used is a signature that does not verify)."""
        if not self.names_issuer(csca):
            return False
        try:
            return self.is_signed_by(csca)
        except PKIError:
            return False

    def revokes(self, cert: Certificate) -> bool:
        """True when ``cert``'s serial number is listed (the caller has matched the issuer)."""
        return cert.serial_number in self.revoked_serials

    def is_stale(self, at: datetime) -> bool:
        """True when ``at`` is past nextUpdate (the CRL still proves revocations, not their absence)."""
        return self.next_update is not None and at > self.next_update

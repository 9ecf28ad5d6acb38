"""CMS SignedData as used by EF.SOD and CSCA master lists (RFC 5652 §5; ICAO 9303-10 §4.6.2;
ICAO 9303-12 §8).

:func:`parse_signed_data` decodes the ``ContentInfo`` into plain values (the encapsulated content as the
exact bytes signed, the embedded certificates, the signer infos with their signed attributes) and raises
:class:`CMSParseError` on anything malformed.  :func:`verify_signer` checks one signer (RFC 5652 §5.4, §5.6):
the content-type and message-digest signed attributes, then the signature over the DER ``SET OF`` signed
attributes, as received.  Its outcome is a value, not an exception.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import cms

from reader.pki.algorithms import SignatureAlgorithm, digest, hash_name
from reader.pki.certs import Certificate, comparable_name
from reader.pki.errors import ASN1_ERRORS, CMSParseError, KeyParseError, UnsupportedAlgorithmError
from reader.pki.keys import verify_signature

SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """One decoded ``SignerInfo`` (RFC 5652 §5.3)."""

    version: int
    serial_number: int | None  # sid = issuerAndSerialNumber
    subject_key_identifier: bytes | None  # sid = subjectKeyIdentifier
    digest_algorithm_oid: str
    signed_attrs_der: bytes | None = field(repr=False)  # re-tagged SET OF (0x31): what is signed
    content_type: str | None
    message_digest: bytes | None = field(repr=False)
    signing_time: datetime | None
    signature_algorithm_der: bytes
    signature: bytes = field(repr=False)
    issuer_name: Any = field(default=None, repr=False, compare=False)

    def identifies(self, cert: Certificate) -> bool:
        """True when the signer identifier designates ``cert`` (RFC 5652 §5.3 ``sid``)."""
        if self.subject_key_identifier is not None:
            ski = cert.subject_key_identifier
            return ski is not None and hmac.compare_digest(ski, self.subject_key_identifier)
        return self.serial_number == cert.serial_number and bool(self.issuer_name == cert.issuer_name)


@dataclass(frozen=True, slots=True)
class SignedData:
    """A decoded ``SignedData`` with its encapsulated content (RFC 5652 §5.1, §5.2)."""

    version: int
    digest_algorithm_oids: tuple[str, ...]
    econtent_type: str
    econtent: bytes = field(repr=False)
    certificates: tuple[Certificate, ...]
    signer_infos: tuple[SignerInfo, ...]

    def signer_certificate(self, signer: SignerInfo) -> Certificate | None:
        """The embedded certificate the signer identifier points to, if any."""
        return next((c for c in self.certificates if signer.identifies(c)), None)


def parse_signed_data(content_info_der: bytes) -> SignedData:
    """Decode a DER ``ContentInfo`` whose content is ``SignedData`` with encapsulated content."""
    try:
        info = cms.ContentInfo.load(bytes(content_info_der), strict=True)
        if info["content_type"].dotted != SIGNED_DATA_OID:
            raise CMSParseError("ContentInfo does not hold SignedData")
        sd = info["content"]
        encap = sd["encap_content_info"]
        if encap["content"].native is None:
            raise CMSParseError("SignedData without encapsulated content")
        return SignedData(
            version=_version(sd["version"].native),
            digest_algorithm_oids=tuple(a["algorithm"].dotted for a in sd["digest_algorithms"]),
            econtent_type=encap["content_type"].dotted,
            econtent=bytes(encap["content"].__bytes__()),
            certificates=_certificates(sd["certificates"]),
            signer_infos=tuple(_signer_info(si) for si in sd["signer_infos"]),
        )
    except CMSParseError:
        raise
    except ASN1_ERRORS as exc:
        raise CMSParseError("malformed CMS SignedData") from exc


def _version(native: Any) -> int:
    """CMSVersion: asn1crypto maps 0..5 to ``"v0"``..``"v5"`` and leaves other values as integers."""
    return native if isinstance(native, int) else int(str(native).lstrip("v"))


def _certificates(choices: Any) -> tuple[Certificate, ...]:
    if choices.native is None:
        return ()
    return tuple(Certificate.from_asn1(c.chosen) for c in choices if c.name == "certificate")


def _signer_info(si: Any) -> SignerInfo:
    sid = si["sid"]
    by_ski = sid.name == "subject_key_identifier"
    attrs = si["signed_attrs"]
    values: dict[str, Any] = {}
    signed_der = None
    if attrs.native is not None:
        signed_der = b"\x31" + attrs.dump()[1:]  # RFC 5652 §5.4: EXPLICIT SET OF tag for the signature
        for attr in attrs:
            oid = attr["type"].dotted
            if oid in values or len(attr["values"]) != 1:
                raise CMSParseError("signed attribute repeated or with several values")
            values[oid] = attr["values"][0]
    content_type = values.get(_ATTR_CONTENT_TYPE)
    message_digest = values.get(_ATTR_MESSAGE_DIGEST)
    signing_time = values.get(_ATTR_SIGNING_TIME)
    return SignerInfo(
        version=_version(si["version"].native),
        serial_number=None if by_ski else int(sid.chosen["serial_number"].native),
        subject_key_identifier=bytes(sid.chosen.native) if by_ski else None,
        digest_algorithm_oid=si["digest_algorithm"]["algorithm"].dotted,
        signed_attrs_der=signed_der,
        content_type=content_type.dotted if content_type is not None else None,
        message_digest=bytes(message_digest.native) if message_digest is not None else None,
        signing_time=signing_time.native if signing_time is not None else None,
        signature_algorithm_der=si["signature_algorithm"].dump(),
        signature=bytes(si["signature"].native),
        issuer_name=None if by_ski else comparable_name(sid.chosen["issuer"]),
    )


class SignatureStatus(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"  # algorithm or key this implementation cannot verify


@dataclass(frozen=True, slots=True)
class SignerCheck:
    """The outcome of :func:`verify_signer`; ``reason`` is a short code (``MESSAGE_DIGEST_MISMATCH``)."""

    status: SignatureStatus
    reason: str | None = None
    algorithm: SignatureAlgorithm | None = None


def verify_signer(sd: SignedData, signer: SignerInfo, cert: Certificate) -> SignerCheck:
    """Verify one signer of ``sd`` with ``cert``'s key (RFC 5652 §5.6).

    Signed attributes are required (ICAO 9303-10 §4.6.2.1): the content-type attribute must equal the
    eContentType and the message digest must equal the hash of the eContent octets.
    """
    if signer.signed_attrs_der is None:
        return SignerCheck(SignatureStatus.INVALID, "SIGNED_ATTRS_MISSING")
    if signer.content_type != sd.econtent_type:
        return SignerCheck(SignatureStatus.INVALID, "CONTENT_TYPE_MISMATCH")
    try:
        digest_name = hash_name(signer.digest_algorithm_oid)
        algorithm = SignatureAlgorithm.from_der(signer.signature_algorithm_der, default_hash=digest_name)
    except UnsupportedAlgorithmError:
        return SignerCheck(SignatureStatus.UNSUPPORTED, "ALGORITHM_UNSUPPORTED")
    expected = digest(digest_name, sd.econtent)
    if signer.message_digest is None or not hmac.compare_digest(signer.message_digest, expected):
        return SignerCheck(SignatureStatus.INVALID, "MESSAGE_DIGEST_MISMATCH", algorithm)
    try:
        ok = verify_signature(cert.public_key(), algorithm, signer.signature, signer.signed_attrs_der)
    except (UnsupportedAlgorithmError, KeyParseError):
        return SignerCheck(SignatureStatus.UNSUPPORTED, "KEY_UNSUPPORTED", algorithm)
    if not ok:
        return SignerCheck(SignatureStatus.INVALID, "SIGNATURE_INVALID", algorithm)
    return SignerCheck(SignatureStatus.VALID, None, algorithm)

"""EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2; ICAO 9303-11 §5.1).

EF.SOD is ``77 L ContentInfo``: CMS SignedData (RFC 5652) whose encapsulated content, of type
``id-icao-mrtd-security-ldsSecurityObject`` (2.23.136.1.1.1), is::

    LDSSecurityObject ::= SEQUENCE {
        version             LDSSecurityObjectVersion,       -- v0(0), v1(1) when ldsVersionInfo present
        hashAlgorithm       DigestAlgorithmIdentifier,
        dataGroupHashValues SEQUENCE SIZE (2..16) OF DataGroupHash,
        ldsVersionInfo      LDSVersionInfo OPTIONAL }
    DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER (1..16), dataGroupHashValue OCTET STRING }
    LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }

:meth:`SOD.from_bytes` decodes all of it eagerly and raises :class:`SODParseError` on anything malformed.
Verifying it is :func:`reader.auth.passive.passive_authenticate`'s job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from asn1crypto import algos, core

from reader.errors import ParseError, TLVError
from reader.pki.algorithms import hash_name
from reader.pki.certs import Certificate
from reader.pki.cms import SignedData, SignerInfo, parse_signed_data
from reader.pki.errors import ASN1_ERRORS, CMSParseError, UnsupportedAlgorithmError
from reader.tlv import decode

SOD_TAG = 0x77
ID_ICAO_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
MAX_DATA_GROUP = 16


class SODParseError(ParseError):
    """EF.SOD is malformed or violates ICAO 9303-10 §4.6.2."""


class _DataGroupHash(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[str, type]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class _DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _DataGroupHash


class _LDSVersionInfo(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[str, type]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObject(core.Sequence):  # type: ignore[misc]
    """ICAO 9303-10 §4.6.2.2 ``LDSSecurityObject``."""

    _fields: ClassVar[list[tuple[str, type, dict[str, bool]]]] = [
        ("version", core.Integer, {}),
        ("hash_algorithm", algos.DigestAlgorithm, {}),
        ("data_group_hash_values", _DataGroupHashValues, {}),
        ("lds_version_info", _LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True, slots=True)
class SOD:
    """A decoded EF.SOD.  Its repr shows the structure, never hash values."""

    raw: bytes = field(repr=False)
    version: int
    digest_algorithm: str  # hash of the data groups, e.g. "sha256"
    dg_hashes: dict[int, bytes] = field(repr=False)
    lds_version: str | None
    unicode_version: str | None
    signed_data: SignedData = field(repr=False)

    @classmethod
    def from_bytes(cls, raw: bytes) -> SOD:
        """Decode EF.SOD as read from the chip (tag 0x77 included)."""
        try:
            content_info = decode(bytes(raw), expected_tag=SOD_TAG).value
        except TLVError as exc:
            raise SODParseError(f"EF.SOD is not a 0x77 data object: {exc}") from exc
        try:
            signed_data = parse_signed_data(content_info)
        except CMSParseError as exc:
            raise SODParseError(f"EF.SOD CMS: {exc}") from exc
        if signed_data.econtent_type != ID_ICAO_LDS_SECURITY_OBJECT:
            raise SODParseError("EF.SOD eContentType is not id-icao-mrtd-security-ldsSecurityObject")
        if len(signed_data.signer_infos) != 1:
            raise SODParseError("EF.SOD must have exactly one SignerInfo")
        return cls._with_security_object(bytes(raw), signed_data)

    @classmethod
    def _with_security_object(cls, raw: bytes, signed_data: SignedData) -> SOD:
        try:
            lso = LDSSecurityObject.load(signed_data.econtent, strict=True)
            version = int(lso["version"].native)
            digest_algorithm = hash_name(lso["hash_algorithm"]["algorithm"].dotted)
            hashes: dict[int, bytes] = {}
            for entry in lso["data_group_hash_values"]:
                number = int(entry["data_group_number"].native)
                if not 1 <= number <= MAX_DATA_GROUP or number in hashes:
                    raise SODParseError("EF.SOD data group number out of range or repeated")
                hashes[number] = bytes(entry["data_group_hash_value"].native)
            info = lso["lds_version_info"]
            lds_version = info["lds_version"].native if info.native is not None else None
            unicode_version = info["unicode_version"].native if info.native is not None else None
        except SODParseError:
            raise
        except UnsupportedAlgorithmError as exc:
            raise SODParseError(f"EF.SOD hash algorithm: {exc}") from exc
        except ASN1_ERRORS as exc:
            raise SODParseError("EF.SOD LDSSecurityObject is malformed") from exc
        if version not in (0, 1):
            raise SODParseError(f"unsupported LDSSecurityObject version {version}")
        if not hashes:
            raise SODParseError("EF.SOD lists no data group hashes")
        return cls(raw, version, digest_algorithm, hashes, lds_version, unicode_version, signed_data)

    @property
    def signer_info(self) -> SignerInfo:
        """The single SignerInfo (the Document Signer's)."""
        return self.signed_data.signer_infos[0]

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        """Certificates embedded in the SOD (normally just the Document Signer's)."""
        return self.signed_data.certificates

    @property
    def ds_certificate(self) -> Certificate | None:
        """The embedded certificate the SignerInfo identifies, if any."""
        return self.signed_data.signer_certificate(self.signer_info)

    @property
    def encapsulated_content(self) -> bytes:
        """The DER LDSSecurityObject exactly as signed."""
        return self.signed_data.econtent

    @property
    def sha256(self) -> str:
        """SHA-256 of the whole EF.SOD as read, hex (identifies the document in reports)."""
        return hashlib.sha256(self.raw).hexdigest()

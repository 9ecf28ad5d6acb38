"""CSCA master lists (ICAO 9303-12 §8; the ICAO PKD and German BSI ``.ml`` files).

A master list is CMS SignedData (RFC 5652) with eContentType ``id-icao-cscaMasterList`` (2.23.136.1.1.2)
whose content is ``CscaMasterList ::= SEQUENCE { version INTEGER (v0), certList SET OF Certificate }``,
signed by a Master List Signer whose certificate is issued by one of the listed CSCAs.

The signature is verified when the signer's certificate is embedded; a present signature that does not
verify raises :class:`MasterListSignatureError` — the list is then not trusted at all.  Whether the signer's
certificate was issued by a CSCA on the list is reported, not enforced (the operator chose the file).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from asn1crypto import core, x509

from reader.pki.certs import Certificate
from reader.pki.cms import SignatureStatus, SignedData, parse_signed_data, verify_signer
from reader.pki.errors import (
    ASN1_ERRORS,
    CertificateParseError,
    MasterListError,
    MasterListSignatureError,
    PKIError,
)

ID_ICAO_CSCA_MASTER_LIST = "2.23.136.1.1.2"


class _CertList(core.SetOf):  # type: ignore[misc]
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """ICAO 9303-12 §8.2 ``CscaMasterList``."""

    _fields: ClassVar[list[tuple[str, type]]] = [("version", core.Integer), ("cert_list", _CertList)]


class MasterListSignature(enum.Enum):
    VALID = "valid"
    NO_SIGNER = "no_signer"  # no signer certificate embedded: integrity rests on how the file was obtained
    UNSUPPORTED = "unsupported"  # algorithm or key this implementation cannot verify


@dataclass(frozen=True, slots=True)
class MasterList:
    """A decoded, signature-checked master list."""

    version: int
    certificates: tuple[Certificate, ...]
    signer: Certificate | None
    signature: MasterListSignature
    signer_issuer: Certificate | None  # the listed CSCA whose key verifies the signer's certificate
    skipped: int  # entries that could not be decoded as certificates

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "certificates": len(self.certificates),
            "skipped": self.skipped,
            "signer": self.signer.subject if self.signer else None,
            "signature": self.signature.value,
            "signer_issuer": self.signer_issuer.subject if self.signer_issuer else None,
        }


def parse_master_list(data: bytes) -> MasterList:
    """Decode and verify a DER master list (``.ml``)."""
    sd = parse_signed_data(data)
    if sd.econtent_type != ID_ICAO_CSCA_MASTER_LIST:
        raise MasterListError("not a CSCA master list (eContentType)")
    try:
        content = CscaMasterList.load(sd.econtent, strict=True)
        version = int(content["version"].native)
        entries = list(content["cert_list"])
    except ASN1_ERRORS as exc:
        raise MasterListError("malformed CscaMasterList") from exc
    certs: list[Certificate] = []
    for entry in entries:
        try:
            certs.append(Certificate.from_asn1(entry))
        except CertificateParseError:
            continue
    signature, signer = _verify(sd)
    issuer = _signer_issuer(signer, certs) if signer is not None else None
    return MasterList(version, tuple(certs), signer, signature, issuer, len(entries) - len(certs))


def _verify(sd: SignedData) -> tuple[MasterListSignature, Certificate | None]:
    if not sd.signer_infos:
        return MasterListSignature.NO_SIGNER, None
    if len(sd.signer_infos) != 1:
        raise MasterListError("master list with more than one signer")
    signer_info = sd.signer_infos[0]
    signer = sd.signer_certificate(signer_info)
    if signer is None:
        return MasterListSignature.NO_SIGNER, None
    check = verify_signer(sd, signer_info, signer)
    if check.status is SignatureStatus.UNSUPPORTED:
        return MasterListSignature.UNSUPPORTED, signer
    if check.status is not SignatureStatus.VALID:
        raise MasterListSignatureError(f"master list signature invalid ({check.reason})")
    return MasterListSignature.VALID, signer


def _signer_issuer(signer: Certificate, certs: list[Certificate]) -> Certificate | None:
    for csca in certs:
        if not signer.issued_by_name(csca):
            continue
        try:
            if signer.is_signed_by(csca):
                return csca
        except PKIError:
            continue
    return None

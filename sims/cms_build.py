"""CMS SignedData and EF.SOD for the simulated card's test PKI (RFC 5652 §5; ICAO 9303-10 §4.6.2).

Built with ``asn1crypto`` (``cryptography`` cannot encode CMS SignedData with these options).  The signer is a
:class:`sims.pki.Signer` (certificate, key, hash); :func:`build_sod` takes the :class:`sims.pki.TestPKI`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asn1crypto import cms
from asn1crypto import x509 as ax509

from reader.lds.sod import ID_ICAO_LDS_SECURITY_OBJECT, SOD_TAG, LDSSecurityObject
from reader.tlv import encode

if TYPE_CHECKING:
    from sims.pki import Signer, TestPKI


def build_sod(
    dg_raw: Mapping[int, bytes],
    pki: TestPKI,
    hash_alg: str = "sha256",
    *,
    signature_hash: str | None = None,
    lds_version: tuple[str, str] | None = None,
    use_ski: bool = False,
    signing_time: datetime | None = None,
) -> bytes:
    """EF.SOD over the raw data groups (ICAO 9303-10 §4.6.2): 0x77 + ContentInfo(SignedData).

    ``hash_alg`` hashes the data groups and the eContent; ``signature_hash`` (default: ``hash_alg``) is
    the DS signature's hash; ``lds_version`` e.g. ``("0108", "040000")`` adds LDSVersionInfo (v1);
    ``use_ski`` identifies the signer by subjectKeyIdentifier instead of issuerAndSerialNumber.
    """
    if not dg_raw:
        raise ValueError("EF.SOD needs at least one data group")
    lso: dict[str, Any] = {
        "version": 1 if lds_version else 0,
        "hash_algorithm": {"algorithm": hash_alg},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": hashlib.new(hash_alg, dg_raw[n]).digest()}
            for n in sorted(dg_raw)
        ],
    }
    if lds_version:
        lso["lds_version_info"] = {"lds_version": lds_version[0], "unicode_version": lds_version[1]}
    econtent = LDSSecurityObject(lso).dump()
    signer = replace(pki.ds, hash_name=signature_hash or hash_alg)
    content_info = signed_content_info(
        ID_ICAO_LDS_SECURITY_OBJECT, econtent, signer, digest_name=hash_alg, use_ski=use_ski,
        signing_time=signing_time,
    )  # fmt: skip
    return encode(SOD_TAG, content_info)


def signed_content_info(
    econtent_type: str,
    econtent: bytes,
    signer: Signer | None,
    *,
    digest_name: str = "sha256",
    use_ski: bool = False,
    signing_time: datetime | None = None,
) -> bytes:
    """ContentInfo(SignedData v3) with one signer and its certificate (RFC 5652 §5)."""
    signer_infos = []
    certificates = []
    if signer is not None:
        cert = ax509.Certificate.load(signer.cert)
        certificates.append(cert)
        signer_infos.append(
            _signer_info(econtent_type, econtent, signer, cert, digest_name, use_ski, signing_time)
        )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": digest_name}],
            "encap_content_info": {"content_type": econtent_type, "content": econtent},
            "certificates": certificates,
            "signer_infos": signer_infos,
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def _signer_info(
    econtent_type: str, econtent: bytes, signer: Signer, cert: Any, digest_name: str, use_ski: bool,
    signing_time: datetime | None,
) -> cms.SignerInfo:  # fmt: skip
    """SignerInfo with content-type, signing-time and message-digest attributes (RFC 5652 §5.3, §11)."""
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [econtent_type]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time or datetime.now(UTC)})]},
            {"type": "message_digest", "values": [hashlib.new(digest_name, econtent).digest()]},
        ]
    )
    to_sign = b"\x31" + attrs.dump()[1:]
    if use_ski:
        sid = cms.SignerIdentifier({"subject_key_identifier": cert.key_identifier_value.native})
    else:
        sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        )
    return cms.SignerInfo(
        {
            "version": "v3" if use_ski else "v1",
            "sid": sid,
            "digest_algorithm": {"algorithm": digest_name},
            "signed_attrs": attrs,
            "signature_algorithm": signer.algorithm(),
            "signature": signer.sign(to_sign),
        }
    )

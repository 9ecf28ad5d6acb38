"""SecurityInfos of EF.CardAccess, EF.CardSecurity and DG14 (ICAO 9303-11 §9.2; BSI TR-03110-3 §A.1).

``SecurityInfos ::= SET OF SecurityInfo``; ``SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER,
requiredData ANY, optionalData ANY OPTIONAL }``.  Each known protocol is decoded into its own frozen value;
an unknown protocol is kept raw.  Malformed structures raise :class:`SecurityInfoError`.

The DER primitives (OBJECT IDENTIFIER, INTEGER), the OID names and the protocol-OID decoders live in
:mod:`reader.lds.oids` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from reader import tlv
from reader.errors import TLVError
from reader.lds.oids import (  # re-exported: the names other modules import from here
    BSI_DE as BSI_DE,
)
from reader.lds.oids import CA_FAMILIES, PACE_FAMILIES, arcs_under
from reader.lds.oids import (
    ID_AA as ID_AA,
)
from reader.lds.oids import (
    ID_CA as ID_CA,
)
from reader.lds.oids import (
    ID_ECDSA_PLAIN as ID_ECDSA_PLAIN,
)
from reader.lds.oids import (
    ID_PACE as ID_PACE,
)
from reader.lds.oids import (
    ID_PK as ID_PK,
)
from reader.lds.oids import (
    ID_PK_DH as ID_PK_DH,
)
from reader.lds.oids import (
    ID_PK_ECDH as ID_PK_ECDH,
)
from reader.lds.oids import (
    ID_TA as ID_TA,
)
from reader.lds.oids import (
    INTEGER_TAG as INTEGER_TAG,
)
from reader.lds.oids import (
    OCTET_STRING_TAG as OCTET_STRING_TAG,
)
from reader.lds.oids import (
    OID_NAMES as OID_NAMES,
)
from reader.lds.oids import (
    OID_TAG as OID_TAG,
)
from reader.lds.oids import (
    SEQUENCE_TAG as SEQUENCE_TAG,
)
from reader.lds.oids import (
    SET_TAG as SET_TAG,
)
from reader.lds.oids import (
    STANDARD_DOMAIN_PARAMETERS as STANDARD_DOMAIN_PARAMETERS,
)
from reader.lds.oids import (
    CAProtocol as CAProtocol,
)
from reader.lds.oids import (
    KeyAgreement as KeyAgreement,
)
from reader.lds.oids import (
    Mapping as Mapping,
)
from reader.lds.oids import (
    PACEProtocol as PACEProtocol,
)
from reader.lds.oids import (
    SecurityInfoError as SecurityInfoError,
)
from reader.lds.oids import (
    ca_protocol as ca_protocol,
)
from reader.lds.oids import (
    decode_integer as decode_integer,
)
from reader.lds.oids import (
    decode_oid as decode_oid,
)
from reader.lds.oids import (
    encode_integer as encode_integer,
)
from reader.lds.oids import (
    encode_oid as encode_oid,
)
from reader.lds.oids import (
    oid_name as oid_name,
)
from reader.lds.oids import (
    pace_protocol as pace_protocol,
)

_T = TypeVar("_T")

# --- SecurityInfo values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PACEInfo:
    """``PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }`` (§9.2.1)."""

    protocol: str
    version: int
    parameter_id: int | None
    raw: bytes = field(repr=False)

    @property
    def pace(self) -> PACEProtocol:
        return pace_protocol(self.protocol)


@dataclass(frozen=True, slots=True)
class PACEDomainParameterInfo:
    """``SEQUENCE { protocol, domainParameter AlgorithmIdentifier, parameterId OPTIONAL }`` (§9.2.2).

    ``domain_parameter`` is the raw DER AlgorithmIdentifier; ``algorithm`` its OID.
    """

    protocol: str
    algorithm: str
    domain_parameter: bytes = field(repr=False)
    parameter_id: int | None
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ChipAuthenticationInfo:
    """``SEQUENCE { protocol, version INTEGER, keyId INTEGER OPTIONAL }`` (§9.2.5)."""

    protocol: str
    version: int
    key_id: int | None
    raw: bytes = field(repr=False)

    @property
    def ca(self) -> CAProtocol:
        return ca_protocol(self.protocol)


@dataclass(frozen=True, slots=True)
class ChipAuthenticationDomainParameterInfo:
    """``SEQUENCE { protocol id-CA-DH|id-CA-ECDH, domainParameter AlgorithmIdentifier, keyId OPTIONAL }``."""

    protocol: str
    algorithm: str
    domain_parameter: bytes = field(repr=False)
    key_id: int | None
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ChipAuthenticationPublicKeyInfo:
    """``SEQUENCE { protocol id-PK-DH|id-PK-ECDH, chipAuthenticationPublicKey SubjectPublicKeyInfo,
    keyId INTEGER OPTIONAL }`` (§9.2.6).  The SubjectPublicKeyInfo is kept as raw DER."""

    protocol: str
    subject_public_key_info: bytes = field(repr=False)
    key_id: int | None
    raw: bytes = field(repr=False)

    @property
    def key_agreement(self) -> KeyAgreement:
        return "DH" if self.protocol == ID_PK_DH else "ECDH"


@dataclass(frozen=True, slots=True)
class TerminalAuthenticationInfo:
    """``SEQUENCE { protocol id-TA, version INTEGER, efCVCA FileID OPTIONAL }`` (§9.2.7)."""

    protocol: str
    version: int
    ef_cvca: bytes | None
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ActiveAuthenticationInfo:
    """``SEQUENCE { protocol id-AA, version INTEGER, signatureAlgorithm OBJECT IDENTIFIER }`` (§9.2.4)."""

    protocol: str
    version: int
    signature_algorithm: str
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class UnknownSecurityInfo:
    """A SecurityInfo whose protocol this reader does not know, kept raw."""

    protocol: str
    raw: bytes = field(repr=False)


SecurityInfo = (
    PACEInfo | PACEDomainParameterInfo | ChipAuthenticationInfo | ChipAuthenticationDomainParameterInfo
    | ChipAuthenticationPublicKeyInfo | TerminalAuthenticationInfo | ActiveAuthenticationInfo
    | UnknownSecurityInfo
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SecurityInfos:
    """A parsed ``SecurityInfos`` set, in card order, with typed views."""

    infos: tuple[SecurityInfo, ...]
    raw: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"SecurityInfos({', '.join(oid_name(i.protocol) for i in self.infos)})"

    def _of(self, kind: type[_T]) -> tuple[_T, ...]:
        return tuple(i for i in self.infos if isinstance(i, kind))

    @property
    def pace_infos(self) -> tuple[PACEInfo, ...]:
        return self._of(PACEInfo)

    @property
    def pace_domain_parameters(self) -> tuple[PACEDomainParameterInfo, ...]:
        return self._of(PACEDomainParameterInfo)

    @property
    def ca_infos(self) -> tuple[ChipAuthenticationInfo, ...]:
        return self._of(ChipAuthenticationInfo)

    @property
    def ca_domain_parameters(self) -> tuple[ChipAuthenticationDomainParameterInfo, ...]:
        return self._of(ChipAuthenticationDomainParameterInfo)

    @property
    def ca_public_keys(self) -> tuple[ChipAuthenticationPublicKeyInfo, ...]:
        return self._of(ChipAuthenticationPublicKeyInfo)

    @property
    def ta_infos(self) -> tuple[TerminalAuthenticationInfo, ...]:
        return self._of(TerminalAuthenticationInfo)

    @property
    def aa_infos(self) -> tuple[ActiveAuthenticationInfo, ...]:
        return self._of(ActiveAuthenticationInfo)

    @property
    def unknown(self) -> tuple[UnknownSecurityInfo, ...]:
        return self._of(UnknownSecurityInfo)


def parse_security_infos(raw: bytes, *, allow_padding: bool = False) -> SecurityInfos:
    """Parse a DER ``SET OF SecurityInfo`` (ICAO 9303-11 §9.2).

    ``allow_padding`` accepts trailing ``00``/``FF`` bytes after the set (files larger than their content).
    """
    try:
        outer, end = tlv.decode_one(raw, 0)
    except TLVError as exc:
        raise SecurityInfoError(f"SecurityInfos: {exc}") from None
    rest = raw[end:]
    if rest and not (allow_padding and set(rest) <= {0x00, 0xFF}):
        raise SecurityInfoError(f"{len(rest)} unexpected bytes after SecurityInfos")
    if outer.tag != SET_TAG:
        raise SecurityInfoError(f"SecurityInfos must be a SET, found tag 0x{outer.tag:X}")
    try:
        items = outer.children()
    except TLVError as exc:
        raise SecurityInfoError(f"SecurityInfos: {exc}") from None
    return SecurityInfos(tuple(parse_security_info(item.raw) for item in items), bytes(outer.raw))


def parse_card_access(raw: bytes) -> SecurityInfos:
    """Parse EF.CardAccess (ICAO 9303-11 §9.2.11): a SecurityInfos set, possibly padded."""
    return parse_security_infos(raw, allow_padding=True)


def parse_security_info(raw: bytes) -> SecurityInfo:
    """Parse one SecurityInfo SEQUENCE, dispatching on its protocol OID."""
    try:
        seq = tlv.decode(raw, expected_tag=SEQUENCE_TAG)
        parts = seq.children()
    except TLVError as exc:
        raise SecurityInfoError(f"SecurityInfo: {exc}") from None
    if len(parts) < 2 or parts[0].tag != OID_TAG:
        raise SecurityInfoError("SecurityInfo must start with an OID followed by its required data")
    protocol = decode_oid(parts[0].value)
    return _dispatch(protocol, parts[1:], bytes(seq.raw))


def _int(obj: tlv.TLV, what: str) -> int:
    if obj.tag != INTEGER_TAG:
        raise SecurityInfoError(f"{what} must be an INTEGER")
    value = decode_integer(obj.value)
    if value < 0:
        raise SecurityInfoError(f"{what} must not be negative")
    return value


def _optional_int(parts: list[tlv.TLV], index: int, what: str) -> int | None:
    if len(parts) > index + 1:
        raise SecurityInfoError("SecurityInfo has unexpected trailing elements")
    return _int(parts[index], what) if len(parts) > index else None


def _algorithm_identifier(obj: tlv.TLV) -> str:
    try:
        inner = obj.children() if obj.tag == SEQUENCE_TAG else []
    except TLVError as exc:
        raise SecurityInfoError(f"AlgorithmIdentifier: {exc}") from None
    if not inner or inner[0].tag != OID_TAG or len(inner) > 2:
        raise SecurityInfoError("malformed AlgorithmIdentifier")
    return decode_oid(inner[0].value)


def _dispatch(protocol: str, parts: list[tlv.TLV], raw: bytes) -> SecurityInfo:
    arcs_pace = arcs_under(protocol, ID_PACE)
    arcs_ca = arcs_under(protocol, ID_CA)
    if arcs_pace is not None and len(arcs_pace) == 2:
        pace_protocol(protocol)  # validates the variant
        return PACEInfo(protocol, _int(parts[0], "PACE version"), _optional_int(parts, 1, "parameterId"), raw)
    if arcs_pace is not None and len(arcs_pace) == 1 and arcs_pace[0] in PACE_FAMILIES:
        algorithm = _algorithm_identifier(parts[0])
        pid = _optional_int(parts, 1, "parameterId")
        return PACEDomainParameterInfo(protocol, algorithm, bytes(parts[0].raw), pid, raw)
    if arcs_ca is not None and len(arcs_ca) == 2:
        ca_protocol(protocol)
        version = _int(parts[0], "CA version")
        return ChipAuthenticationInfo(protocol, version, _optional_int(parts, 1, "keyId"), raw)
    if arcs_ca is not None and len(arcs_ca) == 1 and arcs_ca[0] in CA_FAMILIES:
        algorithm = _algorithm_identifier(parts[0])
        key_id = _optional_int(parts, 1, "keyId")
        return ChipAuthenticationDomainParameterInfo(protocol, algorithm, bytes(parts[0].raw), key_id, raw)
    if protocol in (ID_PK_DH, ID_PK_ECDH):
        _algorithm_identifier(_spki_algorithm(parts[0]))
        key_id = _optional_int(parts, 1, "keyId")
        return ChipAuthenticationPublicKeyInfo(protocol, bytes(parts[0].raw), key_id, raw)
    if protocol == ID_TA:
        return TerminalAuthenticationInfo(protocol, _int(parts[0], "TA version"), _file_id(parts), raw)
    if protocol == ID_AA:
        if len(parts) != 2 or parts[1].tag != OID_TAG:
            raise SecurityInfoError("ActiveAuthenticationInfo needs a signatureAlgorithm OID")
        version = _int(parts[0], "AA version")
        return ActiveAuthenticationInfo(protocol, version, decode_oid(parts[1].value), raw)
    return UnknownSecurityInfo(protocol, raw)


def _spki_algorithm(obj: tlv.TLV) -> tlv.TLV:
    """The AlgorithmIdentifier of a SubjectPublicKeyInfo (RFC 5280 §4.1), checking the BIT STRING."""
    try:
        inner = obj.children() if obj.tag == SEQUENCE_TAG else []
    except TLVError as exc:
        raise SecurityInfoError(f"SubjectPublicKeyInfo: {exc}") from None
    if len(inner) != 2 or inner[1].tag != 0x03 or not inner[1].value:
        raise SecurityInfoError("malformed SubjectPublicKeyInfo")
    return inner[0]


def _file_id(parts: list[tlv.TLV]) -> bytes | None:
    """``FileID ::= SEQUENCE { fid OCTET STRING (SIZE(2)), sfid OCTET STRING (SIZE(1)) OPTIONAL }``."""
    if len(parts) == 1:
        return None
    if len(parts) > 2 or parts[1].tag != SEQUENCE_TAG:
        raise SecurityInfoError("malformed TerminalAuthenticationInfo")
    try:
        fields = parts[1].children()
    except TLVError as exc:
        raise SecurityInfoError(f"FileID: {exc}") from None
    if not fields or fields[0].tag != OCTET_STRING_TAG or len(fields[0].value) != 2:
        raise SecurityInfoError("malformed FileID")
    return fields[0].value

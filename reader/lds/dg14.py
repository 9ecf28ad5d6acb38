"""DG14: SecurityInfos for Chip Authentication (and others) — ICAO 9303-10 §4.7.14, 9303-11 §9.2.

``6E { SET OF SecurityInfo }``, parsed with the same SecurityInfos parser as EF.CardAccess.
"""

from __future__ import annotations

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.cardaccess import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
    parse_security_infos,
)

DG14_TAG = 0x6E


class DG14Error(ParseError):
    """DG14 is malformed, or its Chip Authentication infos do not pair up."""


def parse_dg14(raw: bytes) -> SecurityInfos:
    """Parse DG14; the SecurityInfos' own errors (:class:`SecurityInfoError`) pass through."""
    try:
        outer = tlv.decode(raw, expected_tag=DG14_TAG)
    except TLVError as exc:
        raise DG14Error(f"DG14 structure: {exc}") from None
    return parse_security_infos(outer.value)


def chip_authentication_keys(
    infos: SecurityInfos,
) -> list[tuple[ChipAuthenticationPublicKeyInfo, ChipAuthenticationInfo | None]]:
    """Pair each Chip Authentication public key with its ChipAuthenticationInfo (ICAO 9303-11 §9.2.5).

    With several keys, ``keyId`` links them; with one key the ids may be absent.  A key without a
    matching info is paired with ``None`` (the protocol then defaults per 9303-11 §6.2: the reader must
    decide); a key id used twice is an error.
    """
    keys, cas = infos.ca_public_keys, infos.ca_infos
    ids = [k.key_id for k in keys]
    if len(set(ids)) != len(ids):
        raise DG14Error("Chip Authentication key ids are not unique")
    if len(keys) == 1 and len(cas) == 1:
        return [(keys[0], cas[0])]
    by_id = {ca.key_id: ca for ca in cas}
    return [(k, by_id.get(k.key_id)) for k in keys]

"""PACE v2 — the reader's protocol steps (ICAO 9303-11 §4.4.4, §4.4.5, Appendix G APDU trace).

MSE:Set AT (always with the parameter ID, data object 84), then four GENERAL AUTHENTICATE commands in a
chain (CLA 10, the last CLA 00): encrypted nonce, map nonce (GM/CAM: mapping public keys; IM: nonce t),
key agreement, mutual authentication with the tokens (and, for PACE-CAM, the encrypted Chip
Authentication Data).  The chip's token is compared in constant time; on success secure messaging starts
with KS_Enc, KS_MAC and SSC = 0 on the session.

Errors are :class:`PACEError` (an :class:`~reader.errors.AccessDeniedError`) with a stable ``reason`` code,
so the engine can fall back to BAC and record why (``access.downgraded``); a rejected password is
:class:`PACEPasswordError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from reader import tlv
from reader.access.pace import (
    PACEPassword,
    PACESuite,
    PasswordType,
    SessionKeys,
    auth_token,
    cam_decrypt,
    cam_verify,
    decrypt_nonce,
    k_pi,
    session_keys,
    verify_token,
)
from reader.access.pace_mapping import (
    generic_map,
    im_nonce_t_length,
    integrated_map_dh,
    integrated_map_ec,
)
from reader.access.params import ECGroup, Group, GroupError, Random
from reader.apdu import EXT_MAX_NE, SHORT_MAX_NE, CommandAPDU
from reader.errors import AccessDeniedError, CardStatusError, ParseError
from reader.lds.cardaccess import PACEInfo, SecurityInfos, encode_oid
from reader.sm import SecureMessaging

E = TypeVar("E")

MSE_SET_AT_PACE = (0xC1, 0xA4)  # Set Authentication Template for mutual authentication
CLA_CHAINING = 0x10
_MAPPING_PREFERENCE = {"CAM": 0, "GM": 1, "IM": 2}  # 9303-11 Appendix J.1: PACE-CAM when available


class PACEError(AccessDeniedError):
    """PACE could not establish access.  ``reason`` is a stable code for reports; no secret in the text."""

    def __init__(self, reason: str, message: str, sw: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.sw = sw


class PACEPasswordError(PACEError):
    """The chip rejected the password (authentication failed, ``6300``/``63Cx``): check what was entered."""


class PACESender(Protocol):
    """The slice of :class:`reader.session.CardSession` PACE needs."""

    @property
    def supports_extended_length(self) -> bool: ...

    def send(self, command: CommandAPDU, what: str) -> bytes: ...

    def start_secure_messaging(self, sm: SecureMessaging) -> None: ...


@dataclass(frozen=True, slots=True)
class PACEResult:
    """What PACE produced.  The session keys are hidden from ``repr`` (:class:`SessionKeys`)."""

    suite: PACESuite
    password_type: PasswordType
    keys: SessionKeys
    pk_ifd: bytes  # the terminal's ephemeral public key (for Terminal Authentication, Comp(PK_DH,IFD))
    pk_ic: bytes  # the chip's ephemeral public key (ID_IC = Comp(PK_DH,IC))
    pk_map_ic: bytes | None = None  # GM/CAM: the chip's mapping public key
    ca_ic: bytes | None = None  # PACE-CAM: decrypted Chip Authentication Data

    def __repr__(self) -> str:
        return f"PACEResult({self.suite.protocol.name}, {self.suite.group.name}, {self.password_type.name})"

    @property
    def protocol_name(self) -> str:
        return self.suite.protocol.name

    def verify_cam(self, pk_ic_static: bytes) -> bool:
        """PACE-CAM: PK_Map,IC = KA(CA_IC, PK_IC) with the chip's static key (§4.4.3.5.2).

        Call it with the key from EF.CardSecurity or DG14 — counts only once passive authentication has
        verified that file (the caller's job).
        """
        group = self.suite.group
        if self.ca_ic is None or self.pk_map_ic is None or not isinstance(group, ECGroup):
            return False
        return cam_verify(group, self.ca_ic, pk_ic_static, self.pk_map_ic)

    def evidence(self) -> dict[str, Any]:
        """Non-secret values for ``evidence.json``.  The CAM triple is only re-checkable for consistency."""
        d: dict[str, Any] = {
            "protocol": self.suite.oid, "protocol_name": self.protocol_name,
            "parameter_id": self.suite.parameter_id, "password": self.password_type.name,
        }  # fmt: skip
        if self.ca_ic is not None and self.pk_map_ic is not None:
            d["cam"] = {"ca_ic": self.ca_ic.hex().upper(), "pk_map_ic": self.pk_map_ic.hex().upper()}
        return d


def choose_suite(infos: SecurityInfos) -> PACESuite:
    """The PACE protocol to run from EF.CardAccess: CAM, then GM, then IM; ECDH before DH; card order.

    Infos with explicit domain parameters or unknown variants are skipped.  :class:`PACEError` with
    reason ``NO_SUPPORTED_PACE_INFO`` when nothing usable is offered.
    """
    usable: list[tuple[int, int, PACESuite]] = []
    for index, info in enumerate(infos.pace_infos):
        try:
            suite = PACESuite.from_info(info)
        except ParseError:
            continue
        rank = _MAPPING_PREFERENCE[suite.mapping] * 2 + (suite.protocol.key_agreement == "DH")
        usable.append((rank, index, suite))
    if not usable:
        raise PACEError("NO_SUPPORTED_PACE_INFO", "EF.CardAccess offers no PACE variant this reader supports")
    return min(usable, key=lambda item: item[:2])[2]


def suite_from_info(info: PACEInfo) -> PACESuite:
    """:meth:`PACESuite.from_info` with :class:`PACEError` instead of a parse error."""
    try:
        return PACESuite.from_info(info)
    except ParseError as exc:
        raise PACEError("UNSUPPORTED_PACE_INFO", str(exc)) from None


def mse_set_at(suite: PACESuite, password_type: PasswordType) -> CommandAPDU:
    """MSE:Set AT for PACE (§4.4.4.1): 80 OID (value only), 83 password reference, 84 parameter ID."""
    oid_value = tlv.decode(encode_oid(suite.oid)).value
    data = tlv.encode(0x80, oid_value) + tlv.encode(0x83, bytes([password_type]))
    data += tlv.encode(0x84, suite.parameter_id.to_bytes(1, "big"))
    return CommandAPDU(0x00, 0x22, *MSE_SET_AT_PACE, data)


def _ne(group_size: int) -> int:
    """Ne for a step whose answer carries one public key: 256 unless 7C{8x key} may be longer."""
    return SHORT_MAX_NE if 8 + 2 * group_size + 1 <= SHORT_MAX_NE else EXT_MAX_NE


def general_authenticate(
    session: PACESender, objects: bytes, *, last: bool, ne: int = SHORT_MAX_NE
) -> dict[int, bytes]:
    """One GENERAL AUTHENTICATE of the chain; returns the objects inside the answer's ``7C``."""
    command = CommandAPDU(0x00 if last else CLA_CHAINING, 0x86, 0x00, 0x00, tlv.encode(0x7C, objects), ne=ne)
    if command.is_extended and not session.supports_extended_length:
        raise PACEError("EXTENDED_LENGTH_REQUIRED", "these PACE parameters need extended-length APDUs")
    try:
        data = session.send(command, "GENERAL AUTHENTICATE")
    except CardStatusError as exc:
        if last and (exc.sw == 0x6300 or exc.sw & 0xFFF0 == 0x63C0):
            raise PACEPasswordError("PASSWORD_REJECTED", "the chip rejected the password", exc.sw) from None
        raise PACEError(
            f"CARD_REFUSED_{exc.sw:04X}", f"PACE step refused by the chip ({exc.sw:04X})", exc.sw
        ) from None
    try:
        outer = tlv.decode(data, expected_tag=0x7C)
        return {obj.tag: obj.value for obj in outer.children()}
    except ParseError:
        raise PACEError("MALFORMED_RESPONSE", "malformed GENERAL AUTHENTICATE response") from None


def _require(objects: dict[int, bytes], tag: int) -> bytes:
    if tag not in objects:
        raise PACEError("MALFORMED_RESPONSE", f"GENERAL AUTHENTICATE response lacks data object {tag:02X}")
    return objects[tag]


def perform_pace(
    session: PACESender, suite: PACESuite, password: PACEPassword, *, rng: Random = os.urandom
) -> PACEResult:
    """Run PACE (§4.4) and start secure messaging on ``session``; :class:`PACEError` on any failure."""
    try:
        session.send(mse_set_at(suite, password.kind), "MSE:Set AT")
    except CardStatusError as exc:
        raise PACEError(
            f"MSE_REFUSED_{exc.sw:04X}", f"the chip refused PACE ({exc.sw:04X})", exc.sw
        ) from None
    z = _require(general_authenticate(session, b"", last=False), 0x80)
    try:
        s = decrypt_nonce(k_pi(password, suite.cipher), z, suite.cipher)
    except ParseError:
        raise PACEError("MALFORMED_RESPONSE", "the encrypted nonce is not a whole number of blocks") from None
    group = suite.group
    try:
        if isinstance(group, ECGroup):
            result = _exchange(session, suite, group, s, password.kind, rng, integrated_map_ec)
        else:
            result = _exchange(session, suite, group, s, password.kind, rng, integrated_map_dh)
    except GroupError as exc:
        raise PACEError("INVALID_PUBLIC_KEY", f"the chip sent an invalid group element: {exc}") from None
    session.start_secure_messaging(result.keys.secure_messaging())
    return result


def _exchange(
    session: PACESender, suite: PACESuite, group: Group[E], s: bytes, kind: PasswordType, rng: Random,
    im_map: Callable[[Any, bytes, bytes, Any], E],
) -> PACEResult:  # fmt: skip
    """Steps 2–4 on one group type: map the nonce, agree on K, exchange and check the tokens."""
    ne = _ne(group.size)
    pk_map_ic: bytes | None = None
    if suite.mapping == "IM":
        t = rng(im_nonce_t_length(suite.cipher))
        if _require(general_authenticate(session, tlv.encode(0x81, t), last=False, ne=ne), 0x82):
            raise PACEError("MALFORMED_RESPONSE", "Integrated Mapping: data object 82 must be empty")
        mapped = im_map(group, s, t, suite.cipher)
    else:
        sk_map = group.random_private(rng)
        pk_map_ifd = group.encoded_public_key(sk_map)
        answer = general_authenticate(session, tlv.encode(0x81, pk_map_ifd), last=False, ne=ne)
        pk_map_ic = group.reencode(_require(answer, 0x82))
        if pk_map_ic == pk_map_ifd:
            raise PACEError("INVALID_PUBLIC_KEY", "the chip echoed the terminal's mapping key")
        mapped = generic_map(group, s, group.exp(group.decode(pk_map_ic), sk_map))
    sk_ifd = group.random_private(rng)
    pk_ifd = group.encode(group.public_key(sk_ifd, mapped))
    pk_ic_raw = _require(general_authenticate(session, tlv.encode(0x83, pk_ifd), last=False, ne=ne), 0x84)
    pk_ic = group.reencode(pk_ic_raw)
    if pk_ic == pk_ifd:
        raise PACEError("INVALID_PUBLIC_KEY", "the chip echoed the terminal's ephemeral key")  # §4.4.1 3c
    keys = session_keys(group.agree_encoded(sk_ifd, pk_ic), suite.cipher)
    token = auth_token(keys, suite.oid, group, pk_ic_raw)
    answer = general_authenticate(session, tlv.encode(0x85, token), last=True)
    if not verify_token(keys, suite.oid, group, pk_ifd, _require(answer, 0x86)):
        raise PACEError("CHIP_TOKEN_INVALID", "the chip's authentication token does not verify")
    ca_ic = None
    if suite.mapping == "CAM":
        try:
            ca_ic = cam_decrypt(keys, _require(answer, 0x8A))
        except ParseError:
            raise PACEError("MALFORMED_RESPONSE", "malformed encrypted Chip Authentication Data") from None
    return PACEResult(suite, kind, keys, pk_ifd, pk_ic, pk_map_ic, ca_ic)


def verify_cam_evidence(evidence: dict[str, Any], pk_ic_static: bytes) -> bool:
    """Re-check saved PACE-CAM values (``evidence.json``) against the chip's static key.

    Only a consistency check: anyone can pick CA_IC and derive a matching PK_Map,IC offline, so a dump's
    CAM triple proves nothing on its own — the live protocol (the chip completing the mapping with that
    key) is the proof.  Reports must not count an offline re-check as an anti-clone proof.
    """
    try:
        suite = PACESuite.create(str(evidence["protocol"]), int(evidence["parameter_id"]))
        cam = evidence["cam"]
        ca_ic, pk_map_ic = bytes.fromhex(cam["ca_ic"]), bytes.fromhex(cam["pk_map_ic"])
    except (KeyError, TypeError, ValueError):
        return False
    group = suite.group
    return isinstance(group, ECGroup) and cam_verify(group, ca_ic, pk_ic_static, pk_map_ic)

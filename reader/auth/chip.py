"""Chip Authentication version 1 — cryptography (ICAO 9303-11 §6.2, §9.2.5–9.2.7, §9.6; TR-03110-1 §4.3).

An ephemeral-static (EC)DH key agreement with the chip's static key from DG14: the terminal sends an
ephemeral public key on the chip key's domain parameters, both sides derive K = KA(SK, PK) and restart
secure messaging with KS_Enc = KDF(K, 1), KS_MAC = KDF(K, 2) and SSC = 0.  The chip proves possession of
its private key implicitly: only it can answer under the new keys.

Here: the chip key from its SubjectPublicKeyInfo (named curve, explicit parameters matching a
standardized curve, BSI ``standardizedDomainParameters``, or ``dhpublicnumber``), the choice of the
protocol from DG14, the key agreement for both roles, and the data objects of the APDUs (§6.2.4).
:func:`perform_chip_authentication` is the terminal's protocol step over a card session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from reader import tlv
from reader.access.pace import SessionKeys, session_keys
from reader.access.params import (
    DHGroup,
    DomainParameters,
    ECGroup,
    GroupError,
    Random,
    dh_group_by_parameters,
    ec_group_by_oid,
    ec_group_by_parameters,
    standardized,
)
from reader.apdu import SHORT_MAX_NC, SHORT_MAX_NE, CommandAPDU
from reader.errors import CardStatusError, ParseError, ProtocolError, SecureMessagingError, TLVError
from reader.lds.cardaccess import (
    ID_CA,
    CAProtocol,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    ca_protocol,
    decode_integer,
    decode_oid,
    encode_oid,
)
from reader.sm import SecureMessaging

EC_PUBLIC_KEY = "1.2.840.10045.2.1"
DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"
STANDARDIZED_DOMAIN_PARAMETERS = "0.4.0.127.0.7.1.2"  # bsi-de algorithms(1) 2 (§9.5.1)
PRIME_FIELD = "1.2.840.10045.1.1"


class ChipAuthKeyError(ParseError):
    """The chip's Chip Authentication public key cannot be decoded or uses unsupported parameters."""


@dataclass(frozen=True, slots=True)
class ChipAuthPublicKey:
    """A Chip Authentication (or PACE-CAM) static public key: its group and full-length encoding."""

    group: DomainParameters
    public_key: bytes
    key_id: int | None = None

    def __repr__(self) -> str:
        return f"ChipAuthPublicKey({self.group.name}, key_id={self.key_id})"

    @property
    def key_agreement(self) -> str:
        return "ECDH" if isinstance(self.group, ECGroup) else "DH"


def _children(obj: tlv.TLV, what: str) -> list[tlv.TLV]:
    if obj.tag != 0x30:
        raise ChipAuthKeyError(f"{what} must be a SEQUENCE")
    return obj.children()


def _integer(obj: tlv.TLV, what: str) -> int:
    if obj.tag != 0x02:
        raise ChipAuthKeyError(f"{what} must be an INTEGER")
    return decode_integer(obj.value)


def _explicit_ec(params: tlv.TLV) -> ECGroup:
    """``SpecifiedECDomain`` (SEC 1 §C.2) mapped to the standardized curve it equals."""
    fields = _children(params, "ECParameters")
    if len(fields) < 5:
        raise ChipAuthKeyError("explicit EC parameters are incomplete")
    field_id = _children(fields[1], "FieldID")
    if len(field_id) != 2 or field_id[0].tag != 0x06 or decode_oid(field_id[0].value) != PRIME_FIELD:
        raise ChipAuthKeyError("EC parameters must be over a prime field")
    curve = _children(fields[2], "Curve")
    if len(curve) < 2 or curve[0].tag != 0x04 or curve[1].tag != 0x04 or fields[3].tag != 0x04:
        raise ChipAuthKeyError("malformed explicit curve")
    p = _integer(field_id[1], "prime p")
    size = (p.bit_length() + 7) // 8
    base = fields[3].value
    if len(base) != 1 + 2 * size or base[0] != 0x04:
        raise ChipAuthKeyError("explicit base point must be uncompressed")
    a, b = int.from_bytes(curve[0].value, "big"), int.from_bytes(curve[1].value, "big")
    gx, gy = int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big")
    if len(fields) > 5 and _integer(fields[5], "cofactor") != 1:
        raise ChipAuthKeyError("explicit EC parameters with a cofactor other than 1")
    return ec_group_by_parameters(p, a, b, gx, gy, _integer(fields[4], "order"))


def domain_parameters(algorithm: str, params: tlv.TLV | None) -> DomainParameters:
    """The group of an AlgorithmIdentifier (``ecPublicKey`` with a named curve or explicit parameters,
    ``dhpublicnumber``, standardized domain parameters); explicit EC parameters must match a standardized
    curve exactly.  :class:`ChipAuthKeyError` or :class:`~reader.access.params.GroupError` otherwise."""
    if params is None:
        raise ChipAuthKeyError("public key without domain parameters")
    if algorithm == STANDARDIZED_DOMAIN_PARAMETERS:
        return standardized(_integer(params, "standardized domain parameter ID"))
    if algorithm == EC_PUBLIC_KEY:
        if params.tag == 0x06:
            return ec_group_by_oid(decode_oid(params.value))
        return _explicit_ec(params)
    if algorithm == DH_PUBLIC_NUMBER:  # X9.42 DomainParameters ::= SEQUENCE { p, g, q, ... }
        fields = _children(params, "DH DomainParameters")
        if len(fields) < 3:
            raise ChipAuthKeyError("DH domain parameters need p, g and q")
        p, g, q = (_integer(f, name) for f, name in zip(fields[:3], ("p", "g", "q"), strict=True))
        return dh_group_by_parameters(p, g, q)
    raise ChipAuthKeyError(f"unsupported Chip Authentication key algorithm {algorithm}")


def parse_chip_auth_public_key(spki: bytes, key_id: int | None = None) -> ChipAuthPublicKey:
    """Decode a ``chipAuthenticationPublicKey`` SubjectPublicKeyInfo (§9.2.6) and validate the key."""
    try:
        parts = _children(tlv.decode(spki), "SubjectPublicKeyInfo")
        if len(parts) != 2 or parts[1].tag != 0x03 or not parts[1].value or parts[1].value[0] != 0:
            raise ChipAuthKeyError("SubjectPublicKeyInfo must be { AlgorithmIdentifier, BIT STRING }")
        alg = _children(parts[0], "AlgorithmIdentifier")
        if not 1 <= len(alg) <= 2 or alg[0].tag != 0x06:
            raise ChipAuthKeyError("malformed AlgorithmIdentifier")
        group = domain_parameters(decode_oid(alg[0].value), alg[1] if len(alg) == 2 else None)
        key = parts[1].value[1:]
        if isinstance(group, DHGroup):  # DHPublicKey ::= INTEGER inside the BIT STRING (RFC 3279 §2.3.3)
            y = decode_integer(tlv.decode(key, expected_tag=0x02).value)
            if y <= 0 or y.bit_length() > 8 * group.size:
                raise ChipAuthKeyError("DH public value out of range")
            return ChipAuthPublicKey(group, group.reencode(y.to_bytes(group.size, "big")), key_id)
        return ChipAuthPublicKey(group, group.reencode(key), key_id)
    except (TLVError, GroupError) as exc:
        raise ChipAuthKeyError(f"Chip Authentication public key: {exc}") from None


@dataclass(frozen=True, slots=True)
class ChipAuthChoice:
    """What the reader will run: the protocol (cipher, key agreement) and the key it uses."""

    protocol: CAProtocol
    key: ChipAuthPublicKey

    @property
    def uses_mse_set_kat(self) -> bool:
        """3DES chips are addressed with MSE:Set KAT (§6.2.4.1); AES ones with MSE:Set AT + GA."""
        return self.protocol.cipher.family == "3DES"


def choose(
    pairs: list[tuple[ChipAuthenticationPublicKeyInfo, ChipAuthenticationInfo | None]],
) -> ChipAuthChoice:
    """Pick the key to use from DG14's pairs (e.g. ``reader.lds.dg14.chip_authentication_keys``).

    The first pair whose key decodes wins, preferring AES over 3DES.  A key without ChipAuthenticationInfo
    (EAC 1.x chips) means the 3DES variant of its key agreement (TR-03110-1 §A.1.1.2).
    """
    choices: list[ChipAuthChoice] = []
    errors: list[str] = []
    for pk_info, ca_info in pairs:
        try:
            key = parse_chip_auth_public_key(pk_info.subject_public_key_info, pk_info.key_id)
            if ca_info is not None:
                protocol = ca_info.ca
            else:
                protocol = ca_protocol(f"{ID_CA}.{1 if key.key_agreement == 'DH' else 2}.1")
            if protocol.key_agreement != key.key_agreement:
                raise ChipAuthKeyError(f"{protocol.name} does not fit a {key.key_agreement} key")
            choices.append(ChipAuthChoice(protocol, key))
        except ParseError as exc:
            errors.append(str(exc))
    if not choices:
        raise ChipAuthKeyError("no usable Chip Authentication key: " + ("; ".join(errors) or "none"))
    choices.sort(key=lambda c: c.protocol.cipher.family != "AES")
    return choices[0]


# --- key agreement (§6.2.1 step 3) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TerminalKeyAgreement:
    """The terminal's side: the ephemeral public key to send and the new session keys."""

    ephemeral_public_key: bytes
    keys: SessionKeys

    def __repr__(self) -> str:
        return "TerminalKeyAgreement(<redacted>)"


def terminal_key_agreement(choice: ChipAuthChoice, rng: Random) -> TerminalKeyAgreement:
    """Generate (SK_DH,IFD, PK_DH,IFD) on the chip key's parameters; K = KA(SK_DH,IFD, PK_IC)."""
    group = choice.key.group
    private = group.random_private(rng)
    public = group.encoded_public_key(private)
    shared = group.agree_encoded(private, choice.key.public_key)
    return TerminalKeyAgreement(public, session_keys(shared, choice.protocol.cipher))


def chip_key_agreement(
    group: DomainParameters, sk_ic: int, protocol: CAProtocol, pk_ifd: bytes
) -> SessionKeys:
    """The chip's side: validate PK_DH,IFD (§9.6) and derive K = KA(SK_IC, PK_DH,IFD)."""
    shared = group.agree_encoded(sk_ic, pk_ifd)
    return session_keys(shared, protocol.cipher)


# --- APDU data objects (§6.2.4) ---------------------------------------------------------------------------


def _key_reference(key_id: int | None) -> bytes:
    if key_id is None:
        return b""
    return tlv.encode(0x84, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big"))


def mse_set_kat_data(ephemeral_public_key: bytes, key_id: int | None) -> bytes:
    """MSE:Set KAT (P1P2 41A6): ``91`` ephemeral public key, ``84`` key reference if ambiguous."""
    return tlv.encode(0x91, ephemeral_public_key) + _key_reference(key_id)


def mse_set_at_data(oid: str, key_id: int | None) -> bytes:
    """MSE:Set AT (P1P2 41A4): ``80`` protocol OID (value only), ``84`` key reference if ambiguous."""
    return tlv.encode(0x80, tlv.decode(encode_oid(oid)).value) + _key_reference(key_id)


def general_authenticate_data(ephemeral_public_key: bytes) -> bytes:
    """GENERAL AUTHENTICATE: ``7C { 80 ephemeral public key }``; the answer is an empty ``7C``."""
    return tlv.encode(0x7C, tlv.encode(0x80, ephemeral_public_key))


# --- the terminal's protocol step (§6.2.4) ----------------------------------------------------------------

# Protected READ BINARY of the first byte of EF.COM by its SFI: answered with a MAC under the new keys only
# by a chip that derived them, i.e. that holds SK_IC (implicit authentication, §6.2).
CONFIRMATION_COMMAND = CommandAPDU(0x00, 0xB0, 0x80 | 0x1E, 0x00, ne=1)
# For a chip that refuses READ BINARY by SFI (issue 12): SELECT EF.COM without FCI; its 9000 carries DO'99'
# and DO'8E' under the new keys, so the same implicit authentication holds.
CONFIRMATION_BY_FID = CommandAPDU(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e")


class CASender(Protocol):
    """The slice of :class:`reader.session.CardSession` Chip Authentication needs."""

    @property
    def secure_messaging(self) -> SecureMessaging | None: ...

    def send(self, command: CommandAPDU, what: str) -> bytes: ...

    def start_secure_messaging(self, sm: SecureMessaging) -> None: ...


@dataclass(frozen=True, slots=True)
class ChipAuthOutcome:
    """Result of the CA step.  ``session_intact``: the channel still works (old or new keys)."""

    passed: bool
    reason: str | None
    protocol: str
    key_id: int | None
    ephemeral_public_key: bytes
    session_intact: bool

    def evidence(self) -> dict[str, Any]:
        """For ``evidence.json``: CA is interactive, not re-checkable offline; this records what ran."""
        return {
            "protocol": self.protocol, "key_id": self.key_id, "passed": self.passed, "reason": self.reason,
            "terminal_ephemeral_public_key": self.ephemeral_public_key.hex().upper(),
        }  # fmt: skip


def perform_chip_authentication(
    session: CASender, choice: ChipAuthChoice, *, rng: Random = os.urandom, confirm_by_sfi: bool = True
) -> ChipAuthOutcome:
    """Run CA inside the current secure channel, switch to the new keys and confirm them (§6.2).

    The outcome is a value: a refused command or a chip that cannot answer under the new keys is
    ``passed=False`` with a reason (``CA_REFUSED_6A80``, ``NO_SECURE_MESSAGING_UNDER_NEW_KEYS`` …).
    """
    if session.secure_messaging is None:
        raise ProtocolError("Chip Authentication needs an established secure channel (BAC or PACE)")
    agreement = terminal_key_agreement(choice, rng)
    key_id = choice.key.key_id

    def outcome(passed: bool, reason: str | None, intact: bool) -> ChipAuthOutcome:
        return ChipAuthOutcome(
            passed, reason, choice.protocol.oid, key_id, agreement.ephemeral_public_key, intact
        )

    try:
        if choice.uses_mse_set_kat:
            data = mse_set_kat_data(agreement.ephemeral_public_key, key_id)
            session.send(CommandAPDU(0x00, 0x22, 0x41, 0xA6, data), "MSE:Set KAT")
        else:
            mse = CommandAPDU(0x00, 0x22, 0x41, 0xA4, mse_set_at_data(choice.protocol.oid, key_id))
            session.send(mse, "MSE:Set AT")
            ga = general_authenticate_data(agreement.ephemeral_public_key)
            extended = len(ga) > SHORT_MAX_NC
            answer = session.send(CommandAPDU(0x00, 0x86, 0, 0, ga, ne=SHORT_MAX_NE, extended=extended), "GA")
            if tlv.decode(answer, expected_tag=0x7C).value:
                return outcome(False, "UNEXPECTED_RESPONSE_DATA", True)
    except CardStatusError as exc:
        return outcome(False, f"CA_REFUSED_{exc.sw:04X}", True)  # the old keys remain valid (§6.2.4.1)
    except (SecureMessagingError, ParseError):
        return outcome(False, "MALFORMED_RESPONSE", False)
    session.start_secure_messaging(agreement.keys.secure_messaging())
    try:
        if not confirm_by_sfi:
            session.send(CONFIRMATION_BY_FID, "SELECT EF.COM (CA confirmation)")
        elif session.send(CONFIRMATION_COMMAND, "READ BINARY (CA confirmation)") == b"":
            return outcome(False, "NO_SECURE_MESSAGING_UNDER_NEW_KEYS", False)
    except (SecureMessagingError, CardStatusError):
        return outcome(False, "NO_SECURE_MESSAGING_UNDER_NEW_KEYS", False)
    return outcome(True, None, True)

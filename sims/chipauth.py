"""Chip Authentication v1 on the simulated card (ICAO 9303-11 §6.2.4).

* MSE:Set KAT (``41A6``, data ``91`` PK_DH,IFD [``84`` key id]) — the 3DES variants;
* MSE:Set AT (``41A4``, ``80`` OID [``84`` key id]) then GENERAL AUTHENTICATE ``7C{80 PK_DH,IFD}`` —
  any cipher; the answer is an empty ``7C``.

Both run under the secure messaging of BAC or PACE; the answer to the key-agreement command is protected
with the old keys, then the card switches to KS_Enc/KS_MAC from K = KA(SK_IC, PK_DH,IFD) with SSC = 0.
A "clone" is a card whose applet holds a private key that does not match DG14: it derives other keys and
the reader's next protected command fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from reader import tlv
from reader.access.params import DomainParameters, GroupError
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.auth.chip import chip_key_agreement
from reader.errors import ParseError
from reader.lds.cardaccess import CAProtocol, ca_protocol, decode_oid
from sims.card import CardOS, Handler, StatusWord
from sims.eckeys import standardized_group
from sims.pace import SecurityEnvironment

_SELECTED = "ca_selected"
# id-CA-ECDH-AES-CBC-CMAC-128: the protocol of a chip key whose DG14 declares no other
DEFAULT_CA_OID = "0.4.0.127.0.7.2.2.3.2.2"


@dataclass
class ChipAuthApplet:
    """The chip's Chip Authentication key pair (group + SK_IC), its protocol OID and key id."""

    protocol: CAProtocol
    group: DomainParameters
    private_key: int
    key_id: int | None = None
    mse_templates: frozenset[tuple[int, int]] = frozenset({(0x41, 0xA4), (0x41, 0xA6)})

    def __repr__(self) -> str:
        return f"ChipAuthApplet({self.protocol.name}, {self.group.name})"

    @classmethod
    def from_ec_key(
        cls,
        key: ec.EllipticCurvePrivateKey,
        protocol_oid: str = DEFAULT_CA_OID,
        key_id: int | None = None,
    ) -> ChipAuthApplet:
        """From a ``cryptography`` EC private key on a standardized curve (as ``sims.personalize`` makes)."""
        group = standardized_group(key.curve)
        return cls(ca_protocol(protocol_oid), group, key.private_numbers().private_value, key_id)

    def ins_handlers(self) -> Mapping[int, Handler]:
        return SecurityEnvironment((self,)).ins_handlers()

    @property
    def public_key(self) -> bytes:
        return self.group.encoded_public_key(self.private_key)

    def _check_key_reference(self, objects: dict[int, bytes]) -> None:
        if 0x84 in objects and int.from_bytes(objects[0x84], "big") != self.key_id:
            raise StatusWord(0x6A88)

    def mse(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        card.state.extra.pop(_SELECTED, None)
        if card.state.sm is None:
            raise StatusWord(0x6982)  # CA runs inside the BAC/PACE secure channel
        try:
            objects = {o.tag: o.value for o in tlv.decode_all(command.data)}
        except ParseError:
            raise StatusWord(0x6A80) from None
        self._check_key_reference(objects)
        if command.p2 == 0xA6:  # MSE:Set KAT (§6.2.4.1): 3DES only
            if self.protocol.cipher.family != "3DES" or 0x91 not in objects:
                raise StatusWord(0x6A80)
            self._agree(card, objects[0x91])
            return ResponseAPDU(b"", 0x9000)
        try:
            oid = decode_oid(objects[0x80])
        except (KeyError, ParseError):
            raise StatusWord(0x6A80) from None
        if oid != self.protocol.oid:
            raise StatusWord(0x6A80)
        card.state.extra[_SELECTED] = True
        return ResponseAPDU(b"", 0x9000)

    def general_authenticate(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        if not card.state.extra.pop(_SELECTED, False) or card.state.sm is None:
            raise StatusWord(0x6985)
        if command.cla & 0x10:
            raise StatusWord(0x6884)  # CA is a single GENERAL AUTHENTICATE, no chain
        try:
            objects = {o.tag: o.value for o in tlv.decode(command.data, expected_tag=0x7C).children()}
            public_key = objects[0x80]
        except (ParseError, KeyError):
            raise StatusWord(0x6A80) from None
        self._agree(card, public_key)
        return ResponseAPDU(tlv.encode(0x7C, b""), 0x9000)

    def _agree(self, card: CardOS, pk_ifd: bytes) -> None:
        try:
            keys = chip_key_agreement(self.group, self.private_key, self.protocol, pk_ifd)
        except GroupError:
            raise StatusWord(0x6A80) from None  # validation of the ephemeral public key failed
        card.start_secure_messaging(keys.secure_messaging())

"""PACE v2 cryptography (ICAO 9303-11 §4.4.3, §9.7.3, §9.4): passwords, nonce, session keys, tokens, CAM.

The pieces both roles share — the reader's protocol steps (:mod:`reader.access.pace_protocol`) and the
simulated card (:mod:`sims.pace`) — and nothing else: no I/O, randomness passed in.

* :class:`PACEPassword` and :func:`k_pi`: K_π = KDF(f(π), 3) with f(π) = SHA-1(MRZ information) for the
  MRZ and the ISO/IEC 8859-1 characters for CAN, PIN and PUK (§9.7.3, table 14).
* :func:`encrypt_nonce` / :func:`decrypt_nonce`: z = E(K_π, s), CBC with IV = 0 (§4.4.3.3).
* :func:`session_keys`: KS_Enc = KDF(K, 1), KS_MAC = KDF(K, 2) (§9.7.4).
* :func:`auth_token`: MAC(KS_MAC, 7F49 {06 OID, 86|84 public key}) (§4.4.3.4, §9.4).
* :func:`cam_encrypt` / :func:`cam_verify`: Chip Authentication Mapping data (§4.4.3.5).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from typing import TypeVar

from reader import crypto
from reader.access.params import (
    IM_EXCLUDED,
    DHGroup,
    DomainParameters,
    ECGroup,
    Group,
    GroupError,
    standardized,
)
from reader.crypto import KDF_ENC, KDF_MAC, KDF_PI, CipherAlg
from reader.errors import ParseError
from reader.lds.cardaccess import PACEInfo, PACEProtocol, encode_oid, pace_protocol
from reader.lds.mrz import mrz_information
from reader.sm import SecureMessaging
from reader.tlv import encode

E = TypeVar("E")
TOKEN_LENGTH = 8


class PasswordType(enum.IntEnum):
    """Password references of MSE:Set AT, data object 0x83 (ICAO 9303-11 §4.4.4.1; TR-03110-3 §B.11.1)."""

    MRZ = 1
    CAN = 2
    PIN = 3
    PUK = 4


@dataclass(frozen=True, slots=True)
class PACEPassword:
    """A PACE password π.  Holds the MRZ information or the digits: :meth:`__repr__` hides them."""

    kind: PasswordType
    secret: str

    def __post_init__(self) -> None:
        if self.kind is not PasswordType.MRZ and (not self.secret.isdigit() or not self.secret.isascii()):
            raise ParseError(f"a PACE {self.kind.name} consists of digits")

    def __repr__(self) -> str:
        return f"PACEPassword({self.kind.name}, <redacted>)"

    @classmethod
    def mrz(cls, document_number: str, date_of_birth: str, date_of_expiry: str) -> PACEPassword:
        """From the MRZ fields (YYMMDD dates); the check digits are computed (§9.7.3, note)."""
        return cls(PasswordType.MRZ, mrz_information(document_number, date_of_birth, date_of_expiry))

    @classmethod
    def can(cls, digits: str) -> PACEPassword:
        """The card access number printed on the card (on a CCCD, the last 6 digits of the ID)."""
        return cls(PasswordType.CAN, digits)

    @classmethod
    def pin(cls, digits: str) -> PACEPassword:
        return cls(PasswordType.PIN, digits)

    @classmethod
    def puk(cls, digits: str) -> PACEPassword:
        return cls(PasswordType.PUK, digits)

    def encoded(self) -> bytes:
        """f(π) of §9.7.3, table 14: SHA-1 of the MRZ information, else the ISO/IEC 8859-1 characters."""
        if self.kind is PasswordType.MRZ:
            return hashlib.sha1(self.secret.encode("ascii")).digest()  # noqa: S324 - ICAO 9303-11 §9.7.3
        return self.secret.encode("latin-1")


def k_pi(password: PACEPassword, cipher: CipherAlg) -> bytes:
    """K_π = KDF_π(π) = KDF(f(π), 3) (§9.7.3)."""
    return crypto.kdf(password.encoded(), KDF_PI, cipher)


def _cbc(cipher: CipherAlg, key: bytes, data: bytes, *, decrypt: bool) -> bytes:
    if not data or len(data) % cipher.block_size:
        raise ParseError("PACE nonce is not a whole number of cipher blocks")
    if cipher is CipherAlg.DESEDE2:
        return crypto.tdes_cbc_decrypt(key, data) if decrypt else crypto.tdes_cbc_encrypt(key, data)
    return crypto.aes_cbc_decrypt(key, data) if decrypt else crypto.aes_cbc_encrypt(key, data)


def encrypt_nonce(key_pi: bytes, s: bytes, cipher: CipherAlg) -> bytes:
    """z = E(K_π, s): CBC mode, IV = 0, no padding (s is a whole number of blocks) (§4.4.3.3)."""
    return _cbc(cipher, key_pi, s, decrypt=False)


def decrypt_nonce(key_pi: bytes, z: bytes, cipher: CipherAlg) -> bytes:
    """s = D(K_π, z) (§4.4.3.3).  A wrong password gives a wrong s, detected only by the tokens."""
    return _cbc(cipher, key_pi, z, decrypt=True)


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """KS_Enc and KS_MAC from a key agreement (§9.7.4).  :meth:`__repr__` hides them."""

    cipher: CipherAlg
    ks_enc: bytes
    ks_mac: bytes

    def __repr__(self) -> str:
        return f"SessionKeys({self.cipher.name}, <redacted>)"

    def secure_messaging(self) -> SecureMessaging:
        """The SM state after PACE or CA: SSC = 0, 8 bytes for 3DES, 16 for AES (§9.8.6.3, §9.8.7.3)."""
        if self.cipher is CipherAlg.DESEDE2:
            return SecureMessaging.tdes(self.ks_enc, self.ks_mac, bytes(8))
        return SecureMessaging.aes(self.cipher, self.ks_enc, self.ks_mac, 0)


def session_keys(shared_secret: bytes, cipher: CipherAlg) -> SessionKeys:
    """KS_Enc = KDF(K, 1), KS_MAC = KDF(K, 2) (§9.7.4)."""
    return SessionKeys(
        cipher, crypto.kdf(shared_secret, KDF_ENC, cipher), crypto.kdf(shared_secret, KDF_MAC, cipher)
    )


def public_key_data_object(oid: str, tag: int, public_key: bytes) -> bytes:
    """``7F49 { 06 OID, tag public key }``: an ephemeral public key without domain parameters (§9.4.5)."""
    return encode(0x7F49, encode_oid(oid) + encode(tag, public_key))


def mac(cipher: CipherAlg, key: bytes, data: bytes) -> bytes:
    """The token MAC: AES-CMAC truncated to 8 bytes, or the retail MAC (ISO/IEC 9797-1 algorithm 3,
    padding method 2) for 3DES; padding is internal to the MAC (§4.4.3.4)."""
    if cipher is CipherAlg.DESEDE2:
        return crypto.retail_mac(key, data)
    return crypto.aes_cmac(key, data, TOKEN_LENGTH)


def auth_token(keys: SessionKeys, oid: str, group: Group[E], peer_public_key: bytes) -> bytes:
    """T = MAC(KS_MAC, PK) over the *other* side's ephemeral public key as received (§4.4.3.4)."""
    return mac(keys.cipher, keys.ks_mac, public_key_data_object(oid, group.public_key_tag, peer_public_key))


def verify_token(keys: SessionKeys, oid: str, group: Group[E], own_public_key: bytes, token: bytes) -> bool:
    """Check the peer's token, which covers *our* public key; constant-time comparison."""
    return hmac.compare_digest(auth_token(keys, oid, group, own_public_key), token)


# --- Chip Authentication Mapping (§4.4.3.5) --------------------------------------------------------------

_MINUS_ONE = b"\xff" * 16


def _cam_iv(ks_enc: bytes) -> bytes:
    """IV = E(KS_Enc, −1): the all-ones block encrypted (§4.4.3.5.4)."""
    return crypto.aes_ecb_encrypt(ks_enc, _MINUS_ONE)


def cam_data(group: ECGroup, sk_ic: int, sk_map_ic: int) -> bytes:
    """CA_IC = SK_IC⁻¹ · SK_Map,IC mod n, as FE2OS: as many octets as the group order (§4.4.5.6)."""
    n = group.order
    return (pow(sk_ic, -1, n) * sk_map_ic % n).to_bytes((n.bit_length() + 7) // 8, "big")


def cam_encrypt(keys: SessionKeys, ca_ic: bytes) -> bytes:
    """A_IC = E(KS_Enc, CA_IC): AES-CBC with IV = E(KS_Enc, −1) and padding method 2 (§4.4.3.5)."""
    if keys.cipher.family != "AES":
        raise GroupError("PACE-CAM is defined for AES only")
    return crypto.aes_cbc_encrypt(keys.ks_enc, crypto.pad(ca_ic, 16), _cam_iv(keys.ks_enc))


def cam_decrypt(keys: SessionKeys, a_ic: bytes) -> bytes:
    """CA_IC from the encrypted Chip Authentication Data; :class:`ParseError` if malformed."""
    if keys.cipher.family != "AES" or not a_ic or len(a_ic) % 16:
        raise ParseError("encrypted Chip Authentication Data is not a whole number of AES blocks")
    return crypto.unpad(crypto.aes_cbc_decrypt(keys.ks_enc, a_ic, _cam_iv(keys.ks_enc)))


def cam_verify(group: ECGroup, ca_ic: bytes, pk_ic: bytes, pk_map_ic: bytes) -> bool:
    """The terminal's check PK_Map,IC = KA(CA_IC, PK_IC, D_IC) (§4.4.3.5.2), as a value.

    ``pk_ic`` is the chip's static public key (from EF.CardSecurity or DG14, covered by passive
    authentication), ``pk_map_ic`` the chip's mapping public key received in GENERAL AUTHENTICATE.
    """
    n = group.order
    if len(ca_ic) != (n.bit_length() + 7) // 8:
        return False
    ca = int.from_bytes(ca_ic, "big")
    if not 0 < ca < n:
        return False
    try:
        expected = group.exp(group.decode(pk_ic), ca)
        received = group.decode(pk_map_ic)
    except GroupError:
        return False
    return hmac.compare_digest(group.encode(expected), group.encode(received))


# --- the negotiated suite -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PACESuite:
    """A PACE protocol (key agreement, mapping, cipher) on standardized domain parameters (§9.2.1)."""

    protocol: PACEProtocol
    parameter_id: int
    group: DomainParameters

    @property
    def oid(self) -> str:
        return self.protocol.oid

    @property
    def cipher(self) -> CipherAlg:
        return self.protocol.cipher

    @property
    def mapping(self) -> str:
        return self.protocol.mapping

    @classmethod
    def create(cls, oid: str, parameter_id: int) -> PACESuite:
        """Check that protocol and parameters fit (ECDH ↔ curve, IM not on P-224, CAM not with 3DES)."""
        protocol = pace_protocol(oid)
        group = standardized(parameter_id)
        want = ECGroup if protocol.key_agreement == "ECDH" else DHGroup
        if not isinstance(group, want):
            raise GroupError(f"{protocol.name} cannot use domain parameters {group.name}")
        if protocol.mapping == "IM" and parameter_id in IM_EXCLUDED:
            raise GroupError(f"{group.name} cannot be used with the Integrated Mapping")
        return cls(protocol, parameter_id, group)

    @classmethod
    def from_info(cls, info: PACEInfo) -> PACESuite:
        """From a PACEInfo with standardized domain parameters (explicit ones are not supported)."""
        if info.version != 2:
            raise GroupError(f"PACE version {info.version} is not supported (only version 2)")
        if info.parameter_id is None:
            raise GroupError("PACEInfo without a standardized domain parameter ID")
        return cls.create(info.protocol, info.parameter_id)

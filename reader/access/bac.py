"""Basic Access Control (ICAO 9303-11 §4.3, Appendix D).

Key derivation from the MRZ information, the reader's side of mutual authentication, and the session
keys and SSC that start 3DES secure messaging.  The card's side lives in the simulator and reuses
:func:`derive_access_keys` and :func:`session_keys` from here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reader import crypto
from reader.apdu import CommandAPDU
from reader.crypto import KDF_ENC, KDF_MAC, CipherAlg
from reader.errors import AccessDeniedError, CardStatusError, ProtocolError
from reader.lds.mrz import cccd_document_number, mrz_information
from reader.sm import SecureMessaging
from reader.sw import AUTH_FAILURE_SW

Random = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class BACKeyInput:
    """Document number, birth date and expiry (YYMMDD) — the inputs of the BAC key seed.

    Holds personal data: :meth:`__repr__` shows nothing of it.
    """

    document_number: str
    date_of_birth: str
    date_of_expiry: str

    def __repr__(self) -> str:
        return "BACKeyInput(<redacted>)"

    @classmethod
    def from_cccd(cls, id_number: str, date_of_birth: str, date_of_expiry: str) -> BACKeyInput:
        """From the 12-digit ID: the document number is its last 9 digits (cccd-chip.md §1)."""
        return cls(cccd_document_number(id_number), date_of_birth, date_of_expiry)

    @property
    def mrz_information(self) -> str:
        return mrz_information(self.document_number, self.date_of_birth, self.date_of_expiry)


def derive_access_keys(key: BACKeyInput) -> tuple[bytes, bytes]:
    """ICAO 9303-11 §9.7.2: k_seed = SHA-1(MRZ information)[:16]; (k_enc, k_mac) = KDF(k_seed, 1 | 2)."""
    k_seed = hashlib.sha1(key.mrz_information.encode("ascii")).digest()[:16]  # noqa: S324 - ICAO mandated
    return crypto.kdf(k_seed, KDF_ENC, CipherAlg.DESEDE2), crypto.kdf(k_seed, KDF_MAC, CipherAlg.DESEDE2)


def session_keys(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> SecureMessaging:
    """ICAO 9303-11 §9.7.4 / D.3: ks_seed = k_ifd ⊕ k_icc; SSC = rnd_icc[4:] ‖ rnd_ifd[4:]."""
    ks_seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    ks_enc = crypto.kdf(ks_seed, KDF_ENC, CipherAlg.DESEDE2)
    ks_mac = crypto.kdf(ks_seed, KDF_MAC, CipherAlg.DESEDE2)
    return SecureMessaging.tdes(ks_enc, ks_mac, rnd_icc[4:] + rnd_ifd[4:])


def external_authenticate_data(
    k_enc: bytes, k_mac: bytes, rnd_icc: bytes, rnd_ifd: bytes, k_ifd: bytes
) -> bytes:
    """E_IFD ‖ M_IFD for EXTERNAL AUTHENTICATE (ICAO 9303-11 §4.3.3.1, D.3)."""
    e_ifd = crypto.tdes_cbc_encrypt(k_enc, rnd_ifd + rnd_icc + k_ifd)
    return e_ifd + crypto.retail_mac(k_mac, e_ifd)


def open_card_response(k_enc: bytes, k_mac: bytes, response: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> bytes:
    """Check the card's E_ICC ‖ M_ICC and return k_icc (ICAO 9303-11 §4.3.3.2).

    MAC first, in constant time; then the echoed challenges.  :class:`AccessDeniedError` on any mismatch.
    """
    if len(response) != 40:
        raise ProtocolError("EXTERNAL AUTHENTICATE response must be 40 bytes")
    e_icc, m_icc = response[:32], response[32:]
    if not hmac.compare_digest(crypto.retail_mac(k_mac, e_icc), m_icc):
        raise AccessDeniedError("the card's authentication cryptogram is not valid for this key")
    r = crypto.tdes_cbc_decrypt(k_enc, e_icc)
    if not (hmac.compare_digest(r[:8], rnd_icc) and hmac.compare_digest(r[8:16], rnd_ifd)):
        raise AccessDeniedError("the card did not echo our challenge")
    return r[16:]


GET_CHALLENGE = CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8)


class Sender(Protocol):
    """The slice of :class:`reader.session.CardSession` that BAC needs."""

    def send(self, command: CommandAPDU, what: str) -> bytes: ...


def perform_bac(session: Sender, key: BACKeyInput, *, rng: Random = os.urandom) -> SecureMessaging:
    """Run BAC over ``session`` (plain) and return the 3DES secure-messaging state.

    Raises :class:`AccessDeniedError` when the card refuses the key.
    """
    k_enc, k_mac = derive_access_keys(key)
    rnd_icc = session.send(GET_CHALLENGE, "GET CHALLENGE")
    if len(rnd_icc) != 8:
        raise ProtocolError("GET CHALLENGE must return 8 bytes")
    rnd_ifd, k_ifd = rng(8), rng(16)
    data = external_authenticate_data(k_enc, k_mac, rnd_icc, rnd_ifd, k_ifd)
    try:
        response = session.send(CommandAPDU(0x00, 0x82, 0x00, 0x00, data, ne=40), "EXTERNAL AUTHENTICATE")
    except CardStatusError as exc:
        if exc.sw in AUTH_FAILURE_SW:
            raise AccessDeniedError("the card refused the access key") from None
        raise
    k_icc = open_card_response(k_enc, k_mac, response, rnd_icc, rnd_ifd)
    return session_keys(k_ifd, k_icc, rnd_icc, rnd_ifd)

"""Sealing of personal data at rest: AES-256-GCM (NIST SP 800-38D) with a 96-bit random nonce.

integrations.md duty 6 ("encrypt local storage"): records and biometric evidence are stored sealed under
the key store's ``storage`` secret; the associated data binds a ciphertext to its row, so a sealed blob
moved to another row does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class SealError(Exception):
    """A sealed value does not open (wrong key, wrong row, or tampered)."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key is 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<key hidden>)"

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < _NONCE + 16:
            raise SealError("sealed value too short")
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except InvalidTag:
            raise SealError("sealed value does not open") from None

"""Symmetric primitives of ICAO 9303-11 (§9.7): key derivation, padding, 3DES and AES, retail MAC, CMAC.

The block ciphers come from ``cryptography``; the retail MAC (ISO/IEC 9797-1 MAC algorithm 3 with DES) is
composed from single-DES and 3DES operations of ``pycryptodome``, which still exposes single DES.
"""

from __future__ import annotations

import enum
import hashlib

from Crypto.Cipher import DES, DES3
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from reader.errors import ParseError


class CipherAlg(enum.Enum):
    """Secure-messaging cipher families with their key lengths in bytes (ICAO 9303-11 §9.7.1.1)."""

    DESEDE2 = ("3DES", 16)
    AES128 = ("AES", 16)
    AES192 = ("AES", 24)
    AES256 = ("AES", 32)

    @property
    def family(self) -> str:
        return self.value[0]

    @property
    def key_length(self) -> int:
        return self.value[1]

    @property
    def block_size(self) -> int:
        return 8 if self.family == "3DES" else 16


KDF_ENC = 1
KDF_MAC = 2
KDF_PI = 3  # PACE password key


def kdf(shared_secret: bytes, counter: int, alg: CipherAlg) -> bytes:
    """ICAO 9303-11 §9.7.1: KDF(K, c) = H(K || c) truncated to the key length.

    SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256.  3DES keys get DES parity bits adjusted.
    """
    data = shared_secret + counter.to_bytes(4, "big")
    if alg in (CipherAlg.DESEDE2, CipherAlg.AES128):
        digest = hashlib.sha1(data).digest()  # noqa: S324 - mandated by ICAO 9303-11 §9.7.1.1
    else:
        digest = hashlib.sha256(data).digest()
    key = digest[: alg.key_length]
    return adjust_des_parity(key) if alg is CipherAlg.DESEDE2 else key


def adjust_des_parity(key: bytes) -> bytes:
    """Set odd parity in every byte of a DES key (FIPS 46-3)."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") + 1) % 2)
    return bytes(out)


def pad(data: bytes, block_size: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zero bytes to a block boundary."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % block_size)


def unpad(data: bytes) -> bytes:
    """Remove padding method 2; :class:`ParseError` if it is absent or malformed."""
    i = len(data) - 1
    while i >= 0 and data[i] == 0:
        i -= 1
    if i < 0 or data[i] != 0x80:
        raise ParseError("bad ISO/IEC 9797-1 padding")
    return data[:i]


def _tdes_key(key: bytes) -> bytes:
    return key + key[:8] if len(key) == 16 else key


def tdes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 8) -> bytes:
    """Two-key 3DES in CBC mode, no padding (data already a multiple of 8)."""
    return DES3.new(_tdes_key(key), DES3.MODE_CBC, iv=iv).encrypt(data)


def tdes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 8) -> bytes:
    return DES3.new(_tdes_key(key), DES3.MODE_CBC, iv=iv).decrypt(data)


def aes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 16) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 16) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def aes_ecb_encrypt(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES, padding method 2 applied here (ICAO 9303-11 §9.8.3.1)."""
    if len(key) != 16:
        raise ParseError("retail MAC needs a 16-byte key")
    padded = pad(data, 8)
    ka, kb = key[:8], key[8:]
    h = DES.new(ka, DES.MODE_CBC, iv=b"\x00" * 8).encrypt(padded)[-8:]
    h = DES.new(kb, DES.MODE_ECB).decrypt(h)
    return DES.new(ka, DES.MODE_ECB).encrypt(h)


def aes_cmac(key: bytes, data: bytes, length: int = 8) -> bytes:
    """AES-CMAC (NIST SP 800-38B) truncated to ``length`` bytes (8 for ICAO secure messaging)."""
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:length]

"""PACE nonce mappings (ICAO 9303-11 §4.4.3.3, Appendix B): Generic Mapping and Integrated Mapping.

* Generic Mapping (§4.4.3.3.1), also the mapping phase of PACE-CAM (§4.4.3.3.3): Ĝ = s × G + H, where H is
  the result of an anonymous key agreement on the static domain parameters (DH: ĝ = g^s · h).
* Integrated Mapping (§4.4.3.3.2): Ĝ = f_G(R_p(s, t)) with the block-cipher based pseudo-random function
  R_p and the point encoding f_G of Brier, Coron, Icart, Madore, Randriam and Tibouchi (Appendix B.2,
  affine coordinates; needs p ≡ 3 mod 4, hence not NIST P-224).  DH: ĝ = R_p(s, t)^((p − 1)/q) mod p.

I/O-free and deterministic: every input is a parameter.
"""

from __future__ import annotations

from typing import TypeVar

from fastecdsa.rust import Point

from reader import crypto
from reader.access.params import IM_EXCLUDED, DHGroup, ECGroup, Group, GroupError
from reader.crypto import CipherAlg

E = TypeVar("E")

# Constants of R_p (§4.4.3.3.2): l = 128 for 3DES and AES-128, l = 256 for AES-192 and AES-256.
_C0_128 = bytes.fromhex("a668892a7c41e3ca739f40b057d85904")
_C1_128 = bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")
_C0_256 = bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676")
_C1_256 = bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")


def nonce_length(cipher: CipherAlg) -> int:
    """Length in bytes of the nonce s (and of R_p's blocks): the smallest multiple of the cipher's block
    size that is at least the key size, 3DES counting as 128 bits (§4.4.3.3): 16 or 32."""
    return 16 if cipher in (CipherAlg.DESEDE2, CipherAlg.AES128) else 32


def im_nonce_t_length(cipher: CipherAlg) -> int:
    """Length in bytes of the Integrated Mapping's nonce t: the key size k (3DES counted as 128 bits)."""
    return 16 if cipher is CipherAlg.DESEDE2 else cipher.key_length


def _cbc_encrypt(cipher: CipherAlg, key: bytes, data: bytes) -> bytes:
    """E(key, data): the block cipher in CBC mode with IV = 0 (ISO/IEC 10116)."""
    if cipher is CipherAlg.DESEDE2:
        return crypto.tdes_cbc_encrypt(key, data)
    return crypto.aes_cbc_encrypt(key, data)


def prf(s: bytes, t: bytes, p: int, cipher: CipherAlg) -> bytes:
    """R(s, t) = x_1 ‖ … ‖ x_n before the reduction mod p (§4.4.3.3.2, figure 2).

    key_1 = E(t, s); for i = 1..n: x_i = E(key_i, c1), key_(i+1) = E(key_i, c0), every key truncated to
    the key size k; n is the smallest number with n · l ≥ log2 p + 64.
    """
    l_bytes = nonce_length(cipher)
    k_bytes = im_nonce_t_length(cipher)
    if len(s) != l_bytes or len(t) != k_bytes:
        raise GroupError("Integrated Mapping nonces of the wrong length for this cipher")
    c0, c1 = (_C0_128, _C1_128) if l_bytes == 16 else (_C0_256, _C1_256)
    n = -(-(p.bit_length() + 64) // (8 * l_bytes))
    key = _cbc_encrypt(cipher, t, s)[:k_bytes]
    blocks = []
    for _ in range(n):
        blocks.append(_cbc_encrypt(cipher, key, c1))
        key = _cbc_encrypt(cipher, key, c0)[:k_bytes]
    return b"".join(blocks)


def prf_mod_p(s: bytes, t: bytes, p: int, cipher: CipherAlg) -> int:
    """R_p(s, t) = int(x_1 ‖ … ‖ x_n) mod p."""
    return int.from_bytes(prf(s, t, p, cipher), "big") % p


def point_encoding(group: ECGroup, t: int) -> Point:
    """f_G(t): the point encoding of Appendix B.2 (affine coordinates) for 0 < t < p, p ≡ 3 (mod 4)."""
    p, a, b = group.p, group.a, group.b
    if p % 4 != 3:
        raise GroupError(f"{group.name}: the Integrated Mapping's point encoding needs p ≡ 3 mod 4")
    if not 0 < t < p:
        raise GroupError("point encoding input outside ]0, p[")
    alpha = -t * t % p
    denominator = (alpha + alpha * alpha) % p
    if denominator == 0 or a % p == 0:
        raise GroupError("point encoding undefined for this input")
    x2 = -b * pow(a, -1, p) * (1 + pow(denominator, -1, p)) % p
    x3 = alpha * x2 % p
    h2 = (pow(x2, 3, p) + a * x2 + b) % p
    u = pow(t, 3, p) * h2 % p
    a_ = pow(h2, p - 1 - (p + 1) // 4, p)
    if a_ * a_ * h2 % p == 1:
        x, y = x2, a_ * h2 % p
    else:
        x, y = x3, a_ * u % p
    return group.point(x, y)  # cofactor 1 for every standardized curve: [f] is the identity


def generic_map(group: Group[E], s: bytes, h: E) -> E:
    """Generic Mapping (§4.4.3.3.1): Ĝ = s × G + H, or ĝ = g^s · h."""
    if group.is_identity(h):
        raise GroupError("the mapping key agreement produced the identity element")
    mapped = group.op(group.exp(group.generator, int.from_bytes(s, "big")), h)
    if group.is_identity(mapped):
        raise GroupError("the mapped generator is the identity element")
    return mapped


def integrated_map_ec(group: ECGroup, s: bytes, t: bytes, cipher: CipherAlg) -> Point:
    """Integrated Mapping for ECDH (§4.4.3.3.2): Ĝ = f_G(R_p(s, t))."""
    if group.parameter_id in IM_EXCLUDED:
        raise GroupError(f"{group.name} cannot be used with the Integrated Mapping")
    return point_encoding(group, prf_mod_p(s, t, group.p, cipher))


def integrated_map_dh(group: DHGroup, s: bytes, t: bytes, cipher: CipherAlg) -> int:
    """Integrated Mapping for DH (§4.4.3.3.2): ĝ = R_p(s, t)^a mod p with a = (p − 1)/q; ĝ ≠ 1."""
    mapped = pow(prf_mod_p(s, t, group.p, cipher), (group.p - 1) // group.q, group.p)
    if mapped in (0, 1):
        raise GroupError("the Integrated Mapping produced the identity element")
    return mapped

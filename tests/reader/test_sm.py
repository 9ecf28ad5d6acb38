"""Secure messaging against the ICAO 9303-11 Appendix D and BSI worked-example values."""

from __future__ import annotations

from typing import Any

import pytest

from reader.apdu import CommandAPDU, ResponseAPDU
from reader.crypto import CipherAlg
from reader.errors import SecureMessagingError
from reader.sm import SecureMessaging

H = bytes.fromhex


def _bac_sm(v: dict[str, Any]) -> SecureMessaging:
    d = v["bac_appendix_d"]
    return SecureMessaging.tdes(H(d["ks_enc"]), H(d["ks_mac"]), H(d["ssc_initial"]))


def test_appendix_d_protected_apdus(vectors: dict[str, Any]) -> None:
    """ICAO 9303-11 Appendix D.4: SELECT EF.COM and two READ BINARY, both directions."""
    sm = _bac_sm(vectors)
    for step in vectors["bac_appendix_d"]["protected_apdus"]:
        plain = CommandAPDU.from_bytes(H(step["plain_command"]))
        protected = sm.protect(plain)
        assert protected.to_bytes().hex().upper() == step["protected_command"]
        resp = sm.unprotect(ResponseAPDU.from_bytes(H(step["protected_response"])))
        assert resp.to_bytes().hex().upper() == step["plain_response"]


def test_appendix_d_card_side_produces_the_same_bytes(vectors: dict[str, Any]) -> None:
    """The simulated card's role of the same object reproduces the card's protected responses."""
    card = _bac_sm(vectors)
    for step in vectors["bac_appendix_d"]["protected_apdus"]:
        cmd = card.unprotect_command(CommandAPDU.from_bytes(H(step["protected_command"])))
        assert cmd.to_bytes().hex().upper() == step["plain_command"]
        resp = card.protect_response(ResponseAPDU.from_bytes(H(step["plain_response"])))
        assert resp.to_bytes().hex().upper() == step["protected_response"]


def test_tampered_response_mac_is_rejected(vectors: dict[str, Any]) -> None:
    sm = _bac_sm(vectors)
    step = vectors["bac_appendix_d"]["protected_apdus"][1]
    sm.protect(CommandAPDU.from_bytes(H(step["plain_command"])))
    raw = bytearray(H(step["protected_response"]))
    raw[3] ^= 0x01  # flip a bit of the cryptogram
    with pytest.raises(SecureMessagingError):
        sm.unprotect(ResponseAPDU.from_bytes(bytes(raw)))


def test_missing_do99_is_rejected(vectors: dict[str, Any]) -> None:
    sm = _bac_sm(vectors)
    sm.protect(CommandAPDU.from_bytes(H("00B0000004")))
    with pytest.raises(SecureMessagingError):
        sm.unprotect(ResponseAPDU(H("8E08AD55CC17140B2DED"), 0x9000))


def test_bsi_aes_encryption_and_mac(vectors: dict[str, Any]) -> None:
    """BSI TR-03110 worked example: AES SM with IV = E(ks_enc, SSC) and CMAC over SSC ‖ padded data."""
    b = vectors["bsi_eac_worked_example"]
    enc_step, mac_step = b["secure_messaging_aes"]
    sm = SecureMessaging.aes(CipherAlg.AES128, H(b["ks_enc"]), H(b["ks_mac"]), ssc=enc_step["ssc"])
    assert sm._encrypt(H(enc_step["plaintext"])).hex().upper() == enc_step["ciphertext_iv_is_e_kenc_ssc"]
    sm = SecureMessaging.aes(CipherAlg.AES128, H(b["ks_enc"]), H(b["ks_mac"]), ssc=mac_step["ssc"])
    assert sm.mac(H(mac_step["mac_input_data"])).hex().upper() == mac_step["mac"]


@pytest.mark.parametrize("alg", [CipherAlg.DESEDE2, CipherAlg.AES128, CipherAlg.AES192, CipherAlg.AES256])
@pytest.mark.parametrize(
    "command",
    [
        CommandAPDU(0x00, 0xA4, 0x02, 0x0C, H("011E")),
        CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=256),
        CommandAPDU(0x00, 0xB1, 0x00, 0x00, H("54028001"), ne=0xFFFF, extended=True),
        CommandAPDU(0x00, 0xB0, 0x01, 0x00, ne=65536),
        CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8),
    ],
)
def test_round_trip_every_cipher(alg: CipherAlg, command: CommandAPDU) -> None:
    keys = (bytes(range(alg.key_length)), bytes(range(1, alg.key_length + 1)))
    if alg is CipherAlg.DESEDE2:
        reader, card = (SecureMessaging.tdes(*keys, b"\x01" * 8) for _ in range(2))
    else:
        reader, card = (SecureMessaging.aes(alg, *keys) for _ in range(2))
    received = card.unprotect_command(reader.protect(command))
    assert received == CommandAPDU(command.cla, command.ins, command.p1, command.p2, command.data, command.ne)
    payload = bytes(range(256)) * 3
    answer = reader.unprotect(card.protect_response(ResponseAPDU(payload, 0x9000)))
    assert answer == ResponseAPDU(payload, 0x9000)


def test_plain_error_status_passes_without_data() -> None:
    sm = SecureMessaging.aes(CipherAlg.AES128, b"\x01" * 16, b"\x02" * 16)
    sm.protect(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, H("0103")))
    assert sm.unprotect(ResponseAPDU(b"", 0x6982)) == ResponseAPDU(b"", 0x6982)


def test_repr_hides_keys() -> None:
    sm = SecureMessaging.aes(CipherAlg.AES128, b"\xAA" * 16, b"\xBB" * 16)
    assert "aa" not in repr(sm).lower() and "AES128" in repr(sm)

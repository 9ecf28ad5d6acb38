"""BAC against ICAO 9303-11 Appendix D (key derivation, mutual authentication, session keys)."""

from __future__ import annotations

from typing import Any

import pytest

from reader import crypto
from reader.access import bac
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.errors import AccessDeniedError, CardStatusError
from reader.lds.mrz import mrz_information

H = bytes.fromhex


def _key(d: dict[str, Any]) -> bac.BACKeyInput:
    return bac.BACKeyInput(d["document_number"], d["date_of_birth"], d["date_of_expiry"])


def test_key_derivation(vectors: dict[str, Any]) -> None:
    d = vectors["bac_appendix_d"]
    assert mrz_information(d["document_number"], d["date_of_birth"], d["date_of_expiry"]) == d[
        "mrz_information"
    ]
    k_enc, k_mac = bac.derive_access_keys(_key(d))
    assert k_enc.hex().upper() == d["k_enc"]
    assert k_mac.hex().upper() == d["k_mac"]


def test_external_authenticate_command(vectors: dict[str, Any]) -> None:
    d = vectors["bac_appendix_d"]
    k_enc, k_mac = bac.derive_access_keys(_key(d))
    data = bac.external_authenticate_data(k_enc, k_mac, H(d["rnd_icc"]), H(d["rnd_ifd"]), H(d["k_ifd"]))
    cmd = CommandAPDU(0x00, 0x82, 0x00, 0x00, data, ne=40)
    assert cmd.to_bytes().hex().upper() == d["external_authenticate_command"]
    assert data[:32].hex().upper() == d["e_ifd"]
    assert data[32:].hex().upper() == d["m_ifd"]


def test_card_response_and_session_keys(vectors: dict[str, Any]) -> None:
    d = vectors["bac_appendix_d"]
    k_enc, k_mac = bac.derive_access_keys(_key(d))
    k_icc = bac.open_card_response(
        k_enc, k_mac, H(d["external_authenticate_response_data"]), H(d["rnd_icc"]), H(d["rnd_ifd"])
    )
    assert k_icc.hex().upper() == d["k_icc"]
    seed = bytes(a ^ b for a, b in zip(H(d["k_ifd"]), k_icc, strict=True))
    assert seed.hex().upper() == d["ks_seed"]
    assert crypto.kdf(seed, 1, crypto.CipherAlg.DESEDE2).hex().upper() == d["ks_enc"]
    assert crypto.kdf(seed, 2, crypto.CipherAlg.DESEDE2).hex().upper() == d["ks_mac"]


class _ScriptedCard:
    """Replays Appendix D and fails on any unexpected command (a scripted transport)."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = list(script)

    def send(self, command: CommandAPDU, what: str) -> bytes:
        expected, answer = self.script.pop(0)
        assert command.to_bytes().hex().upper() == expected, what
        resp = ResponseAPDU.from_bytes(H(answer))
        if not resp.ok:
            raise CardStatusError(resp.sw, what)
        return resp.data


def test_perform_bac_replays_appendix_d(vectors: dict[str, Any]) -> None:
    d = vectors["bac_appendix_d"]
    card = _ScriptedCard(
        [
            (d["get_challenge_command"], d["rnd_icc"] + "9000"),
            (d["external_authenticate_command"], d["external_authenticate_response_data"] + "9000"),
        ]
    )
    rng_values = [H(d["rnd_ifd"]), H(d["k_ifd"])]
    sm = bac.perform_bac(card, _key(d), rng=lambda n: rng_values.pop(0))
    assert not card.script
    # The session continues exactly as Appendix D.4 does.
    first = d["protected_apdus"][0]
    assert sm.protect(CommandAPDU.from_bytes(H(first["plain_command"]))).to_bytes().hex().upper() == (
        first["protected_command"]
    )


def test_refused_key_is_access_denied(vectors: dict[str, Any]) -> None:
    d = vectors["bac_appendix_d"]
    card = _ScriptedCard([(d["get_challenge_command"], d["rnd_icc"] + "9000"), ("", "6300")])
    card.script[1] = (d["external_authenticate_command"], "6300")
    rng_values = [H(d["rnd_ifd"]), H(d["k_ifd"])]
    with pytest.raises(AccessDeniedError):
        bac.perform_bac(card, _key(d), rng=lambda n: rng_values.pop(0))


def test_repr_hides_key_input() -> None:
    k = bac.BACKeyInput.from_cccd("079303001234", "030615", "280615")
    assert "303001234" not in repr(k) and "030615" not in repr(k)
    assert k.document_number == "303001234"

"""The PACE APDU trace of ICAO 9303-11 Appendix G.1, byte for byte — from the reader's side against a
scripted card, and from the simulated card's side against the recorded commands.

The JSON's MSE:Set AT is the spec's command with Lc = 12 but without its data object 84; a reader sends
``84 01 0D`` as well (the vector's note), which makes Lc = 12 right.  Private keys are injected through
the random source: :meth:`Group.random_private` turns the bytes of ``k − 1`` into ``k``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.access.pace_protocol import (
    PACEError,
    PACEPasswordError,
    choose_suite,
    mse_set_at,
    perform_pace,
)
from reader.access.params import standardized
from reader.apdu import CommandAPDU
from reader.lds.cardaccess import parse_card_access
from reader.session import CardSession
from reader.transports.base import CallableTransport
from sims.card import CardOS
from sims.pace import PACEApplet

h = bytes.fromhex
ECDH_GM_AES128 = "0.4.0.127.0.7.2.2.4.2.2"


class ScriptedCard:
    """Answers exactly the expected commands, in order; anything else fails the test."""

    def __init__(self, script: list[tuple[bytes, bytes]]) -> None:
        self.script = list(script)

    def __call__(self, command: bytes) -> bytes:
        assert self.script, f"unexpected extra command {command.hex().upper()}"
        expected, response = self.script.pop(0)
        assert command.hex().upper() == expected.hex().upper()
        return response


def _queue(*chunks: bytes) -> Callable[[int], bytes]:
    pending = list(chunks)

    def rng(n: int) -> bytes:
        chunk = pending.pop(0)
        assert len(chunk) == n, (len(chunk), n)
        return chunk

    return rng


def _private(k_hex: str, n: int = 40) -> bytes:
    """Random bytes that :meth:`Group.random_private` maps to k (brainpoolP256r1: 32 + 8 bytes)."""
    return (int(k_hex, 16) - 1).to_bytes(n, "big")


def _trace(g1: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    apdus = g1["apdus"]
    mse = h(apdus[0]["command"]) + h("84010D")
    return [(mse, h(apdus[0]["response"]))] + [(h(a["command"]), h(a["response"])) for a in apdus[1:]]


def _password(g1: dict[str, Any]) -> PACEPassword:
    return PACEPassword.mrz(g1["document_number"], g1["date_of_birth"], g1["date_of_expiry"])


def test_mse_set_at_always_carries_the_parameter_id(vectors: dict[str, Any]) -> None:
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    command = mse_set_at(PACESuite.create(ECDH_GM_AES128, 13), PasswordType.MRZ)
    assert command.to_bytes() == _trace(g1)[0][0]
    assert command.to_bytes().hex().upper().startswith("0022C1A412800A04007F00070202040202830101")


def test_reader_side_reproduces_the_appendix_g1_trace(vectors: dict[str, Any]) -> None:
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    card = ScriptedCard(_trace(g1))
    session = CardSession(CallableTransport(card))
    rng = _queue(_private(g1["pcd_mapping_private"]), _private(g1["pcd_ephemeral_private"]))
    suite = choose_suite(parse_card_access(b"\x31\x14" + h(g1["pace_info"])))
    result = perform_pace(session, suite, _password(g1), rng=rng)
    assert not card.script
    assert result.keys.ks_enc.hex().upper() == g1["ks_enc"]
    assert result.keys.ks_mac.hex().upper() == g1["ks_mac"]
    assert result.pk_ic.hex().upper() == g1["picc_ephemeral_public"]
    assert result.pk_map_ic is not None and result.pk_map_ic.hex().upper() == g1["picc_mapping_public"]
    sm = session.secure_messaging
    assert sm is not None and sm._ssc == 0  # SSC = 0 after PACE with AES (the vector's note)
    assert "F5F0" not in repr(result) and "T22000129" not in repr(result)


def test_reader_rejects_a_wrong_chip_token(vectors: dict[str, Any]) -> None:
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    trace = _trace(g1)
    command, response = trace[-1]
    trace[-1] = (command, response[:-3] + bytes([response[-3] ^ 1]) + response[-2:])
    session = CardSession(CallableTransport(ScriptedCard(trace)))
    rng = _queue(_private(g1["pcd_mapping_private"]), _private(g1["pcd_ephemeral_private"]))
    with pytest.raises(PACEError) as info:
        perform_pace(session, PACESuite.create(ECDH_GM_AES128, 13), _password(g1), rng=rng)
    assert info.value.reason == "CHIP_TOKEN_INVALID"
    assert session.secure_messaging is None


def test_reader_reports_a_rejected_password(vectors: dict[str, Any]) -> None:
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    trace = _trace(g1)
    trace[-1] = (trace[-1][0], h("6300"))
    session = CardSession(CallableTransport(ScriptedCard(trace)))
    rng = _queue(_private(g1["pcd_mapping_private"]), _private(g1["pcd_ephemeral_private"]))
    with pytest.raises(PACEPasswordError) as info:
        perform_pace(session, PACESuite.create(ECDH_GM_AES128, 13), _password(g1), rng=rng)
    assert info.value.reason == "PASSWORD_REJECTED" and info.value.sw == 0x6300


@pytest.mark.parametrize(
    ("index", "response", "reason"),
    [(0, "6A80", "MSE_REFUSED_6A80"), (1, "7C028001" + "9000", "MALFORMED_RESPONSE"),
     (1, "7D12" + "00" * 18 + "9000", "MALFORMED_RESPONSE"), (2, "6982", "CARD_REFUSED_6982"),
     (2, "7C43824104" + "00" * 64 + "9000", "INVALID_PUBLIC_KEY")],
)  # fmt: skip
def test_reader_maps_card_errors_to_reasons(
    vectors: dict[str, Any], index: int, response: str, reason: str
) -> None:
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    trace = _trace(g1)[: index + 1]
    trace[index] = (trace[index][0], h(response))
    session = CardSession(CallableTransport(ScriptedCard(trace)))
    rng = _queue(_private(g1["pcd_mapping_private"]), _private(g1["pcd_ephemeral_private"]))
    with pytest.raises(PACEError) as info:
        perform_pace(session, PACESuite.create(ECDH_GM_AES128, 13), _password(g1), rng=rng)
    assert info.value.reason == reason


def test_card_side_reproduces_the_appendix_g1_trace(vectors: dict[str, Any]) -> None:
    """The simulated chip, fed the spec's nonce and keys, answers every command as the spec prints."""
    g1 = vectors["pace_ecdh_gm_appendix_g1"]
    card_rng = _queue(
        h(g1["nonce_s"]), _private(g1["picc_mapping_private"]), _private(g1["picc_ephemeral_private"])
    )
    applet = PACEApplet((PACESuite.create(ECDH_GM_AES128, 13),), {PasswordType.MRZ: _password(g1)})
    card = CardOS({}, {}, applets=(applet,), rng=card_rng)
    for command, response in _trace(g1):
        assert card.execute(command).hex().upper() == response.hex().upper()
    assert card.state.sm is not None


def test_choose_suite_prefers_cam_then_gm_and_skips_unknown() -> None:
    from sims import lds_build

    infos = parse_card_access(
        lds_build.build_card_access(
            lds_build.pace_info("0.4.0.127.0.7.2.2.4.4.2", parameter_id=13),  # IM
            lds_build.pace_info("0.4.0.127.0.7.2.2.4.1.2", parameter_id=0),  # DH-GM
            lds_build.pace_info("0.4.0.127.0.7.2.2.4.2.2", parameter_id=13),  # ECDH-GM
            lds_build.pace_info("0.4.0.127.0.7.2.2.4.2.2", parameter_id=30),  # RFU ID: skipped
        )
    )
    assert choose_suite(infos).oid == "0.4.0.127.0.7.2.2.4.2.2"
    with pytest.raises(PACEError) as info:
        choose_suite(parse_card_access(lds_build.build_card_access(lds_build.ta_info())))
    assert info.value.reason == "NO_SUPPORTED_PACE_INFO"


def test_extended_length_needed_for_2048_bit_dh() -> None:
    class NoExtended:
        supports_extended_length = False

        def send(self, command: CommandAPDU, what: str) -> bytes:
            if command.ins == 0x22:
                return b""
            return bytes.fromhex("7C128010") + bytes(16)

        def start_secure_messaging(self, sm: object) -> None:
            raise AssertionError("must not start")

    suite = PACESuite.create("0.4.0.127.0.7.2.2.4.1.2", 2)
    assert standardized(2).size == 256
    with pytest.raises(PACEError) as info:
        perform_pace(NoExtended(), suite, PACEPassword.can("123456"))
    assert info.value.reason == "EXTENDED_LENGTH_REQUIRED"

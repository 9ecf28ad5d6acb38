"""Reader ⇄ simulated card, in process: PACE for every mapping × curve family × cipher, wrong passwords,
throttling, refusals that let the reader fall back to BAC.

A pair test proves only that both sides agree; the known-answer tests in tests/reader/test_pace_*.py
prove that they agree with the specification.
"""

from __future__ import annotations

import os

import pytest

from reader.access.bac import BACKeyInput, perform_bac
from reader.access.pace import PACEPassword, PACESuite, PasswordType
from reader.access.pace_protocol import PACEError, PACEPasswordError, perform_pace
from reader.access.params import STANDARDIZED, ECGroup
from reader.apdu import CommandAPDU
from reader.lds.files import LDS1_AID
from reader.session import CardSession
from reader.transports.base import CallableTransport
from sims import lds_build
from sims.card import CardOS
from sims.pace import PACEApplet, PACEThrottle, security_applets

CAN = PACEPassword.can("123456")
EF_COM = lds_build.build_ef_com([1, 2, 14, 15])
KINDS = {("ECDH", "GM"): 2, ("DH", "GM"): 1, ("ECDH", "IM"): 4, ("DH", "IM"): 3, ("ECDH", "CAM"): 6}
FAMILIES = {"NIST": 12, "Brainpool": 13, "MODP": 0}


def _oid(key_agreement: str, mapping: str, cipher_arc: int) -> str:
    return f"0.4.0.127.0.7.2.2.4.{KINDS[(key_agreement, mapping)]}.{cipher_arc}"


def _card(suite: PACESuite, *, cam_key: int | None = None, throttle: PACEThrottle | None = None) -> CardOS:
    applet = PACEApplet((suite,), {PasswordType.CAN: CAN}, cam_key, throttle or PACEThrottle())
    bac = BACKeyInput("123456789", "900101", "300101")
    return CardOS({}, {"EF.COM": EF_COM}, bac_key=bac, applets=security_applets(applet))


def _session(card: CardOS) -> CardSession:
    return CardSession(CallableTransport(card.execute))


def _read_ef_com(session: CardSession) -> bytes:
    session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS1_AID), "SELECT application")
    return session.send(CommandAPDU(0x00, 0xB0, 0x9E, 0x00, ne=256), "READ BINARY")


def _grid() -> list[tuple[str, str, str, int]]:
    cases = []
    for (key_agreement, mapping), _kind in KINDS.items():
        for family, parameter_id in FAMILIES.items():
            if (family == "MODP") != (key_agreement == "DH"):
                continue
            for cipher_arc in (1, 2, 3, 4):
                if mapping == "CAM" and cipher_arc == 1:
                    continue  # no 3DES variant of PACE-CAM (§4.4.3, note 1)
                cases.append((_oid(key_agreement, mapping, cipher_arc), mapping, family, parameter_id))
    return cases


@pytest.mark.parametrize(("oid", "mapping", "family", "parameter_id"), _grid())
def test_pace_pair_every_mapping_family_cipher(
    oid: str, mapping: str, family: str, parameter_id: int
) -> None:
    suite = PACESuite.create(oid, parameter_id)
    group = suite.group
    cam_key = group.random_private(os.urandom) if mapping == "CAM" else None
    card = _card(suite, cam_key=cam_key)
    session = _session(card)
    result = perform_pace(session, suite, CAN)
    assert _read_ef_com(session) == EF_COM  # secure messaging works both ways with the new keys
    assert result.suite is suite and result.password_type is PasswordType.CAN
    if mapping == "CAM":
        assert cam_key is not None and result.verify_cam(group.encoded_public_key(cam_key))
        assert not result.verify_cam(group.encoded_public_key(cam_key + 1))
        assert "cam" in result.evidence()
    else:
        assert result.ca_ic is None and not result.verify_cam(group.encoded_public_key(5))


@pytest.mark.parametrize("parameter_id", sorted(STANDARDIZED))
def test_pace_gm_on_every_standardized_group(parameter_id: int) -> None:
    kind = "ECDH" if isinstance(STANDARDIZED[parameter_id], ECGroup) else "DH"
    suite = PACESuite.create(_oid(kind, "GM", 2), parameter_id)
    session = _session(_card(suite))
    perform_pace(session, suite, CAN)
    assert _read_ef_com(session) == EF_COM


@pytest.mark.parametrize(
    "parameter_id", [i for i, g in STANDARDIZED.items() if isinstance(g, ECGroup) and i != 10]
)
def test_pace_im_on_every_allowed_curve(parameter_id: int) -> None:
    suite = PACESuite.create(_oid("ECDH", "IM", 4), parameter_id)
    session = _session(_card(suite))
    perform_pace(session, suite, CAN)
    assert _read_ef_com(session) == EF_COM


@pytest.mark.parametrize(
    "password",
    [
        PACEPassword.mrz("123456789", "900101", "300101"),
        PACEPassword.pin("1234"),
        PACEPassword.puk("1234567890"),
    ],
)
def test_other_password_types(password: PACEPassword) -> None:
    suite = PACESuite.create(_oid("ECDH", "GM", 2), 13)
    card = CardOS(
        {}, {"EF.COM": EF_COM}, applets=security_applets(PACEApplet((suite,), {password.kind: password}))
    )
    session = _session(card)
    perform_pace(session, suite, password)
    assert _read_ef_com(session) == EF_COM


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wrong_can_fails_like_a_card_with_a_growing_delay() -> None:
    fake = FakeTime()
    throttle = PACEThrottle(free_failures=2, base_delay=1.0, factor=2.0, max_delay=5.0, clock=fake.clock,
                            sleep=fake.sleep)  # fmt: skip
    suite = PACESuite.create(_oid("ECDH", "GM", 2), 13)
    card = _card(suite, throttle=throttle)
    for _ in range(6):
        session = _session(card)
        with pytest.raises(PACEPasswordError) as info:
            perform_pace(session, suite, PACEPassword.can("654321"))
        assert info.value.reason == "PASSWORD_REJECTED" and info.value.sw == 0x6300
        assert session.secure_messaging is None
    assert fake.sleeps == [1.0, 2.0, 4.0]  # failures 3, 4, 5 delay the next attempt: 1, 2, 4 s
    assert throttle.current_delay == 5.0  # capped
    session = _session(card)
    perform_pace(session, suite, CAN)  # the right CAN still works, after the delay
    assert fake.sleeps[-1] == 5.0 and throttle.failures == 0
    assert _read_ef_com(session) == EF_COM


def test_refused_pace_leaves_bac_usable() -> None:
    """A card without the MRZ password refuses MSE:Set AT (6A88); the reader can fall back to BAC."""
    suite = PACESuite.create(_oid("ECDH", "GM", 2), 13)
    card = _card(suite)
    session = _session(card)
    with pytest.raises(PACEError) as info:
        perform_pace(session, suite, PACEPassword.mrz("123456789", "900101", "300101"))
    assert info.value.reason == "MSE_REFUSED_6A88"
    session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS1_AID), "SELECT application")
    session.start_secure_messaging(perform_bac(session, BACKeyInput("123456789", "900101", "300101")))
    assert session.send(CommandAPDU(0x00, 0xB0, 0x9E, 0x00, ne=256), "READ BINARY") == EF_COM


def test_card_refuses_unoffered_variants_and_broken_chains() -> None:
    suite = PACESuite.create(_oid("ECDH", "GM", 2), 13)
    card = _card(suite)
    other = PACESuite.create(_oid("ECDH", "GM", 4), 13)
    with pytest.raises(PACEError) as info:
        perform_pace(_session(card), other, CAN)
    assert info.value.reason == "MSE_REFUSED_6A80"
    wrong_curve = PACESuite.create(_oid("ECDH", "GM", 2), 12)
    with pytest.raises(PACEError) as info:
        perform_pace(_session(card), wrong_curve, CAN)
    assert info.value.reason == "MSE_REFUSED_6A88"
    assert card.execute(bytes.fromhex("10860000027C0000"))[-2:] == b"\x69\x85"  # no MSE before GA
    assert card.execute(bytes.fromhex("0022C1A40F800A04007F00070202040202830102"))[-2:] == b"\x90\x00"
    assert card.execute(bytes.fromhex("00860000027C0000"))[-2:] == b"\x68\x83"  # step 1 must be chained


def test_cam_evidence_round_trip() -> None:
    from reader.access.pace_protocol import verify_cam_evidence

    suite = PACESuite.create(_oid("ECDH", "CAM", 2), 13)
    cam_key = suite.group.random_private(os.urandom)
    result = perform_pace(_session(_card(suite, cam_key=cam_key)), suite, CAN)
    evidence = result.evidence()
    assert evidence["protocol_name"] == "id-PACE-ECDH-CAM-AES-CBC-CMAC-128" and evidence["password"] == "CAN"
    assert verify_cam_evidence(evidence, suite.group.encoded_public_key(cam_key))
    assert not verify_cam_evidence(evidence, suite.group.encoded_public_key(cam_key + 1))
    assert not verify_cam_evidence({"protocol": "1.2.3"}, b"")

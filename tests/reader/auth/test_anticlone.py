"""The engine's access and anti-clone steps against the personalised simulated CCCD (in-process):
PACE with the CAN, fallback to BAC with the downgrade recorded, a wrong CAN, PACE-CAM, a configured
EF.CardAccess, a CA key the SOD does not cover, clones, and a card removed during the proofs."""

from __future__ import annotations

import dataclasses

import pytest

from reader.access.control import AccessMode
from reader.access.pace_protocol import PACEError, PACEPasswordError
from reader.engine import ChipReader, ChipReadResult, ReadRequest
from reader.errors import CardRemovedError
from reader.lds.cardaccess import ID_CA, ID_PACE
from reader.pki.trust import CSCAStore
from reader.report import AntiCloneMethod, ProofResult, Verdict, anticlone_method
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims import lds_build
from sims.activeauth import ActiveAuthApplet
from sims.card import CardOS
from sims.chipauth import ChipAuthApplet
from sims.pace import PACEThrottle, security_applets
from sims.personalize import CardImage, card_image
from sims.pki import build_sod

ID_PACE_ECDH_CAM_AES_128 = ID_PACE + ".6.2"


def _trust(image: CardImage) -> CSCAStore:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


def _read(image: CardImage, card: CardOS, **request: object) -> ChipReadResult:
    base: dict[str, object] = {"bac_key": image.bac_key, "can": image.profile.can, "trust": _trust(image)}
    base.update(request)
    return ChipReader(CallableTransport(card.execute)).read(ReadRequest(**base))  # type: ignore[arg-type]


def _proof(result: ChipReadResult, method: AntiCloneMethod) -> tuple[str, bool, str | None]:
    p = next(p for p in result.proofs if p.method is method)
    return p.result.value, p.key_covered_by_sod, p.reason


def _without_pace(image: CardImage) -> CardOS:
    """The card's files and CA/AA keys, but a chip that does not run PACE (as older chips)."""
    assert image.ca_key is not None and image.aa_key is not None
    applets = security_applets(None, ChipAuthApplet.from_ec_key(image.ca_key),
                               others=(ActiveAuthApplet(image.aa_key),))  # fmt: skip
    return image.new_card(applets=applets)


def test_pace_failure_falls_back_to_bac_and_says_so() -> None:
    image = card_image("default")
    result = _read(image, _without_pace(image))
    assert result.access.method == "BAC"
    assert result.access.downgraded and result.access.downgrade_reason == "MSE_REFUSED_6A86"
    assert result.verdict is Verdict.AUTHENTIC  # CA and AA run over BAC as well


def test_pace_only_refuses_to_fall_back() -> None:
    image = card_image("default")
    with pytest.raises(PACEError) as info:
        _read(image, _without_pace(image), access=AccessMode.PACE)
    assert info.value.reason == "MSE_REFUSED_6A86"


def test_wrong_can_is_final_and_the_card_slows_down_guessing() -> None:
    image = card_image("default")
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    throttle = PACEThrottle(clock=lambda: now[0], sleep=sleep)
    card = image.new_card(applets=image.security_applets(throttle=throttle))
    for _ in range(4):
        with pytest.raises(PACEPasswordError) as info:
            _read(image, card, can="000000")
        assert info.value.reason == "PASSWORD_REJECTED"
        assert "000000" not in str(info.value)
    assert waits == [1.0]  # two free failures, then a doubling delay before each next attempt
    assert _read(image, card).verdict is Verdict.AUTHENTIC  # the right CAN still works, after the delay
    assert waits == [1.0, 2.0]
    assert throttle.failures == 0


def test_pace_cam_proves_the_chip_without_chip_authentication() -> None:
    base = card_image("default")
    card_access = lds_build.build_card_access(
        lds_build.ta_info(), lds_build.ca_info(), lds_build.pace_info(ID_PACE_ECDH_CAM_AES_128)
    )
    image = dataclasses.replace(base, mf_files={"EF.CardAccess": card_access})
    result = _read(image, image.new_card())
    assert "CAM" in str(result.access.protocol)
    assert _proof(result, AntiCloneMethod.PACE_CAM) == ("passed", True, None)
    assert _proof(result, AntiCloneMethod.CA) == ("not_performed", False, "PACE_CAM_USED")
    assert result.verdict is Verdict.AUTHENTIC and anticlone_method(result.proofs) is AntiCloneMethod.PACE_CAM
    assert "cam" in result.evidence["pace"]

    clone = _read(image, image.new_card(clone="wrong-keys"))
    assert _proof(clone, AntiCloneMethod.PACE_CAM)[0] == "failed"
    assert clone.verdict is Verdict.NOT_AUTHENTIC and "PACE_CAM_FAILED" in clone.reasons


def test_hidden_card_access_uses_the_configured_one() -> None:
    base = card_image("default")
    hidden = dataclasses.replace(base, mf_files={})
    card = hidden.new_card(applets=base.security_applets())
    result = _read(hidden, card, card_access_fallback=lds_build.build_card_access())
    assert result.access.method == "PACE" and not result.access.downgraded
    assert any("configured CardAccess" in n for n in result.notes)
    assert result.verdict is Verdict.AUTHENTIC


def test_ca_key_the_sod_does_not_cover_is_not_a_proof() -> None:
    base = card_image("default")
    dgs = {int(n[2:]): raw for n, raw in base.lds_files.items() if n.startswith("DG") and n != "DG14"}
    sod = build_sod(dgs, base.pki)  # signed without DG14's hash
    image = dataclasses.replace(base, lds_files={**base.lds_files, "EF.SOD": sod})
    result = _read(image, image.new_card())
    assert _proof(result, AntiCloneMethod.CA) == ("passed", False, None)  # the chip holds the DG14 key …
    assert result.verdict is Verdict.NOT_AUTHENTIC  # … but DG14 is not signed: passive authentication fails
    assert "DG14_NOT_IN_SOD" in result.reasons


@pytest.mark.parametrize("clone", ["wrong-keys", "missing-keys"])
def test_clones_fail_ca_and_aa(clone: str) -> None:
    image = card_image("young_man")  # ECDSA Active Authentication key
    result = _read(image, image.new_card(clone=clone))
    assert str(result.passive_auth.result.value) == "passed"  # type: ignore[union-attr]
    assert result.verdict is Verdict.NOT_AUTHENTIC
    assert {"CA_FAILED", "AA_FAILED"} <= set(result.reasons)
    assert all(p.result is not ProofResult.PASSED for p in result.proofs)


def test_card_removed_during_the_proofs_never_verifies() -> None:
    image = card_image("default")
    total = _read(image, image.new_card()).stats.apdus
    for remove_after in (total - 4, total - 2, total - 1):
        transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=remove_after)
        with pytest.raises(CardRemovedError):
            ChipReader(transport).read(
                ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_trust(image))
            )


def test_evidence_holds_no_secret() -> None:
    image = card_image("default")
    result = _read(image, image.new_card())
    assert set(result.evidence) == {"pace", "ca", "aa"}
    text = repr(result.evidence)
    assert image.profile.can not in text and image.profile.id_number not in text
    assert result.evidence["ca"]["protocol"].startswith(ID_CA)

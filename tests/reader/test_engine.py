"""Reader ⇄ simulated card, in-process, for every profile: the whole read pipeline and its verdicts."""

from __future__ import annotations

import pytest

from reader.access.bac import BACKeyInput
from reader.engine import ChipReader, Phase, Progress, ReadRequest
from reader.errors import AccessDeniedError, CardRemovedError, NotICAOCardError
from reader.lds.sod import SOD
from reader.pki.trust import CSCAStore
from reader.report import FileStatus, Verdict
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims.card import CardBehaviour, CardOS
from sims.people import list_profiles
from sims.personalize import CardImage, card_image
from tests.helpers.chip import expected_verdict

PROFILES = list_profiles()


def _trusting(image: CardImage) -> CSCAStore:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_reads_and_passes_passive_auth(name: str) -> None:
    image = card_image(name)
    events: list[Progress] = []
    reader = ChipReader(CallableTransport(image.new_card().execute), progress=events.append)
    result = reader.read(ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_trusting(image)))
    assert result.access.method == "PACE" and not result.access.downgraded
    assert str(result.passive_auth.result.value).lower() == "passed"  # type: ignore[union-attr]
    # The card proved the DG14 key (CA) and the DG15 key (AA), both covered by the SOD.
    assert (result.verdict, result.reasons) == expected_verdict(image.lds_files)
    assert {(p.method.value, p.result.value, p.key_covered_by_sod) for p in result.proofs} == {
        ("CA", "passed", True), ("AA", "passed", True)
    }
    for n in image.profile.data_groups:
        if n == 3:
            continue  # never requested
        assert result.files[f"DG{n}"].status is FileStatus.READ
        assert result.raw[f"DG{n}"] == image.lds_files[f"DG{n}"]
    assert "DG3" not in result.raw
    phases = [e.phase for e in events]
    assert phases[0] is Phase.CARD_ACCESS and phases[-1] is Phase.DONE
    assert Phase.PASSIVE_AUTH in phases and Phase.CHIP_AUTH in phases


def test_refused_and_absent_groups_are_reported_not_failed() -> None:
    image = card_image("default")
    reader = ChipReader(CallableTransport(image.new_card().execute))
    result = reader.read(
        ReadRequest(bac_key=image.bac_key, trust=_trusting(image), data_groups=(1, 2, 3, 11, 12, 13))
    )
    assert result.files["DG3"].status is FileStatus.REFUSED and result.files["DG3"].sw == 0x6982
    assert result.files["DG11"].status is FileStatus.ABSENT and result.files["DG11"].sw == 0x6A82
    assert result.files["DG12"].status is FileStatus.ABSENT
    assert result.verdict is Verdict.INCONCLUSIVE


def test_unknown_csca_is_its_own_state() -> None:
    image = card_image("default")
    result = ChipReader(CallableTransport(image.new_card().execute)).read(
        ReadRequest(bac_key=image.bac_key, trust=CSCAStore())
    )
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "CSCA_UNKNOWN" in result.reasons


def test_tampered_data_group_is_not_authentic() -> None:
    image = card_image("default")
    card = image.new_card()
    dg13 = card.lds[0x010D]
    dg13.content = dg13.content[:-1] + bytes([dg13.content[-1] ^ 0x01])
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, trust=_trusting(image))
    )
    assert result.verdict is Verdict.NOT_AUTHENTIC
    assert any("DG13" in r for r in result.reasons)


def test_wrong_key_is_access_denied() -> None:
    image = card_image("default")
    wrong = BACKeyInput(image.bac_key.document_number, image.bac_key.date_of_birth, "991231")
    with pytest.raises(AccessDeniedError):
        ChipReader(CallableTransport(image.new_card().execute)).read(ReadRequest(bac_key=wrong))


def test_select_mf_quirk_does_not_matter() -> None:
    image = card_image("default")
    card = image.new_card(select_mf_quirk=True)
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, trust=_trusting(image))
    )
    assert result.files["EF.CardAccess"].status is FileStatus.READ


def test_card_removed_mid_read() -> None:
    image = card_image("default")
    transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=7)
    with pytest.raises(CardRemovedError):
        ChipReader(transport).read(ReadRequest(bac_key=image.bac_key))


def test_card_without_icao_application() -> None:
    card = CardOS({}, {}, behaviour=CardBehaviour(lds_application=False))
    with pytest.raises(NotICAOCardError):
        ChipReader(CallableTransport(card.execute)).read(ReadRequest(bac_key=card_image("default").bac_key))


def test_dg2_takes_few_apdus_with_extended_length() -> None:
    image = card_image("default")
    reader = ChipReader(CallableTransport(image.new_card().execute, extended_length=True))
    reader.read(ReadRequest(bac_key=image.bac_key, trust=_trusting(image)))
    log = reader.session.stats.log
    start = next(i for i, e in enumerate(log) if e.ins == 0xB0 and e.p1 == 0x82)
    end = next(i for i in range(start + 1, len(log)) if log[i].ins == 0xB0 and log[i].p1 & 0x80)
    assert end - start <= 8


def test_ef_sod_is_decoded_once_per_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data-group list and passive authentication share one decoding of EF.SOD."""
    image = card_image("default")
    decoded: list[bytes] = []
    from_bytes = SOD.from_bytes

    def counting(raw: bytes) -> SOD:
        decoded.append(bytes(raw))
        return from_bytes(raw)

    monkeypatch.setattr(SOD, "from_bytes", staticmethod(counting))
    reader = ChipReader(CallableTransport(image.new_card().execute))
    result = reader.read(ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_trusting(image)))
    assert result.verdict is Verdict.AUTHENTIC
    assert decoded == [image.lds_files["EF.SOD"]]

"""'Tag lost' mid-read: the read resumes from the last complete file once the card is placed again
(reader/resume.py; issue 12)."""

from __future__ import annotations

import pytest

from reader.engine import ChipReader, ReadRequest
from reader.errors import CardRemovedError
from reader.findings import READ_RESUMED, RESUME_DIFFERENT_CARD, SM_RETRIED, Finding
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.resume import PartialRead, ReadInterrupted
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims.personalize import CardImage, card_image


def _request(image: CardImage) -> ReadRequest:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)


def _full_read_apdus(image: CardImage) -> int:
    return ChipReader(CallableTransport(image.new_card().execute)).read(_request(image)).stats.apdus


def _interrupted_at(image: CardImage, apdus: int) -> ReadInterrupted:
    transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=apdus)
    with pytest.raises(ReadInterrupted) as info:
        ChipReader(transport).read(_request(image))
    assert isinstance(info.value, CardRemovedError)  # callers that handle a removed card keep working
    return info.value


def test_the_read_resumes_from_the_last_complete_file() -> None:
    image = card_image("default")
    total = _full_read_apdus(image)
    interrupted = _interrupted_at(image, total - 10)  # DG2 complete, DG13 not yet
    partial = interrupted.partial
    assert {"EF.SOD", "DG1", "DG2"} <= set(partial.raw)
    assert repr(partial).startswith("PartialRead(files=[")  # names only, never contents
    resumed = ChipReader(CallableTransport(image.new_card().execute)).read(_request(image), resume=partial)
    assert resumed.verdict is Verdict.AUTHENTIC, resumed.reasons
    assert READ_RESUMED in [f.code for f in resumed.findings]
    assert resumed.raw["DG2"] == image.lds_files["DG2"]
    assert resumed.stats.apdus < total  # DG1, DG2 … were not read again


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_an_interruption_anywhere_resumes_to_the_same_result(fraction: float) -> None:
    image = card_image("default")
    interrupted = _interrupted_at(image, int(_full_read_apdus(image) * fraction))
    resumed = ChipReader(CallableTransport(image.new_card().execute)).read(
        _request(image), resume=interrupted.partial
    )
    assert resumed.verdict is Verdict.AUTHENTIC, resumed.reasons
    for name in ("DG1", "DG2", "DG13", "DG14", "DG15"):
        assert resumed.raw[name] == image.lds_files[name]


def test_removed_again_during_the_resumed_read_keeps_what_was_read() -> None:
    image = card_image("default")
    first = _interrupted_at(image, int(_full_read_apdus(image) * 0.6))
    transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=3)
    with pytest.raises(ReadInterrupted) as info:
        ChipReader(transport).read(_request(image), resume=first.partial)
    assert set(first.partial.raw) <= set(info.value.partial.raw)


def test_another_card_placed_starts_over() -> None:
    first, other = card_image("default"), card_image("elderly")
    partial = _interrupted_at(first, int(_full_read_apdus(first) * 0.7)).partial
    result = ChipReader(CallableTransport(other.new_card().execute)).read(_request(other), resume=partial)
    assert RESUME_DIFFERENT_CARD in [f.code for f in result.findings]
    assert result.verdict is Verdict.AUTHENTIC
    assert result.raw["DG2"] == other.lds_files["DG2"]  # nothing of the first card was kept


def test_an_empty_partial_is_a_plain_read() -> None:
    image = card_image("default")
    result = ChipReader(CallableTransport(image.new_card().execute)).read(
        _request(image), resume=PartialRead()
    )
    assert result.verdict is Verdict.AUTHENTIC and result.findings == []


def test_the_same_card_removed_before_any_data_group_is_not_called_another_card() -> None:
    image = card_image("default")
    partial = PartialRead({"EF.SOD": image.lds_files["EF.SOD"]})  # EF.SOD complete, no data group yet
    result = ChipReader(CallableTransport(image.new_card().execute)).read(_request(image), resume=partial)
    codes = [f.code for f in result.findings]
    assert READ_RESUMED in codes and RESUME_DIFFERENT_CARD not in codes


def test_another_card_keeps_none_of_the_first_cards_findings() -> None:
    first, other = card_image("default"), card_image("elderly")
    earlier = Finding(SM_RETRIED, "DG2")  # a finding of the first card's interrupted session
    partial = PartialRead({"EF.SOD": first.lds_files["EF.SOD"], "DG1": first.lds_files["DG1"]}, (earlier,))
    result = ChipReader(CallableTransport(other.new_card().execute)).read(_request(other), resume=partial)
    assert RESUME_DIFFERENT_CARD in [f.code for f in result.findings]
    assert earlier not in result.findings
    assert result.raw["DG1"] == other.lds_files["DG1"]


def _resumed_apdus(image: CardImage, partial: PartialRead) -> int:
    transport = CallableTransport(image.new_card().execute)
    return ChipReader(transport).read(_request(image), resume=partial).stats.apdus


def test_a_resumed_read_removed_again_keeps_its_resumed_finding() -> None:
    image = card_image("default")
    first = _interrupted_at(image, int(_full_read_apdus(image) * 0.6))
    assert "EF.SOD" in first.partial.raw
    resumed_total = _resumed_apdus(image, first.partial)
    transport = FaultyTransport(CallableTransport(image.new_card().execute), remove_after=resumed_total - 1)
    with pytest.raises(ReadInterrupted) as info:
        ChipReader(transport).read(_request(image), resume=first.partial)
    partial = info.value.partial
    assert "EF.SOD" in partial.raw  # removed after the resumed session knew it was the same card
    assert READ_RESUMED in [f.code for f in partial.findings]
    resumed = ChipReader(CallableTransport(image.new_card().execute)).read(_request(image), resume=partial)
    assert resumed.verdict is Verdict.AUTHENTIC, resumed.reasons


def test_another_card_removed_again_keeps_none_of_the_first_cards_findings() -> None:
    first, other = card_image("default"), card_image("elderly")
    earlier = Finding(SM_RETRIED, "DG2")  # a finding of the first card's interrupted session
    partial = PartialRead({"EF.SOD": first.lds_files["EF.SOD"], "DG1": first.lds_files["DG1"]}, (earlier,))
    other_total = _resumed_apdus(other, partial)
    transport = FaultyTransport(CallableTransport(other.new_card().execute), remove_after=other_total - 1)
    with pytest.raises(ReadInterrupted) as info:
        ChipReader(transport).read(_request(other), resume=partial)
    again = info.value.partial
    assert again.raw["EF.SOD"] == other.lds_files["EF.SOD"]
    assert again.raw.get("DG1") == other.lds_files["DG1"]  # nothing of the first card was kept
    assert RESUME_DIFFERENT_CARD in [f.code for f in again.findings]
    assert earlier not in again.findings

"""Card tolerance (issue 12; docs/chip-faults.md): one scripted card per behaviour of real chips.

Each card is the simulated CCCD with one quirk switched on (sims.card.CardBehaviour) or one file taken
away; the reader must finish the read — with the quirk recorded as a finding — or end with a typed error,
and never call a card authentic that it could not verify.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from reader.access.control import AccessMode
from reader.engine import ChipReader, ChipReadResult, ReadRequest
from reader.errors import ReaderError, SecureMessagingError
from reader.findings import (
    EF_COM_MALFORMED,
    OPTIONAL_FILE_ABSENT,
    SFI_REFUSED,
    SM_CHANNEL_REOPENED,
    SM_RETRIED,
)
from reader.lds.files import BY_NAME
from reader.pki.trust import CSCAStore
from reader.report import FileStatus, Verdict
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims.card import CardOS
from sims.personalize import CardImage, card_image

WITH_ABSENT_DG = (1, 2, 11, 13, 14, 15)  # DG11 is not on the card: 6A82 under secure messaging


def _store(image: CardImage) -> CSCAStore:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


def _card(
    image: CardImage,
    *,
    mf: Mapping[str, bytes] | None = None,
    lds: Mapping[str, bytes] | None = None,
    **behaviour: Any,
) -> CardOS:
    return CardOS(
        image.mf_files if mf is None else mf,
        image.lds_files if lds is None else lds,
        bac_key=image.bac_key,
        behaviour=image.behaviour(**behaviour),
        applets=image.security_applets(),
        refused=image.refused,
    )


def _read(image: CardImage, card: CardOS, **request: Any) -> ChipReadResult:
    req = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_store(image), **request)
    return ChipReader(CallableTransport(card.execute)).read(req)


def _codes(result: ChipReadResult) -> list[str]:
    return [f.code for f in result.findings]


def _absent(result: ChipReadResult) -> set[str]:
    return {f.subject or "" for f in result.findings if f.code == OPTIONAL_FILE_ABSENT}


def test_a_conformant_card_reads_without_findings() -> None:
    image = card_image("default")
    result = _read(image, _card(image))
    assert result.verdict is Verdict.AUTHENTIC
    assert result.findings == []


@pytest.mark.parametrize("access", [AccessMode.AUTO, AccessMode.BAC])
def test_no_sfi_and_plain_errors_without_ssc_step(access: AccessMode) -> None:
    """The card of the issue: plain 6A82 to READ BINARY by SFI, its counter not counting the reply.  The
    refusal is learnt on EF.CardAccess, before secure messaging, and remembered: FID for every file."""
    image = card_image("default")
    card = _card(image, sfi_supported=False, sm_errors="plain")
    result = _read(image, card, access=access)
    assert result.verdict is Verdict.AUTHENTIC, result.reasons
    assert result.access.method == ("BAC" if access is AccessMode.BAC else "PACE")
    assert _codes(result) == [SFI_REFUSED]  # one refusal, remembered for the session
    for name in ("EF.COM", "EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15"):
        assert result.raw[name] == image.lds_files[name]


def test_sfi_refused_under_secure_messaging_reopens_the_channel_once() -> None:
    """Without EF.CardAccess the first SFI read is EF.COM's, under BAC: the plain 6A82 breaks the channel
    (the counters are out of step), BAC runs again with the same key, and SELECT by FID takes over."""
    image = card_image("default")
    result = _read(image, _card(image, mf={}, sfi_supported=False, sm_errors="plain"))
    assert result.verdict is Verdict.AUTHENTIC, result.reasons
    codes = _codes(result)
    assert codes.count(SFI_REFUSED) == 1  # EF.COM; EF.CardAccess was absent by FID too
    assert codes.count(SM_CHANNEL_REOPENED) == 1
    assert result.raw["DG2"] == image.lds_files["DG2"]


def test_no_sfi_with_protected_errors_needs_no_new_channel() -> None:
    image = card_image("default")
    result = _read(image, _card(image, sfi_supported=False))
    assert result.verdict is Verdict.AUTHENTIC
    assert _codes(result).count(SFI_REFUSED) == 1 and SM_CHANNEL_REOPENED not in _codes(result)


@pytest.mark.parametrize("mode", ["plain", "abort"])
def test_plain_errors_or_sm_aborted_reopen_the_channel_and_go_on(mode: str) -> None:
    image = card_image("default")
    result = _read(image, _card(image, sm_errors=mode), data_groups=WITH_ABSENT_DG)
    assert result.files["DG11"].status is FileStatus.ABSENT
    assert result.files["DG15"].status is FileStatus.READ
    assert _codes(result).count(SM_CHANNEL_REOPENED) == 1
    assert result.verdict is Verdict.AUTHENTIC, result.reasons


def test_error_answers_without_do99_are_errors_not_broken_reads() -> None:
    image = card_image("default")
    result = _read(image, _card(image, omit_do99="errors"), data_groups=WITH_ABSENT_DG)
    assert result.files["DG11"].status is FileStatus.ABSENT
    assert result.verdict is Verdict.AUTHENTIC, result.reasons


def test_success_answers_without_do99_are_refused_after_one_fresh_channel() -> None:
    """DO'99' authenticates the status word (ICAO 9303-11 §9.8.5.2): a chip that never sends it cannot be
    read (already its answer to SELECT of the application after PACE fails) — the typed error."""
    image = card_image("default")
    for access in (AccessMode.AUTO, AccessMode.BAC):
        reader = ChipReader(CallableTransport(_card(image, omit_do99="always").execute))
        with pytest.raises(SecureMessagingError):
            reader.read(ReadRequest(bac_key=image.bac_key, can=image.profile.can, access=access))


def test_an_ssc_mismatch_is_cured_by_one_fresh_session() -> None:
    image = card_image("default")
    card = _card(image)
    reads: list[bytes] = []

    def sixth_read(command: bytes) -> bool:  # one flipped bit in the answer to one protected READ BINARY
        if command[1] == 0xB0:
            reads.append(command)
            return len(reads) == 6
        return False

    transport = FaultyTransport(CallableTransport(card.execute), corrupt_if=sixth_read)
    req = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_store(image))
    result = ChipReader(transport).read(req)
    assert result.verdict is Verdict.AUTHENTIC
    retried = [f.subject for f in result.findings if f.code == SM_RETRIED]
    assert len(retried) == 1 and SM_CHANNEL_REOPENED in _codes(result)


def test_an_ssc_mismatch_that_persists_is_reported_as_the_typed_error() -> None:
    image = card_image("default")
    transport = FaultyTransport(
        CallableTransport(_card(image).execute), corrupt_if=lambda c: c[1] == 0xB0 and c[2] == 0x00
    )  # every READ BINARY by offset (after the header read by SFI) answers with a broken MAC
    with pytest.raises(SecureMessagingError):
        ChipReader(transport).read(ReadRequest(bac_key=image.bac_key, can=image.profile.can))


def test_no_ef_card_access_is_a_finding_and_bac_opens_the_chip() -> None:
    image = card_image("default")
    result = _read(image, _card(image, mf={}))
    assert result.access.method == "BAC"
    assert "EF.CardAccess" in _absent(result)
    assert result.verdict is Verdict.AUTHENTIC, result.reasons


def test_no_ef_sod_is_a_finding_and_never_authentic() -> None:
    image = card_image("default")
    lds = {k: v for k, v in image.lds_files.items() if k != "EF.SOD"}
    result = _read(image, _card(image, lds=lds))
    assert "EF.SOD" in _absent(result)
    assert result.files["DG1"].status is FileStatus.READ  # the data groups came from EF.COM
    assert result.verdict is not Verdict.AUTHENTIC


@pytest.mark.parametrize("com", [b"\x60\x05\x5f\x01", b"\xff\xff\xff", b"\x60\x03\x01\x02\x03"])
def test_a_malformed_ef_com_is_a_finding_and_the_sod_lists_the_groups(com: bytes) -> None:
    image = card_image("default")
    lds = {**image.lds_files, "EF.COM": com}
    result = _read(image, _card(image, lds=lds))
    assert EF_COM_MALFORMED in _codes(result)
    assert result.verdict is Verdict.AUTHENTIC, result.reasons


@pytest.mark.parametrize("name", ["DG14", "DG15"])
def test_missing_dg14_or_dg15_are_findings(name: str) -> None:
    image = card_image("default")
    card = _card(image)
    card.lds.pop(BY_NAME[name].fid)
    result = _read(image, card, data_groups=(1, 2, 13, 14, 15))
    assert name in _absent(result)
    assert result.files[name].status is FileStatus.ABSENT


def test_a_card_that_breaks_every_channel_ends_with_the_typed_error() -> None:
    """Bounded: a card that answers every command with a plain error cannot keep the reader busy."""
    image = card_image("default")
    card = _card(image, sm_errors="plain")
    real = card._dispatch

    def failing(command: Any) -> Any:
        response = real(command)
        if card.state.sm is not None and command.ins == 0xB0:
            return type(response)(b"", 0x6F00)
        return response

    card._dispatch = failing  # type: ignore[method-assign]
    reader = ChipReader(CallableTransport(card.execute))
    with pytest.raises(ReaderError):  # the typed error of the file that cannot be read (EF.SOD)
        reader.read(ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=_store(image)))
    assert reader.session.stats.apdus < 400


@pytest.mark.parametrize("access", [AccessMode.AUTO, AccessMode.BAC])
def test_a_chip_that_refuses_the_first_plain_command_after_sm_is_opened_again(access: AccessMode) -> None:
    """Plain errors that leave SM running, and the plain command that starts the new channel (MSE:Set AT or
    SELECT) answered 6987 while the chip leaves SM: the opener tries once more, outside SM."""
    image = card_image("default")
    card = _card(image, sm_errors="plain", plain_under_sm="reject")
    result = _read(image, card, access=access, data_groups=WITH_ABSENT_DG)
    assert result.files["DG11"].status is FileStatus.ABSENT
    assert SM_CHANNEL_REOPENED in _codes(result)
    assert result.verdict is Verdict.AUTHENTIC, result.reasons

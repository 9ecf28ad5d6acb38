"""The kiosk resumes a chip read after the card was lifted off mid-read and placed again ("tag lost";
issue 12, docs/chip-faults.md "What the kiosk does"; kiosk/runtime/resume.py).

Whole transactions in-process (simulated cards, the scripted user of cccd.headless), one on the simulated
serial PN532 (its tag lost mid-read), and one through the real pcscd + vpcd (marked ``pcsc``: run under
``flock /tmp/pcscd.lock``).  What each read asked of the card is
taken from the command headers (secure messaging leaves CLA/INS/P1 readable): a READ BINARY whose P1 is
``80 | SFI`` starts reading the file with that short file identifier (ICAO 9303-10 §3.11.2).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from cccd.compose import Kiosk, KioskConfig, SimulatedCardSlot, build_kiosk, sim_trust
from cccd.headless import FlowResult, Scenario, ScriptedUser, run_flow
from kiosk.flow.model import Limits, Reason, State
from kiosk.runtime.chip import ChipReadInterrupted, read_with_transport
from kiosk.runtime.face import GroundTruthFaceStep, SimulatedScene
from kiosk.runtime.resume import InterruptedReads
from kiosk.runtime.slots import PCSCCardSlot, SerialCardSlot
from reader.errors import CardRemovedError
from reader.resume import PartialRead
from reader.transports import CallableTransport
from reader.transports.base import Transport, TransportWrapper
from sims.pcsc_faults import VPCDSlot
from sims.personalize import CardImage, card_image, personalize
from sims.pn532 import SimulatedPN532, profile_card
from tests.conftest import VPCD_READER, require_pcscd

SFI = {"EF.COM": 0x1E, "EF.SOD": 0x1D, "DG1": 0x01, "DG2": 0x02, "DG13": 0x0D, "DG14": 0x0E, "DG15": 0x0F}
READ_BINARY = (0xB0, 0xB1)
SCENARIO = Scenario("resume", "the card leaves the reader mid-read and is placed again", "verified")


class Recorder(TransportWrapper):
    """Keeps (INS, P1) of every command sent to the card."""

    def __init__(self, inner: Transport, log: list[tuple[int, int]]) -> None:
        super().__init__(inner)
        self.log = log

    def transmit(self, command: bytes) -> bytes:
        self.log.append((command[1], command[2]))
        return self.inner.transmit(command)


def files_started(log: list[tuple[int, int]]) -> set[str]:
    """The files a read started to read (READ BINARY by short file identifier)."""
    by_sfi = {sfi: name for name, sfi in SFI.items()}
    return {by_sfi[p1 & 0x1F] for ins, p1 in log if ins in READ_BINARY and p1 & 0x80 and p1 & 0x1F in by_sfi}


def read_binaries(log: list[tuple[int, int]]) -> int:
    return sum(ins in READ_BINARY for ins, _ in log)


class RecordingSlot(SimulatedCardSlot):
    """The simulated slot of cccd.compose (``remove_after[i]``: read ``i`` loses the card); ``cards[i]``: the
    card placed for read ``i`` (the slot's own image after them); ``reads[i]``: what read ``i`` sent."""

    def __init__(self, image: CardImage, remove_after: tuple[int | None, ...] = (),
                 cards: tuple[CardImage, ...] = ()) -> None:  # fmt: skip
        super().__init__(image, remove_after)
        self.first, self.cards = image, cards
        self.reads: list[list[tuple[int, int]]] = []

    def open(self) -> Transport:
        self.image = self.cards[self.opened] if self.opened < len(self.cards) else self.first
        log: list[tuple[int, int]] = []
        self.reads.append(log)
        return Recorder(super().open(), log)


@lru_cache(maxsize=1)
def full_read_log() -> tuple[tuple[int, int], ...]:
    """The commands of an undisturbed kiosk read of the default card."""
    image = card_image("default")
    log: list[tuple[int, int]] = []
    transport = Recorder(CallableTransport(image.new_card().execute), log)
    read_with_transport(transport, image.bac_key, sim_trust(image), [], can=image.profile.can)
    return tuple(log)


def inside(name: str) -> int:
    """An APDU index inside the reading of ``name`` (its second command): every file before it is complete,
    ``name`` is not."""
    log = full_read_log()
    start = next(i for i, (ins, p1) in enumerate(log) if ins in READ_BINARY and p1 == 0x80 | SFI[name])
    return start + 1


@lru_cache(maxsize=1)
def renewed_card() -> CardImage:
    """Another card with the same ID number (a renewed card: a new photo, a name corrected): the same CAN
    opens it, but its EF.SOD and every data group differ."""
    p = card_image("default").profile
    return personalize(dataclasses.replace(p, full_name="Nguyễn Thị Mai Lan", face="rose_leslie/img2.jpg"))


@pytest.fixture
def built() -> Iterator[list[Kiosk]]:
    kiosks: list[Kiosk] = []
    yield kiosks
    for k in kiosks:
        k.close()


def _kiosk(tmp_path: Path, built: list[Kiosk], slot: Any, seen: CardImage, **config: Any) -> Kiosk:
    """A lodging kiosk on ``slot`` whose camera sees the holder of ``seen``."""
    face = GroundTruthFaceStep((SimulatedScene(seen.profile.face_jpeg()),))
    k = build_kiosk("lodging", KioskConfig(tmp_path / f"data{len(built)}", **config), slot=slot, face=face,
                    trust=sim_trust(card_image("default")))  # fmt: skip
    built.append(k)
    return k


def _run(k: Kiosk, holder: CardImage, scenario: Scenario = SCENARIO) -> FlowResult:
    result = run_flow(k, ScriptedUser(scenario, holder.profile), scenario, deadline_seconds=30)
    k.runner.drain_storage()
    return result


def _record_of(k: Kiosk, r: FlowResult) -> dict[str, Any]:
    assert r.verification_id is not None, r
    return k.store.record(r.verification_id)


def test_the_card_placed_again_resumes_from_the_last_file(tmp_path: Path, built: list[Kiosk]) -> None:
    image = card_image("default")
    slot = RecordingSlot(image, remove_after=(inside("DG13"),))  # DG1 and DG2 complete, DG13 not
    k = _kiosk(tmp_path, built, slot, image)
    r = _run(k, image)
    assert r.outcome == "verified" and r.chip_verdict == "authentic", r
    assert r.path.count("reading") == 2 and "place_card" in r.path[r.path.index("reading") :]
    first, second = slot.reads
    assert {"DG1", "DG2"} <= files_started(first) and "DG13" in files_started(first)
    assert files_started(second).isdisjoint({"DG1", "DG2"})  # the complete data groups were not read again
    assert {"EF.SOD", "DG13", "DG14", "DG15"} <= files_started(second)  # the same card? then the rest
    assert read_binaries(second) < read_binaries(list(full_read_log()))
    doc = _record_of(k, r)
    assert doc["status"] == "verified"
    assert doc["document"]["sod_sha256"] == hashlib.sha256(image.lds_files["EF.SOD"]).hexdigest()
    assert doc["verified_claims"]["claims"]["name"] == image.profile.full_name
    assert k.runner.interrupted.empty  # the completed read needs nothing kept


def test_another_card_placed_is_read_from_the_start(tmp_path: Path, built: list[Kiosk]) -> None:
    """Card A lifted off after DG1 and DG2, card B (the same ID number) placed: B is read whole, and the
    record is B's alone — its name, its EF.SOD, its photo matched against the camera."""
    a, b = card_image("default"), renewed_card()
    slot = RecordingSlot(a, remove_after=(inside("DG13"),), cards=(a, b))
    k = _kiosk(tmp_path, built, slot, b)
    r = _run(k, a)  # the key comes from card A's QR code: the same CAN opens card B
    assert r.outcome == "verified" and r.chip_verdict == "authentic", r
    first, second = slot.reads
    assert {"DG1", "DG2"} <= files_started(first)
    assert {"DG1", "DG2", "DG13", "DG14", "DG15"} <= files_started(second)  # nothing of card A kept
    doc = _record_of(k, r)
    assert doc["document"]["sod_sha256"] == hashlib.sha256(b.lds_files["EF.SOD"]).hexdigest()
    assert doc["verified_claims"]["claims"]["name"] == b.profile.full_name != a.profile.full_name


def test_card_a_returning_after_card_b_mixes_nothing(tmp_path: Path, built: list[Kiosk]) -> None:
    """A lifted off mid-read, B placed and lifted off mid-read too, A placed again: the kept files are B's
    by then, so A is read whole — never a record of A's data groups on B's EF.SOD or the reverse."""
    a, b = card_image("default"), renewed_card()
    at = inside("DG13")
    slot = RecordingSlot(a, remove_after=(at, at), cards=(a, b, a))
    k = _kiosk(tmp_path, built, slot, a)
    r = _run(k, a)
    assert r.outcome == "verified" and r.chip_verdict == "authentic", r
    assert len(slot.reads) == 3
    assert {"DG1", "DG2"} <= files_started(slot.reads[2])  # A again: B's files were not kept for it
    doc = _record_of(k, r)
    assert doc["document"]["sod_sha256"] == hashlib.sha256(a.lds_files["EF.SOD"]).hexdigest()
    assert doc["verified_claims"]["claims"]["name"] == a.profile.full_name


def test_the_next_transaction_never_resumes_the_last_ones_read(tmp_path: Path, built: list[Kiosk]) -> None:
    """A transaction ends at the counter with its card lifted off mid-read every time; the next person's
    read (the same card, even) starts from the beginning, and nothing was kept in between."""
    image = card_image("default")
    at = inside("DG2")
    slot = RecordingSlot(image, remove_after=(at, at))
    k = _kiosk(tmp_path, built, slot, image, limits=Limits(card_placements=2))
    gone = dataclasses.replace(SCENARIO, expect=Reason.CARD_REMOVED.value)
    r = _run(k, image, gone)
    assert r.outcome == "CARD_REMOVED" and r.path.count("reading") == 2, r
    assert k.runner.interrupted.empty  # wiped with the transaction
    slot.remove_after = ()
    before = len(slot.reads)
    r = _run(k, image)
    assert r.outcome == "verified", r
    (read,) = slot.reads[before:]
    assert {"DG1", "DG2", "DG13", "DG14", "DG15"} <= files_started(read)


def test_what_is_kept_belongs_to_one_transaction_and_shows_no_content() -> None:
    kept = InterruptedReads()
    dg1 = card_image("default").lds_files["DG1"]
    partial = PartialRead({"EF.SOD": b"\x77\x01\x00", "DG1": dg1})
    assert kept.keep(3, partial)
    assert kept.for_transaction(3) is partial
    assert kept.for_transaction(4) is None and kept.for_transaction(None) is None
    assert dg1.hex() not in repr(kept) and "DG1" in repr(kept)
    assert not kept.keep(2, PartialRead())  # an older transaction cannot displace it
    kept.wipe(3)
    assert kept.empty and kept.for_transaction(3) is None
    assert not kept.keep(3, partial)  # a read of a wiped transaction that ends late keeps nothing
    assert not kept.keep(None, partial)  # a read that names no transaction is never resumed
    assert kept.keep(4, partial)
    kept.done(4)
    assert kept.empty


def test_an_interrupted_kiosk_read_hands_back_what_was_complete() -> None:
    image = card_image("default")
    log: list[tuple[int, int]] = []

    class Removed(TransportWrapper):
        def transmit(self, command: bytes) -> bytes:
            if len(log) >= inside("DG13"):
                raise CardRemovedError("gone")
            log.append((command[1], command[2]))
            return self.inner.transmit(command)

    with pytest.raises(ChipReadInterrupted) as info:
        read_with_transport(Removed(CallableTransport(image.new_card().execute)), image.bac_key,
                            sim_trust(image), [], can=image.profile.can)  # fmt: skip
    assert info.value.kind == "card_removed" and info.value.exit_code == 6  # `cccd read` unchanged
    assert {"DG1", "DG2"} <= set(info.value.partial.files) and "DG13" not in info.value.partial.files
    assert image.profile.full_name not in str(info.value) and "partial" not in repr(info.value)


# --- through pcscd ---------------------------------------------------------------------------------------


class RecordingPCSCSlot(PCSCCardSlot):
    """The kiosk's PC/SC slot, keeping what each transport it opened sent (its presence polls send
    nothing)."""

    def __init__(self, reader_name: str) -> None:
        super().__init__(reader_name, poll_seconds=0.05)
        self.opened: list[list[tuple[int, int]]] = []

    def open(self) -> Transport:
        log: list[tuple[int, int]] = []
        self.opened.append(log)
        return Recorder(super().open(), log)


@pytest.mark.pcsc
def test_the_kiosk_resumes_through_pcscd(tmp_path: Path, built: list[Kiosk]) -> None:
    """The vpcd card closes its link inside DG13 (the card lifted off); once the kiosk asks again a card is
    placed on the same reader; the read resumes and the transaction ends verified."""
    require_pcscd()
    image = card_image("default")
    slot = RecordingPCSCSlot(VPCD_READER)
    k = _kiosk(tmp_path, built, slot, image)
    cards = [VPCDSlot(image, 0, remove_after=inside("DG13"))]  # placed before the kiosk asks
    removed: set[int] = set()

    def lift(card: VPCDSlot) -> None:
        if id(card) not in removed:
            removed.add(id(card))
            card.remove()

    def on_state(s: Any) -> None:
        if s.state is State.PLACE_CARD and s.hint == "place_card.again":
            lift(cards[-1])  # its link is closed already: the bridge ends
            cards.append(VPCDSlot(image, 0))  # placed again (after sims.vpcd.ABSENT_GAP: pcscd saw it go)
        elif s.state is State.TAKE_CARD:
            lift(cards[-1])  # the person takes the card at the end

    try:
        r = run_flow(k, ScriptedUser(SCENARIO, image.profile), SCENARIO, deadline_seconds=60,
                     on_state=on_state)  # fmt: skip
        k.runner.drain_storage()
    finally:
        for card in cards:
            lift(card)
    assert r.outcome == "verified" and r.chip_verdict == "authentic", r
    assert r.path.count("reading") == 2, r
    reads = [log for log in slot.opened if log]  # the two reads (presence polls send nothing)
    assert len(reads) == 2
    first, second = reads
    assert {"DG1", "DG2"} <= files_started(first)
    assert files_started(second).isdisjoint({"DG1", "DG2"}) and "DG13" in files_started(second)
    assert _record_of(k, r)["verified_claims"]["claims"]["name"] == image.profile.full_name


# --- a PN532 on a serial port -----------------------------------------------------------------------------


class RecordingSerialSlot(SerialCardSlot):
    """The kiosk's serial PN532 slot, keeping what each transport it opened sent (its presence polls —
    InListPassiveTarget — send no APDU)."""

    def __init__(self, port: str) -> None:
        super().__init__(port, poll_seconds=0.05)
        self.opened: list[list[tuple[int, int]]] = []

    def open(self) -> Transport:
        log: list[tuple[int, int]] = []
        self.opened.append(log)
        return Recorder(super().open(), log)


def test_the_kiosk_resumes_on_a_serial_pn532(tmp_path: Path, built: list[Kiosk]) -> None:
    """The simulated PN532's card leaves the field inside DG13 (``remove_after``: the tag is lost, no
    extended length: many short reads) and comes back when the kiosk asks again."""
    image = card_image("default")
    with SimulatedPN532(profile_card("default")) as pn532:
        probe = RecordingSerialSlot(pn532.path)
        read_with_transport(probe.open(), image.bac_key, sim_trust(image), [], can=image.profile.can)
        log = probe.opened[0]
        dg13 = next(i for i, (ins, p1) in enumerate(log) if ins in READ_BINARY and p1 == 0x80 | SFI["DG13"])
        pn532.options.remove_after = pn532.counters.apdus + dg13 + 1
        slot = RecordingSerialSlot(pn532.path)
        pn532.remove_card()
        k = _kiosk(tmp_path, built, slot, image)  # it starts with an empty reader …
        pn532.place_card()  # … and the person brings the card

        def on_state(s: Any) -> None:
            if s.state is State.PLACE_CARD and s.hint == "place_card.again":
                pn532.options.remove_after = None  # placed again
            elif s.state is State.TAKE_CARD:
                pn532.remove_card()

        r = run_flow(k, ScriptedUser(SCENARIO, image.profile), SCENARIO, deadline_seconds=60,
                     on_state=on_state)  # fmt: skip
        k.runner.drain_storage()
    assert r.outcome == "verified" and r.chip_verdict == "authentic", r
    assert r.path.count("reading") == 2, r
    first, second = [log for log in slot.opened if log]
    assert {"DG1", "DG2"} <= files_started(first)
    assert files_started(second).isdisjoint({"DG1", "DG2"}) and "DG13" in files_started(second)
    assert read_binaries(second) * 3 < read_binaries(log)  # DG2 in short reads was most of the read

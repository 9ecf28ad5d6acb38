"""The kiosk's PC/SC card slot against pcscd's virtual reader (vpcd): presence, and the wait for the card
to be taken (``SCardGetStatusChange`` through reader.transports.pcsc.wait_for_card) — alone, through the
effect runner, and through the running flow."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cccd.compose import KioskConfig, build_kiosk, sim_trust
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.runtime.face import GroundTruthFaceStep, SimulatedScene
from kiosk.runtime.runner import EffectRunner
from kiosk.runtime.slots import PCSCCardSlot
from sims.personalize import card_image
from tests.conftest import VPCD_READER

pytestmark = pytest.mark.pcsc


def _present(slot: PCSCCardSlot, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if slot.card_present():
            return True
        time.sleep(0.05)
    return False


def _stop_later(v: Any, seconds: float) -> threading.Thread:
    """Take the card off the reader after ``seconds`` (VPCDCard.stop), from another thread."""

    def stop() -> None:
        time.sleep(seconds)
        v.stop()

    t = threading.Thread(target=stop)
    t.start()
    return t


def test_the_slot_waits_for_the_card_to_leave_the_reader(vpcd: Any) -> None:
    v = vpcd(card_image("default").new_card())
    slot = PCSCCardSlot(VPCD_READER)
    assert _present(slot)
    assert slot.wait_for_card(5)
    t0 = time.monotonic()
    assert not slot.wait_for_removal(0.6)  # still there: False after the timeout
    assert 0.5 <= time.monotonic() - t0 < 3.0
    remover = _stop_later(v, 0.5)
    t0 = time.monotonic()
    assert slot.wait_for_removal(10.0)  # pcscd reports the slot empty
    assert time.monotonic() - t0 < 5.0
    remover.join()
    assert not slot.card_present()
    t0 = time.monotonic()
    assert slot.wait_for_removal(5.0) and time.monotonic() - t0 < 1.0  # already empty: at once


def test_an_unknown_reader_is_never_empty_nor_present() -> None:
    slot = PCSCCardSlot("No Such Reader 99")
    assert not slot.card_present()
    assert not slot.wait_for_removal(0.1)  # cannot be watched: the card counts as still there


def test_the_runner_posts_card_taken_when_the_card_leaves(vpcd: Any) -> None:
    v = vpcd(card_image("default").new_card())
    slot = PCSCCardSlot(VPCD_READER)
    assert _present(slot)
    posted: list[ev.Event] = []
    runner = EffectRunner(SimpleNamespace(slot=slot), posted.append)  # type: ignore[arg-type]
    try:
        runner.perform(fx.WaitForCardRemoval(7))
        time.sleep(0.8)
        assert posted == []  # the card is still on the reader
        v.stop()
        deadline = time.monotonic() + 10
        while not posted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert posted == [ev.CardTaken(7)]
    finally:
        runner.close()


def test_a_card_on_the_reader_at_start_up_until_it_is_taken(vpcd: Any, tmp_path: Path) -> None:
    """The kiosk starts with a card on the reader: nobody's card — the attract loop says so and watches
    it through pcscd until it is lifted off."""
    image = card_image("default")
    v = vpcd(image.new_card())
    slot = PCSCCardSlot(VPCD_READER)
    assert _present(slot)
    face = GroundTruthFaceStep((SimulatedScene(image.profile.face_jpeg()),))
    kiosk = build_kiosk("lodging", KioskConfig(tmp_path), slot=slot, face=face, trust=sim_trust(image),
                        reader_model=VPCD_READER)  # fmt: skip
    try:
        d = kiosk.driver
        assert d.session.card_left and d.view().hint_key == "attract.card_left"
        for _ in range(20):
            d.process(0.02)
        assert d.session.card_left  # still there
        v.stop()
        deadline = time.monotonic() + 10
        while d.session.card_left and time.monotonic() < deadline:
            d.process(0.05)
        assert not d.session.card_left and d.view().hint_key is None
        kiosk.runner.drain_storage()
        rows = kiosk.store.db.conn.execute("SELECT event FROM audit WHERE event = 'flow.card_left_taken'")
        assert len(rows.fetchall()) == 1
    finally:
        kiosk.close()


def test_the_reader_camera_reads_the_card_laid_on_the_pcsc_reader(vpcd: Any, tmp_path: Path) -> None:
    """A reader with its own camera (docs/flow.md "Card on the reader"): the person lays the card on the
    reader at key entry — pcscd reports it, the camera (simulated, seeing the card only while pcscd does)
    reads its QR code, and the chip is read through pcscd without asking for the card again."""
    from cccd.headless import SCENARIOS, ScriptedUser, SimulatedQRCamera, run_flow
    from kiosk.flow.model import Session, State

    image = card_image("default")
    slot = PCSCCardSlot(VPCD_READER)
    assert not slot.card_present()
    face = GroundTruthFaceStep((SimulatedScene(image.profile.face_jpeg()),))

    def camera() -> SimulatedQRCamera:
        return SimulatedQRCamera(image.profile.qr_payload, frames=3000, present=slot.card_present)

    kiosk = build_kiosk("public_service", KioskConfig(tmp_path), slot=slot, face=face, trust=sim_trust(image),
                        reader_model=VPCD_READER, qr_camera=camera, reader_camera=True)  # fmt: skip
    cards: list[Any] = []
    seen: list[Any] = []
    kiosk.driver.listeners.append(seen.append)

    def person(s: Session) -> None:
        if s.state is State.KEY_ENTRY and not cards:
            cards.append(vpcd(image.new_card()))  # laid on the reader, once
        if s.state is State.TAKE_CARD:
            cards[0].stop()

    try:
        sc = SCENARIOS["card_on_reader"]
        r = run_flow(kiosk, ScriptedUser(sc, image.profile), sc, deadline_seconds=60, on_state=person)
        assert r.outcome == "verified" and r.chip_verdict == "authentic", r
        assert r.path[:6] == ("attract", "language", "consent", "key_entry", "place_card", "reading")
        assert "take_card" in r.path and len(cards) == 1  # one placement for the key and the chip
        keys = [v for v in seen if v.state == "key_entry"]
        assert keys and all(v.methods == ("reader", "typed") for v in keys)
    finally:
        kiosk.close()

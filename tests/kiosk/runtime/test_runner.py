"""The driver and the effect runner: timers on an injected clock, cancellation of a read in progress,
late results ignored, storage order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cccd.compose import Kiosk, KioskConfig, SimulatedCardSlot, build_kiosk, sim_trust
from kiosk.flow import events as ev
from kiosk.flow.model import Reason, State
from kiosk.runtime.face import GroundTruthFaceStep, SimulatedScene
from reader.transports.base import Transport
from sims.personalize import card_image
from tests.kiosk.flow.helpers import QR


class HeldSlot(SimulatedCardSlot):
    """A simulated card whose first APDU waits until the test releases it (a read still in progress)."""

    def __init__(self, image: Any) -> None:
        super().__init__(image)
        self.release = threading.Event()
        self.started = threading.Event()

    def open(self) -> Transport:
        inner = super().open()
        slot = self

        class Held:
            name, supports_extended_length = inner.name, inner.supports_extended_length

            def transmit(self, command: bytes) -> bytes:
                slot.started.set()
                slot.release.wait(10)
                return inner.transmit(command)

            def close(self) -> None:
                inner.close()

        return Held()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[tuple[Kiosk, HeldSlot, Clock]]:
    image = card_image("default")
    slot = HeldSlot(image)
    face = GroundTruthFaceStep((SimulatedScene(image.profile.face_jpeg()),))
    k = build_kiosk("lodging", KioskConfig(tmp_path), slot=slot, face=face, trust=sim_trust(image))
    clock = Clock()
    k.driver.monotonic = clock
    yield k, slot, clock
    slot.release.set()
    k.close()


def _until(k: Kiosk, state: State, rounds: int = 400) -> None:
    for _ in range(rounds):
        if k.driver.state is state:
            return
        k.driver.process(0.02)
    raise AssertionError(f"stuck in {k.driver.state.value}, wanted {state.value}")


def _to_key_entry(k: Kiosk) -> None:
    d = k.driver
    d.post(ev.Touch())
    d.post(ev.ChooseLanguage("vi"))
    for p in d.config.purposes:
        d.post(ev.TogglePurpose(p.id))
    d.post(ev.AcceptConsent())
    _until(k, State.KEY_ENTRY)


def test_timeouts_come_from_the_injected_clock(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, _, clock = kiosk
    k.driver.post(ev.Touch())
    _until(k, State.LANGUAGE)
    k.driver.process(0.01)
    assert k.driver.state is State.LANGUAGE  # no time has passed on the kiosk's clock
    clock.t += k.driver.config.timeouts.language + 0.1
    _until(k, State.STILL_THERE)
    clock.t += k.driver.config.timeouts.still_there + 0.1
    _until(k, State.WIPE)
    clock.t += k.driver.config.timeouts.wipe + 0.1
    _until(k, State.ATTRACT)


def test_cancel_during_a_read_ignores_its_late_result(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, slot, _ = kiosk
    _to_key_entry(k)
    k.driver.post(ev.ScanQR(QR))
    _until(k, State.READING)
    assert slot.started.wait(5)
    k.driver.post(ev.Cancel())
    _until(k, State.TAKE_CARD)  # the card is on the reader
    slot.release.set()  # the read finishes after the cancel
    for _ in range(100):
        k.driver.process(0.02)
    assert k.driver.state is State.TAKE_CARD and k.driver.session.chip is None
    slot.take()
    _until(k, State.WIPE)
    assert k.driver.session.chip is None
    k.runner.drain_storage()
    assert k.store.list_outbox() == []  # nothing read was kept or sent


def test_machine_timeout_during_a_read_goes_to_the_counter(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, slot, clock = kiosk
    _to_key_entry(k)
    k.driver.post(ev.ScanQR(QR))
    _until(k, State.READING)
    assert slot.started.wait(5)
    clock.t += k.driver.config.timeouts.reading + 0.1
    _until(k, State.FALLBACK)
    assert k.driver.session.fallback is Reason.TIMEOUT
    slot.release.set()
    for _ in range(50):
        k.driver.process(0.02)
    assert k.driver.state is State.FALLBACK


def test_views_are_published_to_listeners(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, _, _ = kiosk
    seen: list[str] = []
    k.driver.listeners.append(lambda v: seen.append(v.state))
    k.driver.post(ev.Touch())
    _until(k, State.LANGUAGE)
    assert seen == ["language"]


def _cancel_mid_read(k: Kiosk, slot: HeldSlot) -> None:
    _to_key_entry(k)
    k.driver.post(ev.ScanQR(QR))
    _until(k, State.READING)
    assert slot.started.wait(5)
    k.driver.post(ev.Cancel())
    _until(k, State.TAKE_CARD)
    slot.release.set()


def test_the_wait_for_the_card_outlives_the_wipe(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, slot, _ = kiosk
    _cancel_mid_read(k, slot)
    k.runner.drain_storage()  # the wipe has run on the storage thread
    for _ in range(20):
        k.driver.process(0.02)
    assert k.driver.state is State.TAKE_CARD and slot.card_present()
    slot.take()
    _until(k, State.WIPE)
    assert not k.driver.session.card_left


def test_a_card_left_on_the_reader_on_the_injected_clock(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    k, slot, clock = kiosk
    _cancel_mid_read(k, slot)
    c = k.driver.config
    for i in range(1, 9):
        clock.t += c.timeouts.take_card + 0.01
        for _ in range(100):
            k.driver.process(0.01)
            if k.driver.session.reminders == i:
                break
        assert k.driver.state is State.TAKE_CARD and k.driver.session.reminders == i
    clock.t += c.timeouts.take_card + 0.01
    _until(k, State.WIPE)
    assert k.driver.session.card_left
    k.runner.drain_storage()
    sql = "SELECT event, data FROM audit WHERE event LIKE 'flow.card_left%'"
    rows = k.store.db.conn.execute(sql).fetchall()
    assert [r[0] for r in rows] == ["flow.card_left"] and "CARD_LEFT_ON_READER" in rows[0][1]
    clock.t += c.timeouts.wipe + 0.1
    _until(k, State.ATTRACT)
    assert k.driver.view().hint_key == "attract.card_left"
    slot.take()  # the staff take it to the counter
    for _ in range(200):
        k.driver.process(0.02)
        if not k.driver.session.card_left:
            break
    assert not k.driver.session.card_left and k.driver.view().hint_key is None
    k.runner.drain_storage()
    events = [r[0] for r in k.store.db.conn.execute("SELECT event FROM audit WHERE event LIKE 'flow.card%'")]
    assert events == ["flow.card_left", "flow.card_left_taken"]


def test_closing_while_a_left_card_is_watched_is_prompt(tmp_path: Path) -> None:
    import time

    image = card_image("default")
    slot = SimulatedCardSlot(image)
    slot.place()
    face = GroundTruthFaceStep((SimulatedScene(image.profile.face_jpeg()),))
    k = build_kiosk("lodging", KioskConfig(tmp_path), slot=slot, face=face, trust=sim_trust(image))
    for _ in range(10):
        k.driver.process(0.02)  # the attract loop's wait for the card to be taken is running
    t0 = time.monotonic()
    k.close()
    assert time.monotonic() - t0 < 2.0


def test_idle_hooks_run_between_transactions_only(kiosk: tuple[Kiosk, HeldSlot, Clock]) -> None:
    """The driver's idle hooks (where a fleet bundle takes over, cccd/fleet.py) run in the attract loop and
    never during a transaction; the flow's configuration changes only there."""
    k, _, _ = kiosk
    calls: list[State] = []
    k.driver.idle_hooks.append(lambda: calls.append(k.driver.state))

    def broken() -> None:
        raise ZeroDivisionError

    k.driver.idle_hooks.append(broken)  # a broken hook does not stop the kiosk
    k.driver.process(0.0)
    assert calls == [State.ATTRACT] and k.runner.storage_idle()
    k.driver.reconfigure(k.driver.config)  # allowed while idle
    _to_key_entry(k)
    seen = len(calls)
    for _ in range(5):
        k.driver.process(0.0)
    assert len(calls) == seen and set(calls) == {State.ATTRACT}
    with pytest.raises(RuntimeError, match="between transactions"):
        k.driver.reconfigure(k.driver.config)

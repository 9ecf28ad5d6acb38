"""The composition root of the kiosk flow: a deployment profile and a configuration in, a running
:class:`kiosk.runtime.runner.FlowDriver` out — with a simulated card and camera, or a PC/SC reader.

This module (with :mod:`cccd.headless`) is the only part of the flow that imports :mod:`sims`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cccd import __version__
from kiosk.config import DEV_DEVICE_ID, DEV_SITE_ID
from kiosk.delivery.relay import ConnectorRegistry, Relay, RelayLock
from kiosk.flow.model import FlowConfig, Limits, Timeouts
from kiosk.insurance.bhxh import BhxhClient, BhxhSettings
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import EvidencePolicy, Profile, load_profile, load_profiles
from kiosk.record import KioskIdentity
from kiosk.runtime.face import FaceStep, GroundTruthFaceStep
from kiosk.runtime.face_engine import EngineFaceStep, webcam
from kiosk.runtime.insurance import InsuranceCheck
from kiosk.runtime.runner import EffectRunner, FlowDriver, Services
from kiosk.runtime.slots import card_slot
from kiosk.storage import KioskStore
from reader.errors import CardRemovedError
from reader.pki.trust import CSCAStore
from reader.transports import CallableTransport
from reader.transports.base import Transport, TransportWrapper
from reader.transports.faults import FaultyTransport


class ComposeError(Exception):
    """The configuration cannot be built into a kiosk (missing engine, reader, secret …)."""


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """What the composition needs from the configuration file (``cccd.config.kiosk_config`` fills it from
    ``kiosk.toml``; the defaults are the file's embedded development defaults, kiosk.config)."""

    data_dir: Path
    device_id: str = DEV_DEVICE_ID
    site_id: str = DEV_SITE_ID
    software_version: str = f"cccd-kiosk/{__version__}"
    deliver_to: str | None = None  # every connector at one receiver (demos, tests)
    timeouts: Timeouts = field(default_factory=Timeouts)
    limits: Limits = field(default_factory=Limits)
    relay_interval: float = 2.0  # seconds between the idle relay's checks for due rows (0: none)
    languages: tuple[str, ...] | None = None  # the language screen's order (None: the flow's default)
    insurance: BhxhSettings | None = None  # [insurance]: a hospital's BHXH gateway (docs/insurance.md)


class CountingTransport(TransportWrapper):
    """Counts the APDUs a card receives (tests assert that a refused consent sends none)."""

    def __init__(self, inner: Transport, counter: list[int]) -> None:
        super().__init__(inner)
        self.counter = counter

    def transmit(self, command: bytes) -> bytes:
        self.counter[0] += 1
        return self.inner.transmit(command)


class SimulatedCardSlot:
    """Simulated cards of one image on a simulated reader.  The simulated person places the card when the
    kiosk asks for it (:meth:`wait_for_card`) and lifts it off when their script says so (:meth:`take`);
    the card stays on the reader between transactions until then.  ``remove_after[i]``: read ``i`` loses
    the card after that many APDUs (``None``: no fault) — the reader is then empty; ``clone``: the image's
    data on a chip without its keys."""

    def __init__(
        self, image: Any, remove_after: tuple[int | None, ...] = (), clone: str | None = None
    ) -> None:
        self.image, self.remove_after, self.clone = image, remove_after, clone
        self.apdus = [0]
        self.opened = 0
        self._present = threading.Event()
        self._empty = threading.Event()
        self._empty.set()

    def reset(self) -> None:
        """A new transaction: the faults apply again from the first read, the APDU count restarts (a card
        left on the reader stays there)."""
        self.opened, self.apdus[0] = 0, 0

    def place(self) -> None:
        self._empty.clear()
        self._present.set()

    def take(self) -> None:
        """The person lifts the card off the reader."""
        self._present.clear()
        self._empty.set()

    def card_present(self) -> bool:
        return self._present.is_set()

    def wait_for_card(self, timeout: float) -> bool:
        self.place()  # asked to, the simulated person places the card at once
        return True

    def wait_for_removal(self, timeout: float) -> bool:
        return self._empty.wait(timeout)

    def open(self) -> Transport:
        index = self.opened
        self.opened += 1
        inner: Transport = CallableTransport(self.image.new_card(clone=self.clone).execute, name="sim")
        fault = self.remove_after[index] if index < len(self.remove_after) else None
        if fault is not None:
            inner = _LeavesReader(FaultyTransport(inner, remove_after=fault), self)
        return CountingTransport(inner, self.apdus)


class _LeavesReader(TransportWrapper):
    """A card that leaves the field mid-read leaves the simulated reader empty."""

    def __init__(self, inner: Transport, slot: SimulatedCardSlot) -> None:
        super().__init__(inner)
        self.slot = slot

    def transmit(self, command: bytes) -> bytes:
        try:
            return self.inner.transmit(command)
        except CardRemovedError:
            self.slot.take()
            raise


@dataclass
class Kiosk:
    """A built kiosk: the driver (post intents, read views), its runner and its storage."""

    driver: FlowDriver
    runner: EffectRunner
    store: KioskStore
    profile: Profile
    relay: Any | None
    relay_store: KioskStore | None = None  # the relay's own connection (the delivery thread's)
    insurance: InsuranceCheck | None = None  # hospital: the BHXH gateway's client

    def close(self) -> None:
        self.runner.close()
        if self.insurance is not None:
            self.insurance.close()
        if self.relay is not None:
            self.relay.close()
        if self.relay_store is not None:
            self.relay_store.close()
        self.store.close()


def build_kiosk(profile: Profile | str, config: KioskConfig, *, slot: Any, face: FaceStep, trust: Any,
                reader_model: str = "sim", camera: str = "sim",
                qr_camera: Any | None = None, reader_camera: bool = False) -> Kiosk:  # fmt: skip
    """Wire storage, keys, the relay, the effect runner and the driver for ``profile``.  ``qr_camera``: a
    camera factory for the card's QR code and MRZ; ``reader_camera``: that camera is the reader's own and
    sees the card lying on it (key entry becomes "place your card"; docs/flow.md "Card on the reader")."""

    prof = load_profile(profile) if isinstance(profile, str) else profile
    keys = KeyStore.open(config.data_dir / "keys")
    store = KioskStore(config.data_dir / "kiosk.db", keys)
    relay_store = KioskStore(config.data_dir / "kiosk.db", keys)  # the delivery thread's connection
    signer = RecordSigner(keys, issuer=f"urn:cccd:kiosk:{config.device_id}")
    relay = Relay(relay_store, delivery_registry(prof, signer, config.deliver_to), workers=4,
                  lock=RelayLock(config.data_dir / "kiosk.db"))  # fmt: skip
    identity = KioskIdentity(config.device_id, config.site_id, config.software_version, reader_model, camera)
    flow = FlowConfig.from_profile(prof, timeouts=config.timeouts, limits=config.limits)
    if config.languages:
        flow = dataclasses.replace(flow, languages=config.languages)
    if reader_camera and qr_camera is not None:
        flow = dataclasses.replace(flow, reader_camera=True)
    insurance = None
    if config.insurance is not None and prof.kind == "hospital":
        insurance = InsuranceCheck(BhxhClient(config.insurance))
        net = dataclasses.replace(flow.timeouts, insurance=config.insurance.budget_seconds + 2.0)
        flow = dataclasses.replace(flow, checks_insurance=True, timeouts=net)
    driver = FlowDriver(flow, card_left=_card_present(slot))
    services = Services(prof, identity, store, slot, trust, face, relay_round=relay.locked_round,
                        relay_due=relay.due_soon, relay_interval=config.relay_interval,
                        qr_camera=qr_camera, insurance=insurance)  # fmt: skip
    runner = EffectRunner(services, driver.post)
    driver.attach(runner)
    return Kiosk(driver, runner, store, prof, relay, relay_store, insurance)


def delivery_registry(prof: Profile, signer: RecordSigner, deliver_to: str | None) -> ConnectorRegistry:
    """Connectors for every profile the database can hold rows of: the shipped profiles and this kiosk's
    own (which wins).  A kiosk that changed profile, or a database shared by ``--profile all`` runs, still
    has every row delivered by whichever relay holds the lock (docs/delivery.md, "The relay")."""
    return ConnectorRegistry(load_profiles() | {prof.name: prof}, signer, deliver_to)


def _card_present(slot: Any) -> bool:
    """A card on the reader as the kiosk starts (nobody's card for the next person)?"""
    try:
        return bool(slot.card_present())
    except Exception:  # a reader that cannot say must not stop the kiosk from starting
        return False


def sim_trust(image: Any) -> Any:

    store = CSCAStore()
    image.add_test_csca_to(store)
    return store


def build_sim_kiosk(
    profile: Profile | str,
    config: KioskConfig,
    *,
    image: Any,
    face: FaceStep,
    remove_after: tuple[int | None, ...] = (),
    qr_camera: Any | None = None,
    clone: str | None = None,
    reader_camera: Callable[[SimulatedCardSlot], Any] | None = None,
) -> Kiosk:
    """A kiosk with a simulated card (trusting its test CSCA) and a face step on a simulated camera;
    ``reader_camera(slot)``: the camera factory of a reader that reads the card lying on it."""
    slot = SimulatedCardSlot(image, remove_after, clone)
    camera = "sim-ground-truth" if isinstance(face, GroundTruthFaceStep) else "sim-camera"
    if reader_camera is not None:
        qr_camera = reader_camera(slot)
    return build_kiosk(profile, config, slot=slot, face=face, trust=sim_trust(image), camera=camera,
                       qr_camera=qr_camera, reader_camera=reader_camera is not None)  # fmt: skip


def build_pcsc_kiosk(profile: Profile | str, config: KioskConfig, *, reader_name: str,
                     trust_dir: Path | None, camera_device: int = 0,
                     reader_camera_device: int | None = None) -> Kiosk:  # fmt: skip
    """A kiosk on a hardware reader and the webcam, with the biometrics package's face verifier;
    ``reader_name``: a PC/SC reader, or ``serial:PORT`` for a PN532 on a serial port
    (:func:`kiosk.runtime.slots.card_slot`); ``reader_camera_device``: the reader's own camera, which reads
    the card lying on it (else the webcam reads a card held up to it)."""

    profile = load_profile(profile) if isinstance(profile, str) else profile
    keep = profile.biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE
    try:
        face = EngineFaceStep(webcam(camera_device), keep_live_image=keep)
    except Exception as exc:  # models missing or corrupted, camera stack absent
        raise ComposeError(f"the face engine cannot start: {type(exc).__name__}: {exc}") from None
    trust = CSCAStore.from_folder(trust_dir) if trust_dir else CSCAStore()
    card_camera = camera_device if reader_camera_device is None else reader_camera_device
    return build_kiosk(profile, config, slot=card_slot(reader_name), face=face, trust=trust,
                       reader_model=reader_name, camera=f"webcam:{camera_device}",
                       qr_camera=lambda: webcam(card_camera)(0),
                       reader_camera=reader_camera_device is not None)  # fmt: skip


def relay_until_idle(kiosk: Kiosk, deadline_seconds: float = 10.0, *,
                     pending: bool = False) -> dict[str, int]:  # fmt: skip
    """Relay rounds (on the delivery thread, under the relay lock) until nothing is due — with
    ``pending``, until nothing is pending at all, waiting for retries to fall due — or the deadline
    passes."""
    end = time.monotonic() + deadline_seconds
    relay = kiosk.relay
    if relay is None:
        return kiosk.store.counts()

    def rounds() -> None:
        while time.monotonic() < end:
            if relay.locked_round():
                continue
            nxt = relay.store.next_due_at(relay.connectors.serves())
            if not pending or nxt is None:
                return
            _pause(nxt, end)

    kiosk.runner.on_delivery_thread(rounds)
    return kiosk.store.counts()


def _pause(next_due: float, end: float) -> None:
    """Sleep until a retry is due (at most 0.25 s, at least 0.05 s: another relay may hold the lock)."""
    time.sleep(max(0.0, min(0.25, max(0.05, next_due - time.time()), end - time.monotonic())))


def drain_outbox(profile: Profile | str, config: KioskConfig, deadline_seconds: float) -> dict[str, int]:
    """Deliver every pending row of the database (every profile), waiting for retries to fall due, until
    none is pending or the deadline passes — a kiosk's relay without a kiosk (``cccd kiosk`` at the end of
    its runs: rows left by an earlier run, even one killed mid-delivery, go out with no manual step)."""
    prof = load_profile(profile) if isinstance(profile, str) else profile
    keys = KeyStore.open(config.data_dir / "keys")
    store = KioskStore(config.data_dir / "kiosk.db", keys)
    signer = RecordSigner(keys, issuer=f"urn:cccd:kiosk:{config.device_id}")
    relay = Relay(store, delivery_registry(prof, signer, config.deliver_to), workers=4,
                  lock=RelayLock(config.data_dir / "kiosk.db"))  # fmt: skip
    end = time.monotonic() + deadline_seconds
    try:
        while time.monotonic() < end:
            if relay.locked_round():
                continue
            nxt = store.next_due_at(relay.connectors.serves())
            if nxt is None:
                break
            _pause(nxt, end)
        return store.counts()
    finally:
        relay.close()
        store.close()

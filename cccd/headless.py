"""Headless flows: the simulated card and camera, and a scripted user who answers every screen at once.

Used by ``cccd kiosk --headless --sim``, the flow tests and ``benchmarks/kiosk_e2e.py``.  A scenario names
the card, what the camera sees, what the user does and the outcome it must produce.  The scripted user
lifts the card off the reader at once when asked to (or after ``Scenario.takes_card_after`` seconds, or
never: ``card_left``); the time it lets pass is the kiosk's clock, skipped forward, not real seconds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from biometrics.camera import Frame
from biometrics.capture import FaceConfig
from biometrics.verifier import FaceVerifier
from cccd.compose import Kiosk, KioskConfig, SimulatedCardSlot, build_sim_kiosk
from kiosk.flow import events as ev
from kiosk.flow.model import Session, State
from kiosk.flow.views import ConsentView, KeyEntryView, PlaceCardView, ServiceView, View
from kiosk.profiles import ChipPolicy, EvidencePolicy, Profile, load_profile
from kiosk.runtime.face import FaceStep, GroundTruthFaceStep, SimulatedScene
from kiosk.runtime.face_engine import EngineFaceStep, simulated_camera
from sims.personalize import card_image


class HeadlessError(Exception):
    """A headless flow did not finish (a bug, or a scenario that does not exist)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    expect: str  # "verified" or a fallback reason code
    card: str = "default"
    tamper: bool = False  # change one byte of DG13 after signing: passive authentication fails
    presentation: str = "live"
    other_person: str | None = None  # the camera sees this simulated citizen instead
    remove_after: tuple[int | None, ...] = ()
    refuse_consent: bool = False
    wrong_birth_date: bool = False
    wrong_id: bool = False  # the last digit of the ID typed wrong: the CAN (its last 6 digits) is wrong
    clone: str | None = None  # sims.CLONE_VARIANTS: the data copied onto a chip without its keys
    no_pace: bool = False  # an older chip without PACE (and without EF.CardAccess): BAC opens it
    qr_camera: bool = False  # the card's QR code is shown to the camera instead of being scanned/typed
    card_on_reader: bool = False  # the card is laid on the reader once: the reader's camera reads its QR code
    typed: bool = False  # the ID and birth date are typed (no QR)
    takes_card_after: float | None = 0.0  # kiosk seconds before the card is lifted off; None: walks away


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("happy", "the holder, a genuine card, a live face", "verified"),
    Scenario("wrong_person", "someone else presents the holder's card", "FACE_MISMATCH",
             other_person="elderly"),
    Scenario("photo_attack", "a printed photo of the holder is held up to the camera", "LIVENESS_FAILED",
             presentation="flat-photo"),
    Scenario("clone_card", "a card whose DG13 was altered after signing (passive authentication fails)",
             "CHIP_NOT_AUTHENTIC", tamper=True),
    Scenario("card_removed", "the card leaves the reader mid-read every time", "CARD_REMOVED",
             remove_after=(12, 12, 12, 12)),
    Scenario("card_replaced", "the card leaves the reader once, is placed again and read", "verified",
             remove_after=(12,)),
    Scenario("no_consent", "the person refuses consent: nothing is read", "CONSENT_REFUSED",
             refuse_consent=True),
    Scenario("copied_chip", "the holder's signed data copied onto another chip (passive authentication "
             "passes; Chip and Active Authentication fail)", "CHIP_NOT_AUTHENTIC", clone="wrong-keys"),
    Scenario("wrong_key", "a wrong ID number is typed twice (the chip refuses the CAN)", "ACCESS_DENIED",
             wrong_id=True),
    Scenario("no_pace_wrong_birth", "a chip without PACE and a wrong birth date typed twice (BAC refuses "
             "every expiry candidate)", "ACCESS_DENIED", no_pace=True, wrong_birth_date=True),
    Scenario("no_pace", "a chip without PACE: BAC with the typed ID and birth date (downgrade recorded)",
             "verified", no_pace=True, typed=True),
    Scenario("qr_camera", "the card's QR code is held up to the camera", "verified", qr_camera=True),
    Scenario("card_on_reader", "the card is laid on the reader once: the reader's own camera reads its QR "
             "code, then the chip is read", "verified", card_on_reader=True),
    Scenario("card_left", "the person walks away without the card: reminders, then CARD_LEFT_ON_READER",
             "verified", takes_card_after=None),
    Scenario("no_chip_photo", "a child's card without a face photo on the chip (the 2024 model for under-6s)",
             "NO_CHIP_PHOTO", card="card2024_infant"),
)}  # fmt: skip


def _tampered(image: Any) -> Any:
    files = dict(image.lds_files)
    dg13 = bytearray(files["DG13"])
    dg13[-1] ^= 0x01
    files["DG13"] = bytes(dg13)
    return dataclasses.replace(image, lds_files=files)


SCRIPTED_ROOM = "305"
SCRIPTED_NIGHTS = "2"


def scripted_service_values(view: ServiceView) -> tuple[tuple[str, str], ...]:
    """What the scripted person enters at the service step: the first department offered (hospital),
    room 305 for two nights from today (lodging), every other field as offered; the bank's confirmation
    needs no value."""
    out: list[tuple[str, str]] = []
    for f in view.fields:
        if f.kind == "text":
            value = SCRIPTED_ROOM
        elif f.kind == "count" and SCRIPTED_NIGHTS in f.choices:
            value = SCRIPTED_NIGHTS
        elif not f.value and f.choices:
            value = f.choices[0]
        else:
            value = f.value
        out.append((f.id, value))
    return tuple(out)


def _wrong_birth(birth: str) -> str:
    day, month, year = int(birth[0:2]), birth[3:5], birth[6:10]
    return f"{(day % 27) + 1:02d}/{month}/{year}"


class ScriptedUser:
    """Answers each view at once (no deliberate waits) as the scenario says; :meth:`card_action` says what
    the person does with the card on the reader."""

    def __init__(self, scenario: Scenario, profile: Any) -> None:
        self.scenario, self.card = scenario, profile

    def respond(self, view: View, session: Session) -> ev.Event | None:
        state = State(view.state)
        if state is State.ATTRACT:
            return ev.Touch()
        if state is State.LANGUAGE:
            return ev.ChooseLanguage("vi")
        if state is State.CONSENT and isinstance(view, ConsentView):
            if self.scenario.refuse_consent:
                return ev.RefuseConsent()
            unticked = [p.id for p in view.purposes if not p.checked]
            return ev.TogglePurpose(unticked[0]) if unticked else ev.AcceptConsent()
        if state is State.KEY_ENTRY:
            return None if self.scenario.qr_camera or self.scenario.card_on_reader else self._key()
        if state is State.RESULT:
            return ev.Continue()
        if state is State.SERVICE and isinstance(view, ServiceView):
            return ev.SubmitService(scripted_service_values(view))
        if state in (State.RECEIPT, State.FALLBACK):
            waiting = session.persist_requested and session.record_status is None
            return None if waiting else ev.Done()
        if state is State.STILL_THERE:
            return ev.StillHere()
        if state is State.WIPE:
            waiting = session.persist_requested and session.record_status is None
            return None if waiting else ev.Touch()
        return None  # place_card, reading, face_capture, matching, queue_number, take_card: no intent

    def card_action(self, view: View) -> str | None:
        """``"take"``: lift the card off the reader — asked to take it at the end (unless the scenario
        walks away: ``takes_card_after`` is ``None``), or asked to lift off a card found on the reader
        before placing one; ``None``: leave the card alone (the kiosk places it when it asks for it)."""
        if view.state == State.TAKE_CARD.value:
            return None if self.scenario.takes_card_after is None else "take"
        if isinstance(view, PlaceCardView | KeyEntryView) and view.remove_first:
            return "take"
        return None

    def _key(self) -> ev.Event:
        p = self.card
        birth = p.date_of_birth.strftime("%d/%m/%Y")
        if self.scenario.wrong_id:
            return ev.EnterIdAndBirth(p.id_number[:-1] + str((int(p.id_number[-1]) + 1) % 10), birth)
        if self.scenario.wrong_birth_date:
            return ev.EnterIdAndBirth(p.id_number, _wrong_birth(birth))
        if self.scenario.typed:
            return ev.EnterIdAndBirth(p.id_number, birth)
        return ev.ScanQR(p.qr_payload)


@dataclass(frozen=True, slots=True)
class FlowResult:
    """What one headless run produced (no personal data)."""

    scenario: str
    profile: str
    outcome: str  # "verified" or the fallback reason code
    detail: tuple[str, ...]
    record_status: str | None
    verification_id: str | None
    chip_verdict: str | None
    chip_reasons: tuple[str, ...]
    expected: str
    path: tuple[str, ...]
    apdus: int
    elapsed_ms: float
    queue_number: str | None = None  # hospital: the number issued (service data, not personal)
    card_left: bool = False  # the transaction ended with the card left on the reader (CARD_LEFT_ON_READER)
    expected_card_left: bool = False
    insurance: str | None = None  # hospital: the BHYT check's status (docs/insurance.md), not personal

    @property
    def as_expected(self) -> bool:
        return self.outcome == self.expected and self.card_left == self.expected_card_left

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"as_expected": self.as_expected}


FACE_OUTCOMES = frozenset({"FACE_MISMATCH", "LIVENESS_FAILED"})


def expected_outcome(
    scenario: Scenario, policy: ChipPolicy, verdict: str | None, reasons: tuple[str, ...],
    face_required: bool = True,
) -> str:  # fmt: skip
    """The scenario's outcome under this profile: a genuine chip whose verdict the profile does not accept
    ends at the counter first; a profile without a face step (public_service) cannot notice a face attack,
    so those scenarios end verified there — the counter staff see the person when the form is handed in.
    A chip without a face photo goes to the counter with its own reason in every profile."""
    if scenario.expect == "NO_CHIP_PHOTO":
        return scenario.expect
    if verdict is not None and verdict != "not_authentic" and not policy.accepts(verdict, reasons, None):
        return "CHIP_NOT_ACCEPTED"
    if not face_required and scenario.expect in FACE_OUTCOMES:
        return "verified"
    return scenario.expect


FACE_STEPS = ("ground-truth", "engine")


@lru_cache(maxsize=1)
def shared_verifier() -> Any:
    """One face verifier per process (its models take about a second to load)."""

    return FaceVerifier(FaceConfig(max_attempts=1))


def scenario_face_step(
    scenario: Scenario, face_jpeg: bytes, face: str, keep_live_image: bool = False
) -> FaceStep:
    """``ground-truth``: :class:`GroundTruthFaceStep`; ``engine``: the biometrics verifier watching the
    biometrics package's simulated person (3-D head, flat print or still)."""
    if face == "engine":

        camera = simulated_camera(face_jpeg, scenario.presentation)
        return EngineFaceStep(camera, shared_verifier(), keep_live_image=keep_live_image)
    if face != "ground-truth":
        raise HeadlessError(f"face step must be one of {FACE_STEPS}")
    return GroundTruthFaceStep((SimulatedScene(face_jpeg, scenario.presentation),))


def build_scenario_kiosk(scenario: Scenario, profile: str | Profile, config: KioskConfig, *,
                         face: str = "ground-truth") -> tuple[Kiosk, Any]:  # fmt: skip

    profile = load_profile(profile) if isinstance(profile, str) else profile
    keep = profile.biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE
    image = card_image(scenario.card)
    if scenario.tamper:
        image = _tampered(image)
    if scenario.no_pace:
        image = dataclasses.replace(image, mf_files={})  # no EF.CardAccess: the card runs no PACE
    seen = card_image(scenario.other_person).profile if scenario.other_person else image.profile
    step = scenario_face_step(scenario, seen.face_jpeg(), face, keep)
    qr = SimulatedQRCamera.factory(image.profile.qr_payload) if scenario.qr_camera else None
    on_reader = SimulatedQRCamera.on_reader(image.profile.qr_payload) if scenario.card_on_reader else None
    kiosk = build_sim_kiosk(profile, config, image=image, face=step, remove_after=scenario.remove_after,
                            qr_camera=qr, clone=scenario.clone, reader_camera=on_reader)  # fmt: skip
    return kiosk, image.profile


class SimulatedQRCamera:
    """A camera looking at the card's QR side: frames with its QR code (OpenCV's QR encoder), a few empty
    frames first (the card is being brought in).  ``present``: the reader's own camera — it sees the card
    only while one lies on the reader."""

    def __init__(self, text: str, empty_frames: int = 3, frames: int = 60,
                 present: Callable[[], bool] | None = None) -> None:  # fmt: skip
        self._present = present
        import cv2

        code = cv2.QRCodeEncoder.create().encode(text)
        code = cv2.resize(code, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
        code = cv2.copyMakeBorder(code, 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=255)
        self._image: Any = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
        self._empty, self._frames, self._index = empty_frames, frames, 0

    @classmethod
    def factory(cls, text: str) -> Callable[[], SimulatedQRCamera]:
        return lambda: cls(text)

    @classmethod
    def on_reader(cls, text: str) -> Callable[[SimulatedCardSlot], Callable[[], SimulatedQRCamera]]:
        """The reader camera's factory for ``build_sim_kiosk``: it sees the card on that slot."""
        return lambda slot: lambda: cls(text, present=slot.card_present)

    def read(self) -> Any:
        import numpy as np


        if self._index >= self._frames:
            return None
        i = self._index
        self._index += 1
        seen = i >= self._empty and (self._present is None or self._present())
        image: Any = self._image.copy() if seen else np.full_like(self._image, 255)
        return Frame(image, i / 15.0, i)

    def close(self) -> None:
        self._image.fill(0)


class ScriptClock:
    """The driver's monotonic clock in headless runs: real time plus the time the scripted person let pass
    (skipped forward at once: the run never sleeps for it)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def advance(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)


def _script_clock(kiosk: Kiosk) -> ScriptClock:
    d = kiosk.driver
    if not isinstance(d.monotonic, ScriptClock):
        d.monotonic = ScriptClock()
    assert isinstance(d.monotonic, ScriptClock)
    return d.monotonic


def _let_time_pass(kiosk: Kiosk, clock: ScriptClock, seconds: float | None) -> float:
    """Up to ``seconds`` (``None``: as long as it takes) of the kiosk's clock, at most to the current
    timer's expiry (one event at a time); returns the seconds let pass."""
    due = kiosk.driver.timer_due_in()
    if due is None:
        return 0.0
    step = due + 0.001 if seconds is None else min(seconds, due + 0.001)
    clock.advance(step)
    return step


def _card(kiosk: Kiosk, clock: ScriptClock, sim: SimulatedCardSlot, user: ScriptedUser, view: View,
          waited: float) -> float:  # fmt: skip
    """The scripted person's hands on the card on the reader; returns the kiosk seconds waited on this
    screen.  At "take your card" they let ``takes_card_after`` seconds pass first (for ever: they walked
    away, the reminders go unheard)."""
    if view.state == State.TAKE_CARD.value:
        delay = user.scenario.takes_card_after
        if delay is None or waited < delay:
            return waited + _let_time_pass(kiosk, clock, None if delay is None else delay - waited)
    if user.card_action(view) == "take":
        sim.take()
    return waited


def run_flow(kiosk: Kiosk, user: ScriptedUser, scenario: Scenario, *, deadline_seconds: float = 120.0,
             on_state: Callable[[Session], None] | None = None) -> FlowResult:  # fmt: skip
    """One whole transaction, from the attract loop back to it."""
    d = kiosk.driver
    if d.state is not State.ATTRACT:
        raise HeadlessError("the kiosk is not idle")
    slot = kiosk.runner.services.slot
    sim = slot if isinstance(slot, SimulatedCardSlot) else None
    if sim is not None:
        sim.reset()
    clock = _script_clock(kiosk)
    chip_seen = None
    t0, end = time.perf_counter(), time.monotonic() + deadline_seconds
    path: list[str] = [d.state.value]
    last = d.session
    waited = 0.0  # kiosk seconds the person let pass on the current screen
    while time.monotonic() < end:
        view = d.view()
        if sim is not None and sim.card_present():
            waited = _card(kiosk, clock, sim, user, view, waited)
        intent = user.respond(view, d.session)
        if intent is not None:
            d.post(intent)
        d.process(0.0 if intent is not None else 0.05)
        s = d.session
        if s.state.value != path[-1]:
            path.append(s.state.value)
            waited = 0.0
            if on_state is not None:
                on_state(s)
        if s.state is State.ATTRACT and len(path) > 1:
            break
        last = s
        chip_seen = s.chip or chip_seen
    else:
        raise HeadlessError(f"scenario {scenario.name} did not finish (stuck in {d.state.value})")
    outcome = "verified" if last.verified and last.fallback is None else str(last.fallback)
    apdus = sim.apdus[0] if sim is not None else 0
    verdict, reasons = (chip_seen.verdict, chip_seen.reasons) if chip_seen else (None, ())
    expected = expected_outcome(scenario, kiosk.profile.chip, verdict, reasons, kiosk.profile.face.required)
    left = "take_card" in path and last.card_left
    expected_left = scenario.takes_card_after is None and "reading" in path  # the card was placed
    return FlowResult(scenario.name, kiosk.profile.name, outcome, last.detail, last.record_status,
                      last.reference, verdict, reasons, expected, tuple(path), apdus,
                      round((time.perf_counter() - t0) * 1000, 1),
                      dict(last.service).get("queue_number"), left, expected_left,
                      dict(last.service).get("insurance_status"))  # fmt: skip

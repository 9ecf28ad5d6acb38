"""Usability: a scripted cooperative elderly user walks one transaction per profile through the real UI
(offscreen Qt, the simulated card and camera), with one mistake per transaction; reports taps, screens
and seconds (issue 14; docs/ui.md "Usability").

The person: reads each screen (``READ_S`` per screen, more for the consent screen's prompt), taps slowly
(``TAP_S`` per tap), holds the card's QR code to the camera (``SHOW_QR_S``), puts the card on the reader
(``PLACE_CARD_S``), looks at the camera and takes the card back; the one mistake is pressing "I agree"
before ticking the required boxes (the screen says so in red; one tap lost, one more reading).  The
machine's own time (chip read, face check, storing) is measured on the wall clock.  Targets: hospital
≤ 12 taps and ≤ 60 s of the person's time; bank ≤ 15 taps.

Not counted: listening to the consent document read aloud in full (about 35 s at 140 words a minute —
a person may read along instead), and the QR code's typed alternative (20 taps more: 12 ID digits, 8 date
digits).

    .venv/bin/python -m benchmarks.usability [--profile NAME]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cccd.compose import KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk
from kiosk.config import BUILTIN_PROFILES
from kiosk.flow import events as ev
from kiosk.flow.model import Timeouts
from kiosk.insurance import BhxhSettings
from sims.bhxh import BhxhGateway, BhxhServer
from ui.app import application, run_stepped
from ui.flowbridge import FlowBridge, from_event
from ui.screens_service import ServiceScreen
from ui.voice import Voice
from ui.window import KioskWindow

PROFILES = BUILTIN_PROFILES
MACHINE_SCREENS = ("reading", "matching", "face_capture", "queue_number", "insurance", "place_card")
TARGET_TAPS = {"hospital": 12, "bank": 15}
TARGET_PERSON_S = {"hospital": 60.0}
TAP_S = 2.0  # an elderly person finds the button and taps (slow taps)
READ_S = 3.0  # reads or hears a screen's title and hint
CONSENT_READ_S = 8.0  # the consent screen's prompt and the boxes' text
SHOW_QR_S = 5.0
PLACE_CARD_S = 4.0
TAKE_CARD_S = 3.0
FACE_S = 4.0  # looks at the camera until the capture is done (the capture's machine time is measured too)


@dataclass
class Walk:
    profile: str
    taps: int = 0
    screens: list[str] = field(default_factory=list)
    person_s: float = 0.0
    machine_s: float = 0.0
    outcome: str = ""
    mistake_made: bool = False
    left: bool = False  # the person has walked away (the receipt asked for the card back and got it)
    on_reader: bool = False  # the reader's own camera reads the card lying on it (one placement)
    per_screen: dict[str, list[float]] = field(default_factory=dict)  # state -> [taps, person seconds]

    def spend(self, state: str, taps: int, seconds: float) -> None:
        """Taps and the person's seconds, booked to the screen they were spent on."""
        row = self.per_screen.setdefault(state, [0, 0.0])
        row[0] += taps
        row[1] += seconds
        self.taps += taps
        self.person_s += seconds

    def note_screen(self, state: str) -> None:
        if not self.screens or self.screens[-1] != state:
            self.screens.append(state)

    def finish(self) -> None:
        """Screens a fast simulated step passed before the user looked (the card on the reader, the face
        capture) are put back: a person meets them all the same.  Then the reading and the physical
        actions are added."""
        path = list(self.screens)
        if self.on_reader:  # the card already lies on the reader: "place your card" passes by itself
            path = [x for x in path if x != "place_card"]
            self.spend("key_entry", 0, PLACE_CARD_S)  # the person lays the card on the reader
        elif "reading" in path and "place_card" not in path:
            path.insert(path.index("reading"), "place_card")
        if "matching" in path and "face_capture" not in path:
            path.insert(path.index("matching"), "face_capture")
        self.screens = path
        for state in path:
            if state not in ("attract", "reading", "matching", "queue_number", "insurance", "wipe"):
                self.spend(state, 0, CONSENT_READ_S if state == "consent" else READ_S)
        if "place_card" in path:
            self.spend("place_card", 0, PLACE_CARD_S)
        if "face_capture" in path:
            self.spend("face_capture", 0, FACE_S)


def _taps(event: Any) -> int:
    """Taps a finger makes for one intent (service values: one per choice, one per typed character)."""
    name = type(event).__name__
    if name in ("ScanQR", "EnterMRZ"):
        return 0
    if name == "EnterIdAndBirth":
        return 12 + 8 + 1
    if name == "SubmitService":
        taps = 1
        for _, value in event.values:
            taps += len(value) if value.isdigit() else 1
        return taps
    return 1


def simulated_gateway() -> BhxhServer:
    """The hospital's BHYT check asks the simulated BHXH gateway (sims/bhxh.py; docs/insurance.md)."""
    os.environ.update(BENCH_BHXH_PASSWORD=BhxhGateway().password, BENCH_BHXH_OFFICER="Trần Văn Tiếp Đón",
                      BENCH_BHXH_OFFICER_ID="001080000001")  # fmt: skip
    return BhxhServer(BhxhGateway())


def gateway_settings(url: str) -> BhxhSettings:
    return BhxhSettings(url, "01001_BV", "env:BENCH_BHXH_PASSWORD", "env:BENCH_BHXH_OFFICER",
                        "env:BENCH_BHXH_OFFICER_ID", "79001")  # fmt: skip


def walk(profile: str, data: Path, insurance: BhxhSettings | None = None, *, on_reader: bool = False) -> Walk:
    """One transaction; ``on_reader``: the kiosk's reader has its own camera, which reads the card's QR code
    while the card lies on it (the ``card_on_reader`` scenario) — else the card is held up to the camera."""
    app = application()
    scenario = SCENARIOS["card_on_reader" if on_reader else "happy"]
    # what the kiosk shows after the person has left ends sooner here (wall time only, nobody is counted)
    quick = Timeouts(receipt_after_card=0.3, wipe=0.3)
    config = KioskConfig(data, timeouts=quick, insurance=insurance if profile == "hospital" else None)
    kiosk, card = build_scenario_kiosk(scenario, profile, config, face="ground-truth")
    w = Walk(profile, on_reader=on_reader)
    window = KioskWindow(voice=Voice(muted=True))
    bridge = FlowBridge(window, kiosk.driver)
    user = ScriptedUser(scenario, card)
    slot: Any = kiosk.runner.services.slot  # sims' SimulatedCardSlot: take() lifts the card
    clock = {"t": time.monotonic()}
    answered: dict[str, Any] = {"view": None}  # a view is answered once (a finger waits for the screen)

    def step() -> None:
        d = bridge.driver
        view = d.view()
        now = time.monotonic()
        if view.state in MACHINE_SCREENS or (
                view.state in ("receipt", "wipe") and d.session.record_status is None):  # fmt: skip
            w.machine_s += now - clock["t"]
        clock["t"] = now
        w.note_screen(view.state)
        if view.state == "attract" and len(w.screens) > 1:
            app.quit()
            return
        if view == answered["view"]:
            return
        asked_back = view.state == "receipt" and getattr(view, "take_card", False)
        if slot.card_present() and (asked_back or user.card_action(view) == "take"):
            slot.take()
            w.spend(view.state, 0, TAKE_CARD_S)
            w.left = w.left or asked_back  # ticket and card in hand: the receipt closes by itself
            return
        if w.left or view.state == "wipe":
            return  # the person has gone; the kiosk returns to the attract loop by itself
        if view.state == "attract" and any(b.intent == "ChooseLanguage" for b in view.buttons):
            answered["view"] = view  # the language is tapped on the first screen
            w.spend("attract", 1, TAP_S)
            window.press("ChooseLanguage", "vi")
            return
        if view.state == "result" and (view.timeout_seconds or READ_S + 1) <= READ_S:
            return  # it moves on by itself while it is read: nothing to tap
        if view.state == "consent" and not w.mistake_made:
            w.mistake_made = True  # "I agree" before the boxes are ticked: the screen says what is missing
            w.spend("consent", 1, TAP_S + READ_S)
            answered["view"] = view
            window.send(from_event(ev.AcceptConsent()))
            return
        event = user.respond(view, d.session)
        if event is None:
            return
        answered["view"] = view
        if type(event).__name__ == "ScanQR":
            w.spend(view.state, 0, SHOW_QR_S)
        taps = _taps(event)
        w.spend(view.state, taps, taps * TAP_S)
        if isinstance(event, ev.SubmitService) and isinstance(window.screen_body, ServiceScreen):
            window.screen_body.set_values(event.values)
            window.press("SubmitService")
            return
        window.send(from_event(event))

    try:
        bridge.start()
        window.start()
        run_stepped(step, 40, 120_000)
        w.finish()
        w.outcome = " → ".join(w.screens)
    finally:
        window.voice.stop()
        kiosk.close()
    return w


KEY_DESIGNS = {"held": "the card's QR code held up to the camera",
               "reader": "the card laid on a reader with its own camera"}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--profile", choices=PROFILES, help="one profile (default: all four)")
    parser.add_argument("--key", choices=tuple(KEY_DESIGNS), action="append",
                        help="how the key reaches the kiosk (default: both)")  # fmt: skip
    args = parser.parse_args(argv if argv is not None else [])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print("Scripted cooperative elderly user, one mistake per transaction, the key from the card's QR code "
          "(the hospital checks BHYT on the simulated BHXH gateway):")
    with simulated_gateway() as gateway:
        for design in args.key or tuple(KEY_DESIGNS):
            print(f"- {KEY_DESIGNS[design]}:")
            for profile in [args.profile] if args.profile else PROFILES:
                with tempfile.TemporaryDirectory() as tmp:
                    w = walk(profile, Path(tmp), gateway_settings(gateway.url), on_reader=design == "reader")
                report(w)


def report(w: Walk) -> None:
    profile = w.profile
    total = w.person_s + w.machine_s
    verdicts = []
    if profile in TARGET_TAPS:
        ok = w.taps <= TARGET_TAPS[profile]
        verdicts.append(f"taps ≤ {TARGET_TAPS[profile]}: {'met' if ok else 'NOT met'}")
    if profile in TARGET_PERSON_S:
        ok = w.person_s <= TARGET_PERSON_S[profile]
        verdicts.append(f"person ≤ {TARGET_PERSON_S[profile]:.0f} s: {'met' if ok else 'NOT met'}")
    print(f"  {profile}: {w.taps} taps, {len(w.screens)} screens, person {w.person_s:.0f} s + machine "
          f"{w.machine_s:.1f} s = {total:.0f} s  {'; '.join(verdicts)}")  # fmt: skip
    print(f"    {w.outcome}")
    print("    per screen: " + ", ".join(f"{state} {int(taps)} taps {sec:.0f} s"
                                      for state, (taps, sec) in w.per_screen.items()))  # fmt: skip

if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

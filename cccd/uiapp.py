"""``cccd ui``: the kiosk composed for the window (:mod:`ui.app`) — a simulated card and camera or a PC/SC
reader and webcam (:mod:`cccd.compose`), the operator status, and with ``--demo`` the flow's scripted user
(:class:`cccd.headless.ScriptedUser`) walking one transaction through the window.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from cccd.compose import ComposeError, KioskConfig, build_pcsc_kiosk
from cccd.config import LoadedConfig, kiosk_config, load_config
from cccd.config import profile as configured_profile
from cccd.doctor import LiveChecks
from cccd.fleet import FleetError, start_fleet
from cccd.headless import SCENARIOS, Scenario, ScriptedUser, build_scenario_kiosk
from cccd.lodgingdesk import LodgingDesk
from kiosk.config import ConfigError
from kiosk.printing import PrinterConfig, PrinterConfigError, ThermalPrinter
from kiosk.runtime.face_engine import simulated_camera
from kiosk.timezone import VIETNAM
from sims.personalize import card_image
from ui.app import DEMO_STEP_MS, WindowOptions, run_window, sample_screenshots
from ui.operator import HealthLine, LockoutListener, OperatorStatus
from ui.ticketprint import TicketPrinting


@dataclass(frozen=True, slots=True)
class UIOptions:
    sim: bool = True
    face: str = "engine"  # with sim: "engine" (biometrics verifier) or "ground-truth"
    reader: str | None = None  # real hardware: the PC/SC reader name
    camera: int = 0
    reader_camera: int | str | None = None  # the reader's own camera (a device, "sim" with sim), or none
    trust_dir: Path | None = None
    profile: str = "hospital"
    demo: bool = False
    screenshots: Path | None = None
    kiosk_mode: bool = False
    muted: bool = False
    data_dir: Path | None = None
    step_ms: int = DEMO_STEP_MS
    print_receipts: bool = False
    deliver_to: str | None = None  # every connector at one receiver (make demo)
    config: LoadedConfig | None = None  # the configuration file (cccd.config); None: load the default one
    operator_pin: str | None = None  # resolved from the file's [operator] pin reference (never printed)
    thermal_printer: str | None = None  # kiosk.printing.PrinterConfig text: tcp:HOST[:PORT], usb:VID:PID, …
    paper_mm: int = 80
    voice_dir: Path | None = None  # recorded prompts (ui.recordings); espeak-ng for the rest
    hub_enrolment: Path | None = None  # the fleet hub's enrolment (else kiosk.toml [hub]; cccd.fleet)
    hub_interval: float | None = None  # seconds between heartbeats and bundle requests (development)

    @property
    def reader_camera_device(self) -> int | None:
        """The reader's own camera as a device number (``None``: none, or the simulated one)."""
        return self.reader_camera if isinstance(self.reader_camera, int) else None


def kiosk_status(kiosk: Any, options: UIOptions, live: LiveChecks | None = None) -> OperatorStatus:
    """The operator screen's figures: the live checks (cccd.doctor.LiveChecks: reader, camera, outbox,
    endpoints — the doctor's checks, cached and run off the UI thread), the outbox rows not yet delivered
    (pending and dead-lettered), a card left on the reader (kiosk.flow.takecard)."""
    errors: tuple[str, ...] = ()
    checks: tuple[HealthLine, ...] = ()
    pending = False
    if live is not None:
        results, _ = live.current()
        checks = tuple(HealthLine(c.name, c.ok, c.summary, c.fix) for c in results)
        pending = not results
    try:
        counts = kiosk.store.counts()
        backlog: int | None = int(counts.get("pending", 0)) + int(counts.get("dead", 0))
    except Exception as exc:  # the status screen must never take the kiosk down
        backlog, errors = None, (f"outbox: {type(exc).__name__}",)
    reader = "simulated card" if options.sim else str(options.reader)
    camera = "simulated camera" if options.sim else f"webcam {options.camera}"
    for line in checks:
        reader = line.summary if line.name == "reader" else reader
        camera = line.summary if line.name == "camera" else camera
    return OperatorStatus(reader=reader, camera=camera, outbox_backlog=backlog, recent_errors=errors,
                          card_left_at=card_left_time(kiosk.driver.session), checks=checks,
                          checks_pending=pending)  # fmt: skip


def audit_lockouts(kiosk: Any) -> LockoutListener:
    """The PIN page's lockouts into the kiosk's audit chain (``operator.pin_lockout``), written on the
    storage thread; the UI thread does not wait for it."""

    def listener(wrong_pins: int, seconds: float, lockouts: int) -> None:
        data = {"wrong_pins": wrong_pins, "lockout_seconds": seconds, "lockouts": lockouts}

        def write() -> None:
            kiosk.store.audit("operator.pin_lockout", data, time.time())

        threading.Thread(target=kiosk.runner.on_storage_thread, args=(write,), name="audit-lockout",
                         daemon=True).start()  # fmt: skip

    return listener


def card_left_time(session: Any) -> str | None:
    """When a card was left on the reader (the kiosk's local time), while it is still there."""
    at = getattr(session, "card_left_at", None)
    return None if at is None else at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _compose(options: UIOptions, scenario: Scenario) -> tuple[Any, Any]:
    """The kiosk (cccd.compose) and, with --sim, the simulated card's holder."""
    loaded = _loaded(options)
    config = _config(options)
    try:
        profile = configured_profile(loaded, options.profile)
    except ConfigError as exc:
        raise ComposeError(str(exc)) from None
    if options.sim:
        return build_scenario_kiosk(scenario, profile, config, face=options.face)
    assert options.reader is not None
    kiosk = build_pcsc_kiosk(profile, config, reader_name=options.reader, trust_dir=options.trust_dir,
                             camera_device=options.camera,
                             reader_camera_device=options.reader_camera_device)  # fmt: skip
    return kiosk, None


def _config(options: UIOptions) -> KioskConfig:
    return kiosk_config(_loaded(options), data_dir=options.data_dir, deliver_to=options.deliver_to)


def _loaded(options: UIOptions) -> LoadedConfig:
    return options.config if options.config is not None else load_config()


SAMPLE_PERSON = "elderly"  # sims/profiles/elderly.toml: the person of the screenshots' result screen


def sample_photos() -> tuple[bytes, bytes]:
    """The result screen's pictures for the screenshots (issue 14: the real flow, not placeholders): the
    chip photo of the simulated elderly person, and a frame of the biometrics package's simulated camera
    looking at that person, as JPEG."""
    chip = card_image(SAMPLE_PERSON).profile.face_jpeg()
    camera = simulated_camera(chip, "live")(1)
    frame = None
    try:
        for _ in range(10):  # a few frames in: the head has turned to the camera
            frame = camera.read() or frame
    finally:
        camera.close()
    if frame is None:
        return chip, chip
    ok, jpeg = cv2.imencode(".jpg", frame.image)
    return chip, (jpeg.tobytes() if ok else chip)


def ticket_printing(options: UIOptions) -> TicketPrinting | None:
    """The thermal ticket printer of ``--printer`` (ui.ticketprint); ``None`` without one.  Raises
    :class:`kiosk.printing.PrinterConfigError` when the setting is malformed."""
    if not options.thermal_printer:
        return None
    return TicketPrinting(ThermalPrinter(PrinterConfig.parse(options.thermal_printer, options.paper_mm)))


def run(options: UIOptions) -> int:
    """Open the kiosk UI; returns the process exit code."""
    if options.screenshots is not None:
        saved = sample_screenshots(options.screenshots, options.profile, photos=sample_photos())
        print(f"ui: {saved} screenshots in {options.screenshots}", flush=True)
        if not options.demo:
            return 0
    if options.sim == (options.reader is not None):
        print("ui: choose --sim (simulated card and camera) or --reader NAME (PC/SC reader and webcam)",
              file=sys.stderr)  # fmt: skip
        return 2
    if options.reader_camera == "sim" and not options.sim:
        print("ui: --reader-camera sim needs --sim (give the reader camera's device number)", file=sys.stderr)
        return 2
    if options.demo and not options.sim:
        print("ui: --demo needs --sim (the scripted user holds a simulated card)", file=sys.stderr)
        return 2
    # --sim with a reader camera: the simulated reader's own camera reads the card lying on it
    scenario = SCENARIOS["card_on_reader" if options.sim and options.reader_camera is not None else "happy"]
    try:
        tickets = ticket_printing(options)
    except PrinterConfigError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return 2
    try:
        kiosk, card = _compose(options, scenario)
    except ComposeError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return 2
    window = WindowOptions(kiosk_mode=options.kiosk_mode, muted=options.muted,
                           operator_pin=options.operator_pin or os.environ.get("CCCD_OPERATOR_PIN"),
                           counter=_loaded(options).settings.counter.number,
                           printer_queue=_loaded(options).settings.printer.queue,
                           print_receipts=options.print_receipts, step_ms=options.step_ms,
                           screenshots=options.screenshots, voice_dir=options.voice_dir)  # fmt: skip
    live = LiveChecks(_loaded(options), sim=options.sim, reader=options.reader, camera=options.camera,
                      reader_camera=options.reader_camera_device, data_dir=options.data_dir)  # fmt: skip
    desk = None
    if kiosk.profile.kind == "lodging":  # the clerk's register, behind the operator PIN (docs/lodging.md)
        desk = LodgingDesk(_loaded(options).data_dir(options.data_dir), kiosk.profile)
    try:
        fleet = start_fleet(_loaded(options).settings, _config(options), enrolment=options.hub_enrolment,
                            interval=options.hub_interval, checks=lambda: live.current()[0])  # fmt: skip
    except FleetError as exc:
        kiosk.close()
        print(f"ui: {exc}", file=sys.stderr)
        return 2
    if fleet is not None:
        fleet.attach(kiosk)
    try:
        def status() -> OperatorStatus:
            shown = kiosk_status(kiosk, options, live)
            return tickets.with_problem(shown) if tickets else shown

        return run_window(kiosk.driver, window, status=status,
                          demo_user=ScriptedUser(scenario, card) if options.demo else None,
                          slot=kiosk.runner.services.slot, on_pin_lockout=audit_lockouts(kiosk),
                          tickets=tickets, lodging=desk.actions() if desk else None)  # fmt: skip
    finally:
        if fleet is not None:
            fleet.stop()
        if desk is not None:
            desk.close()
        kiosk.close()

"""The ``cccd ui`` application: composition of a kiosk flow, the window, the bridge, a scripted demo user.

The kiosk itself (reader, camera, storage) is built by kiosk.flow.compose; this module only wires the
window to its driver.  ``--demo`` lets the flow's scripted user (kiosk.flow.headless.ScriptedUser) walk
one whole transaction through the window, one screen every ``DEMO_STEP_MS``; ``--screenshots DIR`` saves
every screen (the sample set, plus each screen the demo passes through).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from ui.flowbridge import FlowBridge, from_event
from ui.operator import OperatorStatus
from ui.screens_service import ServiceScreen
from ui.shots import grab, save_screenshots
from ui.theme import BODY_PT, font_family
from ui.voice import Voice
from ui.window import KioskWindow

DEMO_STEP_MS = 1200
DEMO_DEADLINE_MS = 120_000


@dataclass(frozen=True, slots=True)
class UIOptions:
    sim: bool = True
    face: str = "engine"  # with sim: "engine" (biometrics verifier) or "ground-truth"
    reader: str | None = None  # real hardware: the PC/SC reader name
    camera: int = 0
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
    thermal_printer: str | None = None  # kiosk.printing.PrinterConfig text: tcp:HOST[:PORT], usb:VID:PID, …
    paper_mm: int = 80
    voice_dir: Path | None = None  # recorded prompts (ui.recordings); espeak-ng for the rest


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setFont(QFont(font_family(), BODY_PT))
    return app


class DemoUser(QObject):
    """Answers the window's current screen as the flow's scripted user would, through the window (the
    service step's values are entered on the screen's own buttons and keypad); asked to take the card, it
    lifts the simulated card off the reader one step later (``slot``: the simulated card slot)."""

    def __init__(self, bridge: FlowBridge, user: Any, step_ms: int, shots: Path | None,
                 slot: Any | None = None) -> None:  # fmt: skip
        super().__init__(bridge)
        self.bridge, self.user, self.shots, self.slot = bridge, user, shots, slot
        self.path: list[str] = []
        self.finished = False
        bridge.shown.connect(self._shown)
        self._shown(bridge.driver.view())
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.step)
        self.timer.start(step_ms)

    def _shown(self, view: Any) -> None:
        if self.path and self.path[-1] == view.state:
            return
        self.path.append(view.state)
        if self.shots is not None:
            target = self.shots / f"demo-{len(self.path):02d}-{view.state}.png"
            QTimer.singleShot(0, lambda: grab(self.bridge.window, target))

    def step(self) -> None:
        d = self.bridge.driver
        state = d.view().state
        if state == "attract" and len(self.path) > 1:
            self.finished = True
            self.timer.stop()
            return
        slot = self.slot
        if slot is not None and slot.card_present() and self.user.card_action(d.view()) == "take":
            slot.take()  # a hand, not a finger: nothing goes through the window
            return
        event = self.user.respond(d.view(), d.session)
        if event is None:
            return
        window = self.bridge.window
        body = window.screen_body
        values = getattr(event, "values", None)
        if state == "service" and values is not None and isinstance(body, ServiceScreen):
            body.set_values(values)  # fill the screen as a finger would, then press "confirm"
            window.press("SubmitService")
            return
        window.send(from_event(event))


def system_printer(image: QImage) -> None:
    """Print the receipt on the system's default printer (CUPS), scaled to the page width."""
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    painter = QPainter()
    if not painter.begin(printer):
        print("ui: no printer available", file=sys.stderr)
        return
    page = printer.pageRect(QPrinter.Unit.DevicePixel)
    scaled = image.scaledToWidth(int(page.width()), Qt.TransformationMode.SmoothTransformation)
    painter.drawImage(0, 0, scaled)
    painter.end()


def kiosk_status(kiosk: Any, options: UIOptions) -> OperatorStatus:
    """The operator screen's figures: reader and camera as configured, the outbox rows not yet delivered
    (pending and dead-lettered), a card left on the reader (kiosk.flow.takecard)."""
    errors: tuple[str, ...] = ()
    try:
        counts = kiosk.store.counts()
        backlog: int | None = int(counts.get("pending", 0)) + int(counts.get("dead", 0))
    except Exception as exc:  # the status screen must never take the kiosk down
        backlog, errors = None, (f"outbox: {type(exc).__name__}",)
    reader = "simulated card" if options.sim else str(options.reader)
    camera = "simulated camera" if options.sim else f"webcam {options.camera}"
    return OperatorStatus(reader=reader, camera=camera, outbox_backlog=backlog, recent_errors=errors,
                          card_left_at=card_left_time(kiosk.driver.session))  # fmt: skip


def card_left_time(session: Any) -> str | None:
    """When a card was left on the reader (the kiosk's local time), while it is still there."""
    from kiosk.flow.service import VIETNAM

    at = getattr(session, "card_left_at", None)
    return None if at is None else at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _compose(options: UIOptions, scenario: Any) -> tuple[Any, Any]:
    """The kiosk (kiosk.flow.compose) and, with --sim, the simulated card's holder."""
    from kiosk.flow.compose import KioskConfig, build_pcsc_kiosk
    from kiosk.flow.headless import build_scenario_kiosk
    from kiosk.storage.paths import data_dir

    config = KioskConfig(options.data_dir or data_dir(), deliver_to=options.deliver_to)
    if options.sim:
        return build_scenario_kiosk(scenario, options.profile, config, face=options.face)
    assert options.reader is not None
    kiosk = build_pcsc_kiosk(options.profile, config, reader_name=options.reader, trust_dir=options.trust_dir,
                             camera_device=options.camera)  # fmt: skip
    return kiosk, None


def _ticket_printing(options: UIOptions) -> Any:
    """The thermal ticket printer of ``--printer`` (ui.ticketprint); ``None`` without one, ``False`` (exit 2)
    when the setting is malformed."""
    if not options.thermal_printer:
        return None
    from kiosk.printing import PrinterConfig, PrinterConfigError, ThermalPrinter
    from ui.ticketprint import TicketPrinting

    try:
        config = PrinterConfig.parse(options.thermal_printer, options.paper_mm)
    except PrinterConfigError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return False
    return TicketPrinting(ThermalPrinter(config))


def _printer_status(status: OperatorStatus, tickets: Any) -> OperatorStatus:
    return tickets.with_problem(status) if tickets else status


def run(options: UIOptions) -> int:
    """Open the kiosk UI; returns the process exit code."""
    app = application()
    if options.screenshots is not None:
        saved = save_screenshots(options.screenshots, profile=options.profile)
        print(f"ui: {len(saved)} screenshots in {options.screenshots}", flush=True)
        if not options.demo:
            return 0
    if options.sim == (options.reader is not None):
        print("ui: choose --sim (simulated card and camera) or --reader NAME (PC/SC reader and webcam)",
              file=sys.stderr)  # fmt: skip
        return 2
    if options.demo and not options.sim:
        print("ui: --demo needs --sim (the scripted user holds a simulated card)", file=sys.stderr)
        return 2
    from kiosk.flow.compose import ComposeError
    from kiosk.flow.headless import SCENARIOS, ScriptedUser

    scenario = SCENARIOS["happy"]
    tickets = _ticket_printing(options)
    if tickets is False:
        return 2
    try:
        kiosk, card = _compose(options, scenario)
    except ComposeError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return 2
    try:
        voice = Voice(muted=options.muted, recordings=options.voice_dir)
        window = KioskWindow(voice=voice, kiosk=options.kiosk_mode and not options.demo,
                             operator_pin=os.environ.get("CCCD_OPERATOR_PIN"),
                             status=lambda: _printer_status(kiosk_status(kiosk, options), tickets),
                             printer=system_printer if options.print_receipts else None,
                             ticket_printing=tickets or None)  # fmt: skip
        bridge = FlowBridge(window, kiosk.driver)
        window.restart_requested.connect(app.quit)
        bridge.start()
        window.start()
        demo = None
        if options.demo:
            demo = DemoUser(bridge, ScriptedUser(scenario, card), options.step_ms, options.screenshots,
                            slot=kiosk.runner.services.slot)  # fmt: skip
            demo.timer.timeout.connect(lambda: app.quit() if demo is not None and demo.finished else None)
            QTimer.singleShot(DEMO_DEADLINE_MS, app.quit)
        app.exec()
        window.voice.stop()
        if demo is not None:
            print("ui: demo path " + " → ".join(demo.path), flush=True)
            return 0 if demo.finished else 1
        return 0
    finally:
        kiosk.close()

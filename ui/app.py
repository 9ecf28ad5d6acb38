"""The kiosk window's application: the Qt application, the window on a running flow driver, the demo user
that walks a transaction through the window, receipt printing.

The kiosk itself (reader, camera, storage) is composed by :mod:`cccd.uiapp` (the composition root); this
module only runs the window on its driver.  ``demo_user`` (the flow's scripted user,
:class:`cccd.headless.ScriptedUser`) answers one screen every ``step_ms``; ``screenshots`` saves each screen
the demo passes through.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from ui.flowbridge import FlowBridge, from_event
from ui.operator import LockoutListener, OperatorStatus
from ui.screens_service import ServiceScreen
from ui.shots import grab, save_screenshots
from ui.theme import BODY_PT, font_family
from ui.voice import Voice
from ui.window import KioskWindow

DEMO_STEP_MS = 1200
DEMO_DEADLINE_MS = 120_000


@dataclass(frozen=True, slots=True)
class WindowOptions:
    """How the window runs: kiosk mode (operator gesture and PIN), voice, receipt printing, the demo pace."""

    kiosk_mode: bool = False
    muted: bool = False
    operator_pin: str | None = None
    print_receipts: bool = False
    step_ms: int = DEMO_STEP_MS
    screenshots: Path | None = None
    counter: str = "1"  # the staffed counter's number (the configuration file's [counter] number)
    printer_queue: str = ""  # the CUPS queue for receipts ("" = the system's default printer)
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


def system_printer(image: QImage, queue: str = "") -> None:
    """Print the receipt on the CUPS ``queue`` (the system's default printer when empty), scaled to the page
    width."""
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if queue:
        printer.setPrinterName(queue)
    painter = QPainter()
    if not painter.begin(printer):
        print("ui: no printer available", file=sys.stderr)
        return
    page = printer.pageRect(QPrinter.Unit.DevicePixel)
    scaled = image.scaledToWidth(int(page.width()), Qt.TransformationMode.SmoothTransformation)
    painter.drawImage(0, 0, scaled)
    painter.end()


def run_stepped(step: Callable[[], None], every_ms: int, deadline_ms: int) -> None:
    """Call ``step`` every ``every_ms`` until the application quits, or ``deadline_ms`` passes: the event
    loop of a scripted walk through the window (benchmarks/usability.py)."""
    app = application()
    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(every_ms)
    QTimer.singleShot(deadline_ms, app.quit)
    try:
        app.exec()
    finally:
        timer.stop()


def sample_screenshots(directory: Path, profile: str,
                       photos: tuple[bytes | None, bytes | None] = (None, None)) -> int:  # fmt: skip
    """Save the sample set of every screen (``photos``: the chip photo and live capture the result screen
    shows); the number saved."""
    application()
    return len(save_screenshots(directory, profile=profile, photos=photos))


def run_window(driver: Any, options: WindowOptions, *, status: Callable[[], OperatorStatus],
               demo_user: Any | None = None, slot: Any | None = None,
               on_pin_lockout: LockoutListener | None = None,
               tickets: Any | None = None, lodging: Any | None = None) -> int:  # fmt: skip
    """Run the window on ``driver`` (a :class:`kiosk.runtime.runner.FlowDriver`) until it quits; with
    ``demo_user`` the demo walks one transaction (exit 0 when it finished).  ``slot``: the simulated card
    slot the demo user lifts the card off; ``tickets``: the thermal ticket printer (ui.ticketprint);
    ``lodging``: the guest register's actions (ui.lodging_page.RegisterActions), staff only."""
    app = application()
    voice = Voice(muted=options.muted, recordings=options.voice_dir)
    window = KioskWindow(voice=voice, kiosk=options.kiosk_mode and demo_user is None,
                         operator_pin=options.operator_pin, status=status, counter=options.counter,
                         on_pin_lockout=on_pin_lockout, ticket_printing=tickets, lodging=lodging,
                         printer=(lambda image: system_printer(image, options.printer_queue))
                         if options.print_receipts else None)  # fmt: skip
    bridge = FlowBridge(window, driver)
    window.restart_requested.connect(app.quit)
    bridge.start()
    window.start()
    demo = None
    if demo_user is not None:
        demo = DemoUser(bridge, demo_user, options.step_ms, options.screenshots, slot=slot)
        demo.timer.timeout.connect(lambda: app.quit() if demo is not None and demo.finished else None)
        QTimer.singleShot(DEMO_DEADLINE_MS, app.quit)
    app.exec()
    window.voice.stop()
    if demo is not None:
        print("ui: demo path " + " → ".join(demo.path), flush=True)
        return 0 if demo.finished else 1
    return 0

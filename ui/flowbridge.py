"""Connects a :class:`ui.window.KioskWindow` to a running kiosk flow (kiosk.runtime.runner.FlowDriver).

The Qt thread polls the driver (``process(0)``) on a timer and renders its view whenever it changes;
the window's intents become kiosk.flow.events objects posted to the driver.  The result screen gets the
chip photo and the live capture from the session (the views carry no images).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.flow import events as ev
from ui.viewmodel import Intent
from ui.widgets import bgr_to_qimage
from ui.window import KioskWindow

POLL_MS = 30
EVENTS_PER_TICK = 20


class BridgeError(ValueError):
    """An intent the flow does not know."""


def to_event(intent: Intent) -> ev.Event:
    """The kiosk.flow.events intent object for ``intent``."""
    cls = next((c for c in ev.INTENTS if c.__name__ == intent.name), None)
    if cls is None:
        raise BridgeError(f"unknown intent {intent.name!r}")
    if cls is ev.SubmitService:
        return ev.SubmitService(values=intent.fields)
    try:
        event: ev.Event = cls(**dict(intent.fields))
    except TypeError as exc:
        raise BridgeError(f"bad fields for {intent.name}") from exc
    return event


def from_event(event: ev.Event) -> Intent:
    """The inverse of :func:`to_event` (the scripted demo user goes through the window too)."""
    if isinstance(event, ev.SubmitService):
        return Intent("SubmitService", event.values)
    fields = tuple((name, str(getattr(event, name))) for name in getattr(event, "__dataclass_fields__", {}))
    return Intent(type(event).__name__, fields)


class FlowBridge(QObject):
    """Drives ``driver`` from the Qt event loop and shows its views in ``window``; ``shown`` carries each
    view once it is on the screen."""

    shown = Signal(object)
    _frame = Signal(object)

    def __init__(self, window: KioskWindow, driver: Any) -> None:
        super().__init__(window)
        self.window, self.driver = window, driver
        self._shown: Any = None
        self._spoken: tuple[str, str | None, str, int] | None = None
        window.intent.connect(self.post)
        self._frame.connect(self._show_frame)  # queued when emitted from a camera thread
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.render()

    def start(self) -> None:
        self.timer.start(POLL_MS)

    def post(self, intent: Intent) -> None:
        self.driver.post(to_event(intent))

    def tick(self) -> None:
        for _ in range(EVENTS_PER_TICK):
            self.driver.process(0.0)
            if self.driver.events.empty():
                break
        self.render()

    def render(self) -> None:
        view = self.driver.view()
        if view == self._shown:
            return
        # spoken again when the screen, its hint or language changes — or a reminder is due ("take your card")
        key = (view.state, view.hint_key, view.language, getattr(view, "reminders", 0))
        self.window.show_view(view, photos=self._photos(view), speak=key != self._spoken)
        self._shown, self._spoken = view, key
        self.shown.emit(view)

    def camera_frame(self, frame: Any) -> None:
        """A live camera frame (H×W×3 BGR array) from any thread: shown in the current screen's preview.

        For the composition root to wire to the camera once the runner exposes its frames."""
        self._frame.emit(frame)

    def _show_frame(self, frame: Any) -> None:
        self.window.show_camera_frame(bgr_to_qimage(frame))

    def _photos(self, view: Any) -> tuple[bytes | None, bytes | None]:
        if view.state != "result":
            return (None, None)
        s = self.driver.session
        chip = s.chip.photo if s.chip is not None else None
        live = s.capture.live_jpeg if s.capture is not None else None
        return (chip, live)

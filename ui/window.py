"""The kiosk window: renders one view at a time, sends intents, speaks, locks the kiosk.

Kiosk mode: full screen, frameless, always on top; closing is refused until the operator has made the
gesture (five taps in the top-left corner within four seconds, or Ctrl+Alt+O on a service keyboard) and
entered the PIN.  When the view leaves the personal states every widget of the old screen is deleted, so
nothing personal stays on the screen or in the widget tree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QImage, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ui.i18n import DEFAULT_LANGUAGE, Catalog
from ui.lodging_page import LodgingRegisterPage, RegisterActions, register_page
from ui.operator import LockoutListener, OperatorPage, PinCheck, PinLockout, PinPage, StatusProvider
from ui.screenbase import Context, Screen
from ui.screens import build_screen, title_text
from ui.theme import LARGE_TEXT, SCREEN_SIZE, hint_kind, stylesheet
from ui.viewmodel import Intent
from ui.voice import Voice
from ui.widgets import CameraPreview, big_button, label

# The person's journey in five steps ("Bước 2/5"): consent, card details, the chip, the face, the outcome.
STEPS = {"consent": 1, "key_entry": 2, "place_card": 3, "reading": 3, "face_capture": 4, "matching": 4,
         "result": 5, "service": 5, "queue_number": 5, "insurance": 5, "receipt": 5}  # fmt: skip
STEP_COUNT = 5
GESTURE_TAPS = 5
STAFF_IDLE_MS = 120_000  # the PIN, operator and register pages go back to the kiosk after this idle time
GESTURE_SECONDS = 4.0
GESTURE_CORNER_PX = 120
_TOUCH_STATES = frozenset({"attract", "wipe"})


class KioskWindow(QWidget):
    """``show_view(view)`` renders; ``intent`` carries every :class:`~ui.viewmodel.Intent` the user makes."""

    intent = Signal(object)
    restart_requested = Signal()

    def __init__(self, catalog: Catalog | None = None, *, voice: Voice | None = None, kiosk: bool = False,
                 operator_pin: str | None = None, status: StatusProvider | None = None,
                 counter: str = "1", printer: Callable[[QImage], None] | None = None,
                 on_pin_lockout: LockoutListener | None = None,
                 ticket_printing: Any | None = None,
                 lodging: RegisterActions | None = None) -> None:  # fmt: skip
        super().__init__()
        self.catalog = catalog or Catalog.load()
        self.voice = voice or Voice(muted=True)
        self.kiosk = kiosk
        self.counter = counter
        self.printer = printer
        self.ticket_printing = ticket_printing  # ui.ticketprint.TicketPrinting (thermal printer) or None
        self.large_text = False  # the person's switches on the language screen, reset for the next person
        self.slow_speech = False
        self.card_model: str | None = None  # "which card do you have?" (key entry), reset for the next person
        self._unlocked = not kiosk
        self._taps: list[float] = []
        self.view: Any = None
        self.screen_body: Screen | None = None
        self.setStyleSheet(stylesheet())
        self.setWindowTitle(self.catalog.text("app.name", DEFAULT_LANGUAGE))
        self.setFixedSize(*SCREEN_SIZE)  # kiosk mode: showFullScreen() lifts it
        self.pages = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)
        self.main = QWidget()
        self.pages.addWidget(self.main)
        self._main_layout = QVBoxLayout(self.main)
        self._main_layout.setContentsMargins(20, 8, 20, 8)
        self._main_layout.setSpacing(8)
        check = PinCheck(operator_pin) if operator_pin else None
        self.pin_page = PinPage(self.catalog, DEFAULT_LANGUAGE, check, PinLockout(on_lockout=on_pin_lockout))
        self.operator_page = OperatorPage(self.catalog, DEFAULT_LANGUAGE, status, lodging=lodging is not None)
        self.pages.addWidget(self.pin_page)
        self.pages.addWidget(self.operator_page)
        self.lodging = lodging
        self.lodging_page: LodgingRegisterPage | None = None
        if lodging is not None:  # staff only: from the operator page, which the PIN opens
            self.lodging_page = register_page(self.catalog, DEFAULT_LANGUAGE, lodging, self.show_operator)
            self.pages.addWidget(self.lodging_page)
            self.operator_page.lodging.connect(self.show_lodging)
        self.pin_page.accepted.connect(self._open_operator)
        self.pin_page.cancelled.connect(self.back_to_kiosk)
        self.operator_page.back.connect(self.back_to_kiosk)
        self.operator_page.restart.connect(self.restart_requested.emit)
        self.operator_page.exit_kiosk.connect(self._leave_kiosk)
        # A staff page left open (the register shows guests' names) goes back to the kiosk by itself.
        self.staff_idle = QTimer(self)
        self.staff_idle.setSingleShot(True)
        self.staff_idle.setTimerType(Qt.TimerType.PreciseTimer)  # a touch restarts it exactly (testable)
        self.staff_idle.setInterval(STAFF_IDLE_MS)
        self.staff_idle.timeout.connect(self._staff_idle_out)
        self.pages.currentChanged.connect(self._page_changed)
        if kiosk:
            self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)

    # --- rendering --------------------------------------------------------------------------------------

    def show_view(self, view: Any, *, photos: tuple[bytes | None, bytes | None] = (None, None),
                  speak: bool = True) -> None:  # fmt: skip
        """Replace the screen with the one for ``view`` and speak its title, hint (and consent text).

        ``photos`` (chip photo, live capture) are shown by the result screen only.  A new view of the
        state already shown (a ticked purpose, read progress, a face hint) updates the screen in place,
        so the consent text keeps its scroll position and the camera preview its picture."""
        if view.state == "attract" and (self.large_text or self.slow_speech):
            self._comfort(False, False)  # the next person starts with the defaults
        if view.state == "attract":
            self.card_model = None
        ctx = Context(self.catalog, view.language, self.send, counter=self.counter, photos=photos,
                      print_receipt=self.printer, ticket_printing=self.ticket_printing,
                      comfort=self, card_model=self.card_model, choose_card=self._choose_card)  # fmt: skip
        if self._update_in_place(view, ctx):
            if speak:
                self._speak(view, ctx)
            return
        self._clear()
        self.view = view
        top = QHBoxLayout()
        self.title = label(title_text(view, ctx), "title")
        top.addWidget(self.title, 1)
        step = STEPS.get(view.state)
        self.step_label = label(ctx.t("common.step", n=step, total=STEP_COUNT) if step else "", "step",
                                wrap=False)  # fmt: skip
        self.step_label.setVisible(step is not None)
        top.addWidget(self.step_label)
        self.mute_button = big_button(ctx.t("common.unmute" if self.voice.muted else "common.mute"),
                                      on_click=self.toggle_mute)  # fmt: skip
        top.addWidget(self.mute_button)
        self._main_layout.addLayout(top)
        self.hint = label(ctx.t(view.hint_key) if view.hint_key else "", "hint")
        self.hint.setVisible(bool(view.hint_key))
        self._style_hint(view.hint_key)
        self._main_layout.addWidget(self.hint)
        self.screen_body = build_screen(view, ctx)
        self.screen_body.changed = self._sync_ready
        self._main_layout.addWidget(self.screen_body, 1)
        self._button_row = QHBoxLayout()
        self._add_buttons(view, ctx)
        self._main_layout.addLayout(self._button_row)
        self.pages.setCurrentWidget(self.main)
        if speak:
            self._speak(view, ctx)

    def _add_buttons(self, view: Any, ctx: Context) -> None:
        self.buttons = []
        for b in view.buttons:
            if view.state in ("language", "attract") and b.intent == "ChooseLanguage":
                continue  # shown tall in the body by LanguageScreen and AttractScreen
            if view.state == "attract" and b.intent == "Touch":
                continue  # the languages start it (a tap anywhere else too)
            w = big_button(ctx.t(b.label_key), prominent=b.prominent, enabled=b.enabled,
                           on_click=self._presser(b))  # fmt: skip
            w.setProperty("button", b)
            self.buttons.append(w)
            self._button_row.addWidget(w)
        self._sync_ready()

    def _sync_ready(self) -> None:
        """A button the screen is not ready for ("Confirm" before every choice is made) is disabled."""
        body = self.screen_body
        for w in self.buttons:
            b = w.property("button")
            w.setEnabled(bool(b.enabled) and (body is None or body.ready(b.intent)))

    def _update_in_place(self, view: Any, ctx: Context) -> bool:
        old, body = self.view, self.screen_body
        if old is None or body is None or (old.state, old.language) != (view.state, view.language):
            return False
        if not body.refresh(view):
            return False
        self.view = view
        self.title.setText(title_text(view, ctx))
        self.hint.setText(ctx.t(view.hint_key) if view.hint_key else "")
        self.hint.setVisible(bool(view.hint_key))
        self._style_hint(view.hint_key)
        if old.buttons != view.buttons:
            for w in self.buttons:
                w.setParent(None)
                w.deleteLater()
            self._add_buttons(view, ctx)
        return True

    def _style_hint(self, key: str | None) -> None:
        """Red for a mistake, the calm guidance colour for everything else (ui.theme.hint_kind)."""
        self.hint.setProperty("kind", hint_kind(key))
        self.hint.style().unpolish(self.hint)
        self.hint.style().polish(self.hint)

    def _clear(self) -> None:
        """Delete every widget of the previous screen (personal data must not survive it)."""
        def drop(layout: Any) -> None:
            while layout.count():
                item = layout.takeAt(0)
                if item.widget() is not None:
                    item.widget().setParent(None)
                    item.widget().deleteLater()
                elif item.layout() is not None:
                    drop(item.layout())
                    item.layout().deleteLater()

        drop(self._main_layout)
        self.screen_body = None
        self.view = None

    def _speak(self, view: Any, ctx: Context) -> None:
        """Title, hint and the state's instruction, each with its message key (recorded prompts)."""
        title_key = "fallback.title" if view.state == "fallback" else view.title_key
        parts: list[tuple[str | None, str]] = [(title_key, title_text(view, ctx))]
        if view.hint_key:
            parts.append((view.hint_key, ctx.t(view.hint_key)))

        def key(k: str) -> None:
            parts.append((k, ctx.t(k)))

        if view.state == "consent":
            key("consent.prompt")
            parts.append((None, view.document))
        elif view.state == "fallback":
            key(view.message_key)
            if getattr(view, "take_card", False):
                key("fallback.take_card")
        elif view.state == "take_card":
            key("take_card.instruction")
        elif view.state in ("place_card", "key_entry") and getattr(view, "remove_first", False):
            key("place_card.remove_instruction")
        elif view.state == "key_entry" and "reader" in getattr(view, "methods", ()):
            key("key_entry.reader_hint")
        elif view.state == "service":
            key(f"service.prompt.{getattr(view, 'kind', '') or 'other'}")
        if view.state == "receipt" and getattr(view, "take_card", False):
            key("receipt.take_card")
        if view.state == "receipt" and getattr(view, "queue_number", None):
            number = str(view.queue_number)
            prefix, _, digits = number.partition("-")
            spoken = f"{prefix} {int(digits)}" if digits.isdigit() else number  # "NOI 17", not "NOI-017"
            parts.append(("receipt.queue_spoken",
                          ctx.t("receipt.queue_spoken", number=spoken, department=view.department or "")))
            if getattr(view, "insurance", None):  # the BHYT check's sentence, then the desk if needed
                parts.append((None, str(view.insurance)))
                if getattr(view, "insurance_counter", False):
                    key("receipt.insurance_counter")
        self.voice.say_parts(parts, view.language, self.catalog)

    def _choose_card(self, model: str) -> None:
        self.card_model = model

    def _comfort(self, large_text: bool, slow_speech: bool) -> None:
        self.large_text, self.slow_speech = large_text, slow_speech
        self.setStyleSheet(stylesheet(LARGE_TEXT if large_text else 1.0))
        self.voice.set_slow(slow_speech)

    def toggle_large_text(self) -> None:
        self._comfort(not self.large_text, self.slow_speech)

    def toggle_slow_speech(self) -> None:
        self._comfort(self.large_text, not self.slow_speech)
        if self.view is not None and self.slow_speech:
            self._speak(self.view, Context(self.catalog, self.view.language, self.send, counter=self.counter))

    def toggle_mute(self) -> None:
        self.voice.set_muted(not self.voice.muted)
        lang = self.view.language if self.view is not None else DEFAULT_LANGUAGE
        key = "common.unmute" if self.voice.muted else "common.mute"
        self.mute_button.setText(self.catalog.text(key, lang))

    # --- camera -----------------------------------------------------------------------------------------

    def show_camera_frame(self, image: QImage) -> bool:
        """Show a live camera frame in the current screen's preview (key entry scan, face capture)."""
        preview = getattr(self.screen_body, "preview", None)
        if isinstance(preview, CameraPreview) and preview.isVisibleTo(self):
            preview.show_frame(image)
            return True
        return False

    def scan_qr(self, text: str) -> bool:
        """A QR code decoded by the scanner or camera: sent as ``ScanQR`` on the key-entry screen only."""
        if self.view is None or self.view.state != "key_entry":
            return False
        self.send(Intent("ScanQR", (("text", text),)))
        return True

    # --- intents ----------------------------------------------------------------------------------------

    def send(self, intent: Intent) -> None:
        self.intent.emit(intent)

    def _presser(self, button: Any) -> Callable[[], None]:
        def pressed() -> None:
            self._pressed(button)

        return pressed

    def _pressed(self, button: Any) -> None:
        fields: tuple[tuple[str, str], ...] = ()
        if button.intent == "ChooseLanguage" and button.value is not None:
            fields = (("language", button.value),)
        elif self.screen_body is not None:
            fields = self.screen_body.fields_for(button.intent)
        self.send(Intent(button.intent, fields))

    def press(self, intent: str, value: str | None = None) -> None:
        """Press the view's button for ``intent`` (and ``value``) as a finger would (scripted demo, tests)."""
        for w in self.findChildren(QPushButton):
            b = w.property("button")
            if b is not None and b.intent == intent and (value is None or b.value == value) and w.isEnabled():
                w.click()
                return
        raise LookupError(f"no enabled {intent} button on the {self.view.state} screen")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if QRect(0, 0, GESTURE_CORNER_PX, GESTURE_CORNER_PX).contains(pos):
            self._corner_tap()
        elif self.view is not None and self.view.state in _TOUCH_STATES and self._on_main():
            self.send(Intent("Touch"))
        super().mousePressEvent(event)

    def _on_main(self) -> bool:
        return self.pages.currentWidget() is self.main

    # --- kiosk lock and operator ------------------------------------------------------------------------

    def _corner_tap(self) -> None:
        now = time.monotonic()
        self._taps = [t for t in self._taps if now - t <= GESTURE_SECONDS] + [now]
        if len(self._taps) >= GESTURE_TAPS:
            self._taps.clear()
            self.open_pin()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        if event.key() == Qt.Key.Key_O and (event.modifiers() & mods) == mods:
            self.open_pin()
            return
        super().keyPressEvent(event)

    def open_pin(self) -> None:
        self.pages.setCurrentWidget(self.pin_page)

    def _open_operator(self) -> None:
        self._unlocked = True
        self.show_operator()

    def show_operator(self) -> None:
        """The operator page with fresh status (after the PIN; directly only for screenshots and tests)."""
        self.operator_page.refresh()
        self.pages.setCurrentWidget(self.operator_page)

    def show_lodging(self) -> None:
        """The guest declaration register (a lodging kiosk's staff), from the operator page only."""
        if self.lodging_page is None or self.pages.currentWidget() is not self.operator_page:
            return
        self.lodging_page.refresh()
        self.pages.setCurrentWidget(self.lodging_page)

    def _page_changed(self, _: int) -> None:
        app = QApplication.instance()
        if self.pages.currentWidget() is self.main:
            self.staff_idle.stop()
            if app is not None:
                app.removeEventFilter(self)
            return
        self.staff_idle.start()
        if app is not None:
            app.installEventFilter(self)  # any touch or key on a staff page keeps it open

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin):
            self.staff_idle.start()
        return False

    def _staff_idle_out(self) -> None:
        if self.pages.currentWidget() is not self.main:
            self.back_to_kiosk()

    def back_to_kiosk(self) -> None:
        self._unlocked = not self.kiosk
        self.pages.setCurrentWidget(self.main)

    def _leave_kiosk(self) -> None:
        self._unlocked = True
        self.close()

    def start(self) -> None:
        """Show the window: full screen in kiosk mode."""
        if self.kiosk:
            self.setMinimumSize(0, 0)
            self.setMaximumSize(16777215, 16777215)
            self.setCursor(Qt.CursorShape.BlankCursor)  # a touch screen: no pointer on the kiosk's screen
            self.showFullScreen()
        else:
            self.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._unlocked:
            event.ignore()
            return
        self.voice.stop()
        event.accept()

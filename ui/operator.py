"""The operator's side: PIN entry after the secret gesture, and the status/restart screen."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ui.i18n import Catalog
from ui.widgets import Keypad, big_button, label

PIN_MIN_DIGITS = 6


@dataclass(frozen=True, slots=True)
class OperatorStatus:
    reader: str  # e.g. "ACS ACR1252 — card present" or "not connected"
    camera: str
    outbox_backlog: int | None
    recent_errors: tuple[str, ...] = ()
    card_left_at: str | None = None  # "HH:MM dd/mm/yyyy" (local): a card was left on the reader, still there


StatusProvider = Callable[[], OperatorStatus]


class PinCheck:
    """Holds only a salted SHA-256 of the operator PIN; compares in constant time."""

    def __init__(self, pin: str) -> None:
        if len(pin) < PIN_MIN_DIGITS or not pin.isdigit():
            raise ValueError(f"the operator PIN must be at least {PIN_MIN_DIGITS} digits")
        self._salt = hashlib.sha256(b"cccd-kiosk-operator").digest()
        self._digest = self._hash(pin)

    def _hash(self, pin: str) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", pin.encode(), self._salt, 50_000)

    def matches(self, pin: str) -> bool:
        return hmac.compare_digest(self._hash(pin), self._digest)

    def __repr__(self) -> str:
        return "PinCheck(<hidden>)"


class PinPage(QWidget):
    accepted = Signal()
    cancelled = Signal()

    def __init__(self, catalog: Catalog, language: str, check: PinCheck | None) -> None:
        super().__init__()
        self._check = check
        def t(key: str) -> str:
            return catalog.text(key, language)

        box = QVBoxLayout(self)
        box.addWidget(label(t("operator.pin_prompt"), "title"))
        self.shown = label("", "title", wrap=False)
        box.addWidget(self.shown)
        self.message = label("", "hint")
        box.addWidget(self.message)
        self.keypad = Keypad(12, t("keypad.clear"), t("keypad.delete"))
        self.keypad.changed.connect(lambda d: self.shown.setText("●" * len(d)))
        box.addWidget(self.keypad)
        row = QHBoxLayout()
        row.addWidget(big_button(t("operator.back"), on_click=self._cancel))
        row.addWidget(big_button(t("operator.ok"), prominent=True, on_click=self.submit))
        box.addLayout(row)
        self._wrong = t("operator.pin_wrong")

    def submit(self) -> None:
        ok = self._check is not None and self._check.matches(self.keypad.digits)
        self.keypad.clear()
        if ok:
            self.message.setText("")
            self.accepted.emit()
        else:
            self.message.setText(self._wrong)

    def _cancel(self) -> None:
        self.keypad.clear()
        self.message.setText("")
        self.cancelled.emit()


class OperatorPage(QWidget):
    """A card left on the reader (with the time), reader and camera status, outbox backlog, recent errors;
    restart, leave kiosk mode, back."""

    restart = Signal()
    exit_kiosk = Signal()
    back = Signal()

    def __init__(self, catalog: Catalog, language: str, provider: StatusProvider | None) -> None:
        super().__init__()
        self._provider = provider
        self._catalog, self._language = catalog, language
        box = QVBoxLayout(self)
        box.addWidget(label(self._t("operator.title"), "title"))
        self.card_left = label("", "hint")  # a card left on the reader: first, in red
        self.card_left.setVisible(False)
        box.addWidget(self.card_left)
        self.status = label("", "")
        box.addWidget(self.status, 1)
        row = QHBoxLayout()
        row.addWidget(big_button(self._t("operator.back"), on_click=self.back.emit))
        row.addWidget(big_button(self._t("operator.restart"), on_click=self.restart.emit))
        row.addWidget(big_button(self._t("operator.exit"), prominent=True, on_click=self.exit_kiosk.emit))
        box.addLayout(row)

    def _t(self, key: str) -> str:
        return self._catalog.text(key, self._language)

    def refresh(self) -> None:
        s = self._provider() if self._provider is not None else OperatorStatus("?", "?", None)
        none = self._t("operator.none")
        errors = "\n".join(f"• {e}" for e in s.recent_errors[-5:]) or none
        backlog = none if s.outbox_backlog is None else str(s.outbox_backlog)
        lines = [f"{self._t('operator.reader')}: {s.reader}", f"{self._t('operator.camera')}: {s.camera}",
                 f"{self._t('operator.outbox')}: {backlog}", f"{self._t('operator.errors')}:", errors]
        self.status.setText("\n".join(lines))
        left = self._catalog.text("operator.card_left", self._language, time=s.card_left_at)
        self.card_left.setText(f"⚠ {left}" if s.card_left_at else "")
        self.card_left.setVisible(bool(s.card_left_at))

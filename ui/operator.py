"""The operator's side: PIN entry after the secret gesture (with a lockout that grows after wrong PINs),
and the status/restart screen with the kiosk's live health checks (docs/deploy.md, "Health")."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ui.i18n import Catalog
from ui.widgets import Keypad, big_button, label

PIN_MIN_DIGITS = 6
LOCKOUT_AFTER = 3  # wrong PINs in a row before the PIN page locks
LOCKOUT_FIRST_SECONDS = 30.0  # then 60, 120, … (doubling with every further lockout)
LOCKOUT_MAX_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class HealthLine:
    """One live check as the operator sees it (the composition root maps kiosk.health's checks to these)."""

    name: str
    ok: bool
    summary: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class OperatorStatus:
    reader: str  # e.g. "ACS ACR1252 — card present" or "not connected"
    camera: str
    outbox_backlog: int | None
    recent_errors: tuple[str, ...] = ()
    card_left_at: str | None = None  # "HH:MM dd/mm/yyyy" (local): a card was left on the reader, still there
    checks: tuple[HealthLine, ...] = ()  # live checks (reader, camera, outbox, endpoints); empty: none ran
    checks_pending: bool = False  # the first checks are still running


#: Told of each lockout: (wrong PINs so far, lockout seconds, lockouts so far) — the kiosk audits it.
LockoutListener = Callable[[int, float, int], None]


class PinLockout:
    """After :data:`LOCKOUT_AFTER` wrong PINs in a row the PIN page refuses every PIN for 30 s; each further
    run of wrong PINs locks it for twice as long as the last (60 s, 120 s, … up to an hour).  A right PIN
    resets both counts.  ``clock``: monotonic seconds (tests pass their own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 on_lockout: LockoutListener | None = None) -> None:  # fmt: skip
        self.clock: Callable[[], float] = clock
        self.on_lockout = on_lockout
        self.wrong_in_a_row = 0
        self.wrong_total = 0
        self.lockouts = 0
        self._until = 0.0

    def remaining(self) -> float:
        """Seconds until a PIN is accepted for checking again (0: not locked)."""
        return max(0.0, self._until - self.clock())

    def wrong(self) -> float:
        """Count a wrong PIN; the lockout it starts in seconds (0: none)."""
        self.wrong_in_a_row += 1
        self.wrong_total += 1
        if self.wrong_in_a_row < LOCKOUT_AFTER:
            return 0.0
        seconds = float(min(LOCKOUT_MAX_SECONDS, LOCKOUT_FIRST_SECONDS * 2**self.lockouts))
        self.lockouts += 1
        self.wrong_in_a_row = 0
        self._until = self.clock() + seconds
        if self.on_lockout is not None:
            self.on_lockout(self.wrong_total, seconds, self.lockouts)
        return seconds

    def right(self) -> None:
        self.wrong_in_a_row = self.wrong_total = self.lockouts = 0
        self._until = 0.0


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

    def __init__(self, catalog: Catalog, language: str, check: PinCheck | None,
                 lockout: PinLockout | None = None) -> None:  # fmt: skip
        super().__init__()
        self._check = check
        self.lockout = lockout or PinLockout()
        self._catalog, self._language = catalog, language

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

    def _locked_text(self, seconds: float) -> str:
        return self._catalog.text("operator.pin_locked", self._language, seconds=math.ceil(seconds))

    def submit(self) -> None:
        digits = self.keypad.digits
        self.keypad.clear()
        if (left := self.lockout.remaining()) > 0:  # locked: the PIN is not even compared
            self.message.setText(self._locked_text(left))
            return
        ok = self._check is not None and self._check.matches(digits)
        if ok:
            self.lockout.right()
            self.message.setText("")
            self.accepted.emit()
            return
        seconds = self.lockout.wrong()
        self.message.setText(self._locked_text(seconds) if seconds else self._wrong)

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
    lodging = Signal()  # open the guest declaration register (a lodging kiosk's staff: ui.lodging_page)

    def __init__(self, catalog: Catalog, language: str, provider: StatusProvider | None, *,
                 lodging: bool = False) -> None:  # fmt: skip
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
        if lodging:
            row.addWidget(big_button(self._t("lodging.title"), on_click=self.lodging.emit))
        row.addWidget(big_button(self._t("operator.restart"), on_click=self.restart.emit))
        row.addWidget(big_button(self._t("operator.exit"), prominent=True, on_click=self.exit_kiosk.emit))
        box.addLayout(row)

    def _t(self, key: str) -> str:
        return self._catalog.text(key, self._language)

    def check_name(self, name: str) -> str:
        """A check's name in the page's language (issue 14: the page mixed languages): ``reader`` →
        "Đầu đọc thẻ", ``endpoint:his`` → "Kết nối his"; a name the catalogue lacks stays as it is.  The
        summary after it is the check's own technical line, for the IT person (docs/observability.md)."""
        kind, _, target = name.partition(":")
        key = f"operator.check.{kind}"
        if not self._catalog.has(key, self._language):
            return name
        return self._catalog.text(key, self._language, name=target) if target else self._t(key)

    def error_line(self, line: str) -> str:
        """A recent error (``printer: paper_out``, ``outbox: OperationalError``) with its source, and a
        printer's known problem, in the page's language."""
        source, sep, problem = line.partition(": ")
        if not sep:
            return line
        key = f"operator.printer.{problem}"
        if source == "printer" and self._catalog.has(key, self._language):
            problem = self._t(key)
        return f"{self.check_name(source)}: {problem}"

    def refresh(self) -> None:
        s = self._provider() if self._provider is not None else OperatorStatus("?", "?", None)
        none = self._t("operator.none")
        errors = "\n".join(f"• {self.error_line(e)}" for e in s.recent_errors[-5:]) or none
        backlog = none if s.outbox_backlog is None else str(s.outbox_backlog)
        if s.checks or s.checks_pending:
            lines = [f"{self._t('operator.checks')}:"]
            for c in s.checks:
                fix = "" if c.ok or not c.fix else f"\n      → {c.fix}"
                lines.append(f"{'✓' if c.ok else '✗'} {self.check_name(c.name)}: {c.summary}{fix}")
            if s.checks_pending:
                lines.append(self._t("operator.checking"))
                QTimer.singleShot(1000, self._refresh_if_shown)  # the checks run off the UI thread
        else:
            lines = [f"{self._t('operator.reader')}: {s.reader}", f"{self._t('operator.camera')}: {s.camera}"]
        lines += [f"{self._t('operator.outbox')}: {backlog}", f"{self._t('operator.errors')}:", errors]
        self.status.setText("\n".join(lines))
        left = self._catalog.text("operator.card_left", self._language, time=s.card_left_at)
        self.card_left.setText(f"⚠ {left}" if s.card_left_at else "")
        self.card_left.setVisible(bool(s.card_left_at))

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

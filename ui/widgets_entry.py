"""Typing the 12-digit ID and the birth date on one big keypad (issue 14): the digits go into the active
field, which moves on by itself — ID (12 digits) → day (2) → month (2) → year (4) — so a birth date costs 8
taps instead of up to 30 presses of − and +; a tap on a field makes it active; "delete" on an empty field
steps back into the previous one.  The result is ``dd/mm/yyyy`` (kiosk.keyentry.dates)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

from ui.theme import PRIMARY, SELECTED_BG
from ui.widgets import digit_grid

_IDLE = "border: 3px solid #000000; border-radius: 8px; padding: 2px 8px; letter-spacing: 3px;"
_ACTIVE = (f"border: 6px solid {PRIMARY}; border-radius: 8px; padding: 2px 8px; letter-spacing: 3px;"
           f" background: {SELECTED_BG};")  # fmt: skip


class DigitField(QLabel):
    """A tappable box holding up to ``length`` digits."""

    tapped = Signal()

    def __init__(self, length: int, placeholder: str = "") -> None:
        super().__init__()
        self.setObjectName("title")
        self.length, self.placeholder, self.digits = length, placeholder, ""
        self._active = False
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(64)
        self.set_active(False)
        self._show()

    def set_active(self, active: bool) -> None:
        self._active = active
        self._style()

    def _style(self) -> None:
        # the caption ("Ngày") in grey until digits are typed, so it is never taken for a value
        ink = "" if self.digits else " color: #595959; font-weight: normal; letter-spacing: 0px;"
        self.setStyleSheet((_ACTIVE if self._active else _IDLE) + ink)

    def _show(self) -> None:
        self.setText(self.digits or self.placeholder)
        self._style()

    def set_digits(self, digits: str) -> None:
        self.digits = digits[: self.length]
        self._show()

    @property
    def value(self) -> int:
        return int(self.digits) if self.digits else 0

    def set_value(self, value: int) -> None:
        self.set_digits(f"{value:0{self.length}d}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.rect().contains(event.position().toPoint()):
            self.tapped.emit()


class BirthDate:
    """The three date fields (``day``, ``month``, ``year``) as the key-entry screen reads them."""

    def __init__(self, day: DigitField, month: DigitField, year: DigitField) -> None:
        self.day, self.month, self.year = day, month, year

    def text(self) -> str:
        return f"{self.day.digits}/{self.month.digits}/{self.year.digits}"


class FieldKeypad(QWidget):
    """One 3×4 keypad for a row of :class:`DigitField` (the first is the ID); ``press``, ``delete``,
    ``clear`` and ``digits`` (the first field's) as on :class:`ui.widgets.Keypad`."""

    changed = Signal(str)

    def __init__(self, fields: list[DigitField], clear_text: str, delete_text: str) -> None:
        super().__init__()
        self.fields = fields
        self.active = 0
        digit_grid(self, self._presser, self.clear, self.delete, clear_text, delete_text)
        for i, field in enumerate(fields):
            field.tapped.connect(self._activator(i))
        self.activate(0)

    def _presser(self, digit: str) -> Callable[[], None]:
        return lambda: self.press(digit)

    def _activator(self, index: int) -> Callable[[], None]:
        return lambda: self.activate(index)

    @property
    def digits(self) -> str:
        return self.fields[0].digits

    def activate(self, index: int) -> None:
        self.active = index
        for i, f in enumerate(self.fields):
            f.set_active(i == index)

    def press(self, digit: str) -> None:
        field = self.fields[self.active]
        if not digit.isdigit():
            return
        if len(field.digits) >= field.length:
            if self.active + 1 >= len(self.fields):
                return  # the last field is full: nothing more to type
            self.activate(self.active + 1)
            field = self.fields[self.active]
        field.set_digits(field.digits + digit)
        self.changed.emit(self.digits)
        if len(field.digits) == field.length and self.active + 1 < len(self.fields):
            self.activate(self.active + 1)  # auto-advance: the next field is ready for the next tap

    def delete(self) -> None:
        field = self.fields[self.active]
        if not field.digits and self.active > 0:
            self.activate(self.active - 1)
            field = self.fields[self.active]
        field.set_digits(field.digits[:-1])
        self.changed.emit(self.digits)

    def clear(self) -> None:
        for f in self.fields:
            f.set_digits("")
        self.activate(0)
        self.changed.emit(self.digits)

    def prefill(self, id_number: str, year: int | None) -> None:
        """The ID (and the birth year it encodes) from a QR code without a birth date: the person types
        the day and the month only (4 taps)."""
        self.fields[0].set_digits(id_number)
        if year is not None and len(self.fields) > 3:
            self.fields[3].set_value(year)
        self.activate(1 if len(self.fields) > 1 else 0)
        self.changed.emit(self.digits)

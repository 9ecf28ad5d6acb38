"""The profile's service step (kiosk.flow.service) and the wait for the hospital's queue number.

* hospital: the departments as big buttons (names from the profile), then the kind of visit;
* lodging: the room on a large keypad (digits, letters behind a button), the check-in date and the
  number of nights with − and +, the check-out date that follows, the reason of stay;
* bank: what will be sent to the bank (the ID masked), "confirm" and "stop" equally prominent (the
  window's button row);
* public service: the form.

The screen keeps what the person chose until "confirm" sends it (``fields_for``); the flow validates and
answers with a hint when something is missing.  The check-out date shown here is a preview; the flow
computes the one that is recorded and shown on the receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.screenbase import Context, Screen
from ui.theme import touch_px
from ui.widgets import ChoiceStepper, RoomKeypad, big_button, label

ROOM_LENGTH = 6
DEPARTMENT_COLUMNS = 3
WIDE_FIELDS = frozenset({"full_name", "address", "place_of_origin"})  # a row of their own on the bank's list


def show_date(iso: str) -> str:
    """``2026-11-22`` → ``22/11/2026`` (the way dates are written in Vietnam, in both languages)."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


class ServiceScreen(Screen):
    """Dispatches on the view's ``kind``; ``values`` holds the person's choices until "confirm"."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.values: dict[str, str] = {f.id: f.value for f in view.fields if f.value}
        self.choice_buttons: dict[str, dict[str, QPushButton]] = {}
        self.steppers: dict[str, ChoiceStepper] = {}
        self.keypad: RoomKeypad | None = None
        self.check_out: QLabel | None = None
        kind = getattr(view, "kind", "")
        self.add_text(ctx.t("service.verified"), "ok_small")  # the result screen went by on its own
        if kind == "bank":
            self._bank()
        elif kind == "lodging":
            self._lodging()
        else:
            for i, f in enumerate(view.fields):
                if i:
                    self.box.addSpacing(16)
                self.add_text(ctx.t(f"service.field.{f.id}"), "small")
                columns = DEPARTMENT_COLUMNS if f.id == "department" else max(1, len(f.choices))
                self.box.addLayout(self._choices(f, columns, tall=f.id == "department"))
            if not view.fields:
                self.add_text(ctx.t("service.none"))
        if kind != "bank":
            self.box.addStretch(1)

    # --- building blocks ----------------------------------------------------------------------------------

    def _choice_text(self, f: Any, i: int, choice: str) -> str:
        if f.labels:
            return str(f.labels[i])
        key = f"service.choice.{choice}"
        return self.ctx.t(key) if self.ctx.catalog.has(key, self.ctx.language) else choice

    def _choices(self, f: Any, columns: int, *, tall: bool = False) -> QGridLayout:
        """Exclusive big buttons, ``columns`` per row; none is checked until chosen when there is no
        default (the department: the person must choose)."""
        grid = QGridLayout()
        grid.setSpacing(12)
        group = QButtonGroup(self)
        buttons: dict[str, QPushButton] = {}
        for i, choice in enumerate(f.choices):
            b = big_button(self._choice_text(f, i, choice))
            b.setCheckable(True)
            b.setChecked(choice == f.value)
            if tall:  # the department: the choice that matters, the biggest targets on the screen
                b.setStyleSheet(f"min-height: {touch_px() + 20}px;")
            b.clicked.connect(self._chooser(f.id, choice))
            group.addButton(b)
            grid.addWidget(b, i // columns, i % columns)
            buttons[choice] = b
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self.choice_buttons[f.id] = buttons
        return grid

    def _chooser(self, field_id: str, choice: str) -> Callable[[], None]:
        def choose() -> None:
            self.values[field_id] = choice
            self.notify()

        return choose

    def ready(self, intent: str) -> bool:
        """"Confirm" is enabled once every choice is made (nothing is preselected; issue 14)."""
        if intent != "SubmitService":
            return True
        return all(self.values.get(f.id) for f in self.view.fields if f.kind == "choice" and f.choices)

    # --- lodging ------------------------------------------------------------------------------------------

    def _lodging(self) -> None:
        t, fields = self.ctx.t, {f.id: f for f in self.view.fields}
        row = QHBoxLayout()
        row.setSpacing(28)
        left = QVBoxLayout()
        left.setSpacing(8)
        if "room" in fields:
            left.addWidget(label(t("service.field.room"), "small"))
            self.room_shown = label(fields["room"].value, "title", wrap=False)
            self.room_shown.setFixedHeight(64)
            self.room_shown.setStyleSheet("border: 3px solid #000000; padding: 2px; letter-spacing: 4px;")
            left.addWidget(self.room_shown)
            self.keypad = RoomKeypad(ROOM_LENGTH, t("service.keypad.letters"), t("service.keypad.digits"),
                                     t("keypad.delete"))  # fmt: skip
            self.keypad.set_text(fields["room"].value)
            self.keypad.changed.connect(self._room_changed)
            left.addWidget(self.keypad)
        left.addStretch(1)
        row.addLayout(left, 5)
        right = QVBoxLayout()
        right.setSpacing(8)
        if "check_in" in fields:
            right.addWidget(label(t("service.field.check_in"), "small"))
            right.addWidget(self._stepper(fields["check_in"], self._show_check_in, 360, big=False))
        if "nights" in fields:
            right.addWidget(label(t("service.field.nights"), "small"))
            right.addWidget(self._stepper(fields["nights"], str, 120))
        self.check_out = label("")
        self.check_out.setStyleSheet("font-weight: bold;")
        right.addWidget(self.check_out)
        if "reason" in fields:
            right.addWidget(label(t("service.field.reason"), "small"))
            right.addLayout(self._choices(fields["reason"], 2))
        right.addStretch(1)
        row.addLayout(right, 6)
        self.box.addLayout(row, 1)
        self._update_check_out()

    def _stepper(self, f: Any, show: Callable[[str], str], min_px: int, *, big: bool = True) -> ChoiceStepper:
        s = ChoiceStepper(f.choices, f.value, show, min_px, big=big)
        self.steppers[f.id] = s
        self.values[f.id] = s.value
        s.changed.connect(lambda value, fid=f.id: self._stepped(fid, value))
        return s

    def _stepped(self, field_id: str, value: str) -> None:
        self.values[field_id] = value
        self._update_check_out()

    def _show_check_in(self, iso: str) -> str:
        today = getattr(self.view, "today", None)
        text = show_date(iso)
        if today:
            offset = (date.fromisoformat(iso) - date.fromisoformat(today)).days
            marker = {0: "service.today", -1: "service.yesterday", 1: "service.tomorrow"}.get(offset)
            if marker:
                text += " " + self.ctx.t(marker)
        return text

    def _room_changed(self, text: str) -> None:
        self.room_shown.setText(text)
        if text:
            self.values["room"] = text
        else:
            self.values.pop("room", None)

    def _update_check_out(self) -> None:
        if self.check_out is None:
            return
        check_in, nights = self.values.get("check_in"), self.values.get("nights")
        if not check_in or not (nights or "").isdigit():
            self.check_out.setText("")
            return
        out = date.fromisoformat(check_in) + timedelta(days=int(nights or "0"))
        self.check_out.setText(self.ctx.t("service.check_out", date=show_date(out.isoformat())))

    # --- bank ---------------------------------------------------------------------------------------------

    def _bank(self) -> None:
        """What will be sent, two fields a row (names, addresses and the photos on a row of their own).
        An unusually long address makes the list scroll; the answers and what "stop" means stay in view."""
        ctx, view = self.ctx, self.view
        self.add_text(ctx.t("service.bank.intro", recipient=view.recipient))
        lines = [(ctx.t(f"service.summary.{x.field}"), ctx.t(f"service.sex.{x.value}") if x.field == "sex"
                  else x.value, x.field in WIDE_FIELDS) for x in view.summary]  # fmt: skip
        if view.sends_images:
            lines.append((ctx.t("service.summary.images"), ctx.t("service.bank.images"), True))
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(10)
        row, col = 0, 0
        for name, value, wide in lines:
            if wide and col:
                row, col = row + 1, 0
            grid.addWidget(label(name, "small"), row, col, Qt.AlignmentFlag.AlignTop)
            strong = label(value)
            strong.setStyleSheet("font-weight: bold;")
            grid.addWidget(strong, row, col + 1, 1, 3 if wide else 1, Qt.AlignmentFlag.AlignTop)
            if wide or col:
                row, col = row + 1, 0
            else:
                col = 2
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(row + 1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.summary_area = scroll
        self.box.addWidget(scroll, 1)
        self.add_text(ctx.t("service.bank.choose"), "small")

    # --- what "confirm" sends -----------------------------------------------------------------------------

    def fields_for(self, intent: str) -> tuple[tuple[str, str], ...]:
        if intent != "SubmitService":
            return ()
        order = [f.id for f in self.view.fields]
        return tuple((fid, self.values[fid]) for fid in order if fid in self.values)

    def set_values(self, values: tuple[tuple[str, str], ...]) -> None:
        """Show ``values`` as if the person had entered them (the scripted demo user fills the screen)."""
        for fid, value in values:
            if fid in self.choice_buttons and value in self.choice_buttons[fid]:
                self.choice_buttons[fid][value].click()
            elif fid in self.steppers:
                self.steppers[fid].set_value(value)
            elif fid == "room" and self.keypad is not None:
                self.keypad.set_text(value)


class QueueNumberScreen(Screen):
    """The few moments while the kiosk issues the queue number."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.add_text(ctx.t("queue_number.wait"), center=True)
        self.box.addStretch(1)


class InsuranceWaitScreen(Screen):
    """The hospital's number is issued; the BHYT check has not answered yet (a few seconds at most:
    kiosk.flow.insurance)."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.box.addStretch(1)
        self.add_text(ctx.t("insurance.wait"), center=True)
        self.box.addStretch(1)

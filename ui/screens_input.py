"""The screens where the person enters something: consent, key entry (QR, MRZ, typed).  The service step
is in :mod:`ui.screens_service`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.profiles import PURPOSE_MARK
from ui.drawings import MODELS, card_pixmap, placement_pixmap, qr_side, up_side_on_reader
from ui.screenbase import Context, Screen, _sender
from ui.screens_card import show_lift_off
from ui.viewmodel import Intent
from ui.widgets import CameraPreview, big_button, label
from ui.widgets_entry import BirthDate, DigitField, FieldKeypad


class ConsentScreen(Screen):
    """The exact consent document (scrollable, read aloud), the purposes to tick, controller, retention."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        inner = QWidget()
        col = QVBoxLayout(inner)
        # the purposes' lines of the document are the tick rows below (kiosk.profiles.PURPOSE_MARK)
        lines = [x for x in view.document.splitlines() if not x.startswith(PURPOSE_MARK)]
        if lines and lines[0] == view.controller:
            lines = lines[1:]  # the controller is named once, below ("Bên kiểm soát dữ liệu: …")
        prose = "\n".join(lines).strip()
        col.addWidget(label(prose))
        col.addWidget(label(ctx.t("consent.controller", controller=view.controller), "small"))
        col.addWidget(label(ctx.t("consent.retention", days=view.retention_days), "small"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        # A finger drags the text (kinetic scrolling), as on a phone; the scroll bar stays for the mouse.
        QScroller.grabGesture(scroll.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.document_area = scroll
        self.box.addWidget(scroll, 1)
        self.checks: list[QCheckBox] = []
        for p in view.purposes:
            text = p.text + (" " + ctx.t("consent.required") if p.required else "")
            box = QCheckBox()
            box.setProperty("purpose", p.id)
            box.setChecked(bool(p.checked))
            box.clicked.connect(_sender(ctx, Intent("TogglePurpose", (("purpose_id", p.id),))))
            self.checks.append(box)
            row = TapRow(box)  # the whole row, text included, ticks the box
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(box)
            layout.addWidget(label(text), 1)
            self.box.addWidget(row)


    def refresh(self, view: Any) -> bool:
        """Tick states change in place (the document keeps its scroll position)."""
        if [p.id for p in view.purposes] != [b.property("purpose") for b in self.checks]:
            return False
        for box, p in zip(self.checks, view.purposes, strict=True):
            box.blockSignals(True)
            box.setChecked(bool(p.checked))
            box.blockSignals(False)
        return True


class TapRow(QWidget):
    """A row whose every point toggles its check box (issue 14: not only the 58 px square)."""

    def __init__(self, box: QCheckBox) -> None:
        super().__init__()
        self.check = box

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()  # the release comes to this row (the label alone would let it pass by)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.rect().contains(event.position().toPoint()):
            self.check.click()  # clicked → TogglePurpose, exactly as a tap on the square
        super().mouseReleaseEvent(event)


class KeyEntryScreen(Screen):
    """QR scan or MRZ scan with a live preview and framing guide, or typed ID + birth date.  With the
    reader's own camera (``reader``): "lay the card on the reader, its QR code down" — the camera under the
    reader's window reads it there (docs/flow.md "Card on the reader"); while a card left by someone earlier
    lies on that reader, "lift that card off" first."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.method_buttons: dict[str, Any] = {}
        self.previews: dict[str, CameraPreview] = {}
        if getattr(view, "remove_first", False):
            show_lift_off(self)
            return
        tabs = QHBoxLayout()
        self.stack = QStackedWidget()
        group = QButtonGroup(self)
        for i, method in enumerate(view.methods):
            b = big_button(ctx.t(f"key_entry.{method}"))
            b.setCheckable(True)
            group.addButton(b, i)
            tabs.addWidget(b)
            self.method_buttons[method] = b
            self.stack.addWidget(self._typed() if method == "typed" else self._scan(method))
        group.idClicked.connect(self.stack.setCurrentIndex)
        self.box.addLayout(tabs)
        self.box.addWidget(self.stack, 1)
        prefill = getattr(view, "prefill_id", None)
        if prefill and "typed" in view.methods:  # the QR code gave the ID but no birth date (issue 14)
            self.keypad.prefill(prefill, getattr(view, "prefill_year", None))
            self.show_method("typed")
        elif view.methods:
            self.show_method(view.methods[0])

    @property
    def preview(self) -> CameraPreview | None:
        """The preview of the method shown now (``None`` on the typed-entry page)."""
        methods = list(self.method_buttons)
        return self.previews.get(methods[self.stack.currentIndex()]) if methods else None

    @property
    def on_reader(self) -> bool:
        return "reader" in self.method_buttons

    def show_method(self, method: str) -> None:
        b = self.method_buttons[method]
        b.setChecked(True)
        self.stack.setCurrentIndex(list(self.method_buttons).index(method))

    def _scan(self, method: str) -> QWidget:
        """A live preview to hold the card to; for the reader's own camera (the card face down on the
        reader, out of the person's sight) the card coming down onto the reader instead."""
        w = QWidget()
        row = QHBoxLayout(w)
        if method == "reader":
            self.placement = QLabel()
            self.placement.setAlignment(Qt.AlignmentFlag.AlignCenter)
            row.addWidget(self.placement)
        else:
            preview = self.previews[method] = CameraPreview("rect", QSize(480, 320))
            row.addWidget(preview)
        if method in ("qr", "reader"):
            row.addLayout(self._card_choice(), 1)
        else:
            row.addWidget(label(self.ctx.t(f"key_entry.{method}_hint")), 1)
        return w

    def _card_choice(self) -> QVBoxLayout:
        """"Which card do you have?": the two models as big drawings; the answer shows where its QR code
        is (the 2021 CCCD's front, the 2024 card's back; ui.drawings)."""
        ctx = self.ctx
        col = QVBoxLayout()
        col.addWidget(label(ctx.t("key_entry.which_card"), "small"))
        row = QHBoxLayout()
        group = QButtonGroup(self)
        self.card_buttons: dict[str, QPushButton] = {}
        for model in MODELS:
            b = big_button(ctx.t(f"key_entry.card_{model}_short"), on_click=self._card_chooser(model))
            b.setIcon(QIcon(card_pixmap(model, qr_side(model), 120)))
            b.setIconSize(QSize(128, 84))
            b.setCheckable(True)
            b.setStyleSheet("min-height: 104px;")
            group.addButton(b)
            row.addWidget(b)
            self.card_buttons[model] = b
        col.addLayout(row)
        self.card_picture = QLabel()
        self.card_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.card_picture)
        self.card_where = label("")
        col.addWidget(self.card_where, 1)
        self._show_card(ctx.card_model)
        return col

    def _card_chooser(self, model: str) -> Callable[[], None]:
        def choose() -> None:
            if self.ctx.choose_card is not None:
                self.ctx.choose_card(model)
            self._show_card(model)

        return choose

    def _show_card(self, model: str | None) -> None:
        """The chosen model's QR side, the QR code ringed; before a choice, the hint for both."""
        t = self.ctx.t
        reader = self.on_reader
        if reader:
            shown = model if model in MODELS else "2021"
            self.placement.setPixmap(placement_pixmap(shown, t("place_card.reader"), QSize(480, 320),
                                                      side=up_side_on_reader(shown)))  # fmt: skip
        if model not in MODELS:
            self.card_picture.clear()
            self.card_picture.setVisible(False)
            self.card_where.setText(t("key_entry.reader_hint" if reader else "key_entry.qr_hint"))
            return
        self.card_buttons[model].setChecked(True)
        self.card_picture.setPixmap(card_pixmap(model, qr_side(model), 300, highlight_qr=True))
        self.card_picture.setVisible(True)
        where = t(f"key_entry.card_{model}") + ". " + t(f"key_entry.qr_where_{model}")
        self.card_where.setText(where + (" " + t("key_entry.reader_qr_down") if reader else ""))

    def _typed(self) -> QWidget:
        """One keypad (left) for the ID and the birth date fields (right), which it fills in turn."""
        ctx = self.ctx
        w = QWidget()
        row = QHBoxLayout(w)
        self.id_shown = DigitField(12)
        self.id_shown.setFixedHeight(64)
        day = DigitField(2, ctx.t("key_entry.day"))
        month = DigitField(2, ctx.t("key_entry.month"))
        year = DigitField(4, ctx.t("key_entry.year"))
        self.birth = BirthDate(day, month, year)
        self.keypad = FieldKeypad([self.id_shown, day, month, year], ctx.t("keypad.clear"),
                                  ctx.t("keypad.delete"))  # fmt: skip
        self.keypad.setMinimumWidth(520)
        row.addWidget(self.keypad, 3)
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(label(ctx.t("key_entry.id_label"), "small"))
        right.addWidget(self.id_shown)
        right.addWidget(label(ctx.t("key_entry.birth_label"), "small"))
        dates = QHBoxLayout()
        dates.addWidget(day, 2)
        dates.addWidget(month, 2)
        dates.addWidget(year, 3)
        right.addLayout(dates)
        right.addStretch(1)
        right.addWidget(big_button(ctx.t("key_entry.submit"), prominent=True, on_click=self.submit))
        row.addLayout(right, 3)
        return w

    def submit(self) -> None:
        fields = (("id_number", self.keypad.digits), ("birth_date", self.birth.text()))
        self.ctx.send(Intent("EnterIdAndBirth", fields))

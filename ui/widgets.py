"""Reusable kiosk widgets: big buttons, numeric keypad, room keypad (digits and letters), elderly-friendly
date picker and choice stepper, camera preview with a framing guide, QR code image."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import segno
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.theme import PRIMARY, touch_px


def big_button(text: str, *, prominent: bool = False, enabled: bool = True,
               on_click: Callable[[], None] | None = None) -> QPushButton:  # fmt: skip
    b = QPushButton(text)
    b.setProperty("prominent", "true" if prominent else "false")
    b.setEnabled(enabled)
    b.setMinimumSize(touch_px(), touch_px())
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if on_click is not None:
        b.clicked.connect(on_click)
    return b


def label(text: str, name: str = "", *, wrap: bool = True, center: bool = False) -> QLabel:
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    if center:
        lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


def digit_grid(owner: QWidget, presser: Callable[[str], Callable[[], None]], clear: Callable[[], None],
               delete: Callable[[], None], clear_text: str, delete_text: str) -> QGridLayout:  # fmt: skip
    """The big 3×4 numeric keypad on ``owner``: 1–9, then clear, 0, delete."""
    grid = QGridLayout(owner)
    grid.setSpacing(8)
    grid.setContentsMargins(0, 0, 0, 0)
    for i, d in enumerate("123456789"):
        grid.addWidget(big_button(d, on_click=presser(d)), i // 3, i % 3)
    grid.addWidget(big_button(clear_text, on_click=clear), 3, 0)
    grid.addWidget(big_button("0", on_click=presser("0")), 3, 1)
    grid.addWidget(big_button(delete_text, on_click=delete), 3, 2)
    for column in range(3):
        grid.setColumnStretch(column, 1)
    return grid


class Keypad(QWidget):
    """A large 3×4 numeric keypad writing into a display label (max ``length`` digits)."""

    changed = Signal(str)

    def __init__(self, length: int, clear_text: str, delete_text: str) -> None:
        super().__init__()
        self._length = length
        self._digits = ""
        digit_grid(self, self._presser, self.clear, self.delete, clear_text, delete_text)

    def _presser(self, digit: str) -> Callable[[], None]:
        def press() -> None:
            self.press(digit)

        return press

    @property
    def digits(self) -> str:
        return self._digits

    def press(self, digit: str) -> None:
        if digit.isdigit() and len(self._digits) < self._length:
            self._digits += digit
            self.changed.emit(self._digits)

    def delete(self) -> None:
        self._digits = self._digits[:-1]
        self.changed.emit(self._digits)

    def clear(self) -> None:
        self._digits = ""
        self.changed.emit(self._digits)


class ChoiceStepper(QWidget):
    """One of ``choices`` (in order) with big − and + buttons either side of it, shown by ``show``:
    the number of nights, the check-in date.  No scrolling wheel, no calendar grid."""

    changed = Signal(str)

    def __init__(self, choices: tuple[str, ...], value: str, show: Callable[[str], str],
                 min_text_px: int = 120, *, big: bool = True) -> None:  # fmt: skip
        super().__init__()
        self._choices, self._show = choices, show
        self._index = choices.index(value) if value in choices else 0
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.minus = big_button("−", on_click=lambda: self.step(-1))
        self.plus = big_button("+", on_click=lambda: self.step(1))
        self._shown = label("", "title" if big else "", wrap=False, center=True)
        if not big:
            self._shown.setStyleSheet(f"font-weight: bold; color: {PRIMARY};")
        self._shown.setMinimumWidth(min_text_px)
        row.addWidget(self.minus)
        row.addWidget(self._shown, 1)
        row.addWidget(self.plus)
        self._update()

    @property
    def value(self) -> str:
        return self._choices[self._index] if self._choices else ""

    def set_value(self, value: str) -> None:
        if value in self._choices:
            self._index = self._choices.index(value)
            self._update()

    def step(self, delta: int) -> None:
        self._index = min(len(self._choices) - 1, max(0, self._index + delta))
        self._update()

    def _update(self) -> None:
        self._shown.setText(self._show(self.value))
        self.minus.setEnabled(self._index > 0)
        self.plus.setEnabled(self._index < len(self._choices) - 1)
        self.changed.emit(self.value)


class RoomKeypad(QWidget):
    """Digits, and a second page of letters (A–Z) behind a button, for a room number of up to ``length``
    characters (hotel rooms such as ``305`` or ``B12``)."""

    changed = Signal(str)

    def __init__(self, length: int, letters_text: str, digits_text: str, delete_text: str) -> None:
        super().__init__()
        self._length = length
        self._text = ""
        self.pages = QStackedWidget()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.pages)
        digits = QWidget()
        grid = QGridLayout(digits)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, d in enumerate("123456789"):
            grid.addWidget(big_button(d, on_click=self._presser(d)), i // 3, i % 3)
        grid.addWidget(big_button(letters_text, on_click=lambda: self.pages.setCurrentIndex(1)), 3, 0)
        grid.addWidget(big_button("0", on_click=self._presser("0")), 3, 1)
        grid.addWidget(big_button(delete_text, on_click=self.delete), 3, 2)
        letters = QWidget()
        lgrid = QGridLayout(letters)
        lgrid.setSpacing(6)
        lgrid.setContentsMargins(0, 0, 0, 0)
        for i, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            lgrid.addWidget(big_button(ch, on_click=self._presser(ch)), i // 7, i % 7)
        lgrid.addWidget(big_button(digits_text, on_click=lambda: self.pages.setCurrentIndex(0)), 4, 0, 1, 3)
        lgrid.addWidget(big_button(delete_text, on_click=self.delete), 4, 3, 1, 4)
        self.pages.addWidget(digits)
        self.pages.addWidget(letters)

    def _presser(self, key: str) -> Callable[[], None]:
        def press() -> None:
            self.press(key)

        return press

    @property
    def text(self) -> str:
        return self._text

    def press(self, key: str) -> None:
        if len(key) == 1 and key.isascii() and key.isalnum() and len(self._text) < self._length:
            self._text += key.upper()
            self.changed.emit(self._text)

    def delete(self) -> None:
        self._text = self._text[:-1]
        self.changed.emit(self._text)

    def set_text(self, text: str) -> None:
        self._text = ""
        for ch in text:
            self.press(ch)
        self.changed.emit(self._text)


class CameraPreview(QWidget):
    """The live camera picture with a framing guide: ``"rect"`` for a QR code / MRZ, ``"oval"`` for a face.

    Frames arrive as QImages (:meth:`show_frame`); without one the guide is drawn on a dark panel.
    ``arrow`` (``"left"``/``"right"``) draws a big challenge arrow beside the guide.
    """

    def __init__(self, guide: str, size: QSize | None = None) -> None:
        super().__init__()
        self._guide = guide
        self._frame: QImage | None = None
        self.arrow: str | None = None
        self.setFixedSize(size or QSize(560, 420))

    def show_frame(self, image: QImage | None) -> None:
        self._frame = image
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        p.fillRect(r, QColor("#202020"))
        if self._frame is not None and not self._frame.isNull():
            p.drawImage(r, self._frame.mirrored(True, False) if self._guide == "oval" else self._frame)
        pen = QPen(QColor("#FFD400"), 8)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        if self._guide == "oval":
            p.drawEllipse(r.center(), r.width() * 0.22, r.height() * 0.38)
        else:
            p.drawRoundedRect(r.adjusted(r.width() * 0.2, r.height() * 0.15, -r.width() * 0.2,
                                         -r.height() * 0.15), 16, 16)  # fmt: skip
        if self.arrow in ("left", "right"):
            self._draw_arrow(p, r, self.arrow)
        p.end()

    @staticmethod
    def _draw_arrow(p: QPainter, r: QRectF, side: str) -> None:
        # The preview is mirrored: the user's own left is on the screen's left.
        sign = -1.0 if side == "left" else 1.0
        cx, cy, s = r.center().x() + sign * r.width() * 0.36, r.center().y(), r.height() * 0.12
        tip = QPointF(cx + sign * s, cy)
        poly = QPolygonF([tip, QPointF(cx - sign * s * 0.2, cy - s), QPointF(cx - sign * s * 0.2, cy + s)])
        path = QPainterPath()
        path.addPolygon(poly)
        p.setPen(Qt.PenStyle.NoPen)
        p.fillPath(path, QColor("#FFD400"))


def bgr_to_qimage(frame: Any) -> QImage:
    """A camera frame (H×W×3 uint8 BGR array, OpenCV's layout) as a QImage (a copy: frames are reused)."""
    h, w = int(frame.shape[0]), int(frame.shape[1])
    data = bytes(frame.tobytes())
    return QImage(data, w, h, 3 * w, QImage.Format.Format_BGR888).copy()


def qr_pixmap(text: str, edge: int = 320) -> QPixmap:
    """The QR code of ``text`` (segno, error correction M) scaled to ``edge`` pixels, quiet zone included."""
    code = segno.make(text, error="m", micro=False)
    w, h = (int(v) for v in code.symbol_size(border=4))
    img = QImage(w, h, QImage.Format.Format_Grayscale8)
    img.fill(255)
    for y, row in enumerate(code.matrix_iter(border=4)):
        for x, dark in enumerate(row):
            if dark:
                img.setPixel(x, y, 0xFF000000)
    return QPixmap.fromImage(img.scaled(edge, edge, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.FastTransformation))  # fmt: skip


def photo_pixmap(data: bytes | None, edge: int = 300) -> QPixmap | None:
    """A JPEG/PNG/JPEG 2000 photo scaled to ``edge``; ``None`` when it cannot be decoded.

    Qt 6 has no JPEG 2000 reader (the chip's DG2 often is one, ICAO 9303-10 §4.7.2): Pillow converts it."""
    if not data:
        return None
    img = QImage.fromData(data)
    if img.isNull():
        img = _via_pillow(data)
    if img.isNull():
        return None
    return QPixmap.fromImage(img.scaled(edge, edge, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation))  # fmt: skip


def _via_pillow(data: bytes) -> QImage:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            out = io.BytesIO()
            im.convert("RGB").save(out, "PNG")
    except (UnidentifiedImageError, OSError, ValueError):
        return QImage()
    return QImage.fromData(out.getvalue())


def card_picture(reader_text: str, card_text: str, size: QSize | None = None) -> QPixmap:
    """A drawing of the reader with the card lying on it, an arrow showing where the card goes."""
    size = size or QSize(520, 300)
    pm = QPixmap(size)
    pm.fill(QColor("#FFFFFF"))
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    w, h = size.width(), size.height()
    draw_reader_and_card(
        p, QRectF(w * 0.1, h * 0.45, w * 0.8, h * 0.5), 0.55, reader_text,
        QRectF(w * 0.27, h * 0.05, w * 0.46, h * 0.55), card_text, font_size=20,
    )  # fmt: skip
    p.end()
    return pm


def draw_reader_and_card(
    p: QPainter, reader: QRectF, label_drop: float, reader_text: str, card: QRectF, card_text: str, *,
    font_size: int,
) -> None:  # fmt: skip
    """The reader (dark, its name ``label_drop`` of its height down) and the ID card above or on it."""
    p.setBrush(QColor("#444444"))
    p.setPen(QPen(QColor("#000000"), 3))
    p.drawRoundedRect(reader, 18, 18)
    font = p.font()
    font.setPointSize(font_size)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#FFFFFF"))
    label = reader.adjusted(0, reader.height() * label_drop, 0, 0)
    p.drawText(label, Qt.AlignmentFlag.AlignCenter, reader_text)
    p.setBrush(QColor("#CFE3FF"))
    p.setPen(QPen(QColor(PRIMARY), 4))
    p.drawRoundedRect(card, 14, 14)
    p.drawText(card, Qt.AlignmentFlag.AlignCenter, card_text)

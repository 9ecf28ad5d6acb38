"""The card at the end of a transaction: "please take your ID card" (kiosk.flow.takecard), and the
animation of a card being lifted off the reader (also used by "lift the card off first" on the place-card
screen, when a card left by someone earlier lies on the reader)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPixmap, QPolygonF
from PySide6.QtWidgets import QLabel

from ui.screenbase import Context, Screen
from ui.theme import PRIMARY
from ui.widgets import draw_reader_and_card

FRAME_MS = 60  # the animation's frame interval
CYCLE_FRAMES = 30  # 1.8 s: the card rises for 2/3 of the cycle, then stays up
STILL_LIFT = 0.7  # the first frame (and the screenshots): the card well above the reader


def take_card_picture(reader_text: str, card_text: str, lift: float, size: QSize | None = None) -> QPixmap:
    """The reader with the card ``lift`` (0: lying on it … 1: high above it) and arrows pointing up."""
    size = size or QSize(620, 420)
    pm = QPixmap(size)
    pm.fill(QColor("#FFFFFF"))
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    w, h = size.width(), size.height()
    rest, top = h * 0.40, h * 0.02
    lift = max(0.0, min(1.0, lift))
    card = QRectF(w * 0.27, rest - lift * (rest - top), w * 0.46, h * 0.40)
    draw_reader_and_card(p, QRectF(w * 0.1, h * 0.58, w * 0.8, h * 0.38), 0.45, reader_text, card, card_text,
                         font_size=24)  # fmt: skip
    for x in (w * 0.16, w * 0.84):
        _arrow_up(p, QPointF(x, h * 0.05), QPointF(x, h * 0.52), w * 0.07)
    p.end()
    return pm


def _arrow_up(p: QPainter, tip: QPointF, tail: QPointF, width: float) -> None:
    head = width * 1.1
    shaft = width * 0.4
    poly = QPolygonF([
        tip, QPointF(tip.x() + width, tip.y() + head), QPointF(tip.x() + shaft, tip.y() + head),
        QPointF(tail.x() + shaft, tail.y()), QPointF(tail.x() - shaft, tail.y()),
        QPointF(tip.x() - shaft, tip.y() + head), QPointF(tip.x() - width, tip.y() + head),
    ])  # fmt: skip
    path = QPainterPath()
    path.addPolygon(poly)
    p.setPen(Qt.PenStyle.NoPen)
    p.fillPath(path, QColor(PRIMARY))


class LiftAnimation(QLabel):
    """The card rising off the reader, over and over (the timer belongs to the label: deleting the screen
    stops it)."""

    def __init__(self, reader_text: str, card_text: str) -> None:
        super().__init__()
        self._texts = (reader_text, card_text)
        self.frame = round(STILL_LIFT * CYCLE_FRAMES * 2 / 3)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._draw()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.advance)
        self.timer.start(FRAME_MS)

    @property
    def lift(self) -> float:
        rising = CYCLE_FRAMES * 2 / 3
        x = min(1.0, self.frame / rising)
        return x * x * (3 - 2 * x)  # ease in and out

    def advance(self) -> None:
        self.frame = (self.frame + 1) % CYCLE_FRAMES
        self._draw()

    def _draw(self) -> None:
        self.setPixmap(take_card_picture(*self._texts, self.lift))


def show_lift_off(screen: Screen) -> None:
    """"Lift off the card on the reader" — a card left by someone earlier (the place-card step, and key
    entry on a reader with its own camera): what to do, and the card rising off the reader."""
    t = screen.ctx.t
    screen.add_text(t("place_card.remove_instruction"))
    screen.box.addWidget(LiftAnimation(t("place_card.reader"), t("place_card.card")), 1)


class TakeCardScreen(Screen):
    """"Please take your ID card": what to do, the card rising off the reader.  The title says it big;
    the reminder (the flow's hint) comes back every ten seconds, spoken and in red."""

    def __init__(self, view: Any, ctx: Context) -> None:
        super().__init__(view, ctx)
        self.add_text(ctx.t("take_card.instruction"), "title", center=True)
        self.animation = LiftAnimation(ctx.t("place_card.reader"), ctx.t("place_card.card"))
        self.box.addWidget(self.animation, 1)

    def refresh(self, view: Any) -> bool:
        """A reminder: the same screen (the animation runs on), the window updates the hint."""
        self.view = view
        return True

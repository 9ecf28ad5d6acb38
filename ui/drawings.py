"""Vector illustrations drawn with QPainter paths (issue 14; docs/ui.md "Illustrations"): the two card
models and where their QR code is, the card on the reader, and how to face the camera.

Both card models are ID-1 cards (85.6 × 54 mm); everything is drawn in that card's millimetres and scaled.
What is on which side follows docs/card-2024.md: the 2021 CCCD has its QR code on the front, top right
(docs/cccd-chip.md §5); the 2024 "thẻ căn cước" (Law on Identification 2023, Circular 16/2024/TT-BCA)
has the QR code and the chip on the back.  The drawings are schematic — positions, not a facsimile (no
emblem, no real text: grey bars stand for the printed lines).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from ui.theme import PRIMARY

CARD_MM = (85.6, 54.0)
HIGHLIGHT = QColor("#E07000")  # the QR code's ring: orange, not the error red (a guide, not a fault)
CARD_2021 = QColor("#DCEBFA")  # pale blue (the 2021 CCCD's background tint)
CARD_2024 = QColor("#E4F2E4")  # pale green (the 2024 card's)
INK = QColor("#1A1A1A")
BARS = QColor("#9AA3AD")
MODELS = ("2021", "2024")


def _canvas(size: QSize) -> tuple[QPixmap, QPainter]:
    pm = QPixmap(size)
    pm.fill(QColor("#FFFFFF"))
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pm, p


def _qr(p: QPainter, r: QRectF) -> None:
    """A QR symbol: three finder squares and a fixed scatter of modules (not a readable code)."""
    p.fillRect(r, QColor("#FFFFFF"))
    m = r.width() / 21
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(INK)
    for fx, fy in ((0, 0), (14, 0), (0, 14)):
        outer = QRectF(r.x() + fx * m, r.y() + fy * m, 7 * m, 7 * m)
        path = QPainterPath()
        path.addRect(outer)
        path.addRect(outer.adjusted(m, m, -m, -m))
        p.drawPath(path)
        p.drawRect(outer.adjusted(2 * m, 2 * m, -2 * m, -2 * m))
    for i in range(80):
        x, y = (i * 7 + 3) % 21, (i * 11 + 5) % 21
        if (x < 8 and y < 8) or (x > 12 and y < 8) or (x < 8 and y > 12):
            continue
        p.drawRect(QRectF(r.x() + x * m, r.y() + y * m, m, m))


def _chip(p: QPainter, r: QRectF) -> None:
    """The chip's contact plate: gold, with its contact lines."""
    p.setPen(QPen(QColor("#8A6A00"), max(1.0, r.width() / 40)))
    p.setBrush(QColor("#E9C54A"))
    p.drawRoundedRect(r, r.width() / 6, r.width() / 6)
    p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()))
    for k in (1, 2):
        y = r.top() + r.height() * k / 3
        p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))


def _bars(p: QPainter, x: float, y: float, widths: tuple[float, ...], s: float) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(BARS)
    for i, w in enumerate(widths):
        p.drawRoundedRect(QRectF(x, y + i * 6.5 * s, w * s, 3.2 * s), 1.5 * s, 1.5 * s)


def draw_card(p: QPainter, r: QRectF, model: str, side: str, *, highlight_qr: bool = False) -> None:
    """One card model's ``side`` ("front"/"back") into ``r`` (kept at the card's proportions)."""
    s = min(r.width() / CARD_MM[0], r.height() / CARD_MM[1])
    card = QRectF(r.x(), r.y(), CARD_MM[0] * s, CARD_MM[1] * s)
    p.setPen(QPen(INK, max(2.0, 0.6 * s)))
    p.setBrush(CARD_2021 if model == "2021" else CARD_2024)
    p.drawRoundedRect(card, 3.2 * s, 3.2 * s)
    x0, y0 = card.x(), card.y()
    qr: QRectF | None = None
    if side == "front":
        # a title bar, the photo on the left, the printed lines beside it
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#B03030"))
        p.drawEllipse(QPointF(x0 + 9 * s, y0 + 9 * s), 5 * s, 5 * s)  # the emblem's place
        _bars(p, x0 + 20 * s, y0 + 5 * s, (40, 30), s)
        p.setPen(QPen(INK, max(1.0, 0.4 * s)))
        p.setBrush(QColor("#F4F4F4"))
        photo = QRectF(x0 + 5 * s, y0 + 18 * s, 20 * s, 26 * s)
        p.drawRect(photo)
        p.setBrush(QColor("#8C8C8C"))
        p.drawEllipse(QPointF(photo.center().x(), photo.y() + 9 * s), 5 * s, 6 * s)  # a head
        p.drawChord(QRectF(photo.x() + 3 * s, photo.y() + 16 * s, 14 * s, 16 * s), 0, 180 * 16)
        _bars(p, x0 + 30 * s, y0 + 20 * s, (44, 36, 40, 28), s)
        if model == "2021":
            qr = QRectF(x0 + 66 * s, y0 + 3 * s, 16 * s, 16 * s)  # front, top right
        else:
            _chip_symbol(p, QRectF(x0 + 70 * s, y0 + 5 * s, 10 * s, 8 * s), s)
    else:
        if model == "2024":
            _chip(p, QRectF(x0 + 6 * s, y0 + 8 * s, 12 * s, 10 * s))
            qr = QRectF(x0 + 65 * s, y0 + 3 * s, 17 * s, 17 * s)  # back: the QR code
            _bars(p, x0 + 22 * s, y0 + 6 * s, (36, 30, 34), s)
        else:
            _bars(p, x0 + 6 * s, y0 + 6 * s, (50, 44, 40), s)
        # the three MRZ lines at the bottom of the back
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#5A5A5A"))
        for i in range(3):
            p.drawRect(QRectF(x0 + 5 * s, y0 + (36 + i * 5.2) * s, 75 * s, 2.6 * s))
    if qr is not None:
        _qr(p, qr)
        if highlight_qr:
            pen = QPen(HIGHLIGHT, max(3.0, 1.3 * s))
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(qr.center(), qr.width() * 0.85, qr.height() * 0.85)


def _chip_symbol(p: QPainter, r: QRectF, s: float) -> None:
    """The 2024 front's printed chip symbol (the chip itself is on the back)."""
    p.setPen(QPen(QColor("#6A6A6A"), max(1.0, 0.4 * s)))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(r, 1.5 * s, 1.5 * s)


def card_pixmap(model: str, side: str, width: int, *, highlight_qr: bool = False) -> QPixmap:
    """A card model's side, ``width`` pixels wide (for buttons and guidance)."""
    height = round(width * CARD_MM[1] / CARD_MM[0])
    pad = round(width * 0.06)  # room for the ring around the QR code in the corner
    pm, p = _canvas(QSize(width + 2 * pad, height + 2 * pad))
    draw_card(p, QRectF(pad, pad, width, height), model, side, highlight_qr=highlight_qr)
    p.end()
    return pm


def qr_side(model: str) -> str:
    """Where the QR code is: the front of the 2021 CCCD, the back of the 2024 card."""
    return "front" if model == "2021" else "back"


def up_side_on_reader(model: str) -> str:
    """The side that faces up when the QR code side lies face down on a reader with its own camera."""
    return "back" if qr_side(model) == "front" else "front"


def placement_pixmap(model: str | None, reader_text: str, size: QSize | None = None,
                     side: str = "front") -> QPixmap:  # fmt: skip
    """The reader with its lit area and the card coming down onto it (an arrow): the front up for both
    models (the 2024 card's chip side, the back, faces the reader); ``side``: the side seen from above
    (a reader with its own camera reads the QR code side, laid face down: :func:`up_side_on_reader`)."""
    size = size or QSize(560, 320)
    pm, p = _canvas(size)
    w, h = size.width(), size.height()
    reader = QRectF(w * 0.08, h * 0.58, w * 0.84, h * 0.36)
    p.setPen(QPen(INK, 3))
    p.setBrush(QColor("#444444"))
    p.drawRoundedRect(reader, 18, 18)
    lit = QRectF(w * 0.3, h * 0.6, w * 0.4, h * 0.16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#FFE680"))
    p.drawRoundedRect(lit, 8, 8)
    font = p.font()
    font.setPointSize(18)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#FFFFFF"))
    p.drawText(reader.adjusted(0, reader.height() * 0.5, 0, 0), Qt.AlignmentFlag.AlignCenter, reader_text)
    card = QRectF(w * 0.3, h * 0.04, w * 0.4, w * 0.4 * CARD_MM[1] / CARD_MM[0])
    draw_card(p, card, model or "2021", side)
    _arrow_down(p, QPointF(w * 0.8, h * 0.12), QPointF(w * 0.8, h * 0.56))
    _arrow_down(p, QPointF(w * 0.2, h * 0.12), QPointF(w * 0.2, h * 0.56))
    p.end()
    return pm


def _arrow_down(p: QPainter, a: QPointF, b: QPointF) -> None:
    p.setPen(QPen(QColor(PRIMARY), 8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(a, QPointF(b.x(), b.y() - 16))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(PRIMARY))
    p.drawPolygon(QPolygonF([QPointF(b.x() - 18, b.y() - 22), QPointF(b.x() + 18, b.y() - 22), b]))


def face_guide_pixmap(size: QSize | None = None) -> QPixmap:
    """How to face the camera: the camera above, a head looking straight at it inside the oval, the line
    of sight; no hat, no sunglasses."""
    size = size or QSize(260, 300)
    pm, p = _canvas(size)
    w, h = size.width(), size.height()
    cam = QRectF(w * 0.38, h * 0.02, w * 0.24, h * 0.1)  # the camera
    p.setPen(QPen(INK, 3))
    p.setBrush(QColor("#333333"))
    p.drawRoundedRect(cam, 6, 6)
    p.setBrush(QColor("#7FB2FF"))
    p.drawEllipse(cam.center(), cam.height() * 0.3, cam.height() * 0.3)
    oval = QRectF(w * 0.18, h * 0.2, w * 0.64, h * 0.76)
    guide = QPen(QColor("#C89B00"), 5)
    guide.setStyle(Qt.PenStyle.DashLine)
    p.setPen(guide)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(oval)
    head = QRectF(w * 0.3, h * 0.3, w * 0.4, h * 0.46)
    p.setPen(QPen(INK, 3))
    p.setBrush(QColor("#F2D2B6"))
    p.drawEllipse(head)
    eye_y = head.y() + head.height() * 0.42
    p.setBrush(INK)
    for ex in (0.33, 0.67):
        p.drawEllipse(QPointF(head.x() + head.width() * ex, eye_y), 5, 5)
    mouth = QRectF(head.x() + head.width() * 0.32, head.y() + head.height() * 0.6, head.width() * 0.36,
                   head.height() * 0.18)  # fmt: skip
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(mouth, 200 * 16, 140 * 16)
    sight = QPen(QColor(PRIMARY), 3)
    sight.setStyle(Qt.PenStyle.DotLine)
    p.setPen(sight)
    p.drawLine(QPointF(w * 0.5, cam.bottom() + 4), QPointF(w * 0.5, head.y() - 4))
    p.end()
    return pm

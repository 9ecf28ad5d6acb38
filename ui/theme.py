"""Accessibility constants: body text ≥ 24 pt, high contrast, touch targets ≥ 15 mm."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

BODY_PT = 24  # issue 6: body text at least 24 pt
TITLE_PT = 34
SMALL_PT = 24  # even the staff's reason code stays readable
TOUCH_MM = 15.0  # minimum touch target edge
SCREEN_SIZE = (1280, 800)  # the reference kiosk panel (landscape); layouts also fit portrait 800×1280

INK = "#000000"
PAPER = "#FFFFFF"
PRIMARY = "#003C8F"  # white on this: contrast 10.6:1
SUCCESS = "#0B5D1E"
DANGER = "#9B0000"  # errors only (issue 14: guidance is never red)
GUIDE = "#00574B"  # guidance ("turn your head", "hold the card still"): a calm dark teal, 8.2:1 on paper
SELECTED_BG = "#DCE9FA"  # a chosen option: pale fill and a thick border, unlike the filled action button
MUTED = "#333333"
# Hints that report a mistake (red); every other hint is guidance (GUIDE).
ERROR_HINTS = ("key_entry.invalid_", "key_entry.check_key", "consent.required_missing",
               "consent.unknown_purpose", "language.unsupported", "service.invalid")  # fmt: skip


def hint_kind(key: str | None) -> str:
    """``"error"`` for a hint that reports a mistake, ``"guide"`` for guidance."""
    return "error" if key and key.startswith(ERROR_HINTS) else "guide"

_FAMILIES = ("Noto Sans", "DejaVu Sans")


def font_family() -> str:
    """A family with Vietnamese glyphs (Noto Sans from fonts-noto-core, else DejaVu Sans)."""
    available = set(QFontDatabase.families())
    return next((f for f in _FAMILIES if f in available), QFont().defaultFamily())


def mm_to_px(widget: QWidget | None, mm: float) -> int:
    screen = widget.screen() if widget is not None else QApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
    return round(mm / 25.4 * max(dpi, 96.0))


def touch_px() -> int:
    """The minimum touch-target edge in pixels (15 mm at the screen's physical DPI, never under 72 px)."""
    return max(mm_to_px(None, TOUCH_MM), 72)


LARGE_TEXT = 1.25  # the large-text mode the person can switch on (issue 14): body 30 pt, titles 42 pt


def stylesheet(scale: float = 1.0) -> str:
    """The kiosk's style; a button's outer edge (content + padding + border) is at least :func:`touch_px`.
    ``scale``: :data:`LARGE_TEXT` in the large-text mode."""
    t = touch_px()
    body, title, small = (round(pt * scale) for pt in (BODY_PT, TITLE_PT, SMALL_PT))
    return f"""
    QWidget {{ background: {PAPER}; color: {INK}; font-family: "{font_family()}"; font-size: {body}pt; }}
    QLabel#title {{ font-size: {title}pt; font-weight: bold; color: {PRIMARY}; }}
    QLabel#hint {{ color: {GUIDE}; font-weight: bold; }}
    QLabel#hint[kind="error"] {{ color: {DANGER}; }}
    QLabel#step {{ color: {PRIMARY}; font-weight: bold; border: 3px solid {PRIMARY}; border-radius: 12px;
                   padding: 4px 14px; }}
    QLabel#small {{ color: {MUTED}; font-size: {small}pt; }}
    QLabel#ok {{ color: {SUCCESS}; font-weight: bold; font-size: {title}pt; }}
    QLabel#ok_small {{ color: {SUCCESS}; font-weight: bold; }}
    QLabel#fail {{ color: {DANGER}; font-weight: bold; font-size: {title}pt; }}
    QPushButton {{ min-height: {t - 18}px; min-width: {t - 42}px; padding: 6px 18px;
                   border: 3px solid {PRIMARY}; border-radius: 12px; background: {PAPER}; color: {PRIMARY};
                   font-weight: bold; }}
    QPushButton[prominent="true"] {{ background: {PRIMARY}; color: {PAPER}; }}
    QPushButton:disabled {{ border-color: #767676; color: #595959; background: #E6E6E6; }}
    QPushButton:checked {{ background: {SELECTED_BG}; color: {INK}; border: 6px solid {PRIMARY}; }}
    QCheckBox::indicator {{ width: {t - 12}px; height: {t - 12}px; }}
    QCheckBox {{ min-height: {t}px; }}
    QProgressBar {{ min-height: {t // 2}px; border: 3px solid {PRIMARY}; border-radius: 8px;
                    text-align: center; }}
    QProgressBar::chunk {{ background: {PRIMARY}; }}
    QScrollBar:vertical {{ width: {t // 2}px; }}
    """

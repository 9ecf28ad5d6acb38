"""The drawn illustrations and "which card do you have?" (issue 14; ui/drawings.py), and the typed entry
prefilled from a QR code without a birth date."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from kiosk.flow import events as ev
from ui.drawings import (
    HIGHLIGHT,
    card_pixmap,
    face_guide_pixmap,
    placement_pixmap,
    qr_side,
    up_side_on_reader,
)
from ui.flowbridge import to_event
from ui.i18n import Catalog
from ui.samples import sample_views
from ui.screens_input import KeyEntryScreen
from ui.window import KioskWindow


def _sample(lang: str, name: str) -> object:
    return next(s for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


def _has(pm: object, colour: QColor, box: tuple[float, float, float, float]) -> bool:
    """Whether ``colour`` appears in the part ``box`` (fractions of the picture) of a pixmap."""
    img = pm.toImage()  # type: ignore[attr-defined]
    x0, y0, x1, y1 = (round(f * d) for f, d in zip(box, (img.width(), img.height()) * 2, strict=True))
    return any(img.pixelColor(x, y).rgb() == colour.rgb() for x in range(x0, x1) for y in range(y0, y1))


def test_each_model_shows_its_qr_code_where_it_is(qtbot: QtBot) -> None:
    assert (qr_side("2021"), qr_side("2024")) == ("front", "back")
    black = QColor("#1A1A1A")
    top_right = (0.72, 0.1, 0.9, 0.4)
    for model in ("2021", "2024"):
        pm = card_pixmap(model, qr_side(model), 400, highlight_qr=True)
        assert _has(pm, black, top_right) and _has(pm, HIGHLIGHT, (0.6, 0.0, 1.0, 0.55)), model
    assert not _has(card_pixmap("2024", "front", 400), black, top_right)  # no QR code on that front
    chip = QColor("#E9C54A")
    assert _has(card_pixmap("2024", "back", 400), chip, (0.0, 0.1, 0.3, 0.4))  # the chip is on the back
    assert not face_guide_pixmap().isNull() and not placement_pixmap("2024", "Đầu đọc").isNull()


def test_which_card_answer_is_kept_for_the_placement(qtbot: QtBot) -> None:
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.show()
    w.show_view(_sample("vi", "key_entry-qr").view, speak=False)  # type: ignore[attr-defined]
    body = w.screen_body
    assert isinstance(body, KeyEntryScreen) and body.card_picture.isHidden()
    assert not any(b.isChecked() for b in body.card_buttons.values())  # nothing preselected
    body.card_buttons["2024"].click()
    assert w.card_model == "2024" and not body.card_picture.isHidden()
    assert "mặt sau" in body.card_where.text()
    w.show_view(_sample("vi", "place_card").view, speak=False)  # type: ignore[attr-defined]
    texts = [x.text() for x in w.findChildren(QLabel)]
    assert w.catalog.text("place_card.instruction_2024", "vi") in texts
    w.show_view(_sample("vi", "attract").view, speak=False)  # type: ignore[attr-defined]
    assert w.card_model is None  # the next person answers again


def test_a_qr_code_without_birth_date_prefills_the_typed_entry(qtbot: QtBot) -> None:
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.show()
    got: list[object] = []
    w.intent.connect(got.append)
    w.show_view(_sample("vi", "key_entry-qr_birth").view, speak=False)  # type: ignore[attr-defined]
    body = w.screen_body
    assert isinstance(body, KeyEntryScreen)
    QApplication.processEvents()
    assert body.stack.currentIndex() == list(body.method_buttons).index("typed")
    assert body.keypad.digits == "079303001234" and body.birth.year.digits == "2003"
    for d in "1503":  # the day and the month: four taps
        body.keypad.press(d)
    body.submit()
    assert to_event(got[-1]) == ev.EnterIdAndBirth("079303001234", "15/03/2003")  # type: ignore[arg-type]


def test_a_reader_with_its_own_camera_shows_the_card_laid_qr_code_down(qtbot: QtBot) -> None:
    """docs/flow.md "Card on the reader": no camera preview to hold the card to — the card coming down onto
    the reader with the side opposite the QR code up, and where the QR code is for the chosen model."""
    assert (up_side_on_reader("2021"), up_side_on_reader("2024")) == ("back", "front")
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.show()
    sample = _sample("vi", "key_entry-reader")
    w.show_view(sample.view, speak=False)  # type: ignore[attr-defined]
    body = w.screen_body
    assert isinstance(body, KeyEntryScreen) and body.on_reader and body.preview is None
    assert list(body.method_buttons) == ["reader", "typed"]
    assert body.method_buttons["reader"].isChecked() and not body.placement.pixmap().isNull()
    assert w.catalog.text("key_entry.reader_hint", "vi") in body.card_where.text()  # nothing chosen yet
    body.card_buttons["2024"].click()
    assert "Úp mặt có mã QR xuống đầu đọc" in body.card_where.text() and "mặt sau" in body.card_where.text()
    w.show_view(_sample("vi", "key_entry-reader_remove_first").view, speak=False)  # type: ignore[attr-defined]
    texts = [x.text() for x in w.findChildren(QLabel)]
    assert w.catalog.text("place_card.remove_instruction", "vi") in texts
    assert isinstance(w.screen_body, KeyEntryScreen) and not w.screen_body.method_buttons  # nothing to scan


def test_a_reader_camera_key_entry_is_spoken(qtbot: QtBot) -> None:
    spoken: list[list[tuple[str | None, str]]] = []
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.voice.say_parts = lambda parts, *a, **k: spoken.append(list(parts))  # type: ignore[method-assign]
    w.show_view(_sample("vi", "key_entry-reader").view)  # type: ignore[attr-defined]
    w.show_view(_sample("vi", "key_entry-reader_remove_first").view)  # type: ignore[attr-defined]
    keys = [[k for k, _ in parts] for parts in spoken]
    assert keys[0] == ["place_card.title", "key_entry.reader_hint"]
    assert keys[1] == ["place_card.title_remove", "place_card.remove_first", "place_card.remove_instruction"]

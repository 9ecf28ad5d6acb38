"""Issue 14's screen cleanup: whole-row tap targets and finger scrolling on the consent screen, guidance in
a calm colour (red only for mistakes), chosen options unlike action buttons, the step indicator."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QScroller
from pytestqt.qtbot import QtBot

from ui.i18n import Catalog
from ui.samples import sample_views
from ui.screens_input import ConsentScreen, TapRow
from ui.theme import hint_kind, stylesheet
from ui.viewmodel import Intent
from ui.window import KioskWindow


def _sample(lang: str, name: str) -> Any:
    return next(s.view for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


def _window(qtbot: QtBot) -> KioskWindow:
    w = KioskWindow(Catalog.load())
    qtbot.addWidget(w)
    w.show()
    return w


def test_a_tap_on_the_text_of_a_consent_row_ticks_it(qtbot: QtBot) -> None:
    w = _window(qtbot)
    got: list[Intent] = []
    w.intent.connect(got.append)
    w.show_view(_sample("vi", "consent"), speak=False)
    QApplication.processEvents()
    body = w.screen_body
    assert isinstance(body, ConsentScreen)
    row = next(r for r in body.findChildren(TapRow) if r.isVisibleTo(w))
    text = next(x for x in row.findChildren(QLabel))
    middle = QPoint(text.width() // 2, text.height() // 2)
    qtbot.mouseClick(text, Qt.MouseButton.LeftButton, pos=middle)  # type: ignore[no-untyped-call]
    assert [i.name for i in got] == ["TogglePurpose"]
    assert QScroller.hasScroller(body.document_area.viewport())  # the document follows a finger


def test_guidance_is_calm_and_mistakes_are_red(qtbot: QtBot) -> None:
    assert hint_kind("face.turn_left") == "guide" and hint_kind("key_entry.mrz_glare") == "guide"
    assert hint_kind("key_entry.check_key") == "error"
    assert hint_kind("key_entry.invalid_mrzformaterror") == "error"
    w = _window(qtbot)
    w.show_view(_sample("en", "face_capture-quality"), speak=False)
    assert w.hint.property("kind") == "guide"
    w.show_view(_sample("en", "consent-missing"), speak=False)
    assert w.hint.property("kind") == "error"
    css = stylesheet()
    assert 'QLabel#hint[kind="error"]' in css and "QPushButton:checked" in css


def test_the_step_indicator(qtbot: QtBot) -> None:
    w = _window(qtbot)
    w.show_view(_sample("vi", "key_entry-typed"), speak=False)
    QApplication.processEvents()
    assert w.step_label.text() == "Bước 2/5" and w.step_label.isVisibleTo(w)
    w.show_view(_sample("en", "language"), speak=False)
    QApplication.processEvents()
    assert not w.step_label.isVisibleTo(w)


def test_large_text_and_slower_speech_switches_on_the_first_screen(qtbot: QtBot, tmp_path: Any) -> None:
    from PySide6.QtWidgets import QPushButton

    from ui.voice import RATE_WPM, SLOW_RATE_WPM, Voice

    w = KioskWindow(Catalog.load(), voice=Voice(muted=True))
    qtbot.addWidget(w)
    w.show()
    w.show_view(_sample("vi", "language"), speak=False)
    QApplication.processEvents()
    buttons = {b.text(): b for b in w.findChildren(QPushButton) if b.isVisibleTo(w)}
    buttons["Chữ to hơn"].click()
    buttons["Đọc chậm hơn"].click()
    assert w.large_text and w.slow_speech and w.voice.rate == SLOW_RATE_WPM
    assert "font-size: 30pt" in w.styleSheet() and buttons["Chữ to hơn"].isChecked()
    w.show_view(_sample("vi", "consent"), speak=False)  # the modes stay for this person's transaction
    assert "font-size: 30pt" in w.styleSheet()
    w.show_view(_sample("vi", "attract"), speak=False)  # the next person starts with the defaults
    assert not w.large_text and w.voice.rate == RATE_WPM and "font-size: 24pt" in w.styleSheet()

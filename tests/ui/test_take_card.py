"""The card at the end of a transaction on the screen: "please take your ID card" (animation, reminders
spoken again), the counter's reminder, a card left on the reader on the attract loop, the place-card
screen's "lift it off first", and the operator's status."""

from __future__ import annotations

import queue
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.flow import events as ev
from kiosk.flow.model import State
from kiosk.flow.table import step
from kiosk.flow.views import TakeCardView, render
from tests.kiosk.flow.helpers import NOW, taken, timeout, walk_to
from ui.flowbridge import FlowBridge
from ui.operator import OperatorStatus
from ui.samples import sample_views
from ui.screens_card import LiftAnimation, TakeCardScreen
from ui.voice import Voice
from ui.window import KioskWindow


def _window(qtbot: QtBot, **kwargs: Any) -> KioskWindow:
    w = KioskWindow(**kwargs)
    qtbot.addWidget(w)
    w.show()
    return w


def _show(w: KioskWindow, view: Any) -> None:
    w.show_view(view, speak=False)
    QApplication.processEvents()


def _texts(w: KioskWindow) -> str:
    return "\n".join(lab.text() for lab in w.findChildren(QLabel) if lab.isVisibleTo(w))


def _sample(lang: str, name: str) -> Any:
    return next(s.view for s in sample_views(lang) if s.name.split("-", 1)[1] == name)


def test_take_card_screen_animates_and_offers_no_button(qtbot: QtBot) -> None:
    w = _window(qtbot)
    walk = walk_to(State.TAKE_CARD)
    view = render(walk.s, walk.c)
    assert isinstance(view, TakeCardView)
    _show(w, view)
    body = w.screen_body
    assert isinstance(body, TakeCardScreen)
    texts = _texts(w)
    assert "Mời Quý khách lấy lại thẻ căn cước" in texts
    assert w.catalog.text("take_card.instruction", "vi") in texts
    assert [b for b in w.findChildren(QPushButton) if b.isVisibleTo(w)] == [w.mute_button]
    first = body.animation.frame
    qtbot.waitUntil(lambda: body.animation.frame != first, timeout=2000)  # the card rises, again and again
    lifts = set()
    for _ in range(30):
        body.animation.advance()
        lifts.add(round(body.animation.lift, 2))
    assert min(lifts) == 0.0 and max(lifts) == 1.0
    assert w.catalog.missing == set()


def test_a_reminder_updates_the_screen_in_place_and_is_spoken_again(qtbot: QtBot) -> None:
    voice = Voice("/bin/true")
    w = _window(qtbot, voice=voice)
    walk = walk_to(State.TAKE_CARD)

    class Driver:  # the bridge's view of kiosk.runtime.runner.FlowDriver
        events: queue.Queue[ev.Event] = queue.Queue()
        session = walk.s

        def process(self, wait: float = 0.0) -> bool:
            return False

        def view(self) -> Any:
            return render(self.session, walk.c)

    driver = Driver()
    bridge = FlowBridge(w, driver)
    assert voice.spoken == 1 and isinstance(w.screen_body, TakeCardScreen)
    body, animation = w.screen_body, w.screen_body.animation
    driver.session = step(walk.s, timeout(walk.s), walk.c, NOW).session  # the first reminder
    bridge.render()
    assert voice.spoken == 2  # spoken again: same state, a new reminder
    assert w.screen_body is body and body.animation is animation  # the animation runs on
    assert w.hint.isVisibleTo(w) and w.hint.text() == "Thẻ căn cước của Quý khách vẫn còn trên đầu đọc."
    driver.session = step(driver.session, timeout(driver.session), walk.c, NOW).session
    bridge.render()
    assert voice.spoken == 3
    driver.session = step(driver.session, taken(driver.session), walk.c, NOW).session
    bridge.render()
    assert w.view.state == "wipe" and voice.spoken == 4
    voice.stop()


def test_the_counter_reminds_the_person_to_take_the_card(qtbot: QtBot, tmp_path: Path) -> None:
    said = tmp_path / "said.txt"
    engine = tmp_path / "tts"
    engine.write_text(f'#!/bin/sh\necho "$@" >> {said}\n')
    engine.chmod(0o755)
    voice = Voice(str(engine))
    w = _window(qtbot, voice=voice)
    view = _sample("en", "fallback")
    assert view.take_card
    w.show_view(view)
    QApplication.processEvents()
    assert "Remember to take your ID card with you." in _texts(w)
    spoken = "Remember to take your ID card"
    qtbot.waitUntil(lambda: said.exists() and spoken in said.read_text(), timeout=5000)
    _show(w, replace(view, take_card=False))  # nothing was placed (e.g. consent refused)
    assert "Remember to take your ID card" not in _texts(w)


def test_a_card_left_on_the_reader_before_the_next_person(qtbot: QtBot) -> None:
    w = _window(qtbot)
    _show(w, _sample("vi", "attract-card_left"))
    assert w.hint.isVisibleTo(w) and "bị bỏ quên trên đầu đọc" in w.hint.text()
    _show(w, _sample("en", "place_card-remove_first"))
    texts = _texts(w)
    assert "Please lift off the card on the reader" in texts
    assert "There is already a card on the reader" in texts and "hand it to the staff" in texts
    assert "placements left" not in texts
    assert len(w.findChildren(LiftAnimation)) == 1
    _show(w, _sample("en", "place_card"))
    assert "Place your card on the reader" in _texts(w) and not w.findChildren(LiftAnimation)


def test_the_operator_sees_a_card_left_on_the_reader(qtbot: QtBot) -> None:
    status = [OperatorStatus("reader", "camera", 0, card_left_at="08:52 22/11/2026")]
    w = _window(qtbot, status=lambda: status[0])
    w.show_operator()
    page = w.operator_page
    assert page.card_left.isVisibleTo(w)
    assert page.card_left.text() == "⚠ Có thẻ bị bỏ quên trên đầu đọc lúc 08:52 22/11/2026 (thẻ vẫn còn đó)"
    status[0] = OperatorStatus("reader", "camera", 0)  # taken since
    w.show_operator()
    assert not page.card_left.isVisibleTo(w)


def test_kiosk_status_shows_the_local_time_of_a_left_card() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from cccd.uiapp import UIOptions, card_left_time, kiosk_status
    from kiosk.flow.model import Session

    at = datetime(2026, 11, 22, 1, 52, tzinfo=UTC)
    assert card_left_time(Session(card_left_at=at)) == "08:52 22/11/2026"  # Vietnam, UTC+7
    assert card_left_time(Session()) is None
    store = SimpleNamespace(counts=lambda: {"pending": 1, "dead": 0})
    kiosk = SimpleNamespace(store=store, driver=SimpleNamespace(session=Session(card_left_at=at)))
    assert kiosk_status(kiosk, UIOptions()).card_left_at == "08:52 22/11/2026"

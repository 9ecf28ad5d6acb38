"""Key entry on a reader with its own camera (docs/flow.md "Card on the reader"): the card laid on the reader
once gives the key and the chip — pure table tests."""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import State
from kiosk.flow.table import initial
from kiosk.flow.views import KeyEntryView, PlaceCardView, render
from tests.kiosk.flow.helpers import (
    NOW,
    QR,
    Walk,
    card,
    chip,
    config,
    read_failed,
    read_ok,
    taken,
    timeout,
    to_key_entry,
)


def _reader(profile: str = "hospital") -> Walk:
    return Walk(replace(config(profile), reader_camera=True))


def _since(w: Walk, n: int) -> list[fx.Effect]:
    return w.effects[n:]


def test_key_entry_asks_for_the_card_on_the_reader_and_its_camera_looks_there() -> None:
    w = to_key_entry(_reader())
    scans = [e for e in w.effects if isinstance(e, fx.StartQRScan)]
    assert scans == [fx.StartQRScan(w.s.op, on_reader=True)]
    view = render(w.s, w.c)
    assert isinstance(view, KeyEntryView)
    assert view.methods == ("reader", "typed") and view.title_key == "place_card.title"
    assert not view.remove_first


def test_the_card_found_by_the_reader_camera_gives_the_key_then_the_chip_is_read_at_once() -> None:
    w = to_key_entry(_reader())
    w(card)  # the runner saw the card on the reader before looking at it
    assert w.at() is State.KEY_ENTRY and w.s.card_seen
    n = len(w.effects)
    w(ev.ScanQR(QR))
    assert w.at() is State.PLACE_CARD and w.s.hint == "place_card.keep"
    new = _since(w, n)
    assert any(isinstance(e, fx.CancelOperation) for e in new)  # the scan stops
    wait = [e for e in new if isinstance(e, fx.WaitForCard)]
    assert wait == [fx.WaitForCard(w.s.op)]
    view = render(w.s, w.c)
    assert isinstance(view, PlaceCardView) and view.hint_key == "place_card.keep"
    w(card)
    assert w.at() is State.READING
    w(read_ok(chip("authentic", ())))
    assert w.at() is State.FACE_CAPTURE


def test_a_typed_key_still_works_and_asks_for_the_card_as_before() -> None:
    w = to_key_entry(_reader())
    w(ev.EnterIdAndBirth("079303001234", "15/06/2003"))
    assert w.at() is State.PLACE_CARD and w.s.hint is None  # nothing was on the reader yet
    assert isinstance(w.effects[-1], fx.WaitForCard)


def test_stopping_after_the_card_was_laid_down_asks_for_it_back() -> None:
    w = to_key_entry(_reader())
    w(card, ev.Cancel())
    assert w.at() is State.TAKE_CARD
    assert isinstance(w.effects[-1], fx.WaitForCardRemoval)


def test_stopping_before_any_card_was_seen_needs_no_card_back() -> None:
    w = to_key_entry(_reader())
    w(ev.Cancel())
    assert w.at() is State.WIPE


def test_the_counter_after_the_card_was_laid_down_asks_for_it_back_at_the_end() -> None:
    w = to_key_entry(_reader())
    w(card, ev.AskForHelp())
    assert w.at() is State.FALLBACK
    view = render(w.s, w.c)
    assert getattr(view, "take_card", False)
    w(ev.Done())
    assert w.at() is State.TAKE_CARD


def test_a_card_left_by_someone_earlier_is_lifted_off_before_the_camera_looks() -> None:
    c = replace(config("hospital"), reader_camera=True)
    w = Walk(c)
    w.s = initial(c, card_left_at=NOW).session
    to_key_entry(w)
    assert w.at() is State.KEY_ENTRY and w.s.remove_first
    assert not any(isinstance(e, fx.StartQRScan) for e in w.effects)  # nobody else's card is read
    assert isinstance(w.effects[-1], fx.WaitForCardRemoval)
    view = render(w.s, w.c)
    assert isinstance(view, KeyEntryView) and view.remove_first
    assert view.title_key == "place_card.title_remove" and view.hint_key == "place_card.remove_first"
    n = len(w.effects)
    w(taken)
    new = _since(w, n)
    assert fx.Audit("flow.card_left_taken", "CARD_LEFT_ON_READER") in new
    assert [e for e in new if isinstance(e, fx.StartQRScan)] == [fx.StartQRScan(w.s.op, on_reader=True)]
    assert not w.s.card_left and not w.s.remove_first and w.s.hint is None
    w(card, ev.ScanQR(QR), card)
    assert w.at() is State.READING  # the person's own card, not asked off again


def test_the_left_card_lifted_off_while_more_time_is_asked() -> None:
    c = replace(config("hospital"), reader_camera=True)
    w = Walk(c)
    w.s = initial(c, card_left_at=NOW).session
    to_key_entry(w)
    w(timeout)
    assert w.at() is State.STILL_THERE
    w(taken)
    assert w.at() is State.KEY_ENTRY and not w.s.remove_first
    assert isinstance(w.effects[-1], fx.StartQRScan)


def test_a_key_the_chip_refuses_is_typed_next_not_read_again_from_the_same_card() -> None:
    w = to_key_entry(_reader())
    w(card, ev.ScanQR(QR), card)
    n = len(w.effects)
    for _ in range(10):
        if w.at() is not State.READING:
            break
        w(read_failed("access_denied"))
    assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.check_key"
    assert not any(isinstance(e, fx.StartQRScan) for e in _since(w, n))
    view = render(w.s, w.c)
    assert isinstance(view, KeyEntryView) and view.methods == ("typed",)
    assert view.title_key == "key_entry.title"


def test_without_a_reader_camera_key_entry_is_unchanged() -> None:
    w = to_key_entry(Walk(config("hospital")))
    assert [e for e in w.effects if isinstance(e, fx.StartQRScan)] == [fx.StartQRScan(w.s.op)]
    view = render(w.s, w.c)
    assert isinstance(view, KeyEntryView) and view.methods == ("qr", "mrz", "typed")
    assert view.title_key == "key_entry.title"


def test_a_card_read_while_more_time_is_asked_is_not_lost() -> None:
    """The camera keeps looking under "do you need more time?": its key is taken, the person is there."""
    w = to_key_entry(_reader())
    w(timeout)
    assert w.at() is State.STILL_THERE
    w(card, ev.ScanQR(QR))
    assert w.at() is State.PLACE_CARD and w.s.key is not None and w.s.resume is None
    w(card)
    assert w.at() is State.READING


def test_a_camera_key_under_more_time_elsewhere_is_ignored() -> None:
    w = to_key_entry(_reader())
    w(card, ev.ScanQR(QR), card, read_ok(chip("authentic", ())))
    assert w.at() is State.FACE_CAPTURE
    w = to_key_entry(Walk(config("hospital")))
    w(ev.ScanQR(QR), timeout)
    assert w.at() is State.STILL_THERE and w.s.resume is State.PLACE_CARD
    before = w.s
    w(ev.ScanQR(QR))
    assert w.s == before


def test_the_reader_cameras_guidance() -> None:
    """No code seen on the card lying there: "turn it over"; a code it cannot read: "lay it flat, QR code
    down" — never the hand-held camera's "hold it closer to the light"."""
    w = to_key_entry(_reader())
    w(card, ev.MRZUnreadable("turn_over"))
    assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.reader_turn_over" and w.s.key_errors == 0
    w(ev.MRZUnreadable("glare"))
    assert w.s.hint == "key_entry.reader_unreadable"
    held = to_key_entry(Walk(config("hospital")))
    held(ev.MRZUnreadable("glare"))
    assert held.s.hint == "key_entry.mrz_glare"


def test_a_broken_camera_says_type_instead_in_both_designs() -> None:
    for w in (to_key_entry(_reader()), to_key_entry(Walk(config("hospital")))):
        w(ev.MRZUnreadable("camera_unavailable"))
        assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.camera_unavailable"
        assert w.s.key_errors == 0  # not the person's mistake

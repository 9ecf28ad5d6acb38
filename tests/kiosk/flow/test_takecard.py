"""The card at the end of a transaction ("please take your ID card", reminders, a card left on the reader)
and at the next place-card step (a card left there earlier is lifted off first) — pure table tests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import MACHINE_WAIT_STATES, USER_WAIT_STATES, Limits, Reason, State, Timeouts
from kiosk.flow.table import initial, step
from kiosk.flow.views import FallbackView, PlaceCardView, TakeCardView, render
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
    walk_to,
)


def _left(w: Walk) -> Walk:
    """Let every reminder go unanswered until the card counts as left."""
    for _ in range(100):
        if w.at() is not State.TAKE_CARD:
            return w
        w(timeout)
    raise AssertionError("take_card never ended")


def _effects_since(w: Walk, n: int) -> list[fx.Effect]:
    return w.effects[n:]


def test_receipt_done_asks_to_take_the_card_after_the_wipe() -> None:
    w = walk_to(State.RECEIPT)
    n = len(w.effects)
    w(ev.Done())
    assert w.at() is State.TAKE_CARD
    new = _effects_since(w, n)
    kinds = [type(e) for e in new]
    # the receipt's own watch on the card stops; the take-card step watches with a token of its own
    assert kinds == [fx.StartTimer, fx.Speak, fx.CancelOperation, fx.Wipe, fx.WaitForCardRemoval]
    assert new[0] == fx.StartTimer(w.s.timer, w.c.timeouts.take_card)
    assert new[1] == fx.Speak("take_card.prompt", "vi")
    persist = next(e for e in w.effects if isinstance(e, fx.PersistAndDeliver))
    assert w.effects.index(persist) < w.effects.index(new[3])  # stored before the wipe (storage FIFO)
    wipe, wait = new[3], new[4]
    assert isinstance(wipe, fx.Wipe) and isinstance(wait, fx.WaitForCardRemoval)
    assert wait.op == w.s.op and wipe.op is not None and wipe.op < wait.op  # the wait outlives the wipe
    # nothing personal is kept while the card is on the reader
    assert w.s.key is None and w.s.chip is None and w.s.capture is None and w.s.face is None
    view = render(w.s, w.c)
    assert isinstance(view, TakeCardView) and view.buttons == () and view.reminders == 0
    assert view.title_key == "take_card.title" and view.hint_key is None
    w = walk_to(State.RECEIPT)(lambda s: ev.Persisted(s.persist_op or 0, "01REF", "verified"), ev.Done(),
                               taken)  # fmt: skip
    assert w.at() is State.WIPE and w.s.reference == "01REF" and w.s.record_status == "verified"
    assert len([e for e in w.effects if isinstance(e, fx.Wipe)]) == 1
    w(ev.Touch())
    assert w.at() is State.ATTRACT and not w.s.card_left and w.s.hint is None


def test_a_late_record_answer_is_kept_on_the_take_card_screen() -> None:
    """"Done" before the record is stored: its answer arrives on the take-card screen (whose wait for the
    card has a newer token) and is kept for the goodbye."""
    w = walk_to(State.RECEIPT)
    persist_op = w.s.persist_op or 0
    w(ev.Done())
    assert w.s.op != persist_op and w.s.persist_op == persist_op
    assert not step(w.s, ev.Persisted(w.s.op, "01REF", "verified"), w.c, NOW).handled  # not the record's
    w(ev.Persisted(persist_op, "01REF", "verified"))
    assert w.at() is State.TAKE_CARD and w.s.reference == "01REF" and w.s.record_status == "verified"
    w(taken)
    assert w.at() is State.WIPE and w.s.reference == "01REF"
    w = walk_to(State.READING)(read_ok(chip("not_authentic", ("DG13_HASH_MISMATCH",))), ev.Done())
    assert w.at() is State.TAKE_CARD
    assert w.s.persist_op is not None
    w(ev.PersistFailed(w.s.persist_op, "disk"))  # the person is leaving: noted, not the counter
    assert w.at() is State.TAKE_CARD and w.s.record_status == "storage_failed"


def test_reminders_every_interval_then_the_card_is_left_on_the_reader() -> None:
    w = walk_to(State.TAKE_CARD)
    interval, limit = w.c.timeouts.take_card, w.c.limits.card_left_after
    assert (interval, limit) == (10.0, 90.0)
    wait_op = w.s.op
    for i in range(1, int(limit / interval)):
        n = len(w.effects)
        w(timeout)
        assert w.at() is State.TAKE_CARD and w.s.reminders == i and w.s.hint == "take_card.reminder"
        reminder = [fx.StartTimer(w.s.timer, interval), fx.Speak("take_card.reminder", "vi")]
        assert _effects_since(w, n) == reminder
        view = render(w.s, w.c)
        assert isinstance(view, TakeCardView) and view.reminders == i
        assert view.hint_key == "take_card.reminder"
    n = len(w.effects)
    w(timeout)  # 90 s after the first prompt
    assert w.at() is State.WIPE and w.s.card_left and w.s.card_left_at == NOW
    new = _effects_since(w, n)
    assert fx.CancelOperation(wait_op) in new
    audits = [e for e in new if isinstance(e, fx.Audit)]
    assert audits == [fx.Audit("flow.card_left", "CARD_LEFT_ON_READER")]  # a code, no personal data
    assert not any(isinstance(e, fx.Wipe) for e in new)  # wiped when take_card began


def test_the_interval_and_the_limit_are_configuration() -> None:
    c = replace(config(), timeouts=Timeouts(take_card=15.0), limits=Limits(card_left_after=40.0))
    w = Walk(c)
    to_key_entry(w)(ev.ScanQR(QR), card, ev.Cancel())
    assert w.at() is State.TAKE_CARD
    assert [e for e in w.effects if isinstance(e, fx.StartTimer)][-1].seconds == 15.0
    w(timeout, timeout)  # 15 s, 30 s: reminders
    assert w.at() is State.TAKE_CARD and w.s.reminders == 2
    w(timeout)  # 45 s ≥ 40 s
    assert w.at() is State.WIPE and w.s.card_left


def test_the_left_card_is_announced_watched_and_cleared_on_the_attract_loop() -> None:
    w = _left(walk_to(State.TAKE_CARD))
    n = len(w.effects)
    w(timeout)  # the goodbye's timer
    assert w.at() is State.ATTRACT and w.s.card_left and w.s.hint == "attract.card_left"
    watch = [e for e in _effects_since(w, n) if isinstance(e, fx.WaitForCardRemoval)]
    assert watch == [fx.WaitForCardRemoval(w.s.op)]
    assert render(w.s, w.c).hint_key == "attract.card_left"
    n = len(w.effects)
    w(taken)  # the owner came back, or the staff took it to the counter
    assert w.at() is State.ATTRACT and not w.s.card_left and w.s.hint is None
    assert _effects_since(w, n) == [fx.Audit("flow.card_left_taken", "CARD_LEFT_ON_READER")]


def test_the_next_person_lifts_the_left_card_off_before_placing_theirs() -> None:
    w = _left(walk_to(State.TAKE_CARD))(timeout)
    attract_watch = w.s.op
    n = len(w.effects)
    to_key_entry(w)
    assert fx.CancelOperation(attract_watch) in _effects_since(w, n)  # the attract loop's watch stops
    n = len(w.effects)
    w(ev.ScanQR(QR))
    assert w.at() is State.PLACE_CARD and w.s.remove_first and w.s.hint == "place_card.remove_first"
    new = _effects_since(w, n)
    assert fx.WaitForCardRemoval(w.s.op) in new and not any(isinstance(e, fx.WaitForCard) for e in new)
    view = render(w.s, w.c)
    assert isinstance(view, PlaceCardView) and view.remove_first
    assert not step(w.s, ev.CardPresent(w.s.op - 1), w.c, NOW).handled  # stale
    held = step(w.s, ev.CardPresent(w.s.op), w.c, NOW)  # never posted for this op; would not be read
    assert held.session.state is State.PLACE_CARD and held.effects == ()
    n = len(w.effects)
    w(taken)
    assert w.at() is State.PLACE_CARD and not w.s.remove_first and not w.s.card_left and w.s.hint is None
    new = _effects_since(w, n)
    assert fx.WaitForCard(w.s.op) in new and fx.Audit("flow.card_left_taken", "CARD_LEFT_ON_READER") in new
    w(card)
    assert w.at() is State.READING and w.s.card_seen


def test_more_time_over_the_place_card_step_is_answered_by_the_card() -> None:
    w = _left(walk_to(State.TAKE_CARD))(timeout)
    to_key_entry(w)(ev.ScanQR(QR), timeout)
    assert w.at() is State.STILL_THERE and w.s.resume is State.PLACE_CARD and w.s.remove_first
    assert step(w.s, ev.CardPresent(w.s.op), w.c, NOW).session.state is State.STILL_THERE  # not read
    w(taken)  # lifting the card off answers "do you need more time?"
    assert w.at() is State.PLACE_CARD and not w.s.remove_first and w.s.resume is None
    w(timeout)
    assert w.at() is State.STILL_THERE
    w(card)  # and so does placing the card
    assert w.at() is State.READING and w.s.resume is None
    w = to_key_entry(Walk(config()))(ev.ScanQR(QR), timeout, card)
    assert w.at() is State.READING


def test_cancel_at_the_remove_first_step_is_not_asked_to_take_someone_elses_card() -> None:
    w = _left(walk_to(State.TAKE_CARD))(timeout)
    to_key_entry(w)(ev.ScanQR(QR), ev.Cancel())
    assert w.at() is State.WIPE and w.s.card_left  # still there: the next attract loop says so
    w(ev.Touch())
    assert w.at() is State.ATTRACT and w.s.hint == "attract.card_left"


def test_cancel_while_asked_to_place_the_card_checks_the_reader() -> None:
    """The person may have just placed it: take_card (the runner answers at once if the reader is empty)."""
    w = walk_to(State.PLACE_CARD)(ev.Cancel())
    assert w.at() is State.TAKE_CARD
    w(taken)
    assert w.at() is State.WIPE and not w.s.card_left


@pytest.mark.parametrize(("state", "ends"), [(State.LANGUAGE, State.WIPE), (State.CONSENT, State.WIPE),
                                             (State.KEY_ENTRY, State.WIPE),
                                             (State.READING, State.TAKE_CARD)])  # fmt: skip
def test_only_transactions_with_a_card_ask_for_it(state: State, ends: State) -> None:
    w = walk_to(state)(ev.Cancel())
    assert w.at() is ends


def test_the_counter_reminds_to_take_the_card_then_asks_for_it() -> None:
    w = walk_to(State.READING)(read_failed("not_icao"))
    view = render(w.s, w.c)
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.NOT_A_CHIP_CARD
    assert isinstance(view, FallbackView) and view.take_card
    w(ev.Done())
    assert w.at() is State.TAKE_CARD
    w = walk_to(State.CONSENT)(ev.RefuseConsent())
    view = render(w.s, w.c)
    assert isinstance(view, FallbackView) and not view.take_card
    w(ev.Done())
    assert w.at() is State.WIPE


def test_a_card_on_the_reader_at_start_up_is_nobodys() -> None:
    c = config()
    first = initial(c, card_left_at=NOW)
    s = first.session
    assert s.state is State.ATTRACT and s.card_left and s.hint == "attract.card_left"
    assert fx.WaitForCardRemoval(s.op) in first.effects
    assert not initial(c).session.card_left


def test_the_left_card_survives_transactions_until_taken() -> None:
    w = _left(walk_to(State.TAKE_CARD))(timeout)
    left_at = w.s.card_left_at
    w(ev.Touch(), ev.Cancel(), ev.Touch())  # someone touches the screen and stops at once
    assert w.at() is State.ATTRACT and w.s.card_left_at == left_at


def test_take_card_is_no_user_wait_and_no_machine_wait() -> None:
    assert State.TAKE_CARD not in USER_WAIT_STATES | MACHINE_WAIT_STATES  # no "more time?", no counter
    assert config().timeouts.for_state(State.TAKE_CARD) == 10.0

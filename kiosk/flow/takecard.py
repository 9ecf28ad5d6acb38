"""The card at the end of a transaction and at the start of the next one.

* ``take_card``: at the end of every transaction whose card may still be on the reader (receipt "Done", the
  counter, a cancel, a timeout), before the goodbye: "please take your ID card", spoken again every
  ``Timeouts.take_card`` seconds.  The card leaving the reader (``CardTaken``) leads to the goodbye; after
  ``Limits.card_left_after`` seconds the card counts as left on the reader: an audit entry
  ``CARD_LEFT_ON_READER`` (profile and reason code only), the session keeps the time (the operator's status
  screen shows it, the attract loop asks the next person to hand the card to the counter), the goodbye.
  Everything personal was wiped on entering ``take_card`` (:func:`kiosk.flow.common.to_wipe`).
* The next "place your card": a card left on the reader is not the next person's — the step first asks for
  it to be lifted off (``remove_first``), and waits for a card only once the reader is empty.

Pure, like every transition function: ``(session, event, config, now) -> (session, effects)``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kiosk.flow import events as ev
from kiosk.flow.common import Outcome, enter, stay
from kiosk.flow.effects import (
    Audit,
    CancelOperation,
    Effect,
    Speak,
    StartTimer,
    WaitForCard,
    WaitForCardRemoval,
)
from kiosk.flow.model import FlowConfig, Session, State

CARD_LEFT = "CARD_LEFT_ON_READER"
AUDIT_LEFT = "flow.card_left"  # the transaction ended with the card on the reader
AUDIT_LEFT_TAKEN = "flow.card_left_taken"  # that card has left the reader since


def to_place_card(s: Session, c: FlowConfig, *before: Effect, **changes: Any) -> Outcome:
    """"Place your card" — or, while a card left by someone earlier lies on the reader, "lift that card off
    first" (the runner waits for the reader to be empty, then for a card)."""
    if s.card_left:
        return lift_off_first(s, State.PLACE_CARD, c, *before, **changes)
    op = s.op + 1
    return enter(s, State.PLACE_CARD, c, *before, WaitForCard(op), op=op, remove_first=False, **changes)


def lift_off_first(s: Session, state: State, c: FlowConfig, *before: Effect, **changes: Any) -> Outcome:
    """``state`` asking for a card left on the reader by someone earlier to be lifted off before anything
    looks at the reader (place-card; key entry on a reader with its own camera): the runner waits for the
    reader to be empty (``CardTaken``)."""
    op = s.op + 1
    changes["hint"] = "place_card.remove_first"
    return enter(s, state, c, *before, WaitForCardRemoval(op), op=op, remove_first=True, **changes)


def left_card_taken(s: Session) -> tuple[Effect, ...]:
    """The audit entry for a card left on the reader that has now been lifted off (none otherwise)."""
    return (Audit(AUDIT_LEFT_TAKEN, CARD_LEFT),) if s.card_left else ()


def on_card_taken(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """take_card: the card has left the reader — the goodbye."""
    return enter(s, State.WIPE, c, reminders=0)


def on_take_card_timer(s: Session, e: ev.TimerExpired, c: FlowConfig, now: datetime) -> Outcome:
    """take_card: another spoken reminder, or — ``Limits.card_left_after`` seconds after the first
    prompt — the card counts as left on the reader."""
    reminders = s.reminders + 1
    if reminders * c.timeouts.take_card >= c.limits.card_left_after:
        return enter(s, State.WIPE, c, CancelOperation(s.op), Audit(AUDIT_LEFT, CARD_LEFT), reminders=0,
                     card_left_at=now)  # fmt: skip
    token = s.timer + 1
    new = replace(s, timer=token, reminders=reminders, hint="take_card.reminder")
    return new, (StartTimer(token, c.timeouts.take_card), Speak("take_card.reminder", s.language))


def on_card_taken_attract(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """attract: the card left on the reader has been taken (by its owner or the staff)."""
    new, _ = stay(s, card_left_at=None, hint=None)
    return new, left_card_taken(s)


def on_card_taken_place_card(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """place_card: the card that was on the reader has been lifted off — now "place your card"."""
    if not s.remove_first:
        return stay(s)
    return to_place_card(replace(s, card_left_at=None), c, *left_card_taken(s), resume=None)


def on_card_taken_still_there(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """"More time?" over the remove-first step, and the card was lifted off: the person is there."""
    if s.resume is not State.PLACE_CARD:
        return stay(s)
    return on_card_taken_place_card(s, e, c, now)

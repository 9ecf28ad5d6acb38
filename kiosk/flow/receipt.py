"""The receipt step (docs/flow.md, "Receipt"; docs/insurance.md, "In the flow").  Pure.

The record is made once as the receipt is shown, with the hospital's insurance answer in its service
values when there is one.  While the card is still on the reader the receipt asks for it back, and lifting
it off ends the transaction (issue 14: no "Done" to tap and no separate "take your card" screen); the
receipt then stays ``Timeouts.receipt_after_card`` seconds for the queue number to be read or the ticket
taken.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.flow import events as ev
from kiosk.flow.common import Outcome, enter, persist_once
from kiosk.flow.effects import StartTimer, WaitForCardRemoval
from kiosk.flow.model import FlowConfig, Session, State


def with_insurance(s: Session) -> Session:
    """The session whose ``service`` values carry the insurance answer's ``insurance_*`` fields (once)."""
    if s.insurance is None or any(k == "insurance_status" for k, _ in s.service):
        return s
    return replace(s, service=s.service + s.insurance.service)


def to_receipt(s: Session, c: FlowConfig, now: datetime) -> Outcome:
    """The receipt, the record made once; with the card on the reader, waiting for it to be lifted."""
    s, persist = persist_once(with_insurance(s), now, ())
    if not s.card_seen:
        return enter(s, State.RECEIPT, c, *persist)
    op = s.op + 1
    return enter(s, State.RECEIPT, c, *persist, WaitForCardRemoval(op), op=op)


def on_card_taken_receipt(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """The card is back in the person's hand: the receipt stays ``Timeouts.receipt_after_card`` seconds
    (the queue number is read or the ticket taken), then the goodbye by itself."""
    token = s.timer + 1
    return replace(s, card_seen=False, timer=token), (StartTimer(token, c.timeouts.receipt_after_card),)

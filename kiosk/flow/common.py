"""Building blocks of the transition functions: entering a state, leaving to the fallback or the goodbye
("please take your card" first when the card may still be on the reader), back to the attract loop.

All pure: they take the session and return the new session with the effect requests entering implies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kiosk.flow.effects import (
    Audit,
    CancelOperation,
    Effect,
    PersistAndDeliver,
    Speak,
    StartTimer,
    WaitForCardRemoval,
    Wipe,
)
from kiosk.flow.model import MACHINE_WAIT_STATES, FlowConfig, Reason, Session, State

Outcome = tuple[Session, tuple[Effect, ...]]


def enter(s: Session, state: State, c: FlowConfig, *effects: Effect, **changes: Any) -> Outcome:
    """Enter ``state``: a fresh timer token, its timeout, its spoken prompt, then ``effects``."""
    changes.setdefault("hint", None)
    token = s.timer + 1
    new = replace(s, state=state, timer=token, **changes)
    out: list[Effect] = []
    seconds = c.timeouts.for_state(state)
    if seconds is not None:
        out.append(StartTimer(token, seconds))
    if state is not State.ATTRACT:
        out.append(Speak(f"{state.value}.prompt", new.language))
    return new, (*out, *effects)


def stay(s: Session, **changes: Any) -> Outcome:
    """Same state, same timer (progress and guidance updates)."""
    return replace(s, **changes), ()


def persist_once(s: Session, now: datetime, reasons: tuple[str, ...]) -> tuple[Session, tuple[Effect, ...]]:
    """Persist the transaction once, if the chip was read (a record needs chip evidence)."""
    if s.chip is None or s.persist_requested or s.started_at is None:
        return s, ()
    op = s.op + 1
    effect = PersistAndDeliver(
        op=op, txn=s.txn, chip=s.chip, capture=s.capture, face=s.face, face_attempts=s.face_attempts,
        service=s.service, flow_reasons=reasons, started_at=s.started_at, completed_at=now,
    )  # fmt: skip
    return replace(s, op=op, persist_requested=True, persist_op=op), (effect,)


def _cancel_running(s: Session) -> tuple[Effect, ...]:
    waiting = s.state in MACHINE_WAIT_STATES or s.state in (State.PLACE_CARD, State.KEY_ENTRY)
    waiting = waiting or (s.state is State.RECEIPT and s.card_seen)  # the receipt's watch on the card
    return (CancelOperation(s.op),) if waiting else ()


def to_fallback(s: Session, c: FlowConfig, reason: Reason, now: datetime,
                detail: tuple[str, ...] = ()) -> Outcome:  # fmt: skip
    """The fallback ("please go to the counter") with ``reason``; a read transaction is stored."""
    cancel = _cancel_running(s)
    s, persist = persist_once(s, now, (reason.value,))
    audit: tuple[Effect, ...] = () if persist else (Audit("flow.fallback", reason.value),)
    return enter(s, State.FALLBACK, c, *cancel, *persist, *audit, fallback=reason, detail=detail)


def needs_take_card(s: Session) -> bool:
    """The person's card may still be on the reader: it was on it in this transaction, or the person was
    being asked to place it (and may just have done so).  Not a card left there by someone earlier (the
    person was being asked to lift that one off: it is not theirs to take)."""
    return s.card_seen or (s.state is State.PLACE_CARD and not s.remove_first)


def forget(s: Session) -> Session:
    """The session without anything personal (the key, the chip's data, the face images and decision, the
    insurance sentence); the outcome (verified, reason code, reference, service values) stays for the
    goodbye and the logs."""
    return replace(s, key=None, qr_id=None, chip=None, capture=None, face=None, progress=None, insurance=None)


def to_wipe(s: Session, c: FlowConfig, now: datetime, reason: Reason | None) -> Outcome:
    """The end of the transaction: a read transaction left unfinished is stored with ``reason``, then
    everything personal is wiped (the storage thread is FIFO: the wipe never overtakes the record) — then
    "please take your card" while the card may still be on the reader, else the goodbye."""
    cancel = _cancel_running(s)
    persist: tuple[Effect, ...] = ()
    audit: tuple[Effect, ...] = ()
    if reason is not None:
        s, persist = persist_once(s, now, (reason.value,))
        if not persist and s.state is not State.FALLBACK:
            audit = (Audit("flow.abandoned", reason.value),)
    wipe = Wipe(s.txn, s.op)
    if needs_take_card(s):
        op = s.op + 1
        return enter(forget(s), State.TAKE_CARD, c, *cancel, *persist, *audit, wipe, WaitForCardRemoval(op),
                     op=op, reminders=0)  # fmt: skip
    return enter(forget(s), State.WIPE, c, *cancel, *persist, *audit, wipe)


def attract(s: Session, c: FlowConfig) -> Outcome:
    """The attract loop for ``s``; while a card left by someone lies on the reader it says so, and the
    runner watches for the card to be taken."""
    if s.card_left:
        return enter(s, State.ATTRACT, c, WaitForCardRemoval(s.op), hint="attract.card_left")
    return enter(s, State.ATTRACT, c)


def fresh(s: Session, c: FlowConfig) -> Outcome:
    """Back to the attract loop with an empty session (the counters carry on so late results are stale;
    so does a card left on the reader)."""
    return attract(Session(txn=s.txn + 1, timer=s.timer, op=s.op + 1, card_left_at=s.card_left_at), c)

"""The transition table: the single source of truth of the kiosk flow.

``TABLE[(state, event type)]`` is a :class:`Rule`: a pure transition function and the states it may lead
to (the diagram in docs/flow.md is generated from these; :func:`step` checks every transition against
them).  A pair absent from the table is an event the state does not handle: :func:`step` ignores it
explicitly (``Step.handled`` is ``False``), as it does results of an abandoned operation (stale ``op``) and
timers of a state already left (stale ``token``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kiosk.flow import events as ev
from kiosk.flow import handlers as h
from kiosk.flow import insurance as ins
from kiosk.flow import receipt as rc
from kiosk.flow import takecard as tc
from kiosk.flow.common import Outcome, attract, enter, fresh, stay, to_fallback, to_wipe
from kiosk.flow.effects import Effect, Speak, StartTimer
from kiosk.flow.model import MACHINE_WAIT_STATES, USER_WAIT_STATES, FlowConfig, Reason, Session, State

Handler = Callable[[Session, Any, FlowConfig, datetime], Outcome]


class FlowError(Exception):
    """A transition function broke the table's contract (a bug, never user input)."""


@dataclass(frozen=True, slots=True)
class Rule:
    handler: Handler
    targets: frozenset[State]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    session: Session
    effects: tuple[Effect, ...]
    handled: bool
    note: str = ""


S = State
TABLE: dict[tuple[State, type[ev.Event]], Rule] = {}


def _add(state: State, event: type[ev.Event], handler: Handler, *targets: State, label: str = "") -> None:
    TABLE[(state, event)] = Rule(handler, frozenset(targets), label or event.__name__)


# --- global intents ----------------------------------------------------------------------------------------


def _cancel(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return to_wipe(s, c, now, Reason.USER_CANCELLED)


def _help(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return to_fallback(s, c, Reason.USER_ASKED_FOR_HELP, now)


def _leave(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return to_wipe(s, c, now, None)


def _fresh(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return fresh(s, c)


# --- timeouts ---------------------------------------------------------------------------------------------


def _ask_still_there(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return enter(s, S.STILL_THERE, c, resume=s.state)


def _machine_timeout(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return to_fallback(s, c, Reason.TIMEOUT, now)


def _gone(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    return to_wipe(s, c, now, Reason.TIMEOUT)


def _resume(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    """Back where the person was, with a fresh timer but without repeating that state's requests."""
    assert s.resume is not None
    new, effects = enter(s, s.resume, c, resume=None)
    return new, tuple(x for x in effects if isinstance(x, StartTimer | Speak))


def _build() -> None:
    _add(S.ATTRACT, ev.Touch, h.on_touch_attract, S.LANGUAGE)
    _add(S.ATTRACT, ev.ChooseLanguage, h.on_attract_language, S.CONSENT, S.LANGUAGE)
    _add(S.LANGUAGE, ev.ChooseLanguage, h.on_language, S.CONSENT, S.LANGUAGE)
    _add(S.CONSENT, ev.TogglePurpose, h.on_toggle_purpose, S.CONSENT)
    _add(S.CONSENT, ev.AcceptConsent, h.on_accept_consent, S.KEY_ENTRY, S.CONSENT)
    _add(S.CONSENT, ev.RefuseConsent, h.on_refuse_consent, S.FALLBACK)
    for key_event in (ev.ScanQR, ev.EnterMRZ, ev.EnterIdAndBirth):
        _add(S.KEY_ENTRY, key_event, h.on_key, S.PLACE_CARD, S.KEY_ENTRY, S.FALLBACK)
    _add(S.KEY_ENTRY, ev.MRZUnreadable, h.on_mrz_unreadable, S.KEY_ENTRY)
    _add(S.KEY_ENTRY, ev.CardPresent, h.on_card_present_key_entry, S.KEY_ENTRY)  # the reader's camera
    _add(S.KEY_ENTRY, ev.CardTaken, h.on_card_taken_key_entry, S.KEY_ENTRY)
    _add(S.PLACE_CARD, ev.CardPresent, h.on_card_present, S.READING, S.PLACE_CARD)
    _add(S.PLACE_CARD, ev.CardTaken, tc.on_card_taken_place_card, S.PLACE_CARD)
    _add(S.READING, ev.ReadProgressed, h.on_progress, S.READING)
    _add(S.READING, ev.ReadSucceeded, h.on_read_ok, S.FACE_CAPTURE, S.RESULT, S.FALLBACK)
    _add(S.READING, ev.ReadFailed, h.on_read_failed, S.READING, S.KEY_ENTRY, S.PLACE_CARD, S.FALLBACK)
    _add(S.FACE_CAPTURE, ev.FaceGuidance, h.on_face_guidance, S.FACE_CAPTURE)
    _add(S.FACE_CAPTURE, ev.FaceCaptured, h.on_face_captured, S.MATCHING, S.FACE_CAPTURE, S.FALLBACK)
    _add(S.FACE_CAPTURE, ev.FaceFailed, h.on_face_failed, S.FACE_CAPTURE, S.FALLBACK)
    _add(S.MATCHING, ev.FaceMatched, h.on_face_matched, S.RESULT, S.FACE_CAPTURE, S.FALLBACK)
    _add(S.MATCHING, ev.FaceFailed, h.on_face_failed, S.FACE_CAPTURE, S.FALLBACK)
    _add(S.RESULT, ev.Continue, h.on_result_continue, S.SERVICE, S.RECEIPT)
    _add(S.SERVICE, ev.SubmitService, h.on_submit_service, S.RECEIPT, S.SERVICE, S.QUEUE_NUMBER)
    _add(S.QUEUE_NUMBER, ev.QueueNumberIssued, h.on_queue_number, S.RECEIPT, S.INSURANCE)
    for state in (S.RESULT, S.SERVICE, S.QUEUE_NUMBER, S.STILL_THERE):
        _add(state, ev.InsuranceChecked, ins.on_answer, state)
    _add(S.INSURANCE, ev.InsuranceChecked, ins.on_answer_awaited, S.RECEIPT)
    _add(S.QUEUE_NUMBER, ev.QueueNumberFailed, h.on_queue_failed, S.FALLBACK)
    for state in (S.RECEIPT, S.FALLBACK, S.TAKE_CARD, S.WIPE):
        _add(state, ev.Persisted, h.on_persisted, state)
    _add(S.RECEIPT, ev.PersistFailed, _persist_failed, S.FALLBACK)
    for state in (S.FALLBACK, S.TAKE_CARD, S.WIPE):
        _add(state, ev.PersistFailed, _ignore_persist_failure, state)
    _add(S.TAKE_CARD, ev.CardTaken, tc.on_card_taken, S.WIPE)
    _add(S.RECEIPT, ev.CardTaken, rc.on_card_taken_receipt, S.RECEIPT)
    _add(S.ATTRACT, ev.CardTaken, tc.on_card_taken_attract, S.ATTRACT)
    for state in (S.RECEIPT, S.FALLBACK):
        _add(state, ev.Done, _leave, S.WIPE, S.TAKE_CARD)
        _add(state, ev.Continue, _leave, S.WIPE, S.TAKE_CARD)
    _add(S.STILL_THERE, ev.StillHere, _resume, *USER_WAIT_STATES)
    _add(S.STILL_THERE, ev.Touch, _resume, *USER_WAIT_STATES)
    _add(S.STILL_THERE, ev.CardPresent, h.on_card_present_still_there, S.READING, S.STILL_THERE)
    for key_event in (ev.ScanQR, ev.EnterMRZ):  # the camera, still looking while "more time?" is asked
        _add(S.STILL_THERE, key_event, h.on_key_still_there, S.STILL_THERE, S.KEY_ENTRY, S.PLACE_CARD,
             S.FALLBACK)  # fmt: skip
    _add(S.STILL_THERE, ev.CardTaken, h.on_card_taken_still_there, S.PLACE_CARD, S.KEY_ENTRY, S.STILL_THERE)
    _add(S.WIPE, ev.Touch, _fresh, S.ATTRACT)
    # The end of a transaction (attract, take_card, wipe) is neither cancelled nor sent to the counter.
    for state in State:
        if state not in (S.ATTRACT, S.TAKE_CARD, S.WIPE):
            _add(state, ev.Cancel, _cancel, S.WIPE, S.TAKE_CARD)
        if state not in (S.ATTRACT, S.TAKE_CARD, S.WIPE, S.FALLBACK):
            _add(state, ev.AskForHelp, _help, S.FALLBACK)
    for state in USER_WAIT_STATES:
        _add(state, ev.TimerExpired, _ask_still_there, S.STILL_THERE, label="timeout")
    _add(S.RESULT, ev.TimerExpired, h.on_result_timer, S.STILL_THERE, S.SERVICE, S.RECEIPT, label="timeout")
    for state in MACHINE_WAIT_STATES:
        _add(state, ev.TimerExpired, _machine_timeout, S.FALLBACK, label="timeout")
    _add(S.STILL_THERE, ev.TimerExpired, _gone, S.WIPE, S.TAKE_CARD, label="timeout")
    _add(S.RECEIPT, ev.TimerExpired, _leave, S.WIPE, S.TAKE_CARD, label="timeout")
    _add(S.FALLBACK, ev.TimerExpired, _leave, S.WIPE, S.TAKE_CARD, label="timeout")
    _add(S.TAKE_CARD, ev.TimerExpired, tc.on_take_card_timer, S.TAKE_CARD, S.WIPE, label="timeout")
    _add(S.WIPE, ev.TimerExpired, _fresh, S.ATTRACT, label="timeout")
    _add(S.INSURANCE, ev.TimerExpired, ins.on_no_answer, S.RECEIPT, label="timeout")


def _persist_failed(s: Session, e: ev.PersistFailed, c: FlowConfig, now: datetime) -> Outcome:
    """The record could not be stored: the counter, with the record's answer known (nothing more to wait
    for)."""
    return to_fallback(replace(s, record_status="storage_failed"), c, Reason.STORAGE_FAILED, now)


def _ignore_persist_failure(s: Session, e: ev.PersistFailed, c: FlowConfig, now: datetime) -> Outcome:
    return stay(s, record_status="storage_failed")


_build()


def _stale(s: Session, e: ev.Event) -> str:
    if isinstance(e, ev.TimerExpired) and e.token != s.timer:
        return "stale timer"
    op = getattr(e, "op", None)
    if isinstance(e, ev.InsuranceChecked) and s.insurance_op is not None:  # beside the person's steps
        return "" if op == s.insurance_op else "stale insurance answer"
    if isinstance(e, ev.Persisted | ev.PersistFailed) and s.persist_op is not None:
        # the record's answer may come after a later request (the wait for the card to be taken)
        return "" if op == s.persist_op else "stale record answer"
    if op is not None and op != s.op:
        return "stale operation result"
    return ""


def step(s: Session, e: ev.Event, c: FlowConfig, now: datetime) -> Step:
    """Apply one event.  Pure: the same inputs always give the same outputs."""
    stale = _stale(s, e)
    if stale:
        return Step(s, (), False, stale)
    rule = TABLE.get((s.state, type(e)))
    if rule is None:
        return Step(s, (), False, f"{type(e).__name__} is not handled in {s.state.value}")
    new, effects = rule.handler(s, e, c, now)
    if new.state not in rule.targets:
        raise FlowError(f"{s.state.value} --{type(e).__name__}--> {new.state.value} is not in the table")
    return Step(new, effects, True)


def initial(c: FlowConfig, *, card_left_at: datetime | None = None) -> Step:
    """The session a kiosk starts with (the attract loop); ``card_left_at``: a card was already lying on
    the reader when the kiosk started (it is nobody's card for the next transaction)."""
    new, effects = attract(Session(card_left_at=card_left_at), c)
    return Step(replace(new), effects, True)

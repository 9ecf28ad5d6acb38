"""The transition functions of the main path, one per (state, event type) of the table.

Each is pure: ``(session, event, config, now) -> (session, effects)``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kiosk.flow import events as ev
from kiosk.flow import insurance as ins
from kiosk.flow import takecard as tc
from kiosk.flow.common import Outcome, enter, stay, to_fallback
from kiosk.flow.effects import (
    CancelOperation,
    Effect,
    IssueQueueNumber,
    SaveConsent,
    StartChipRead,
    StartFaceCapture,
    StartFaceMatch,
    StartQRScan,
    StartTimer,
)
from kiosk.flow.model import FlowConfig, ReadProgress, Reason, Session, State, reader_scan
from kiosk.flow.receipt import to_receipt
from kiosk.flow.service import (
    ServiceInputError,
    completed,
    fields_for_day,
    queue_values,
    validate_service,
)
from kiosk.flow.takecard import to_place_card
from kiosk.keyentry import AccessKeyInput, KeyEntryError, from_id_and_birth, from_mrz, from_qr, parse_qr
from kiosk.timezone import local_day


def on_touch_attract(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    """A new transaction; the attract loop's watch on a card left on the reader stops (the place-card step
    asks for that card to be lifted off)."""
    stop = (CancelOperation(s.op),) if s.card_left else ()
    return enter(s, State.LANGUAGE, c, *stop, started_at=now)


def on_language(s: Session, e: ev.ChooseLanguage, c: FlowConfig, now: datetime) -> Outcome:
    if e.language not in c.languages:
        return stay(s, hint="language.unsupported")
    return enter(s, State.CONSENT, c, language=e.language, choices=frozenset())


def on_attract_language(s: Session, e: ev.ChooseLanguage, c: FlowConfig, now: datetime) -> Outcome:
    """A language chosen on the attract screen itself: the transaction starts in it (issue 14: one screen
    and one tap fewer); an unknown language starts at the language screen."""
    started, effects = on_touch_attract(s, e, c, now)
    if e.language not in c.languages:
        return started, effects
    stop = tuple(x for x in effects if isinstance(x, CancelOperation))
    new, entered = on_language(started, e, c, now)
    return new, (*stop, *entered)


def on_toggle_purpose(s: Session, e: ev.TogglePurpose, c: FlowConfig, now: datetime) -> Outcome:
    if e.purpose_id not in {p.id for p in c.purposes}:
        return stay(s, hint="consent.unknown_purpose")
    return stay(s, choices=s.choices ^ {e.purpose_id}, hint=None)


def on_accept_consent(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    if not c.required_purposes <= s.choices:
        return stay(s, hint="consent.required_missing")
    save = SaveConsent(s.txn, s.language, s.choices, True, now)
    return to_key_entry(s, c, save)


def to_key_entry(s: Session, c: FlowConfig, *before: Effect, **changes: Any) -> Outcome:
    """Key entry, with the camera looking for the card's QR code (the easiest way) meanwhile.

    With the reader's own camera (``FlowConfig.reader_camera``; docs/flow.md "Card on the reader") the
    person lays the card on the reader and the camera reads it there: one placement for the key and the
    chip.  A card left on the reader by someone earlier is asked off first (it is not this person's).  After
    a key the chip refused, the camera would read the same card again: the typed entry only."""
    op = s.op + 1
    if not c.reader_camera:
        return enter(s, State.KEY_ENTRY, c, *before, StartQRScan(op), op=op, **changes)
    if not reader_scan(c, changes.get("key_rounds", s.key_rounds)):
        return enter(s, State.KEY_ENTRY, c, *before, op=op, remove_first=False, **changes)
    if s.card_left:
        return tc.lift_off_first(s, State.KEY_ENTRY, c, *before, **changes)
    return enter(s, State.KEY_ENTRY, c, *before, StartQRScan(op, on_reader=True), op=op, remove_first=False,
                 **changes)  # fmt: skip


def on_card_present_key_entry(s: Session, e: ev.CardPresent, c: FlowConfig, now: datetime) -> Outcome:
    """The reader's camera found a card on the reader: from now on the person has a card to take back."""
    return stay(s, card_seen=True)


def on_card_taken_key_entry(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """The card left there earlier has been lifted off: now the person's own card (reader camera)."""
    if not s.remove_first:
        return stay(s)
    return to_key_entry(replace(s, card_left_at=None), c, *tc.left_card_taken(s))


def on_key_still_there(s: Session, e: ev.Event, c: FlowConfig, now: datetime) -> Outcome:
    """"More time?" over key entry, and the camera read the card meanwhile: the person is there — the key
    is taken as on the key-entry screen (else it would be lost: the scan has ended)."""
    if s.resume is not State.KEY_ENTRY:
        return stay(s)
    return on_key(replace(s, state=State.KEY_ENTRY, resume=None), e, c, now)


def on_card_taken_still_there(s: Session, e: ev.CardTaken, c: FlowConfig, now: datetime) -> Outcome:
    """"More time?" over a step that asked for a card left there earlier to be lifted off, and it was."""
    if s.resume is State.KEY_ENTRY and s.remove_first:
        return on_card_taken_key_entry(replace(s, resume=None), e, c, now)
    return tc.on_card_taken_still_there(s, e, c, now)


def on_refuse_consent(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    save = SaveConsent(s.txn, s.language, frozenset(), False, now)
    new, effects = to_fallback(s, c, Reason.CONSENT_REFUSED, now)
    return new, (save, *effects)


def _key_from(e: ev.Event, now: datetime) -> AccessKeyInput:
    if isinstance(e, ev.ScanQR):
        return from_qr(parse_qr(e.text), today=now.date())
    if isinstance(e, ev.EnterMRZ):
        return from_mrz(e.text)
    if isinstance(e, ev.EnterIdAndBirth):
        return from_id_and_birth(e.id_number, e.birth_date, today=now.date())
    raise KeyEntryError("not a key-entry event")


def on_key(s: Session, e: ev.Event, c: FlowConfig, now: datetime) -> Outcome:
    """QR, MRZ or typed ID + birth date → the BAC inputs (cccd-chip.md §2), then "place your card".  A QR
    code whose birth date cannot be found (the 2024 card's unknown layout, docs/card-2024.md) fills the
    typed entry with its ID instead: the person types the day and month of birth (issue 14)."""
    if isinstance(e, ev.ScanQR):
        try:
            payload = parse_qr(e.text)
        except KeyEntryError:
            payload = None
        if payload is not None and payload.birth_date is None:
            return stay(s, hint="key_entry.qr_birth_needed", qr_id=payload.id_number)
    try:
        key = _key_from(e, now)
        if not key.expiry_candidates:
            raise KeyEntryError("no expiry candidate")
    except KeyEntryError:
        errors = s.key_errors + 1
        if errors >= c.limits.key_entry_errors:
            return to_fallback(replace(s, key_errors=errors), c, Reason.KEY_ENTRY_FAILED, now)
        return stay(s, key_errors=errors, hint=f"key_entry.invalid_{type(e).__name__.lower()}")
    hint = "place_card.keep" if c.reader_camera and s.card_seen else None  # the card is there already
    return to_place_card(s, c, CancelOperation(s.op), key=key, expiry_index=0, qr_id=None, hint=hint)


MRZ_PROBLEMS = frozenset({"too_dark", "glare", "blurred", "check_digit"})


def on_mrz_unreadable(s: Session, e: ev.MRZUnreadable, c: FlowConfig, now: datetime) -> Outcome:
    """The camera saw the MRZ but could not read it: say why (not the person's error: nothing counted).
    The reader's own camera: no code seen on the card lying there (``turn_over``), or a code it cannot
    read through the window — either way "lay the QR code side down", or type."""
    if e.reason == "camera_unavailable":  # the camera broke (the runner logged it): typing still works
        return stay(s, hint="key_entry.camera_unavailable")
    if c.reader_camera:
        return stay(s, hint="key_entry.reader_turn_over" if e.reason == "turn_over" else
                    "key_entry.reader_unreadable")  # fmt: skip
    reason = e.reason if e.reason in MRZ_PROBLEMS else "check_digit"
    return stay(s, hint=f"key_entry.mrz_{reason}")


def _read(s: Session, c: FlowConfig, index: int, hint: str | None = None) -> Outcome:
    assert s.key is not None
    key = s.key.bac_key(index)
    op = s.op + 1
    start = StartChipRead(op, key, index, len(s.key.expiry_candidates), s.key.can, s.txn)
    return enter(s, State.READING, c, start, op=op, expiry_index=index, progress=ReadProgress("connect"),
                 hint=hint)  # fmt: skip


def on_card_present(s: Session, e: ev.CardPresent, c: FlowConfig, now: datetime) -> Outcome:
    if s.remove_first:  # a card left there earlier is not read (the runner waits for it to go first)
        return stay(s)
    return _read(replace(s, card_seen=True), c, s.expiry_index)


def on_card_present_still_there(s: Session, e: ev.CardPresent, c: FlowConfig, now: datetime) -> Outcome:
    """"Do you need more time?" over "place your card", and the card was placed: the person is there."""
    if s.resume is State.KEY_ENTRY and not s.remove_first:  # on the reader for its camera
        return stay(s, card_seen=True)
    if s.resume is not State.PLACE_CARD or s.remove_first:
        return stay(s)
    return on_card_present(replace(s, resume=None), e, c, now)


def on_progress(s: Session, e: ev.ReadProgressed, c: FlowConfig, now: datetime) -> Outcome:
    return stay(s, progress=ReadProgress(e.phase, e.done, e.total))


def _start_capture(s: Session, c: FlowConfig, attempt: int, hint: str | None) -> Outcome:
    assert s.chip is not None and s.chip.photo is not None
    op = s.op + 1
    start = StartFaceCapture(op, attempt, s.chip.photo)
    return enter(s, State.FACE_CAPTURE, c, start, op=op, face_attempts=attempt,
                 capture=None, hint=hint)  # fmt: skip


def on_read_ok(s: Session, e: ev.ReadSucceeded, c: FlowConfig, now: datetime) -> Outcome:
    """The chip verdict against the profile's policy, then the face step (or the result)."""
    chip = e.outcome
    s = replace(s, chip=chip, progress=ReadProgress("done"))
    if chip.verdict == "not_authentic":
        return to_fallback(s, c, Reason.CHIP_NOT_AUTHENTIC, now, chip.reasons)
    if chip.without_face_image:  # nobody can be matched to it, whatever the profile: the counter
        return to_fallback(s, c, Reason.NO_CHIP_PHOTO, now, chip.reasons)
    if not c.chip.accepts(chip.verdict, chip.reasons, None):
        return to_fallback(s, c, Reason.CHIP_NOT_ACCEPTED, now, chip.reasons)
    if not c.face_required:
        return to_result(s, c)
    if chip.photo is None:
        return to_fallback(s, c, Reason.FACE_UNAVAILABLE, now, ("CHIP_PHOTO_UNDECODABLE",))
    return _start_capture(s, c, 1, None)


def on_read_failed(s: Session, e: ev.ReadFailed, c: FlowConfig, now: datetime) -> Outcome:
    """Wrong key: next expiry candidate (BAC), then "check your entry"; a CAN the chip rejects (PACE) goes
    straight to "check your entry"; card gone: "place it again"; bounded."""
    assert s.key is not None
    if e.kind in ("access_denied", "wrong_can"):
        nxt = s.expiry_index + 1
        if e.kind == "access_denied" and nxt < len(s.key.expiry_candidates):
            return _read(s, c, nxt, hint="reading.trying_next_key")
        rounds = s.key_rounds + 1
        if rounds >= c.limits.wrong_key_rounds:
            return to_fallback(replace(s, key_rounds=rounds), c, Reason.ACCESS_DENIED, now)
        return to_key_entry(s, c, key=None, key_rounds=rounds, hint="key_entry.check_key")
    if e.kind in ("card_removed", "no_card", "transport"):
        placements = s.placements + 1
        if placements >= c.limits.card_placements:
            return to_fallback(replace(s, placements=placements), c, Reason.CARD_REMOVED, now)
        return to_place_card(s, c, placements=placements, hint="place_card.again")
    if e.kind == "not_icao":
        return to_fallback(s, c, Reason.NOT_A_CHIP_CARD, now)
    return to_fallback(s, c, Reason.CHIP_UNREADABLE, now, (e.kind,))


def on_face_guidance(s: Session, e: ev.FaceGuidance, c: FlowConfig, now: datetime) -> Outcome:
    return stay(s, hint=f"face.{e.hint}")


def _face_retry(s: Session, c: FlowConfig, reason: Reason, hint: str, now: datetime) -> Outcome:
    if s.face_attempts >= c.face_max_attempts:
        return to_fallback(s, c, reason, now)
    return _start_capture(s, c, s.face_attempts + 1, hint)


def on_face_captured(s: Session, e: ev.FaceCaptured, c: FlowConfig, now: datetime) -> Outcome:
    s = replace(s, capture=e.capture)
    if c.liveness_required and not e.capture.liveness_passed:
        return _face_retry(s, c, Reason.LIVENESS_FAILED, "face.liveness_retry", now)
    assert s.chip is not None and s.chip.photo is not None
    op = s.op + 1
    return enter(s, State.MATCHING, c, StartFaceMatch(op, e.capture, s.chip.photo), op=op)


def on_face_failed(s: Session, e: ev.FaceFailed, c: FlowConfig, now: datetime) -> Outcome:
    return _face_retry(s, c, Reason.FACE_UNAVAILABLE, f"face.{e.kind}", now)


def on_face_matched(s: Session, e: ev.FaceMatched, c: FlowConfig, now: datetime) -> Outcome:
    s = replace(s, face=e.decision)
    if e.decision.decision != "match":
        return _face_retry(s, c, Reason.FACE_MISMATCH, "face.retry", now)
    return to_result(s, c)


def to_result(s: Session, c: FlowConfig) -> Outcome:
    """"Verified", shown ``Timeouts.result_shown`` seconds, then the next step by itself (issue 14: a tap
    fewer; "Continue" still moves on at once); a hospital's insurance check starts (kiosk.flow.insurance)."""
    new, effects = ins.to_result(s, c)
    return new, tuple(StartTimer(x.token, c.timeouts.result_shown) if isinstance(x, StartTimer) else x
                      for x in effects)  # fmt: skip


def on_result_timer(s: Session, e: ev.TimerExpired, c: FlowConfig, now: datetime) -> Outcome:
    """The verified result moves on by itself; any other result asks "do you need more time?"."""
    if s.verified:
        return on_result_continue(s, e, c, now)
    return enter(s, State.STILL_THERE, c, resume=s.state)


def on_result_continue(s: Session, e: Any, c: FlowConfig, now: datetime) -> Outcome:
    if c.has_service_step:
        return enter(s, State.SERVICE, c, service_day=local_day(now))
    return to_receipt(s, c, now)


def on_submit_service(s: Session, e: ev.SubmitService, c: FlowConfig, now: datetime) -> Outcome:
    """The service values (kiosk.flow.service); a hospital then waits for its queue number."""
    try:
        values = validate_service(fields_for_day(c.service_fields, s.service_day), e.values)
    except ServiceInputError as exc:
        return stay(s, hint=exc.hint)
    s = replace(s, service=completed(c, values))
    department = dict(values).get("department")
    if department is None:
        return to_receipt(s, c, now)
    op = s.op + 1
    return enter(s, State.QUEUE_NUMBER, c, IssueQueueNumber(op, department, local_day(now)), op=op)


def on_queue_number(s: Session, e: ev.QueueNumberIssued, c: FlowConfig, now: datetime) -> Outcome:
    """The number goes into the record's service data and onto the receipt (after the insurance check's
    answer, when one is awaited: kiosk.flow.insurance)."""
    s = replace(s, service=s.service + queue_values(c, e.department, e.day, e.number))
    if ins.awaiting(s, c):
        return ins.wait_for_answer(s, c)
    return to_receipt(s, c, now)


def on_queue_failed(s: Session, e: ev.QueueNumberFailed, c: FlowConfig, now: datetime) -> Outcome:
    return to_fallback(s, c, Reason.QUEUE_UNAVAILABLE, now, (e.error,))


def on_persisted(s: Session, e: ev.Persisted, c: FlowConfig, now: datetime) -> Outcome:
    return stay(s, reference=e.reference, record_status=e.status)

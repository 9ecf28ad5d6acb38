"""State-table tests: every state, every event, every timeout; stale and unknown events; bounded retries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import MACHINE_WAIT_STATES, USER_WAIT_STATES, Reason, Session, State
from kiosk.flow.outcomes import InsuranceAnswer
from kiosk.flow.table import TABLE, initial, step
from tests.kiosk.flow.helpers import (
    FLAT,
    LIVE,
    MATCH,
    NO_MATCH,
    NOW,
    QR,
    Walk,
    captured,
    card,
    chip,
    config,
    matched,
    read_failed,
    read_ok,
    taken,
    timeout,
    to_key_entry,
    walk_to,
)


def _instance(event: type[ev.Event], s: Session) -> ev.Event:
    """One instance of every event type, with the session's current tokens."""
    record = s.persist_op if s.persist_op is not None else s.op  # the record's answer: its own token
    samples: dict[type[ev.Event], ev.Event] = {
        ev.ChooseLanguage: ev.ChooseLanguage("vi"), ev.TogglePurpose: ev.TogglePurpose("lodging"),
        ev.ScanQR: ev.ScanQR(QR), ev.EnterMRZ: ev.EnterMRZ("garbage"),
        ev.EnterIdAndBirth: ev.EnterIdAndBirth("079303001234", "15/06/2003"),
        ev.SubmitService: ev.SubmitService(()), ev.TimerExpired: ev.TimerExpired(s.timer),
        ev.CardPresent: ev.CardPresent(s.op), ev.CardTaken: ev.CardTaken(s.op),
        ev.ReadProgressed: ev.ReadProgressed(s.op, "read_files", 1, 2),
        ev.ReadSucceeded: ev.ReadSucceeded(s.op, chip()), ev.ReadFailed: ev.ReadFailed(s.op, "card_error"),
        ev.FaceGuidance: ev.FaceGuidance(s.op, "turn_left"), ev.FaceCaptured: ev.FaceCaptured(s.op, LIVE),
        ev.FaceFailed: ev.FaceFailed(s.op, "no_face"), ev.FaceMatched: ev.FaceMatched(s.op, MATCH),
        ev.Persisted: ev.Persisted(record, "01TESTULID", "verified"),
        ev.PersistFailed: ev.PersistFailed(record, "disk"),
        ev.InsuranceChecked: ev.InsuranceChecked(s.insurance_op or s.op, InsuranceAnswer.not_checked("test")),
        ev.QueueNumberIssued: ev.QueueNumberIssued(s.op, "NOI", NOW.date(), 1),
        ev.QueueNumberFailed: ev.QueueNumberFailed(s.op, "OperationalError"),
        ev.MRZUnreadable: ev.MRZUnreadable("glare"),
    }  # fmt: skip
    return samples.get(event) or event()


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
@pytest.mark.parametrize("event", ev.ALL_EVENTS, ids=lambda e: e.__name__)
def test_every_state_every_event(state: State, event: type[ev.Event]) -> None:
    """Handled pairs land in a declared target; the others are ignored explicitly, session unchanged."""
    w = walk_to(state)
    s = w.s
    result = step(s, _instance(event, s), w.c, NOW)
    rule = TABLE.get((state, event))
    if rule is None:
        assert not result.handled and result.session is s and result.effects == ()
        assert result.note
    else:
        assert result.handled and result.session.state in rule.targets


def test_every_state_is_reachable_and_has_a_way_out() -> None:
    reachable, frontier = {State.ATTRACT}, [State.ATTRACT]
    while frontier:
        src = frontier.pop()
        for (state, _), rule in TABLE.items():
            if state is src:
                for t in rule.targets - reachable:
                    reachable.add(t)
                    frontier.append(t)
    assert reachable == set(State)
    for state in State:
        assert any(st is state and (rule.targets - {state}) for (st, _), rule in TABLE.items()), state


TIMEOUT_TARGETS = {
    **{s: State.STILL_THERE for s in USER_WAIT_STATES},
    **{s: State.FALLBACK for s in MACHINE_WAIT_STATES},
    State.STILL_THERE: State.WIPE, State.RECEIPT: State.TAKE_CARD, State.FALLBACK: State.WIPE,
    State.TAKE_CARD: State.TAKE_CARD,  # a spoken reminder; the card counts as left later (below)
    State.WIPE: State.ATTRACT,
    State.INSURANCE: State.RECEIPT,  # the gateway's silence is not the person's: the receipt says so
    State.RESULT: State.SERVICE,  # the verified result moves on by itself (test_fewer_steps.py)
}  # fmt: skip


@pytest.mark.parametrize("state", [s for s in State if s is not State.ATTRACT], ids=lambda s: s.value)
def test_every_waiting_state_times_out(state: State) -> None:
    w = walk_to(state)
    entered = [e for e in w.effects if isinstance(e, fx.StartTimer)]
    assert entered[-1].token == w.s.timer
    if state is State.RESULT:  # verified: shown a moment, then the next step (not a time-out)
        assert entered[-1].seconds == w.c.timeouts.result_shown
    else:
        assert entered[-1].seconds == w.c.timeouts.for_state(state) and entered[-1].seconds >= 6
    w(timeout)
    assert w.at() is TIMEOUT_TARGETS[state]
    if state in MACHINE_WAIT_STATES:
        assert w.s.fallback is Reason.TIMEOUT


def test_attract_has_no_timer_and_ignores_cancel() -> None:
    first = initial(config())
    assert not any(isinstance(e, fx.StartTimer) for e in first.effects)
    assert not step(first.session, ev.Cancel(), config(), NOW).handled


def test_stale_timer_and_stale_results_are_ignored() -> None:
    w = walk_to(State.READING)
    old_timer, old_op = w.s.timer, w.s.op
    w(read_failed("access_denied"))  # next expiry candidate: a new read, new tokens
    assert w.at() is State.READING and w.s.op != old_op
    for late in (ev.TimerExpired(old_timer), ev.ReadSucceeded(old_op, chip())):
        result = step(w.s, late, w.c, NOW)
        assert not result.handled and result.note.startswith("stale")


def test_still_there_resumes_without_repeating_requests() -> None:
    w = walk_to(State.PLACE_CARD)
    n = len(w.effects)
    w(timeout)
    assert w.at() is State.STILL_THERE
    w(ev.StillHere())
    assert w.at() is State.PLACE_CARD
    assert not any(isinstance(e, fx.WaitForCard) for e in w.effects[n:])
    assert w.s.key is not None  # what was entered is kept


def test_still_there_timeout_after_a_read_stores_the_result_once() -> None:
    w = walk_to(State.RESULT)
    w(timeout)  # the verified result moves on to the service step by itself
    assert w.at() is State.SERVICE
    w(timeout, timeout)
    assert w.at() is State.TAKE_CARD  # the person left: their card may still be on the reader
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and persists[0].flow_reasons == ("TIMEOUT",)
    assert any(isinstance(e, fx.Wipe) for e in w.effects)
    w(taken)
    assert w.at() is State.WIPE
    assert len([e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]) == 1


#: States after which the person's card may be on the reader: Cancel leads to "please take your card".
CARD_ON_READER = {State.PLACE_CARD, State.READING, State.FACE_CAPTURE, State.MATCHING, State.RESULT,
                  State.SERVICE, State.QUEUE_NUMBER, State.INSURANCE, State.RECEIPT}  # fmt: skip


@pytest.mark.parametrize("state", [s for s in State if s not in (State.ATTRACT, State.TAKE_CARD, State.WIPE)],
                         ids=lambda s: s.value)  # fmt: skip
def test_cancel_everywhere(state: State) -> None:
    w = walk_to(state)
    n = len(w.effects)
    w(ev.Cancel())
    new = w.effects[n:]
    assert any(isinstance(e, fx.Wipe) for e in new)
    if state in MACHINE_WAIT_STATES:
        assert any(isinstance(e, fx.CancelOperation) for e in new)
    if state in CARD_ON_READER:
        assert w.at() is State.TAKE_CARD and w.s.key is None and w.s.chip is None  # wiped already
        waits = [e for e in new if isinstance(e, fx.WaitForCardRemoval)]
        assert len(waits) == 1 and waits[0].op == w.s.op
        wipe = next(e for e in new if isinstance(e, fx.Wipe))
        assert new.index(wipe) < new.index(waits[0])
        assert wipe.op is not None and wipe.op < waits[0].op  # the wait outlives the wipe
        w(taken)
    assert w.at() is State.WIPE
    w(ev.Touch())
    assert w.at() is State.ATTRACT and w.s.key is None and w.s.chip is None


@pytest.mark.parametrize("intent", [ev.Cancel(), ev.AskForHelp(), ev.Touch(), ev.Done(), ev.Continue()],
                         ids=lambda e: type(e).__name__)  # fmt: skip
def test_take_card_cannot_be_skipped_by_a_button(intent: ev.Event) -> None:
    w = walk_to(State.TAKE_CARD)
    assert not step(w.s, intent, w.c, NOW).handled


def test_consent_needs_required_purposes_and_refusal_reads_nothing() -> None:
    w = walk_to(State.CONSENT)
    w(ev.AcceptConsent())
    assert w.at() is State.CONSENT and w.s.hint == "consent.required_missing"
    w(ev.RefuseConsent())
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.CONSENT_REFUSED
    saves = [e for e in w.effects if isinstance(e, fx.SaveConsent)]
    assert len(saves) == 1 and not saves[0].given
    assert not any(isinstance(e, fx.StartChipRead | fx.WaitForCard | fx.PersistAndDeliver) for e in w.effects)


def test_wrong_key_tries_every_candidate_then_asks_then_falls_back() -> None:
    w = walk_to(State.READING)
    assert w.s.key is not None
    n = len(w.s.key.expiry_candidates)
    for _ in range(n - 1):
        w(read_failed("access_denied"))
        assert w.at() is State.READING
    reads = [e for e in w.effects if isinstance(e, fx.StartChipRead)]
    assert [r.candidate for r in reads] == list(range(n))
    assert len({r.key.date_of_expiry for r in reads}) == n
    w(read_failed("access_denied"))
    assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.check_key"
    w(ev.ScanQR(QR), card, *[read_failed("access_denied")] * n)
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.ACCESS_DENIED


def test_malformed_key_entries_are_bounded() -> None:
    w = to_key_entry(Walk(config()))
    w(ev.EnterMRZ("not an mrz"))
    assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.invalid_entermrz"
    w(ev.ScanQR("12|bad"), ev.EnterIdAndBirth("123", "x"))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.KEY_ENTRY_FAILED


def test_card_removed_asks_to_place_again_then_falls_back() -> None:
    w = walk_to(State.READING)
    limit = w.c.limits.card_placements
    for _ in range(limit - 1):
        w(read_failed("card_removed"))
        assert w.at() is State.PLACE_CARD and w.s.hint == "place_card.again"
        w(card)
    w(read_failed("card_removed"))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.CARD_REMOVED


@pytest.mark.parametrize(("kind", "reason"), [("not_icao", Reason.NOT_A_CHIP_CARD),
                                              ("card_error", Reason.CHIP_UNREADABLE)])  # fmt: skip
def test_unreadable_cards(kind: str, reason: Reason) -> None:
    w = walk_to(State.READING)(read_failed(kind))
    assert w.at() is State.FALLBACK and w.s.fallback is reason


def test_chip_verdicts_against_the_profile() -> None:
    w = walk_to(State.READING)(read_ok(chip("not_authentic", ("DG13_HASH_MISMATCH",))))
    assert w.s.fallback is Reason.CHIP_NOT_AUTHENTIC and w.s.detail == ("DG13_HASH_MISMATCH",)
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and persists[0].flow_reasons == ("CHIP_NOT_AUTHENTIC",)
    w = walk_to(State.READING, "hospital")(read_ok(chip()))  # requires a chip proof
    assert w.s.fallback is Reason.CHIP_NOT_ACCEPTED and w.s.detail == ("NO_ANTICLONE_PROOF",)
    w = walk_to(State.READING, "hospital")(read_ok(chip("authentic", ())))
    assert w.at() is State.FACE_CAPTURE
    w = walk_to(State.READING, "public_service")(read_ok(chip("authentic", ())))
    assert w.at() is State.RESULT and w.s.verified  # no face step in this profile
    w = walk_to(State.READING)(read_ok(chip(photo=None)))
    assert w.s.fallback is Reason.FACE_UNAVAILABLE


def test_liveness_and_mismatch_retries_are_bounded() -> None:
    w = walk_to(State.FACE_CAPTURE)
    limit = w.c.face_max_attempts
    for attempt in range(1, limit):
        w(captured(FLAT))
        assert w.at() is State.FACE_CAPTURE and w.s.face_attempts == attempt + 1
    w(captured(FLAT))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.LIVENESS_FAILED
    w = walk_to(State.FACE_CAPTURE)
    for _ in range(limit - 1):
        w(captured(LIVE), matched(NO_MATCH))
        assert w.at() is State.FACE_CAPTURE and w.s.hint == "face.retry"
    w(captured(LIVE), matched(NO_MATCH))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.FACE_MISMATCH
    w = walk_to(State.FACE_CAPTURE)(lambda s: ev.FaceGuidance(s.op, "turn_left"))
    assert w.at() is State.FACE_CAPTURE and w.s.hint == "face.turn_left"


def test_happy_path_persists_once_at_the_receipt() -> None:
    w = walk_to(State.RECEIPT)
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and persists[0].flow_reasons == () and persists[0].service
    assert persists[0].face == MATCH and persists[0].capture == LIVE
    w(lambda s: ev.Persisted(s.persist_op or 0, "01REF", "verified"))
    assert w.s.reference == "01REF" and w.at() is State.RECEIPT
    w(ev.Done())
    assert w.at() is State.TAKE_CARD
    w(taken, ev.Touch())
    assert w.at() is State.ATTRACT
    assert len([e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]) == 1


def test_persist_failure_at_the_receipt_goes_to_the_counter() -> None:
    w = walk_to(State.RECEIPT)(lambda s: ev.PersistFailed(s.persist_op or 0, "disk"))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.STORAGE_FAILED
    assert len([e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]) == 1


def test_service_values_are_validated() -> None:
    w = walk_to(State.SERVICE)
    w(ev.SubmitService((("room", "305"), ("nights", "999"))))
    assert w.at() is State.SERVICE and w.s.hint == "service.invalid"
    w(ev.SubmitService((("nights", "3"),)))
    assert w.at() is State.SERVICE and w.s.hint == "service.room_invalid"  # the room is not optional
    w(ev.SubmitService((("room", "305"), ("nights", "3"))))
    assert w.at() is State.RECEIPT and dict(w.s.service)["nights"] == "3"


def test_unsupported_language_and_unknown_purpose_are_hints() -> None:
    w = walk_to(State.LANGUAGE)(ev.ChooseLanguage("fr"))
    assert w.at() is State.LANGUAGE and w.s.hint == "language.unsupported"
    w(ev.ChooseLanguage("en"), ev.TogglePurpose("nope"))
    assert w.at() is State.CONSENT and w.s.hint == "consent.unknown_purpose" and w.s.language == "en"


def test_card_present_starts_the_first_candidate_with_progress() -> None:
    w = walk_to(State.PLACE_CARD)(card, lambda s: ev.ReadProgressed(s.op, "read_files", 5, 10))
    assert w.s.progress is not None and w.s.progress.done == 5
    reads = [e for e in w.effects if isinstance(e, fx.StartChipRead)]
    assert len(reads) == 1 and reads[0].candidate == 0 and w.at() is State.READING


def test_key_entry_looks_for_the_qr_code_and_stops_when_leaving() -> None:
    w = to_key_entry(Walk(config()))
    scans = [e for e in w.effects if isinstance(e, fx.StartQRScan)]
    assert len(scans) == 1 and scans[0].op == w.s.op
    w(ev.ScanQR(QR))
    assert w.at() is State.PLACE_CARD
    assert any(isinstance(e, fx.CancelOperation) and e.op == scans[0].op for e in w.effects)
    w = to_key_entry(Walk(config()))
    scan_op = w.s.op
    w(ev.Cancel())
    assert any(isinstance(e, fx.CancelOperation) and e.op == scan_op for e in w.effects)


def test_back_to_key_entry_scans_again() -> None:
    w = walk_to(State.READING)
    assert w.s.key is not None
    w(*[read_failed("access_denied")] * len(w.s.key.expiry_candidates))
    assert w.at() is State.KEY_ENTRY
    assert len([e for e in w.effects if isinstance(e, fx.StartQRScan)]) == 2


# --- the service step per profile (kiosk.flow.service) ------------------------------------------------------


def test_lodging_room_dates_and_check_out() -> None:
    w = walk_to(State.SERVICE)
    assert w.s.service_day == NOW.date() == date(2026, 11, 22)  # 09:00 UTC is 16:00 in Vietnam
    for room in ("", "3 05", "1234567", "30-5", "Phòng1"):
        w(ev.SubmitService((("room", room),)))
        assert w.at() is State.SERVICE and w.s.hint == "service.room_invalid", room
    w(ev.SubmitService((("room", "305"), ("check_in", "2026-11-20"))))  # before yesterday
    assert w.at() is State.SERVICE and w.s.hint == "service.invalid"
    w(ev.SubmitService((("room", "b12"), ("check_in", "2026-11-23"), ("nights", "2"),
                        ("reason", "Công tác"))))
    assert w.at() is State.RECEIPT
    assert dict(w.s.service) == {"room": "B12", "check_in": "2026-11-23", "nights": "2", "reason": "Công tác",
                                 "check_out": "2026-11-25"}  # fmt: skip
    persist = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)][-1]
    assert dict(persist.service)["check_out"] == "2026-11-25"


def test_lodging_check_in_defaults_to_the_local_day() -> None:
    late = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)  # 01:30 on 23 November in Vietnam
    w = walk_to(State.RESULT)
    result = step(w.s, ev.Continue(), w.c, late)
    s = step(result.session, ev.SubmitService((("room", "7"),)), w.c, late).session
    assert s.state is State.RECEIPT
    assert dict(s.service)["check_in"] == "2026-11-23" and dict(s.service)["check_out"] == "2026-11-24"


def test_hospital_department_then_queue_number() -> None:
    w = walk_to(State.SERVICE, "hospital")
    w(ev.SubmitService((("visit_type", "follow_up"),)))
    assert w.at() is State.SERVICE and w.s.hint == "service.choose_department"  # no department preselected
    w(ev.SubmitService((("department", "XYZ"),)))
    assert w.at() is State.SERVICE and w.s.hint == "service.invalid"
    w(ev.SubmitService((("department", "NGO"), ("visit_type", "follow_up"))))
    assert w.at() is State.QUEUE_NUMBER
    issue = [e for e in w.effects if isinstance(e, fx.IssueQueueNumber)]
    assert len(issue) == 1 and issue[0] == fx.IssueQueueNumber(w.s.op, "NGO", date(2026, 11, 22))
    assert not any(isinstance(e, fx.PersistAndDeliver) for e in w.effects)  # not before the number
    w(lambda s: ev.QueueNumberIssued(s.op, "NGO", date(2026, 11, 22), 17))
    assert w.at() is State.RECEIPT
    service = dict(w.s.service)
    assert service["queue_number"] == "NGO-017" and service["department"] == "NGO"
    assert service["department_name"] == "Khám Ngoại" and service["queue_day"] == "2026-11-22"
    assert service["visit_type"] == "follow_up"
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and dict(persists[0].service)["queue_number"] == "NGO-017"
    assert persists[0].flow_reasons == ()


def test_queue_number_failure_timeout_and_cancel() -> None:
    w = walk_to(State.QUEUE_NUMBER)(lambda s: ev.QueueNumberFailed(s.op, "OperationalError"))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.QUEUE_UNAVAILABLE
    assert w.s.detail == ("OperationalError",)
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and persists[0].flow_reasons == ("QUEUE_UNAVAILABLE",)
    service = dict(persists[0].service)
    assert service["department"] == "NOI" and "queue_number" not in service
    w = walk_to(State.QUEUE_NUMBER)
    op = w.s.op
    w(timeout)
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.TIMEOUT
    assert not step(w.s, ev.QueueNumberIssued(op, "NOI", NOW.date(), 3), w.c, NOW).handled  # late: stale
    w = walk_to(State.QUEUE_NUMBER)
    op = w.s.op
    w(ev.Cancel())
    assert w.at() is State.TAKE_CARD  # the card was read: it may still be on the reader
    assert any(isinstance(e, fx.CancelOperation) and e.op == op for e in w.effects)


def test_bank_confirmation_then_receipt() -> None:
    w = walk_to(State.RESULT, "bank")(ev.Continue())
    assert w.at() is State.SERVICE
    w(ev.SubmitService(()))
    assert w.at() is State.RECEIPT and dict(w.s.service) == {"confirmed": "yes"}
    w = walk_to(State.SERVICE, "bank")(ev.Cancel())  # "stop": goodbye, stored as stopped
    assert w.at() is State.TAKE_CARD
    persists = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert len(persists) == 1 and persists[0].flow_reasons == ("USER_CANCELLED",)
    assert persists[0].service == ()

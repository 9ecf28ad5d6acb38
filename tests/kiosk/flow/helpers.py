"""Shared helpers of the flow tests: configs, a fake chip outcome, and a walker through the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from kiosk.flow import events as ev
from kiosk.flow.effects import Effect
from kiosk.flow.model import FlowConfig, Session, State
from kiosk.flow.outcomes import ChipOutcome, DisplayFields, FaceCapture, FaceDecision
from kiosk.flow.table import initial, step
from kiosk.profiles import load_profile

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
NAME, ID_NUMBER = "Nguyễn Thị Mai Anh", "079303001234"
QR = f"{ID_NUMBER}||{NAME}|15062003|Nữ|12 Nguyễn Trãi, Quận 1|20042021"
PHOTO = b"\xff\xd8chip-photo"


def config(profile: str = "lodging") -> FlowConfig:
    return FlowConfig.from_profile(load_profile(profile))


def chip(verdict: str = "inconclusive", reasons: tuple[str, ...] = ("NO_ANTICLONE_PROOF",),
         photo: bytes | None = PHOTO) -> ChipOutcome:  # fmt: skip
    return ChipOutcome(verdict, reasons, {}, photo, DisplayFields(NAME, ID_NUMBER, "15/06/2003"))


LIVE = FaceCapture(True, "sim", PHOTO)
FLAT = FaceCapture(False, "sim", PHOTO, "flat_photo")
MATCH = FaceDecision("match", 0.9, 0.5, "test", "1")
NO_MATCH = FaceDecision("no_match", 0.1, 0.5, "test", "1")

Maker = Callable[[Session], ev.Event]


class Walk:
    """Applies events (built from the current session, so tokens are right) and collects effects."""

    def __init__(self, c: FlowConfig) -> None:
        self.c = c
        first = initial(c)
        self.s = first.session
        self.effects: list[Effect] = list(first.effects)

    def __call__(self, *makers: Maker | ev.Event) -> Walk:
        for m in makers:
            event = m if isinstance(m, ev.Event) else m(self.s)
            result = step(self.s, event, self.c, NOW)
            assert result.handled, (
                f"{type(event).__name__} not handled in {self.s.state.value}: {result.note}"
            )
            self.s = result.session
            self.effects += result.effects
        return self

    def at(self) -> State:
        """The current state (a method: assertions after further steps must not be narrowed away)."""
        return self.s.state


def read_ok(outcome: ChipOutcome) -> Maker:
    return lambda s: ev.ReadSucceeded(s.op, outcome)


def read_failed(kind: str) -> Maker:
    return lambda s: ev.ReadFailed(s.op, kind)


def card(s: Session) -> ev.Event:
    return ev.CardPresent(s.op)


def timeout(s: Session) -> ev.Event:
    return ev.TimerExpired(s.timer)


def taken(s: Session) -> ev.Event:
    """The runner's answer to ``WaitForCardRemoval``: the reader is empty."""
    return ev.CardTaken(s.op)


def captured(cap: FaceCapture) -> Maker:
    return lambda s: ev.FaceCaptured(s.op, cap)


def matched(d: FaceDecision) -> Maker:
    return lambda s: ev.FaceMatched(s.op, d)


def to_key_entry(w: Walk) -> Walk:
    w(ev.Touch(), ev.ChooseLanguage("vi"))
    for p in w.c.purposes:
        w(ev.TogglePurpose(p.id))
    return w(ev.AcceptConsent())


#: What the scripted person enters at each profile's service step.
SERVICE_VALUES: dict[str, tuple[tuple[str, str], ...]] = {
    "lodging": (("room", "305"),), "hospital": (("department", "NOI"), ("visit_type", "first_visit")),
    "bank": (), "public_service": (),
}


def issued(number: int) -> Maker:
    """The runner's answer to ``IssueQueueNumber``."""
    return lambda s: ev.QueueNumberIssued(s.op, "NOI", NOW.date(), number)


def walk_to(state: State, profile: str = "lodging") -> Walk:
    """A session in ``state`` reached through the table itself (the queue number: in the hospital
    profile, with a chip it accepts; "take your card": after the receipt)."""
    if state is State.TAKE_CARD:
        return walk_to(State.RECEIPT, profile)(ev.Done())
    if state in (State.QUEUE_NUMBER, State.INSURANCE):
        profile = "hospital"
    c = config(profile)
    if state is State.INSURANCE:  # a hospital checking insurance, whose gateway has not answered yet
        c = replace(c, checks_insurance=True)
    w = Walk(c)
    if state is State.ATTRACT:
        return w
    if state is State.LANGUAGE:
        return w(ev.Touch())
    if state is State.CONSENT:
        return w(ev.Touch(), ev.ChooseLanguage("vi"))
    if state is State.FALLBACK:
        return w(ev.Touch(), ev.AskForHelp())
    if state is State.WIPE:
        return w(ev.Touch(), ev.Cancel())
    if state is State.STILL_THERE:
        return w(ev.Touch(), timeout)
    to_key_entry(w)
    if state is State.KEY_ENTRY:
        return w
    w(ev.ScanQR(QR))
    if state is State.PLACE_CARD:
        return w
    w(card)
    if state is State.READING:
        return w
    w(read_ok(chip("authentic", ()) if profile in ("hospital", "bank") else chip()))
    if state is State.FACE_CAPTURE:
        return w
    w(captured(LIVE))
    if state is State.MATCHING:
        return w
    w(matched(MATCH))
    if state is State.RESULT:
        return w
    w(ev.Continue())
    if state is State.SERVICE:
        return w
    w(ev.SubmitService(SERVICE_VALUES[profile]))
    if state is State.QUEUE_NUMBER:
        return w
    if state is State.INSURANCE:
        return w(issued(17))
    if w.at() is State.QUEUE_NUMBER:
        w(issued(17))
    assert state is State.RECEIPT and w.at() is State.RECEIPT
    return w

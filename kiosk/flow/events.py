"""Events: the user's intents (sent by the UI or a scripted user) and the results of effects.

Every event is a frozen dataclass.  Results of long operations carry the ``op`` token of the request
that produced them; the machine ignores results whose token is not the current one (a cancelled read that
finishes late changes nothing).  ``TimerExpired`` carries the token of the timer it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.flow.outcomes import ChipOutcome, FaceCapture, FaceDecision, InsuranceAnswer


class Event:
    """Base class of every event."""

    __slots__ = ()


# --- intents (what a screen may send) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Touch(Event):
    """The screen was touched (wakes the attract loop, dismisses the goodbye screen)."""


@dataclass(frozen=True, slots=True)
class ChooseLanguage(Event):
    language: str  # "vi" | "en"


@dataclass(frozen=True, slots=True)
class TogglePurpose(Event):
    purpose_id: str


@dataclass(frozen=True, slots=True)
class AcceptConsent(Event):
    """The person agrees to the purposes currently ticked."""


@dataclass(frozen=True, slots=True)
class RefuseConsent(Event):
    """The person says no (offered as prominently as yes); nothing is read."""


@dataclass(frozen=True, slots=True)
class ScanQR(Event):
    """The decoded text of the card's QR code (camera or scanner)."""

    text: str

    def __repr__(self) -> str:
        return "ScanQR(<hidden>)"


@dataclass(frozen=True, slots=True)
class EnterMRZ(Event):
    text: str

    def __repr__(self) -> str:
        return "EnterMRZ(<hidden>)"


@dataclass(frozen=True, slots=True)
class MRZUnreadable(Event):
    """The camera sees the card's MRZ but cannot read it (kiosk.runtime.mrz_ocr.MRZReadFailure value:
    ``too_dark``, ``glare``, ``blurred``, ``check_digit``): the screen says what to change.  Also
    ``turn_over`` (the reader's own camera sees no code on the card lying there) and
    ``camera_unavailable`` (the camera broke: type instead)."""

    reason: str


@dataclass(frozen=True, slots=True)
class EnterIdAndBirth(Event):
    id_number: str
    birth_date: str  # dd/mm/yyyy, ddmmyyyy or ISO

    def __repr__(self) -> str:
        return "EnterIdAndBirth(<hidden>)"


@dataclass(frozen=True, slots=True)
class Continue(Event):
    """The primary button of an informational screen (result, receipt, "try again")."""


@dataclass(frozen=True, slots=True)
class SubmitService(Event):
    """The service step's values (``(field id, value)`` pairs); the bank's confirmation sends none."""

    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class StillHere(Event):
    """The person answers yes to "do you need more time?"."""


@dataclass(frozen=True, slots=True)
class Cancel(Event):
    """Stop now: everything is wiped and the kiosk says goodbye."""


@dataclass(frozen=True, slots=True)
class AskForHelp(Event):
    """The person asks for the counter instead: the staffed fallback, always offered."""


@dataclass(frozen=True, slots=True)
class Done(Event):
    """Leave the receipt or fallback screen."""


# --- results of effects and of the environment ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimerExpired(Event):
    token: int


@dataclass(frozen=True, slots=True)
class CardPresent(Event):
    op: int


@dataclass(frozen=True, slots=True)
class CardTaken(Event):
    """The card has left the reader (the answer to ``WaitForCardRemoval``)."""

    op: int


@dataclass(frozen=True, slots=True)
class ReadProgressed(Event):
    op: int
    phase: str  # reader.engine.Phase value
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class ReadSucceeded(Event):
    op: int
    outcome: ChipOutcome


@dataclass(frozen=True, slots=True)
class ReadFailed(Event):
    op: int
    kind: str  # kiosk.runtime.chip.EXIT_CODES key: access_denied, card_removed, no_card, not_icao, ...


@dataclass(frozen=True, slots=True)
class FaceGuidance(Event):
    op: int
    hint: str  # biometrics hint key, e.g. "turn_left", "move_closer"


@dataclass(frozen=True, slots=True)
class FaceCaptured(Event):
    op: int
    capture: FaceCapture


@dataclass(frozen=True, slots=True)
class FaceFailed(Event):
    op: int
    kind: str  # "camera_unavailable" | "no_face" | "engine_error"


@dataclass(frozen=True, slots=True)
class FaceMatched(Event):
    op: int
    decision: FaceDecision


@dataclass(frozen=True, slots=True)
class Persisted(Event):
    op: int
    reference: str  # the verification ID (ULID)
    status: str  # the record's status as decided by kiosk.record.decide_status


@dataclass(frozen=True, slots=True)
class PersistFailed(Event):
    op: int
    error: str


@dataclass(frozen=True, slots=True)
class QueueNumberIssued(Event):
    """The hospital queue number ``number`` of ``department`` on the local ``day`` (kiosk.storage.queue)."""

    op: int
    department: str
    day: date
    number: int


@dataclass(frozen=True, slots=True)
class QueueNumberFailed(Event):
    op: int
    error: str


@dataclass(frozen=True, slots=True)
class InsuranceChecked(Event):
    """The BHXH gateway's answer to ``CheckInsurance`` (docs/insurance.md); ``op`` is the check's token."""

    op: int
    answer: InsuranceAnswer


INTENTS: tuple[type[Event], ...] = (
    Touch, ChooseLanguage, TogglePurpose, AcceptConsent, RefuseConsent, ScanQR, EnterMRZ, EnterIdAndBirth,
    Continue, SubmitService, StillHere, Cancel, AskForHelp, Done,
)  # fmt: skip
RESULTS: tuple[type[Event], ...] = (
    TimerExpired, CardPresent, CardTaken, ReadProgressed, ReadSucceeded, ReadFailed, FaceGuidance,
    FaceCaptured, FaceFailed, FaceMatched, Persisted, PersistFailed, QueueNumberIssued, QueueNumberFailed,
    MRZUnreadable, InsuranceChecked,
)  # fmt: skip
ALL_EVENTS: tuple[type[Event], ...] = INTENTS + RESULTS

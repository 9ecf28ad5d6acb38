"""States, reason codes, configuration and the immutable session of the kiosk flow."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from kiosk.flow.outcomes import ChipOutcome, FaceCapture, FaceDecision, InsuranceAnswer
from kiosk.flow.servicefields import ServiceField, service_fields, summary_fields
from kiosk.keyentry import AccessKeyInput
from kiosk.profiles import ChipPolicy, EvidencePolicy, Profile


class State(enum.Enum):
    ATTRACT = "attract"
    LANGUAGE = "language"
    CONSENT = "consent"
    KEY_ENTRY = "key_entry"
    PLACE_CARD = "place_card"
    READING = "reading"
    FACE_CAPTURE = "face_capture"
    MATCHING = "matching"
    RESULT = "result"
    SERVICE = "service"
    QUEUE_NUMBER = "queue_number"
    INSURANCE = "insurance"  # hospital: the queue number is issued, the BHYT check has not answered yet
    RECEIPT = "receipt"
    STILL_THERE = "still_there"
    FALLBACK = "fallback"
    TAKE_CARD = "take_card"
    WIPE = "wipe"


class Reason(enum.StrEnum):
    """Fallback reason codes ("please go to the counter", with this code on the screen and in the record)."""

    CONSENT_REFUSED = "CONSENT_REFUSED"
    KEY_ENTRY_FAILED = "KEY_ENTRY_FAILED"
    ACCESS_DENIED = "ACCESS_DENIED"
    CARD_REMOVED = "CARD_REMOVED"
    NOT_A_CHIP_CARD = "NOT_A_CHIP_CARD"
    CHIP_UNREADABLE = "CHIP_UNREADABLE"
    CHIP_NOT_AUTHENTIC = "CHIP_NOT_AUTHENTIC"
    CHIP_NOT_ACCEPTED = "CHIP_NOT_ACCEPTED"
    FACE_MISMATCH = "FACE_MISMATCH"
    LIVENESS_FAILED = "LIVENESS_FAILED"
    FACE_UNAVAILABLE = "FACE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    USER_CANCELLED = "USER_CANCELLED"
    USER_ASKED_FOR_HELP = "USER_ASKED_FOR_HELP"
    STORAGE_FAILED = "STORAGE_FAILED"
    QUEUE_UNAVAILABLE = "QUEUE_UNAVAILABLE"
    NO_CHIP_PHOTO = "NO_CHIP_PHOTO"  # the chip holds no face image (a card for a child under 6)


# States where the kiosk waits for the person: a timeout there asks "do you need more time?" first.
USER_WAIT_STATES = frozenset({
    State.LANGUAGE, State.CONSENT, State.KEY_ENTRY, State.PLACE_CARD, State.RESULT, State.SERVICE,
})  # fmt: skip
# States where the kiosk waits for a machine: a timeout there is a fallback (TIMEOUT).
MACHINE_WAIT_STATES = frozenset({State.READING, State.FACE_CAPTURE, State.MATCHING, State.QUEUE_NUMBER})


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds per waiting state — generous: elderly people read slowly and place cards hesitantly."""

    language: float = 90.0
    consent: float = 240.0
    key_entry: float = 240.0
    place_card: float = 120.0
    reading: float = 60.0
    face_capture: float = 60.0
    matching: float = 30.0
    result: float = 90.0
    result_shown: float = 3.0  # the verified result, then the next step by itself
    service: float = 240.0
    queue_number: float = 20.0  # one durable commit; other kiosks sharing the database may hold the lock
    insurance: float = 6.0  # the net under the BHXH client's own budget (4 s by default; docs/insurance.md)
    receipt: float = 45.0
    receipt_after_card: float = 10.0  # the receipt after the card was lifted off, then the goodbye
    still_there: float = 30.0
    fallback: float = 90.0
    take_card: float = 10.0  # between the spoken reminders to take the card (Limits.card_left_after: the end)
    wipe: float = 6.0

    def for_state(self, state: State) -> float | None:
        """The timeout of ``state``; ``None`` for the attract loop (it waits for nobody)."""
        if state is State.ATTRACT:
            return None
        value: float = getattr(self, state.value)
        return value


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounded retries."""

    key_entry_errors: int = 3  # malformed QR/MRZ/typed entries before the counter
    wrong_key_rounds: int = 2  # times every expiry candidate was refused before the counter
    card_placements: int = 3  # card removed / not found, then placed again
    card_left_after: float = 90.0  # seconds on "please take your card" before it counts as left on the reader


@dataclass(frozen=True, slots=True)
class PurposeInfo:
    id: str
    required: bool
    text_vi: str
    text_en: str


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """What the machine needs of the deployment profile (pure data)."""

    profile: str
    kind: str
    controller: str
    purposes: tuple[PurposeInfo, ...]
    chip: ChipPolicy
    face_required: bool
    liveness_required: bool
    face_max_attempts: int
    service_fields: tuple[ServiceField, ...]
    retention_days: int
    summary_fields: tuple[str, ...] = ()  # bank: the forwarded fields its confirmation lists
    recipient: str = ""  # the institution the data goes to (shown by the bank's confirmation)
    sends_images: bool = False  # the face images go to the institution too (bank, deliver_then_delete)
    consent_documents: tuple[tuple[str, str], ...] = ()  # (language, exact text shown)
    languages: tuple[str, ...] = ("vi", "en")
    checks_insurance: bool = False  # hospital with a BHXH gateway configured (docs/insurance.md)
    reader_camera: bool = False  # the reader's own camera reads the card (docs/flow.md "Card on the reader")
    controllers: tuple[tuple[str, str], ...] = ()  # (language, the controller's name on that screen)
    timeouts: Timeouts = field(default_factory=Timeouts)
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_profile(cls, profile: Profile, *, timeouts: Timeouts | None = None,
                     limits: Limits | None = None) -> FlowConfig:  # fmt: skip

        return cls(
            profile=profile.name, kind=profile.kind, controller=profile.controller_name,
            purposes=tuple(PurposeInfo(p.id, p.required, p.text_vi, p.text_en) for p in profile.purposes),
            chip=profile.chip, face_required=profile.face.required,
            liveness_required=profile.face.liveness_required, face_max_attempts=profile.face.max_attempts,
            service_fields=service_fields(profile), retention_days=profile.retention.results_days,
            summary_fields=summary_fields(profile), recipient=profile.service.get("institution_name", ""),
            sends_images=profile.biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE,
            consent_documents=tuple((lang, profile.consent_document(lang)) for lang in ("vi", "en")),
            controllers=tuple((lang, profile.controller(lang)) for lang in ("vi", "en")),
            timeouts=timeouts or Timeouts(), limits=limits or Limits(),
        )  # fmt: skip

    def with_profile(self, profile: Profile) -> FlowConfig:
        """The same kiosk on another version of its profile (a fleet bundle, cccd/fleet.py): the profile's
        fields are taken anew; what the kiosk itself decides (:data:`KIOSK_FIELDS`) stays."""
        fresh = FlowConfig.from_profile(profile)
        return replace(fresh, **{name: getattr(self, name) for name in KIOSK_FIELDS})

    def consent_document(self, language: str) -> str:
        return dict(self.consent_documents).get(language, "")

    def controller_in(self, language: str) -> str:
        """The controller's name on a screen in ``language`` (``controller`` when none is given for it)."""
        return dict(self.controllers).get(language, self.controller)

    @property
    def has_service_step(self) -> bool:
        return bool(self.service_fields or self.summary_fields)

    @property
    def required_purposes(self) -> frozenset[str]:
        return frozenset(p.id for p in self.purposes if p.required)


#: The FlowConfig fields this kiosk's own configuration and hardware decide (cccd.compose.build_kiosk), not
#: its profile: a new profile version keeps them (:meth:`FlowConfig.with_profile`).
KIOSK_FIELDS = ("languages", "checks_insurance", "reader_camera", "timeouts", "limits")


def reader_scan(c: FlowConfig, key_rounds: int) -> bool:
    """Key entry looks through the reader's own camera (docs/flow.md "Card on the reader") — not after a key
    the chip refused: the camera would read the same card again, so the person types instead."""
    return c.reader_camera and not key_rounds


@dataclass(frozen=True, slots=True)
class ReadProgress:
    phase: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    """Everything the flow knows about the current transaction.  Immutable; every step returns a new one."""

    state: State = State.ATTRACT
    txn: int = 0  # transaction counter (the runner maps it to its own handles)
    timer: int = 0  # token of the current state's timer
    op: int = 0  # token of the current long operation
    language: str = "vi"
    choices: frozenset[str] = frozenset()
    key: AccessKeyInput | None = None
    qr_id: str | None = None  # key entry: the ID a QR code gave without a birth date (typed entry prefilled)
    expiry_index: int = 0
    key_errors: int = 0
    key_rounds: int = 0
    placements: int = 0
    progress: ReadProgress | None = None
    chip: ChipOutcome | None = None
    face_attempts: int = 0
    capture: FaceCapture | None = None
    face: FaceDecision | None = None
    verified: bool = False
    service: tuple[tuple[str, str], ...] = ()
    service_day: date | None = None  # the kiosk's local date when the service step opened
    insurance: InsuranceAnswer | None = None  # hospital: the BHYT check's answer (kiosk.flow.insurance)
    insurance_op: int | None = None  # the token the check's answer carries (it runs beside the service step)
    fallback: Reason | None = None
    detail: tuple[str, ...] = ()  # e.g. the chip verdict's reasons behind CHIP_NOT_ACCEPTED
    hint: str | None = None  # a message key for the current screen ("check the key", "place again")
    resume: State | None = None  # where STILL_THERE returns to
    persist_requested: bool = False
    persist_op: int | None = None  # the token the record's answer (Persisted, PersistFailed) carries
    reference: str | None = None
    record_status: str | None = None
    started_at: datetime | None = None
    card_seen: bool = False  # a card was on the reader in this transaction (CardPresent)
    remove_first: bool = False  # place_card: waiting for a card left there earlier to be lifted off
    reminders: int = 0  # take_card: spoken reminders so far
    card_left_at: datetime | None = None  # a card left on the reader (kept across transactions until taken)

    @property
    def card_left(self) -> bool:
        return self.card_left_at is not None

    def __repr__(self) -> str:
        return (
            f"Session(state={self.state.value}, txn={self.txn}, op={self.op}, timer={self.timer}, "
            f"fallback={self.fallback}, hint={self.hint}, chip={'read' if self.chip else None}, "
            f"card_left={self.card_left}, "
            f"<personal data hidden>)"
        )

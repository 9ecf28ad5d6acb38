"""Immutable views: what each screen must show.  A UI renders these and sends intents (kiosk.flow.events);
it never calls the reader, the face engine or the connectors.

Texts are message keys (``"consent.prompt"``) for the UI's translation catalogue, except the consent
document, which is shown verbatim (its SHA-256 goes into the consent record).  Personal data appears only
in :class:`ResultView` (the person's own name, masked ID and birth date) and :class:`ServiceView`; no
view's ``repr`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.flow.model import FlowConfig, Session, State


@dataclass(frozen=True, slots=True)
class Button:
    """A control that sends ``intent`` (an event class name of kiosk.flow.events) with ``value`` if any."""

    intent: str
    label_key: str
    value: str | None = None
    prominent: bool = False
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class View:
    state: str
    language: str
    title_key: str
    hint_key: str | None
    buttons: tuple[Button, ...]
    timeout_seconds: float | None


@dataclass(frozen=True, slots=True)
class PurposeChoice:
    id: str
    text: str
    required: bool
    checked: bool


@dataclass(frozen=True, slots=True)
class ConsentView(View):
    controller: str
    document: str  # the exact text shown (vi or en)
    purposes: tuple[PurposeChoice, ...]
    retention_days: int


@dataclass(frozen=True, slots=True)
class KeyEntryView(View):
    methods: tuple[str, ...]  # "qr", "mrz", "typed" — easiest first
    attempts_left: int


@dataclass(frozen=True, slots=True)
class PlaceCardView(View):
    placements_left: int


@dataclass(frozen=True, slots=True)
class ReadingView(View):
    phase: str
    fraction: float  # 0.0 … 1.0 for the progress bar
    key_candidate: int  # 1-based expiry candidate being tried
    key_candidates: int


@dataclass(frozen=True, slots=True)
class FaceView(View):
    attempt: int
    max_attempts: int


@dataclass(frozen=True, slots=True)
class ResultView(View):
    verified: bool
    full_name: str | None
    id_masked: str | None
    birth_date: str | None

    def __repr__(self) -> str:
        return f"ResultView(verified={self.verified}, <personal data hidden>)"


@dataclass(frozen=True, slots=True)
class ServiceField:
    id: str
    choices: tuple[str, ...]
    value: str


@dataclass(frozen=True, slots=True)
class ServiceView(View):
    fields: tuple[ServiceField, ...]


@dataclass(frozen=True, slots=True)
class ReceiptView(View):
    reference: str | None  # the verification ID once stored
    record_status: str | None  # verified | not_verified | referred


@dataclass(frozen=True, slots=True)
class FallbackView(View):
    reason: str  # a Reason code, shown small for the staff
    message_key: str
    detail: tuple[str, ...]
    reference: str | None


_PHASES = {"connect": 0.0, "card_access": 0.05, "access_control": 0.1, "read_files": 0.15,
           "passive_auth": 0.9, "chip_auth": 0.95, "done": 1.0}  # fmt: skip
_HELP = Button("AskForHelp", "common.go_to_counter")
_CANCEL = Button("Cancel", "common.cancel")


def _fraction(s: Session) -> float:
    p = s.progress
    if p is None:
        return 0.0
    base = _PHASES.get(p.phase, 0.0)
    if p.phase == "read_files" and p.total > 0:
        base += 0.75 * min(p.done, p.total) / p.total
    return round(base, 3)


Common = tuple[str, str, str, str | None, tuple[Button, ...], float | None]


def _base(s: Session, c: FlowConfig, buttons: tuple[Button, ...]) -> Common:
    """The fields every view has, in :class:`View` order."""
    st = s.state
    return st.value, s.language, f"{st.value}.title", s.hint, buttons, c.timeouts.for_state(st)


def _consent(s: Session, c: FlowConfig) -> ConsentView:
    purposes = tuple(PurposeChoice(p.id, p.text_vi if s.language == "vi" else p.text_en, p.required,
                                   p.id in s.choices) for p in c.purposes)  # fmt: skip
    ready = c.required_purposes <= s.choices
    buttons = (Button("AcceptConsent", "consent.accept", prominent=True, enabled=ready),
               Button("RefuseConsent", "consent.refuse", prominent=True), _HELP)  # fmt: skip
    return ConsentView(*_base(s, c, buttons), controller=c.controller,
                       document=c.consent_document(s.language), purposes=purposes,
                       retention_days=c.retention_days)  # fmt: skip


def _result(s: Session, c: FlowConfig) -> ResultView:
    d = s.chip.display if s.chip is not None else None
    buttons = (Button("Continue", "result.continue", prominent=True), _CANCEL)
    return ResultView(*_base(s, c, buttons), verified=s.verified,
                      full_name=d.full_name if d else None, id_masked=d.id_masked if d else None,
                      birth_date=d.birth_date if d else None)  # fmt: skip


def render(s: Session, c: FlowConfig) -> View:
    """The view of the session's current state."""
    st, lim = s.state, c.limits
    if st is State.ATTRACT:
        return View(*_base(s, c, (Button("Touch", "attract.start", prominent=True),)))
    if st is State.LANGUAGE:
        langs = tuple(Button("ChooseLanguage", f"language.{x}", value=x, prominent=True) for x in c.languages)
        return View(*_base(s, c, (*langs, _CANCEL)))
    if st is State.CONSENT:
        return _consent(s, c)
    if st is State.KEY_ENTRY:
        return KeyEntryView(*_base(s, c, (_CANCEL, _HELP)), methods=("qr", "mrz", "typed"),
                            attempts_left=lim.key_entry_errors - s.key_errors)  # fmt: skip
    if st is State.PLACE_CARD:
        return PlaceCardView(*_base(s, c, (_CANCEL, _HELP)),
                             placements_left=lim.card_placements - s.placements)  # fmt: skip
    if st is State.READING:
        n = len(s.key.expiry_candidates) if s.key else 0
        phase = s.progress.phase if s.progress else "connect"
        return ReadingView(*_base(s, c, (_CANCEL,)), phase=phase, fraction=_fraction(s),
                           key_candidate=s.expiry_index + 1, key_candidates=n)  # fmt: skip
    if st in (State.FACE_CAPTURE, State.MATCHING):
        return FaceView(*_base(s, c, (_CANCEL, _HELP)), attempt=s.face_attempts,
                        max_attempts=c.face_max_attempts)  # fmt: skip
    if st is State.RESULT:
        return _result(s, c)
    if st is State.SERVICE:
        current = dict(s.service)
        fields = tuple(ServiceField(f.id, f.choices, current.get(f.id, f.default)) for f in c.service_fields)
        buttons = (Button("SubmitService", "service.submit", prominent=True), _CANCEL, _HELP)
        return ServiceView(*_base(s, c, buttons), fields=fields)
    if st is State.RECEIPT:
        return ReceiptView(*_base(s, c, (Button("Done", "receipt.done", prominent=True),)),
                           reference=s.reference, record_status=s.record_status)  # fmt: skip
    if st is State.STILL_THERE:
        return View(*_base(s, c, (Button("StillHere", "still_there.yes", prominent=True), _CANCEL)))
    if st is State.FALLBACK:
        reason = s.fallback.value if s.fallback else "UNKNOWN"
        return FallbackView(*_base(s, c, (Button("Done", "fallback.done", prominent=True),)),
                            reason=reason, message_key=f"fallback.{reason.lower()}", detail=s.detail,
                            reference=s.reference)  # fmt: skip
    return View(*_base(s, c, (Button("Touch", "wipe.touch"),)))

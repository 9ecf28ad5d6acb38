"""Immutable views: what each screen must show.  A UI renders these and sends intents (kiosk.flow.events);
it never calls the reader, the face engine or the connectors.

Texts are message keys (``"consent.prompt"``) for the UI's translation catalogue, except the consent
document, which is shown verbatim (its SHA-256 goes into the consent record), and names that come from
the deployment profile (hospital departments).  Personal data appears only in :class:`ResultView` (the
person's own name, masked ID and birth date), the bank's :class:`ServiceView` (what will be sent, the ID
masked) and :class:`KeyEntryView` (the ID its QR code gave, to finish typing), shown to the person it
belongs to; no view's ``repr`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.flow import service as svc
from kiosk.flow.model import FlowConfig, Session, State, reader_scan
from kiosk.keyentry.idnumber import birth_year_from_id


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
    methods: tuple[str, ...]  # "reader" or "qr", "mrz", "typed" — easiest first
    attempts_left: int
    prefill_id: str | None = None  # a QR code gave the ID but no birth date: typed entry, ID filled in
    prefill_year: int | None = None  # the birth year that ID encodes (cccd-chip.md §1)
    remove_first: bool = False  # reader camera: a card left by someone earlier is on the reader

    def __repr__(self) -> str:
        return f"KeyEntryView(methods={self.methods}, prefilled={self.prefill_id is not None}, <hidden>)"


@dataclass(frozen=True, slots=True)
class PlaceCardView(View):
    placements_left: int
    remove_first: bool = False  # a card left by someone earlier is on the reader: lift it off first


@dataclass(frozen=True, slots=True)
class TakeCardView(View):
    """"Please take your ID card" (no buttons: lifting the card is the answer); ``reminders`` counts the
    spoken reminders so far (a UI speaks again when it changes)."""

    reminders: int


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
    """A field to fill: ``kind`` ``choice`` (big exclusive buttons), ``count`` / ``date`` (− and +
    through ``choices``), ``text`` (typed).  ``labels``: how to show the choices (profile data, in the
    view's language); empty: the translation key ``service.choice.<choice>``."""

    id: str
    choices: tuple[str, ...]
    value: str  # "" until chosen
    kind: str = "choice"
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One line of the bank's confirmation: a forwarded field (``service.summary.<field>``) and its value."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class ServiceView(View):
    fields: tuple[ServiceField, ...]
    kind: str = ""  # the profile's kind: hospital | lodging | bank | public_service
    today: str | None = None  # ISO date: the default check-in
    summary: tuple[SummaryLine, ...] = ()  # bank: what will be sent
    recipient: str = ""  # bank: to whom
    sends_images: bool = False  # bank: the face images are sent too

    def __repr__(self) -> str:
        return f"ServiceView(kind={self.kind}, fields={[f.id for f in self.fields]}, <personal data hidden>)"


@dataclass(frozen=True, slots=True)
class ReceiptView(View):
    reference: str | None  # the verification ID once stored
    record_status: str | None  # verified | not_verified | referred
    queue_number: str | None = None  # hospital: "NOI-017", shown big
    department: str | None = None  # hospital: the department's name in the view's language
    details: tuple[tuple[str, str], ...] = ()  # lodging: room, check_in, check_out, nights (ISO dates)
    take_card: bool = False  # the card is still on the reader: lifting it off ends the transaction
    insurance: str | None = None  # hospital: the BHYT check's sentence in the view's language
    insurance_counter: bool = False  # hospital: the reception desk settles the insurance (docs/insurance.md)

    def __repr__(self) -> str:
        return (f"ReceiptView(status={self.record_status}, queue={self.queue_number}, "
                f"insurance_counter={self.insurance_counter}, <personal data hidden>)")  # fmt: skip


@dataclass(frozen=True, slots=True)
class FallbackView(View):
    reason: str  # a Reason code, shown small for the staff
    message_key: str
    detail: tuple[str, ...]
    reference: str | None
    take_card: bool = False  # the card was on the reader: remind the person to take it to the counter


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
    """The fields every view has, in :class:`View` order (the hospital's, the hotel's and the bank's
    service steps have a title of their own, and so has "lift the card off first")."""
    st = s.state
    title = f"{st.value}.title"
    if st is State.SERVICE and c.kind in ("hospital", "lodging", "bank"):
        title = f"service.title.{c.kind}"
    if st is State.KEY_ENTRY and reader_scan(c, s.key_rounds):
        title = "place_card.title"  # the card laid on the reader gives its key there
    if st in (State.PLACE_CARD, State.KEY_ENTRY) and s.remove_first:
        title = "place_card.title_remove"
    return st.value, s.language, title, s.hint, buttons, c.timeouts.for_state(st)


def _key_methods(s: Session, c: FlowConfig) -> tuple[str, ...]:
    """The ways to give the key, easiest first: the card laid on the reader (its camera reads it), or shown
    to the camera (QR code, MRZ); typing the ID and birth date always.  After a key the chip refused, the
    reader's camera would read the same card again: typing only (kiosk.flow.handlers.to_key_entry)."""
    if not c.reader_camera:
        return ("qr", "mrz", "typed")
    return ("reader", "typed") if reader_scan(c, s.key_rounds) else ("typed",)


def _consent(s: Session, c: FlowConfig) -> ConsentView:
    purposes = tuple(PurposeChoice(p.id, p.text_vi if s.language == "vi" else p.text_en, p.required,
                                   p.id in s.choices) for p in c.purposes)  # fmt: skip
    # "Agree" stays enabled: pressed with a required purpose unticked, it says so (consent.required_missing).
    buttons = (Button("AcceptConsent", "consent.accept", prominent=True),
               Button("RefuseConsent", "consent.refuse", prominent=True), _HELP)  # fmt: skip
    return ConsentView(*_base(s, c, buttons), controller=c.controller_in(s.language),
                       document=c.consent_document(s.language), purposes=purposes,
                       retention_days=c.retention_days)  # fmt: skip


def _result(s: Session, c: FlowConfig) -> ResultView:
    d = s.chip.display if s.chip is not None else None
    buttons = (Button("Continue", "result.continue", prominent=True), _CANCEL)
    base = _base(s, c, buttons)
    if s.verified:  # it moves on by itself (handlers.to_result)
        base = (*base[:-1], c.timeouts.result_shown)
    return ResultView(*base, verified=s.verified,
                      full_name=d.full_name if d else None, id_masked=d.id_masked if d else None,
                      birth_date=d.birth_date if d else None)  # fmt: skip


def _service(s: Session, c: FlowConfig) -> ServiceView:
    """Hospital, lodging, public service: the fields; bank: what will be sent, to confirm or stop."""
    current = dict(s.service)
    fields = tuple(ServiceField(f.id, f.choices, current.get(f.id, f.default), f.kind,
                                f.labels(s.language))
                   for f in svc.fields_for_day(c.service_fields, s.service_day))  # fmt: skip
    if c.summary_fields:
        buttons = (Button("SubmitService", "service.confirm", prominent=True),
                   Button("Cancel", "service.stop", prominent=True), _HELP)  # fmt: skip
        report = s.chip.report if s.chip is not None else None
        lines = tuple(SummaryLine(f, v) for f, v in svc.summary_lines(report, c.summary_fields))
        return ServiceView(*_base(s, c, buttons), fields=fields, kind=c.kind, summary=lines,
                           recipient=c.recipient or c.controller_in(s.language),
                           sends_images=c.sends_images)  # fmt: skip
    buttons = (Button("SubmitService", "service.submit", prominent=True), _CANCEL, _HELP)
    today = s.service_day.isoformat() if s.service_day else None
    return ServiceView(*_base(s, c, buttons), fields=fields, kind=c.kind, today=today)


def _receipt(s: Session, c: FlowConfig) -> ReceiptView:
    v = dict(s.service)
    number = v.get("queue_number")
    department = svc.department_name(c, v["department"], s.language) if number and "department" in v else None
    details = tuple((k, v[k]) for k in ("room", "check_in", "check_out", "nights") if k in v)
    answer = s.insurance
    # While the card is on the reader there is nothing to tap: lifting the card off ends the transaction.
    buttons = () if s.card_seen else (Button("Done", "receipt.done", prominent=True),)
    return ReceiptView(*_base(s, c, buttons), reference=s.reference,
                       record_status=s.record_status, queue_number=number, department=department,
                       details=details, take_card=s.card_seen,
                       insurance=answer.message(s.language) if answer else None,
                       insurance_counter=bool(answer and answer.refer_to_counter))  # fmt: skip


def render(s: Session, c: FlowConfig) -> View:
    """The view of the session's current state."""
    st, lim = s.state, c.limits
    if st is State.ATTRACT:  # the languages are offered at once: a tap on one starts in it (issue 14)
        langs = tuple(Button("ChooseLanguage", f"language.{x}", value=x, prominent=True) for x in c.languages)
        return View(*_base(s, c, (Button("Touch", "attract.start", prominent=True), *langs)))
    if st is State.LANGUAGE:
        langs = tuple(Button("ChooseLanguage", f"language.{x}", value=x, prominent=True) for x in c.languages)
        return View(*_base(s, c, (*langs, _CANCEL)))
    if st is State.CONSENT:
        return _consent(s, c)
    if st is State.KEY_ENTRY:
        return KeyEntryView(*_base(s, c, (_CANCEL, _HELP)), methods=_key_methods(s, c),
                            attempts_left=lim.key_entry_errors - s.key_errors, prefill_id=s.qr_id,
                            prefill_year=birth_year_from_id(s.qr_id) if s.qr_id else None,
                            remove_first=s.remove_first)  # fmt: skip
    if st is State.PLACE_CARD:
        return PlaceCardView(*_base(s, c, (_CANCEL, _HELP)),
                             placements_left=lim.card_placements - s.placements,
                             remove_first=s.remove_first)  # fmt: skip
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
        return _service(s, c)
    if st in (State.QUEUE_NUMBER, State.INSURANCE):
        return View(*_base(s, c, (_CANCEL,)))
    if st is State.RECEIPT:
        return _receipt(s, c)
    if st is State.STILL_THERE:
        return View(*_base(s, c, (Button("StillHere", "still_there.yes", prominent=True), _CANCEL)))
    if st is State.FALLBACK:
        reason = s.fallback.value if s.fallback else "UNKNOWN"
        return FallbackView(*_base(s, c, (Button("Done", "fallback.done", prominent=True),)),
                            reason=reason, message_key=f"fallback.{reason.lower()}", detail=s.detail,
                            reference=s.reference, take_card=s.card_seen)  # fmt: skip
    if st is State.TAKE_CARD:
        return TakeCardView(*_base(s, c, ()), reminders=s.reminders)
    return View(*_base(s, c, (Button("Touch", "wipe.touch"),)))

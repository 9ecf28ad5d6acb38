"""Sample views of every kiosk state, rendered by the flow's own renderer (kiosk.flow.views.render) from
hand-made sessions: the screenshot set and the screen tests.  The personal data is invented."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from kiosk.flow.model import FlowConfig, ReadProgress, Reason, Session, State
from kiosk.flow.outcomes import DisplayFields, InsuranceAnswer, sample_chip_outcome
from kiosk.flow.views import View, render
from kiosk.profiles import load_profile

SAMPLE_REFERENCE = "01JDQ7Z8V4M3K9X2T5R6Y1B0NC"
_DAY = date(2026, 11, 22)
# the simulated elderly person (sims/profiles/elderly.toml), whose chip photo and live capture the result
# screenshot shows (cccd.uiapp.sample_photos)
_DISPLAY = DisplayFields(full_name="TRẦN VĂN PHÚC", id_number="001234567890", birth_date="02/03/1950")
_PERSONAL = {
    "id_number": "001234567890", "full_name": "TRẦN VĂN PHÚC", "date_of_birth": "02/03/1950",
    "sex": "Nam",
    "nationality": "Việt Nam", "old_id_number": "012345678",
    "place_of_residence": "Số 12 ngõ 34 phố Hàng Bạc, Phường Hoàn Kiếm, Hà Nội",
    "date_of_issue": "10/05/2021", "date_of_expiry": "Không thời hạn", "ethnicity": "Kinh"}  # fmt: skip
_CHIP = sample_chip_outcome(_DISPLAY, _PERSONAL)
_HOSPITAL_DONE = (("department", "NOI"), ("visit_type", "first_visit"), ("department_name", "Khám Nội"),
                  ("queue_number", "NOI-017"), ("queue_day", _DAY.isoformat()))  # fmt: skip
_LODGING_DONE = (("room", "B305"), ("check_in", _DAY.isoformat()), ("nights", "2"), ("reason", "Du lịch"),
                 ("check_out", "2026-11-24"))  # fmt: skip
_INSURED = InsuranceAnswer("valid", "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: Bệnh viện Chợ Rẫy.",
                           "Health insurance valid until 31/12/2030, registered at: Bệnh viện Chợ Rẫy.",
                           False)
_EXPIRED = InsuranceAnswer("expired", "Thẻ BHYT đã hết hạn (31/12/2025).",
                           "Your health insurance expired (31/12/2025).", True)
_LEFT_AT = datetime(2026, 11, 22, 1, 52, tzinfo=UTC)  # 08:52 in Vietnam: a card left on the reader


@dataclass(frozen=True, slots=True)
class Sample:
    name: str  # file stem: "<nn>-<state>[-variant]"
    view: View
    method: str | None = None  # key entry: the method tab to show
    values: tuple[tuple[str, str], ...] = ()  # service step: what the person has entered on the screen
    card_model: str | None = None  # the answer to "which card do you have?" (the window keeps it)

    def __repr__(self) -> str:
        return f"Sample({self.name})"


Values = tuple[tuple[str, str], ...]
# (name, profile — None: the one asked for —, session changes, key-entry method, values entered on screen)
Row = tuple[str, str | None, dict[str, Any], str | None, Values]


def _rows(config: FlowConfig) -> list[Row]:
    """The screens in the order of a transaction (the service step and receipt: the hospital's), then
    variants — so that the numbers of the screens already published never change."""
    return [
        ("attract", None, {"state": State.ATTRACT}, None, ()),
        ("language", None, {"state": State.LANGUAGE}, None, ()),
        ("consent", None, {"state": State.CONSENT}, None, ()),
        ("consent-ticked", None, {"state": State.CONSENT, "choices": config.required_purposes}, None, ()),
        ("key_entry-qr", None, {"state": State.KEY_ENTRY}, "qr", ()),
        ("key_entry-typed", None, {"state": State.KEY_ENTRY, "hint": "key_entry.check_key", "key_errors": 1},
         "typed", ()),
        ("place_card", None, {"state": State.PLACE_CARD, "hint": "place_card.again", "placements": 1}, None,
         ()),
        ("reading", None, {"state": State.READING, "progress": ReadProgress("read_files", 5, 12)}, None, ()),
        ("face_capture", None, {"state": State.FACE_CAPTURE, "hint": "face.turn_left", "face_attempts": 1},
         None, ()),
        ("face_capture-quality", None, {"state": State.FACE_CAPTURE, "hint": "face.move_closer",
                                        "face_attempts": 2}, None, ()),
        ("matching", None, {"state": State.MATCHING, "face_attempts": 1}, None, ()),
        ("result", None, {"state": State.RESULT, "chip": _CHIP, "verified": True}, None, ()),
        ("result-failed", None, {"state": State.RESULT, "chip": _CHIP, "verified": False}, None, ()),
        ("service", "hospital", {"state": State.SERVICE, "service_day": _DAY}, None,
         (("department", "NOI"),)),
        ("receipt", "hospital", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE, "card_seen": True,
                                 "record_status": "verified", "service": _HOSPITAL_DONE}, None, ()),
        ("still_there", None, {"state": State.STILL_THERE, "resume": State.CONSENT}, None, ()),
        ("fallback", None, {"state": State.FALLBACK, "fallback": Reason.FACE_MISMATCH,
                            "reference": SAMPLE_REFERENCE, "card_seen": True}, None, ()),
        ("wipe", None, {"state": State.WIPE}, None, ()),
        # variants: "agree" with nothing ticked; the hospital before a department is chosen and while the
        # number is issued; the hotel's and the bank's service step
        ("consent-missing", None, {"state": State.CONSENT, "hint": "consent.required_missing"}, None, ()),
        ("service-missing", "hospital", {"state": State.SERVICE, "service_day": _DAY,
                                         "hint": "service.choose_department"}, None, ()),
        ("queue_number", "hospital", {"state": State.QUEUE_NUMBER, "service": _HOSPITAL_DONE[:2]}, None, ()),
        ("service-lodging", "lodging", {"state": State.SERVICE, "service_day": _DAY}, None,
         (("room", "B305"), ("nights", "2"))),
        ("receipt-lodging", "lodging", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE,
                                        "record_status": "verified", "service": _LODGING_DONE}, None, ()),

        ("service-bank", "bank", {"state": State.SERVICE, "chip": _CHIP, "service_day": _DAY}, None, ()),
        # the card at the end: "take your ID card" (after the first reminder); the next person finds a
        # card left on the reader (attract loop, then "lift it off first")
        ("take_card", None, {"state": State.TAKE_CARD, "reminders": 1, "hint": "take_card.reminder"}, None,
         ()),
        ("attract-card_left", None, {"state": State.ATTRACT, "card_left_at": _LEFT_AT,
                                     "hint": "attract.card_left"}, None, ()),
        ("place_card-remove_first", None, {"state": State.PLACE_CARD, "card_left_at": _LEFT_AT,
                                           "remove_first": True, "hint": "place_card.remove_first"},
         None, ()),
        # the hospital's BHYT check (docs/insurance.md): the wait after the number, a valid card on the
        # receipt, an expired one (the desk settles it; the number stays)
        ("insurance", "hospital", {"state": State.INSURANCE, "service": _HOSPITAL_DONE}, None, ()),
        ("receipt-insurance", "hospital", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE,
                                           "record_status": "verified", "service": _HOSPITAL_DONE,
                                           "insurance": _INSURED}, None, ()),
        ("receipt-insurance_counter", "hospital", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE,
                                                   "record_status": "verified", "service": _HOSPITAL_DONE,
                                                   "insurance": _EXPIRED}, None, ()),
        # a chip without a face photo (a card for a child under 6; docs/card-2024.md)
        ("fallback-no_chip_photo", None, {"state": State.FALLBACK, "fallback": Reason.NO_CHIP_PHOTO,
                                          "reference": SAMPLE_REFERENCE, "card_seen": True,
                                          "detail": ("IDENTITY_DATA_MISSING",)}, None, ()),
        # "which card do you have?" answered (the 2024 card: its QR code on the back), the card placed
        # accordingly; a QR code without a birth date (the typed entry prefilled); the receipt once the card
        # was taken back
        ("key_entry-card_2024", None, {"state": State.KEY_ENTRY, "_card": "2024"}, "qr", ()),
        ("place_card-card_2024", None, {"state": State.PLACE_CARD, "_card": "2024"}, None, ()),
        ("key_entry-qr_birth", None, {"state": State.KEY_ENTRY, "qr_id": "079303001234",
                                      "hint": "key_entry.qr_birth_needed"}, None, ()),
        ("receipt-card_taken", "hospital", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE,
                                            "record_status": "verified", "service": _HOSPITAL_DONE},
         None, ()),
        ("key_entry-card_2021", None, {"state": State.KEY_ENTRY, "_card": "2021"}, "qr", ()),
        # a reader with its own camera (docs/flow.md "Card on the reader"): the card laid on it, QR code down
        # (the 2024 card chosen); a card left there by someone earlier is asked off first
        ("key_entry-reader", None, {"state": State.KEY_ENTRY, "_reader": True, "_card": "2024"}, "reader",
         ()),
        ("key_entry-reader_remove_first", None, {"state": State.KEY_ENTRY, "_reader": True,
                                                 "card_left_at": _LEFT_AT, "remove_first": True,
                                                 "hint": "place_card.remove_first"}, None, ()),
        # the card lies there, but its side without codes faces the camera
        ("key_entry-reader_turn_over", None, {"state": State.KEY_ENTRY, "_reader": True, "card_seen": True,
                                              "hint": "key_entry.reader_turn_over"}, "reader", ()),
    ]  # fmt: skip


def flow_config(profile: str = "hospital") -> FlowConfig:
    return FlowConfig.from_profile(load_profile(profile))


def sample_views(language: str = "vi", profile: str = "hospital") -> list[Sample]:
    """One sample per screen and a few variants; the service step and receipt are the hospital's, the
    hotel's and the bank's whatever ``profile`` is (the others use ``profile``)."""
    config = flow_config(profile)
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    out = []
    for i, (name, other, changes, method, values) in enumerate(_rows(config), start=1):
        changes = dict(changes)
        card = changes.pop("_card", None)
        on_reader = changes.pop("_reader", False)
        session = replace(Session(), language=language, started_at=start, **changes)
        cfg = flow_config(other) if other else config
        cfg = replace(cfg, reader_camera=True) if on_reader else cfg
        out.append(Sample(f"{i:02d}-{name}", render(session, cfg), method, values, card))
    return out

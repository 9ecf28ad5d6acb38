"""Sample views of every kiosk state, rendered by the flow's own renderer (kiosk.flow.views.render) from
hand-made sessions: the screenshot set and the screen tests.  The personal data is invented."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kiosk.flow.model import FlowConfig, ReadProgress, Reason, Session, State
from kiosk.flow.outcomes import ChipOutcome, DisplayFields
from kiosk.flow.views import View, render
from kiosk.profiles import load_profile

SAMPLE_REFERENCE = "01JDQ7Z8V4M3K9X2T5R6Y1B0NC"
_DISPLAY = DisplayFields(full_name="NGUYỄN THỊ HỒNG NHUNG", id_number="001234567890", birth_date="14/03/1952")
_CHIP = ChipOutcome(verdict="authentic", reasons=(), report={}, photo=None, display=_DISPLAY)


@dataclass(frozen=True, slots=True)
class Sample:
    name: str  # file stem: "<nn>-<state>[-variant]"
    view: View
    method: str | None = None  # key entry: the method tab to show

    def __repr__(self) -> str:
        return f"Sample({self.name})"


def _sessions(config: FlowConfig) -> list[tuple[str, dict[str, Any], str | None]]:
    return [
        ("attract", {"state": State.ATTRACT}, None),
        ("language", {"state": State.LANGUAGE}, None),
        ("consent", {"state": State.CONSENT}, None),
        ("consent-ticked", {"state": State.CONSENT, "choices": config.required_purposes}, None),
        ("key_entry-qr", {"state": State.KEY_ENTRY}, "qr"),
        ("key_entry-typed", {"state": State.KEY_ENTRY, "hint": "key_entry.check_key", "key_errors": 1},
         "typed"),
        ("place_card", {"state": State.PLACE_CARD, "hint": "place_card.again", "placements": 1}, None),
        ("reading", {"state": State.READING, "progress": ReadProgress("read_files", 5, 12)}, None),
        ("face_capture", {"state": State.FACE_CAPTURE, "hint": "face.turn_left", "face_attempts": 1}, None),
        ("face_capture-quality", {"state": State.FACE_CAPTURE, "hint": "face.move_closer",
                                  "face_attempts": 2}, None),
        ("matching", {"state": State.MATCHING, "face_attempts": 1}, None),
        ("result", {"state": State.RESULT, "chip": _CHIP, "verified": True}, None),
        ("result-failed", {"state": State.RESULT, "chip": _CHIP, "verified": False}, None),
        ("service", {"state": State.SERVICE}, None),
        ("receipt", {"state": State.RECEIPT, "reference": SAMPLE_REFERENCE, "record_status": "verified"},
         None),
        ("still_there", {"state": State.STILL_THERE, "resume": State.CONSENT}, None),
        ("fallback", {"state": State.FALLBACK, "fallback": Reason.FACE_MISMATCH,
                      "reference": SAMPLE_REFERENCE}, None),
        ("wipe", {"state": State.WIPE}, None),
    ]


def flow_config(profile: str = "hospital") -> FlowConfig:
    return FlowConfig.from_profile(load_profile(profile))


def sample_views(language: str = "vi", profile: str = "hospital") -> list[Sample]:
    """One sample per screen (and a few variants), in the order of a transaction."""
    config = flow_config(profile)
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    out = []
    for i, (name, changes, method) in enumerate(_sessions(config), start=1):
        session = replace(Session(), language=language, started_at=start, **changes)
        out.append(Sample(f"{i:02d}-{name}", render(session, config), method))
    return out

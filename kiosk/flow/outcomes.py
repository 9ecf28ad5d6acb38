"""Values the effect runner hands back to the state machine: a chip read, a face capture, a face decision.

They hold personal data (chip report, photos), so their ``repr`` shows none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reader.chipreport import ChipReport
from reader.lds.dg13 import PersonalData
from reader.lds.mrz import mask_id
from reader.report import FileStatus


@dataclass(frozen=True, slots=True)
class DisplayFields:
    """What the result screen shows the person standing at the kiosk (their own data, nobody else's)."""

    full_name: str | None
    id_number: str | None
    birth_date: str | None

    @property
    def id_masked(self) -> str | None:
        return mask_id(self.id_number) if self.id_number else None

    def __repr__(self) -> str:
        return f"DisplayFields(id={self.id_masked}, <personal data hidden>)"


@dataclass(frozen=True, slots=True)
class ChipOutcome:
    """A finished chip read: the typed report (:class:`reader.chipreport.ChipReport`) and the DG2 photo."""

    verdict: str  # reader.report.Verdict value: authentic | not_authentic | inconclusive
    reasons: tuple[str, ...]
    report: ChipReport
    photo: bytes | None
    display: DisplayFields

    def __repr__(self) -> str:
        return f"ChipOutcome(verdict={self.verdict}, reasons={self.reasons}, <data hidden>)"

    @property
    def without_face_image(self) -> bool:
        """The chip holds no face image at all: no DG2 (the card of a child under 6, which carries no
        photo: Circular 16/2024/TT-BCA; docs/card-2024.md), or a DG2 without an image (``DG2_NO_IMAGE``).
        Not a photo that is there but cannot be decoded (that is the face step's failure)."""
        report = self.report
        if self.photo is not None or not isinstance(report, ChipReport) or "DG1" not in report.files:
            return False  # a chip that was not read (or only a sample's document data): nothing is known
        dg2 = report.files.get("DG2")
        if dg2 is None or dg2.status is FileStatus.ABSENT:
            return True
        return "DG2_NO_IMAGE" in report.data_reasons


@dataclass(frozen=True, slots=True)
class FaceDecision:
    """A 1:1 comparison of the live capture against the chip photo."""

    decision: str  # "match" | "no_match"
    score: float
    threshold: float
    engine: str
    engine_version: str
    target_fmr: float | None = None


@dataclass(frozen=True, slots=True)
class FaceCapture:
    """One live capture with its liveness result.  ``live_jpeg`` stays in memory only."""

    liveness_passed: bool
    liveness_type: str
    live_jpeg: bytes
    failure: str | None = None  # e.g. "flat_photo", "static", "no_face"
    decision: FaceDecision | None = None  # engines that compare during the capture decide here

    def __repr__(self) -> str:
        return f"FaceCapture(liveness_passed={self.liveness_passed}, failure={self.failure}, <image hidden>)"


@dataclass(frozen=True, slots=True)
class InsuranceAnswer:
    """The hospital's health-insurance (BHYT) check as the flow keeps it (docs/insurance.md): the status
    (:class:`kiosk.insurance.InsuranceStatus` value), the citizen's sentence in both languages, whether the
    reception desk must settle the insurance, and the flat ``insurance_*`` values for the record's
    ``service`` object.  Personal data (card code, validity): the repr shows none of it."""

    status: str
    message_vi: str
    message_en: str
    refer_to_counter: bool
    service: tuple[tuple[str, str], ...] = ()

    def message(self, language: str) -> str:
        return self.message_vi if language == "vi" else self.message_en

    def __repr__(self) -> str:
        return f"InsuranceAnswer({self.status}, counter={self.refer_to_counter}, <card hidden>)"

    @classmethod
    def not_checked(cls, why: str) -> InsuranceAnswer:
        """No answer within the flow's own deadline (the client's budget is shorter; this is the net)."""
        return cls("unavailable", "Chưa kiểm tra được thẻ BHYT lúc này.",
                   "Your insurance could not be checked just now.", True,
                   (("insurance_status", "unavailable"), ("insurance_gateway_code", ""),
                    ("insurance_note", why)))  # fmt: skip


def sample_chip_outcome(display: DisplayFields, personal: Mapping[str, str]) -> ChipOutcome:
    """An authentic read of invented data (the sample screens and their tests): ``personal`` holds DG13
    field values by name (:class:`reader.lds.dg13.PersonalData`)."""
    report = ChipReport.document_only(display.id_number, PersonalData(**personal))  # type: ignore[arg-type]
    return ChipOutcome(report.verdict.value, (), report, None, display)

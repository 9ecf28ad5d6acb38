"""The chip report: one typed, immutable value that carries a finished read from the reader to the kiosk.

It joins the engine's :class:`reader.engine.ChipReadResult` (access, files, passive authentication, the
anti-clone proofs, the verdict) with what the data groups say (DG1 MRZ, DG13 personal data, DG2 photo;
ICAO 9303-10 §4.7, cccd-chip.md §4).  The JSON report of ``cccd read --json`` is a view of it
(:meth:`ChipReport.to_json`); nothing reads that JSON back.  ``repr`` shows no personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reader.auth.passive import PassiveAuthResult
from reader.errors import ParseError
from reader.findings import Finding
from reader.lds.dg1 import MRZ, parse_dg1
from reader.lds.dg2 import parse_dg2
from reader.lds.dg13 import PersonalData, parse_dg13

if TYPE_CHECKING:
    from reader.engine import ChipReadResult

from reader.report import AccessInfo, FileResult, FileStatus, ProofCheck, ReadStats, Verdict, proof_summary


def mrz_json(mrz: MRZ) -> dict[str, Any]:
    """The JSON view of DG1's MRZ (ICAO 9303-10 §4.7.1); ``failed_checks`` names check digits that fail."""
    return {
        "lines": list(mrz.lines), "document_number": mrz.document_number,
        "date_of_birth": mrz.date_of_birth, "date_of_expiry": mrz.date_of_expiry, "sex": mrz.sex,
        "name": mrz.name, "failed_checks": [str(c) for c in mrz.failed_checks],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    """What the DG2 face image is (ISO/IEC 19794-5 / 39794-5 record) — never the image itself."""

    format: str  # jpeg | jpeg2000 | unknown
    mime_type: str
    width: int
    height: int
    size: int
    container: str

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "mime_type": self.mime_type, "width": self.width,
                "height": self.height, "bytes": self.size, "container": self.container}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocumentData:
    """The holder's data from the chip: the 12-digit ID (DG13, else DG1's optional data), DG1, DG13, the
    photo's description."""

    id_number: str | None
    mrz: MRZ | None  # DG1
    personal: PersonalData | None
    photo: PhotoInfo | None

    def __repr__(self) -> str:
        return "DocumentData(<personal data hidden>)"

    def to_json(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number,
            "mrz": mrz_json(self.mrz) if self.mrz else None,
            "personal": self.personal.to_dict() if self.personal else None,
            "photo": self.photo.to_json() if self.photo else None,
        }


@dataclass(frozen=True, slots=True)
class ChipReport:
    """A finished read: the verdict with its reasons, how the chip was opened, each file, passive
    authentication, the anti-clone proofs, the document data and the DG2 photo (``photo``, in memory)."""

    verdict: Verdict
    reasons: tuple[str, ...]  # the engine's verdict reasons
    access: AccessInfo
    files: Mapping[str, FileResult]
    stats: ReadStats
    passive_auth: PassiveAuthResult | None
    proofs: tuple[ProofCheck, ...]
    document: DocumentData
    data_reasons: tuple[str, ...]  # findings about the data (DG1_CHECK_DIGIT_MISMATCH, ACCESS_DOWNGRADED …)
    notes: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()  # what the reader tolerated or noticed (docs/chip-faults.md)
    photo: bytes | None = field(default=None, repr=False)
    raw: Mapping[str, bytes] = field(default_factory=dict, repr=False)  # the files as read (dumps)
    evidence: Mapping[str, Any] | None = field(default=None, repr=False)  # AA/CA/PACE records (dumps)

    def __repr__(self) -> str:
        return f"ChipReport(verdict={self.verdict.value}, reasons={list(self.all_reasons)}, <data hidden>)"

    @classmethod
    def document_only(cls, id_number: str | None, personal: PersonalData | None,
                      verdict: Verdict = Verdict.AUTHENTIC) -> ChipReport:  # fmt: skip
        """A report that carries document data and nothing else (sample screens, tests)."""
        return cls(verdict=verdict, reasons=(), access=AccessInfo("PACE"), files={},
                   stats=ReadStats(0, 0, 0, 0.0, 0.0), passive_auth=None, proofs=(),
                   document=DocumentData(id_number, None, personal, None), data_reasons=())  # fmt: skip

    @property
    def all_reasons(self) -> tuple[str, ...]:
        """The verdict's reasons, then the data findings, each once."""
        return tuple(dict.fromkeys([*self.reasons, *self.data_reasons]))

    @property
    def data_groups_read(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.files.items() if n.startswith("DG") and f.status is FileStatus.READ)

    def to_json(self) -> dict[str, Any]:
        """The JSON report (``cccd read --json``): verdict, reasons, access (``downgraded``), files, stats,
        checks (``passive_auth``, ``chip_auth``, ``active_auth``, ``pace_cam``, ``anticlone.method``),
        document, data_reasons, notes."""
        pa = self.passive_auth
        return {
            "verdict": self.verdict.value,
            "reasons": list(self.reasons),
            "access": self.access.to_dict(),
            "files": {name: f.to_dict() for name, f in self.files.items()},
            "stats": self.stats.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "checks": {
                "passive_auth": pa.to_dict() if pa is not None else {"result": "not_performed"},
                **proof_summary(self.proofs),
            },
            "document": self.document.to_json(),
            "data_reasons": list(self.data_reasons),
            "notes": list(self.notes),
        }


def _mrz(raw: Mapping[str, bytes], reasons: list[str]) -> MRZ | None:
    if "DG1" not in raw:
        return None
    try:
        mrz = parse_dg1(raw["DG1"])
    except ParseError:
        reasons.append("DG1_UNPARSEABLE")
        return None
    if mrz.failed_checks:
        reasons.append("DG1_CHECK_DIGIT_MISMATCH")
    return mrz


def _personal(raw: Mapping[str, bytes], reasons: list[str]) -> PersonalData | None:
    if "DG13" not in raw:
        return None
    try:
        return parse_dg13(raw["DG13"])
    except ParseError:
        reasons.append("DG13_UNPARSEABLE")
        return None


_FORMAT_NAMES = {"JPEG": "jpeg", "JPEG2000": "jpeg2000", "JPEG2000_CODESTREAM": "jpeg2000"}


def _photo(raw: Mapping[str, bytes], reasons: list[str]) -> tuple[PhotoInfo | None, bytes | None]:
    """What DG2's first face image is, and its bytes (JPEG or JPEG 2000); DG2 is parsed once for both."""
    if "DG2" not in raw:
        return None, None
    try:
        images = parse_dg2(raw["DG2"]).images
    except ParseError:
        reasons.append("DG2_UNPARSEABLE")
        return None, None
    if not images:
        reasons.append("DG2_NO_IMAGE")
        return None, None
    img = images[0]
    info = PhotoInfo(
        format=_FORMAT_NAMES.get(img.image_format.name, "unknown"), mime_type=img.image_format.mime_type,
        width=img.width or 0, height=img.height or 0, size=len(img.image), container=img.record_format,
    )  # fmt: skip
    return info, img.image


def build_chip_report(result: ChipReadResult, notes: list[str] | tuple[str, ...] = ()) -> ChipReport:
    """The report of ``result``: the data groups parsed, the data findings added (an unparseable DG, DG1
    check digits, DG1 and DG13 disagreeing on the ID, a PACE→BAC downgrade)."""
    data_reasons: list[str] = []
    mrz = _mrz(result.raw, data_reasons)
    mrz_id = mrz.personal_id if mrz else None
    personal = _personal(result.raw, data_reasons)
    dg13_id = personal.id_number if personal else None
    if dg13_id and mrz_id and dg13_id != mrz_id:
        data_reasons.append("ID_MISMATCH_DG1_DG13")
    photo, photo_bytes = _photo(result.raw, data_reasons)
    if result.access.downgraded:
        data_reasons.append("ACCESS_DOWNGRADED")  # PACE offered, BAC used (kiosk.profiles.ChipPolicy)
    return ChipReport(
        verdict=result.verdict, reasons=tuple(result.reasons), access=result.access,
        files=dict(result.files), stats=result.stats, passive_auth=result.passive_auth,
        proofs=tuple(result.proofs),
        document=DocumentData(dg13_id or mrz_id, mrz, personal, photo),
        data_reasons=tuple(data_reasons), notes=(*notes, *result.notes), findings=tuple(result.findings),
        photo=photo_bytes, raw=dict(result.raw), evidence=result.evidence,
    )  # fmt: skip

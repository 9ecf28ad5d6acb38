"""The chip's access-key inputs from whatever the person offers (cccd-chip.md §2).

* BAC (ICAO 9303-11 §9.7.2): document number = the last 9 digits of the 12-digit ID, birth date, and an
  expiry that — without the MRZ — is one of a few candidates from the renewal milestones, tried in order.
* PACE with CAN (ICAO 9303-11 §9.2): the CAN is the last 6 digits of the ID (a reader convention).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.keyentry.dates import as_date, parse_yymmdd
from kiosk.keyentry.errors import InvalidDateError, KeyEntryError
from kiosk.keyentry.expiry import expiry_candidates
from kiosk.keyentry.idnumber import birth_year_from_id, check_id_matches_birth, normalise_id
from kiosk.keyentry.mrz import bac_fields_from_mrz
from kiosk.keyentry.qr import QRPayload
from reader.access.bac import BACKeyInput
from reader.errors import ParseError
from reader.lds.mrz import NO_EXPIRY_MRZ, cccd_can, cccd_document_number, mask_id, mrz_information, yymmdd


@dataclass(frozen=True, slots=True)
class AccessKeyInput:
    """What the chip engine needs to open the card.  Holds secrets: its repr shows none of them.

    ``expiry_candidates`` are ``YYMMDD`` values, most likely first (exactly one when the MRZ was read).
    ``can`` is ``None`` when no 12-digit ID is known (a foreign MRZ).
    """

    document_number: str
    date_of_birth: str  # YYMMDD
    expiry_candidates: tuple[str, ...]
    can: str | None
    id_number: str | None
    source: str  # "qr" | "typed" | "mrz"

    def __repr__(self) -> str:
        pid = mask_id(self.id_number) if self.id_number else None
        return (
            f"AccessKeyInput(source={self.source}, id={pid}, "
            f"expiry_candidates={len(self.expiry_candidates)}, <keys hidden>)"
        )

    def bac_key_seeds(self) -> tuple[str, ...]:
        """The BAC ``MRZ_information`` strings (ICAO 9303-11 §9.7.2), one per expiry candidate, in order."""
        try:
            return tuple(
                mrz_information(self.document_number, self.date_of_birth, expiry)
                for expiry in self.expiry_candidates
            )
        except ParseError as exc:
            raise KeyEntryError("the access-key fields are malformed") from exc

    def bac_key(self, index: int = 0) -> BACKeyInput:
        """The BAC inputs with expiry candidate ``index`` (ICAO 9303-11 §9.7.2)."""
        return BACKeyInput(self.document_number, self.date_of_birth, self.expiry_candidates[index])


def from_id_and_birth(
    id_number: str,
    birth_date: date | str,
    issue_date: date | str | None = None,
    *,
    today: date | None = None,
    source: str = "typed",
) -> AccessKeyInput:
    """BAC and CAN inputs from the 12-digit ID and birth date (and the issue date when known)."""
    pid = normalise_id(id_number)
    birth = as_date(birth_date)
    issue = as_date(issue_date) if issue_date is not None else None
    check_id_matches_birth(pid, birth)
    return AccessKeyInput(
        document_number=cccd_document_number(pid),
        date_of_birth=yymmdd(birth),
        expiry_candidates=expiry_candidates(birth, issue, today=today),
        can=cccd_can(pid),
        id_number=pid,
        source=source,
    )


def from_qr(payload: QRPayload, *, today: date | None = None) -> AccessKeyInput:
    """Access-key inputs from a parsed QR payload (its birth date is required)."""
    if payload.birth_date is None:
        raise InvalidDateError("the QR code carries no recognisable birth date; enter it by hand")
    issue = payload.issue_date
    if issue is not None and (issue < payload.birth_date or (today and issue > today)):
        issue = None  # an implausible issue date must not hide the real candidates
    return from_id_and_birth(payload.id_number, payload.birth_date, issue, today=today, source="qr")


def from_mrz(text: str) -> AccessKeyInput:
    """Access-key inputs from typed or OCR'd MRZ text: the exact expiry, no candidates needed."""
    fields = bac_fields_from_mrz(text)
    can = cccd_can(fields.personal_id) if fields.personal_id else None
    return AccessKeyInput(
        document_number=fields.document_number,
        date_of_birth=fields.date_of_birth,
        expiry_candidates=(fields.date_of_expiry,),
        can=can,
        id_number=fields.personal_id,
        source="mrz",
    )


def check_document_dates(id_number: str, birth: str | None, expiry: str | None, *,
                         today: date | None = None) -> None:  # fmt: skip
    """The MRZ-form dates typed with a 12-digit ID, each one that is given: a day in the calendar; the birth
    date in the birth year the ID encodes (cccd-chip.md §1) and not in the future; the expiry after the
    birth (``991231``: no expiry) and within a century of it."""
    pid = normalise_id(id_number)
    year = birth_year_from_id(pid)
    today = today or date.today()
    born: date | None = None
    if birth is not None:
        parse_yymmdd(birth, "the birth date")
        if int(birth[:2]) != year % 100:
            raise InvalidDateError("the birth date is not in the birth year the personal ID encodes; "
                                   "check both")
        try:
            born = date(year, int(birth[2:4]), int(birth[4:6]))
        except ValueError:
            raise InvalidDateError("the birth date is not a date in the calendar (YYMMDD)") from None
        if born > today:
            raise InvalidDateError("the birth date is in the future")
    if expiry is not None:
        parse_yymmdd(expiry, "the expiry date")
        if expiry != NO_EXPIRY_MRZ:
            try:
                expires = date(2000 + int(expiry[:2]), int(expiry[2:4]), int(expiry[4:6]))
            except ValueError:
                raise InvalidDateError("the expiry date is not a date in the calendar (YYMMDD)") from None
            if expires <= (born or date(year, 1, 1)) or expires.year > year + 100:
                raise InvalidDateError("the expiry date is not possible for this personal ID")


def from_document_data(id_number: str, birth: str, expiry: str) -> AccessKeyInput:
    """Access-key inputs from the 12-digit ID with the MRZ's birth and expiry dates (``YYMMDD``, checked by
    :func:`check_document_dates`) — the command line's ``--id --dob --expiry``."""
    pid = normalise_id(id_number)
    check_document_dates(pid, birth, expiry)
    return AccessKeyInput(
        document_number=cccd_document_number(pid),
        date_of_birth=birth,
        expiry_candidates=(expiry,),
        can=cccd_can(pid),
        id_number=pid,
        source="typed",
    )


def parse_can(text: str) -> str:
    """A Card Access Number as typed: exactly six ASCII digits (ICAO 9303-11 §9.2, the PACE password)."""
    value = text.strip()
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise KeyEntryError("the CAN must be 6 digits")
    return value

"""What a ticket says: the hospital queue ticket and the verification receipt, in Vietnamese or English.

The printed texts live here (not in the UI's catalogue): a ticket is printed by the kiosk whatever screen
is shown, and must say the same thing on every kiosk.  Register for older people: "Quý khách".  No long
IDs: the verification ID is in the QR code for staff; the paper shows its last 6 characters only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SHORT_REFERENCE = 6  # characters of the verification ID printed as text (the QR code holds all of it)

_TEXTS = {
    "vi": {
        "queue_title": "PHIẾU SỐ THỨ TỰ",
        "queue_wait": "Quý khách vui lòng đến khoa và chờ gọi số.",
        "receipt_title": "BIÊN NHẬN XÁC THỰC",
        "verified": "Đã xác thực danh tính",
        "not_verified": "Chưa xác thực được — mời Quý khách đến quầy",
        "referred": "Mời Quý khách đến quầy",
        "reference": "Mã tra cứu: …{ref}",
        "counter": "Quầy hỗ trợ: {counter}",
        "keep": "Xin giữ phiếu này đến khi xong việc.",
        "room": "Phòng: {value}", "check_in": "Nhận phòng: {value}", "check_out": "Trả phòng: {value}",
        "nights": "Số đêm: {value}",
        "insurance_desk": "Số thứ tự vẫn giữ nguyên. Xin ghé quầy tiếp đón về thẻ BHYT trước khi vào khám.",
    },
    "en": {
        "queue_title": "QUEUE TICKET",
        "queue_wait": "Please go to the department and wait to be called.",
        "receipt_title": "VERIFICATION RECEIPT",
        "verified": "Identity verified",
        "not_verified": "Not verified — please go to the counter",
        "referred": "Please go to the counter",
        "reference": "Reference: …{ref}",
        "counter": "Help desk: {counter}",
        "keep": "Please keep this ticket until you are done.",
        "room": "Room: {value}", "check_in": "Check-in: {value}", "check_out": "Check-out: {value}",
        "nights": "Nights: {value}",
        "insurance_desk": "Your number stays valid. Please see the reception desk about your insurance "
                          "before your visit.",
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ticket:
    """One printed slip: heading, an optional big number, lines of text, the time, a QR code."""

    heading: str
    big: str | None  # the queue number, printed as large as the paper allows
    subheading: str | None  # the department
    lines: tuple[str, ...]
    when: str  # "08:52  04/12/2026"
    qr: str | None  # the verification ID (for staff to scan)
    footer: tuple[str, ...] = ()
    site: str | None = None  # the hospital / bank / hotel name at the top

    def __repr__(self) -> str:
        return f"Ticket({self.heading!r}, big={self.big!r}, <reference hidden>)"


def _t(language: str) -> dict[str, str]:
    return _TEXTS.get(language, _TEXTS["vi"])


def _when(at: datetime) -> str:
    return at.strftime("%H:%M  %d/%m/%Y")


def _reference_lines(t: dict[str, str], reference: str | None, counter: str | None) -> tuple[str, ...]:
    out = []
    if reference:
        out.append(t["reference"].format(ref=reference[-SHORT_REFERENCE:]))
    if counter:
        out.append(t["counter"].format(counter=counter))
    return tuple(out)


def queue_ticket(language: str, number: str, department: str | None, issued_at: datetime,
                 reference: str | None = None, site: str | None = None,
                 counter: str | None = None, insurance: str | None = None,
                 insurance_desk: bool = False) -> Ticket:  # fmt: skip
    """The hospital queue ticket: ``NOI-017`` big, the department, "wait to be called", the BHYT check's
    sentence (and "see the reception desk" when it must settle it; docs/insurance.md), time, QR."""
    t = _t(language)
    lines = (t["queue_wait"], *((insurance,) if insurance else ()),
             *((t["insurance_desk"],) if insurance and insurance_desk else ()))  # fmt: skip
    return Ticket(heading=t["queue_title"], big=number, subheading=department, lines=lines,
                  when=_when(issued_at), qr=reference, site=site,
                  footer=(*_reference_lines(t, reference, counter), t["keep"]))  # fmt: skip


def receipt(language: str, record_status: str | None, issued_at: datetime, reference: str | None,
            details: tuple[tuple[str, str], ...] = (), site: str | None = None,
            counter: str | None = None) -> Ticket:  # fmt: skip
    """The verification receipt (bank, lodging, public service): the outcome, the profile's details
    (a hotel's room and dates), time, QR."""
    t = _t(language)
    lines = [t[record_status]] if record_status in ("verified", "not_verified", "referred") else []
    lines += [t[k].format(value=v) for k, v in details if k in t]
    return Ticket(heading=t["receipt_title"], big=None, subheading=None, lines=tuple(lines),
                  when=_when(issued_at), qr=reference, site=site,
                  footer=_reference_lines(t, reference, counter))  # fmt: skip

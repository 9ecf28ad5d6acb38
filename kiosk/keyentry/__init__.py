"""Access-key entry: the QR code, the MRZ, or the typed 12-digit ID and birth date (cccd-chip.md §2, §5).

Public API::

    parse_qr(data) -> QRPayload
    from_qr(payload, today=None) -> AccessKeyInput
    from_id_and_birth(id_number, birth_date, issue_date=None, today=None) -> AccessKeyInput
    from_mrz(text) -> AccessKeyInput                      # TD1 (tolerant) or TD3
    from_document_data(id, yymmdd, yymmdd) -> AccessKeyInput
    parse_can(text) -> str
    expiry_candidates(birth, issue=None, today=None) -> tuple[str, ...]
    AccessKeyInput.bac_key_seeds() -> tuple[str, ...]
"""

from __future__ import annotations

from kiosk.keyentry.access import (
    AccessKeyInput,
    check_document_dates,
    from_document_data,
    from_id_and_birth,
    from_mrz,
    from_qr,
    parse_can,
)
from kiosk.keyentry.errors import (
    InvalidDateError,
    InvalidIDError,
    KeyEntryError,
    MRZFormatError,
    QRFormatError,
)
from kiosk.keyentry.expiry import NEVER_EXPIRES, expiry_candidates, milestone_for_issue
from kiosk.keyentry.idnumber import normalise_id
from kiosk.keyentry.mrz import MRZBacFields, bac_fields_from_mrz, normalise_td1
from kiosk.keyentry.qr import QRPayload, parse_qr

__all__ = [
    "NEVER_EXPIRES",
    "AccessKeyInput",
    "InvalidDateError",
    "InvalidIDError",
    "KeyEntryError",
    "MRZBacFields",
    "MRZFormatError",
    "QRFormatError",
    "QRPayload",
    "bac_fields_from_mrz",
    "check_document_dates",
    "expiry_candidates",
    "from_document_data",
    "from_id_and_birth",
    "from_mrz",
    "from_qr",
    "milestone_for_issue",
    "normalise_id",
    "normalise_td1",
    "parse_can",
    "parse_qr",
]

"""A tolerant normaliser for TD1 MRZ text typed by a person or read by OCR (ICAO 9303-5 §4.2).

It fixes what people and OCR get wrong — spaces, lower case, ``«`` for ``<``, O/0 and I/1 confusion in
positions whose character class is known — then parses with :func:`reader.lds.dg1.parse_mrz` and requires
every check digit (ICAO 9303-3 §4.9) to hold.  It yields only the BAC inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.keyentry.errors import MRZFormatError
from reader.errors import ParseError
from reader.lds.dg1 import parse_mrz
from reader.lds.mrz import mask_id

_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"})
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B"})
_FILLERS = str.maketrans({"«": "<", "‹": "<", "〈": "<"})
LINE = 30
TD3_LINE = 44
#: How a failed check digit is named to the person (ICAO 9303-3 §4.9).
_CHECK_NAMES = {"document_number": "document number", "date_of_birth": "birth date",
                "date_of_expiry": "expiry date", "optional_data": "personal number",
                "personal_id": "personal ID", "composite": "composite"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MRZBacFields:
    """The BAC inputs read from a TD1 MRZ (ICAO 9303-11 §9.7.2), plus the CCCD 12-digit ID if present."""

    document_number: str
    date_of_birth: str  # YYMMDD
    date_of_expiry: str  # YYMMDD
    issuing_state: str
    personal_id: str | None

    def __repr__(self) -> str:
        pid = mask_id(self.personal_id) if self.personal_id else None
        return f"MRZBacFields(state={self.issuing_state}, id={pid}, <MRZ data hidden>)"


def _lines(text: str) -> list[str]:
    cleaned = text.upper().translate(_FILLERS)
    rows = [r.replace(" ", "").replace("\t", "") for r in cleaned.splitlines()]
    rows = [r for r in rows if r]
    if len(rows) == 1 and len(rows[0]) in (2 * LINE, 3 * LINE):  # lines run together
        rows = [rows[0][i : i + LINE] for i in range(0, len(rows[0]), LINE)]
    if len(rows) == 2:  # the name line is not needed for BAC
        rows.append("<" * LINE)
    if len(rows) != 3:
        raise MRZFormatError("a TD1 MRZ has 3 lines of 30 characters")
    rows[2] = rows[2].ljust(LINE, "<")
    if any(len(r) != LINE for r in rows):
        raise MRZFormatError("a TD1 MRZ has 3 lines of 30 characters")
    if any(not (c.isascii() and (c.isalnum() or c == "<")) for r in rows for c in r):
        raise MRZFormatError("an MRZ holds only A-Z, 0-9 and '<'")
    return rows


def _digits(s: str) -> str:
    return s.translate(_TO_DIGIT)


def _letters(s: str) -> str:
    return s.translate(_TO_LETTER)


def normalise_td1(text: str) -> tuple[str, str, str]:
    """Three clean 30-character lines; character-class fixes applied where the class is known."""
    l1, l2, l3 = _lines(text)
    state = _letters(l1[2:5])
    number = l1[5:14]
    optional = l1[15:30]
    if state == "VNM":  # CCCD: the document number and the optional 12-digit ID are digits
        number = _digits(number)
        optional = _digits(optional[:12]) + optional[12:14] + _digits(optional[14])
    l1 = _letters(l1[0:2]) + state + number + _digits(l1[14]) + optional
    l2 = (_digits(l2[0:7]) + l2[7].replace("0", "<") + _digits(l2[8:15]) + _letters(l2[15:18]) + l2[18:29]
          + _digits(l2[29]))  # fmt: skip
    return l1, l2, l3


def _td3(text: str) -> str | None:
    """A passport's two 44-character lines (ICAO 9303-4), joined; ``None`` when ``text`` is not TD3."""
    joined = "".join(text.upper().translate(_FILLERS).split())
    return joined if len(joined) == 2 * TD3_LINE else None


def bac_fields_from_mrz(text: str) -> MRZBacFields:
    """Normalise MRZ text (TD1, the CCCD's; a TD3 passport MRZ is taken as typed), parse it with
    :func:`reader.lds.dg1.parse_mrz`; every check digit, the composite one included, must hold."""
    td3 = _td3(text)
    try:
        mrz = parse_mrz(td3 if td3 is not None else "".join(normalise_td1(text)))
    except ParseError:
        raise MRZFormatError("the MRZ cannot be read; please check the entry") from None
    if mrz.failed_checks:
        what = ", ".join(_CHECK_NAMES.get(c.value, c.value) for c in mrz.failed_checks)
        raise MRZFormatError(f"the MRZ check digit of the {what} does not match; please check the entry")
    if not (mrz.date_of_birth.isdigit() and mrz.date_of_expiry.isdigit()):
        raise MRZFormatError("MRZ dates must be digits")
    return MRZBacFields(
        document_number=mrz.document_number,
        date_of_birth=mrz.date_of_birth,
        date_of_expiry=mrz.date_of_expiry,
        issuing_state=mrz.issuing_state,
        personal_id=mrz.personal_id,
    )

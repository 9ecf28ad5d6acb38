"""Dates as the card writes them: ``ddmmyyyy`` or ``dd/mm/yyyy`` (QR, DG13), ``YYMMDD`` (MRZ)."""

from __future__ import annotations

import re
from datetime import date

from kiosk.keyentry.errors import InvalidDateError

_DMY = re.compile(r"^(\d{2})[/.\-]?(\d{2})[/.\-]?(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_card_date(text: str) -> date:
    """Parse ``ddmmyyyy``, ``dd/mm/yyyy`` (also ``.``/``-`` separators) or ISO ``yyyy-mm-dd``."""
    value = text.strip()
    m = _DMY.match(value)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _ISO.match(value)
        if not m:
            raise InvalidDateError("a date must be ddmmyyyy, dd/mm/yyyy or yyyy-mm-dd")
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDateError("the date does not exist in the calendar") from None


def looks_like_card_date(text: str) -> bool:
    """True for an 8-digit ``ddmmyyyy`` (or ``dd/mm/yyyy``) value that is a real calendar date."""
    value = text.strip()
    if not _DMY.match(value):
        return False
    try:
        parse_card_date(value)
    except InvalidDateError:
        return False
    return True


def as_date(value: date | str) -> date:
    """Accept a :class:`date` or any text form :func:`parse_card_date` knows."""
    if isinstance(value, date):
        return value
    return parse_card_date(value)


def parse_yymmdd(value: str, what: str) -> str:
    """A date typed in the MRZ form ``YYMMDD`` (ICAO 9303-3 §4.5): six ASCII digits naming a real day
    (the century does not matter for that: 29 February is checked against a leap year of either)."""
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise InvalidDateError(f"{what} must be 6 digits YYMMDD")
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    for century in (1900, 2000):
        try:
            date(century + yy, mm, dd)
            return value
        except ValueError:
            continue
    raise InvalidDateError(f"{what} is not a date in the calendar (YYMMDD)")

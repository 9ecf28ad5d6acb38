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


def yymmdd(value: date) -> str:
    """ICAO 9303-3 §4.5 date field: ``YYMMDD``."""
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def as_date(value: date | str) -> date:
    """Accept a :class:`date` or any text form :func:`parse_card_date` knows."""
    if isinstance(value, date):
        return value
    return parse_card_date(value)

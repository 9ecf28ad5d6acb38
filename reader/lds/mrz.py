"""Machine-readable zone helpers (ICAO 9303-3 §4.9 check digits; 9303-11 §9.7.2 BAC key input).

More of the MRZ (TD1/TD3 parsing) lives in :mod:`reader.lds.dg1`.
"""

from __future__ import annotations

import calendar
from datetime import date

from reader.errors import ParseError

_WEIGHTS = (7, 3, 1)


def _char_value(c: str) -> int:
    if c.isdigit():
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    if c == "<":
        return 0
    raise ParseError("character not allowed in an MRZ field")


def check_digit(field: str) -> str:
    """ICAO 9303-3 §4.9: weights 7-3-1, '<' = 0, A = 10 ... Z = 35, result modulo 10."""
    return str(sum(_char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _check_date(value: str, what: str) -> None:
    if len(value) != 6 or not value.isdigit():
        raise ParseError(f"{what} must be YYMMDD")


def mrz_information(document_number: str, date_of_birth: str, date_of_expiry: str) -> str:
    """The BAC key input (ICAO 9303-11 §9.7.2 / Appendix D.2).

    Document number padded with '<' to at least 9 characters, each field followed by its check digit.
    """
    doc = document_number.upper().strip()
    if not doc or any(not (c.isalnum() or c == "<") for c in doc):
        raise ParseError("document number must be letters, digits or '<'")
    doc = doc.ljust(9, "<")
    _check_date(date_of_birth, "date of birth")
    _check_date(date_of_expiry, "date of expiry")
    return (
        doc + check_digit(doc)
        + date_of_birth + check_digit(date_of_birth)
        + date_of_expiry + check_digit(date_of_expiry)
    )  # fmt: skip


def cccd_document_number(id_number: str) -> str:
    """The CCCD document number: the last 9 digits of the 12-digit personal ID (cccd-chip.md §1)."""
    if len(id_number) != 12 or not (id_number.isascii() and id_number.isdigit()):
        raise ParseError("a CCCD personal ID has exactly 12 digits")
    return id_number[3:]


def cccd_can(id_number: str) -> str:
    """The PACE card access number by convention: the last 6 digits of the 12-digit ID (cccd-chip.md §2)."""
    if len(id_number) != 12 or not (id_number.isascii() and id_number.isdigit()):
        raise ParseError("a CCCD personal ID has exactly 12 digits")
    return id_number[6:]


def mask_id(id_number: str) -> str:
    """Mask a personal ID for logs and reports shown to others: ``001234***890`` (integrations.md)."""
    if len(id_number) <= 6:
        return "*" * len(id_number)
    return id_number[:6] + "***" + id_number[-3:]


# --- additions: check-digit verification, MRZ name transliteration, CCCD expiry rule ------------------

MRZ_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")


def is_valid_check_digit(field: str, digit: str) -> bool:
    """Whether ``digit`` is the ICAO 9303-3 §4.9 check digit of ``field`` (a non-digit is never valid)."""
    return len(digit) == 1 and digit.isdigit() and check_digit(field) == digit


_LATIN_EXTRA = {"Đ": "D", "đ": "d", "Ð": "D", "Æ": "AE", "æ": "AE", "Ø": "O", "ø": "O", "ß": "SS"}


def to_mrz_name(text: str) -> str:
    """Transliterate a name to the MRZ character set (ICAO 9303-3 §6 / Appendix: Latin without diacritics).

    Diacritics are removed (Vietnamese ``Nguyễn`` → ``NGUYEN``, ``Đặng`` → ``DANG``), letters upper-cased,
    every space, hyphen or apostrophe becomes the filler ``<``.  Other characters are dropped.
    """
    import unicodedata

    out: list[str] = []
    for ch in text:
        ch = _LATIN_EXTRA.get(ch, ch)
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            c = c.upper()
            if c in MRZ_ALPHABET and c != "<":
                out.append(c)
            elif c in " -'‘’,.<":
                out.append("<")
    return "<".join(part for part in "".join(out).split("<") if part)


def mrz_name_field(surname: str, given_names: str, width: int) -> str:
    """``SURNAME<<GIVEN<NAMES`` padded with ``<`` to ``width``, truncated if longer (ICAO 9303-4 §4.6)."""
    field = to_mrz_name(surname)
    given = to_mrz_name(given_names)
    if given:
        field += "<<" + given
    return field[:width].ljust(width, "<")


LAW_2023_IN_FORCE = date(2024, 7, 1)  # the Law on Identification of 2023 applies to cards issued from here


def cccd_expiry(
    date_of_birth: date, date_of_issue: date, *, law_2023: bool | None = None
) -> date | None:
    """The expiry of a CCCD from its holder's birth date and its issue date (cccd-chip.md §2).

    The card expires on the holder's birthday in the year they turn 25, 40 or 60 (and 14 for cards under
    the 2023 law, which ``law_2023=None`` infers from the issue date); a card issued within 2 years before
    a milestone runs to the next one; a card issued at 58 or older never expires (``None``; the MRZ then
    carries ``991231``).  A 29 February birthday in a
    non-leap milestone year falls on 28 February here (the real rule is uncertain: try 1 March too).
    """
    age = date_of_issue.year - date_of_birth.year - (
        (date_of_issue.month, date_of_issue.day) < (date_of_birth.month, date_of_birth.day)
    )
    if age < 0:
        raise ParseError("issue date before birth date")
    if law_2023 is None:
        law_2023 = date_of_issue >= LAW_2023_IN_FORCE
    milestones = (14, 25, 40, 60) if law_2023 else (25, 40, 60)
    for milestone in milestones:
        if age < milestone - 2:
            return _birthday_in(date_of_birth, date_of_birth.year + milestone)
    return None


def _birthday_in(born: date, year: int) -> date:
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return born.replace(year=year)


NO_EXPIRY_MRZ = "991231"


def yymmdd(value: date | None) -> str:
    """A date as ``YYMMDD`` for the MRZ; ``None`` (no expiry) as ``991231`` (cccd-chip.md §2)."""
    return NO_EXPIRY_MRZ if value is None else value.strftime("%y%m%d")

"""The 12-digit personal ID ``PPP G YY NNNNNN`` (cccd-chip.md §1): province, gender/century, birth year."""

from __future__ import annotations

from datetime import date

from kiosk.keyentry.errors import InvalidIDError


def normalise_id(text: str) -> str:
    """Strip spaces, dots and dashes a person may type; require exactly 12 digits."""
    value = "".join(c for c in text.strip() if c not in " .-\u00a0")
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise InvalidIDError("a CCCD personal ID has exactly 12 digits")
    return value


def birth_year_from_id(id_number: str) -> int:
    """Birth year encoded by the gender/century digit and the two year digits.

    Gender/century digit: 0/1 born 1900s (male/female), 2/3 2000s, 4/5 2100s (6/7, 8/9 later centuries).
    """
    value = normalise_id(id_number)
    century = 1900 + 100 * (int(value[3]) // 2)
    return century + int(value[4:6])


def sex_from_id(id_number: str) -> str:
    """``M`` for an even gender/century digit, ``F`` for an odd one."""
    return "M" if int(normalise_id(id_number)[3]) % 2 == 0 else "F"


def check_id_matches_birth(id_number: str, birth_date: date) -> None:
    """Raise :class:`InvalidIDError` when the ID's encoded birth year contradicts the birth date.

    Catches the commonest typing slip before it costs BAC attempts on the card.
    """
    if birth_year_from_id(id_number) != birth_date.year:
        raise InvalidIDError("the personal ID does not encode this birth year; check both entries")

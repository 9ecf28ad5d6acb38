"""Machine-readable zone helpers (ICAO 9303-3 §4.9 check digits; 9303-11 §9.7.2 BAC key input).

More of the MRZ (TD1/TD3 parsing) lives in :mod:`reader.lds.dg1`.
"""

from __future__ import annotations

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
    if len(id_number) != 12 or not id_number.isdigit():
        raise ParseError("a CCCD personal ID has exactly 12 digits")
    return id_number[3:]


def cccd_can(id_number: str) -> str:
    """The PACE card access number by convention: the last 6 digits of the 12-digit ID (cccd-chip.md §2)."""
    if len(id_number) != 12 or not id_number.isdigit():
        raise ParseError("a CCCD personal ID has exactly 12 digits")
    return id_number[6:]


def mask_id(id_number: str) -> str:
    """Mask a personal ID for logs and reports shown to others: ``001234***890`` (integrations.md)."""
    if len(id_number) <= 6:
        return "*" * len(id_number)
    return id_number[:6] + "***" + id_number[-3:]

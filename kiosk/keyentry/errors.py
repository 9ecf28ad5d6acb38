"""Typed errors of access-key entry (QR payload, typed ID and birth date, MRZ text).

Messages never contain the input itself (IDs, names and dates are personal data): they say *what* is
wrong, not *what was entered*.
"""

from __future__ import annotations


class KeyEntryError(ValueError):
    """Base class: the input cannot give the chip's access keys."""


class QRFormatError(KeyEntryError):
    """The QR payload does not have the CCCD shape (cccd-chip.md §5)."""


class InvalidIDError(KeyEntryError):
    """The personal ID is not 12 digits, or contradicts the birth date (cccd-chip.md §1)."""


class InvalidDateError(KeyEntryError):
    """A date is malformed or impossible (e.g. 31/02, a birth date in the future)."""


class MRZFormatError(KeyEntryError):
    """MRZ text (typed or OCR) is not a TD1 MRZ, or a check digit fails (ICAO 9303-3 §4.9, 9303-5)."""

"""DG1: the machine-readable zone (ICAO 9303-10 §4.7.1; layouts: 9303-5 TD1, 9303-6 TD2, 9303-4 TD3).

DG1 is ``61 { 5F1F <MRZ characters> }`` with the lines concatenated.  Every check digit is verified; a
failed check is reported as a value (:attr:`MRZ.failed_checks`), not raised, so a reader can show *which*
field disagrees.  Malformed input (wrong length, characters outside the MRZ alphabet) raises
:class:`DG1Error`.

CCCD (cccd-chip.md §1): TD1 whose optional data 1 (positions 16–30 of line 1) holds the 12-digit personal
ID, ``<<`` and a check digit over the ID at position 30; the document number is the ID's last 9 digits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.mrz import (
    MRZ_ALPHABET,
    cccd_document_number,
    check_digit,
    is_valid_check_digit,
    mask_id,
    mrz_information,
)

DG1_TAG = 0x61
MRZ_TAG = 0x5F1F


class DG1Error(ParseError):
    """DG1 or an MRZ text is malformed."""


class MRZFormat(enum.Enum):
    """Machine-readable document sizes: (lines, characters per line)."""

    TD1 = (3, 30)
    TD2 = (2, 36)
    TD3 = (2, 44)

    @property
    def line_count(self) -> int:
        return self.value[0]

    @property
    def line_length(self) -> int:
        return self.value[1]


class Check(enum.StrEnum):
    """The check digits of an MRZ (ICAO 9303-3 §4.9); ``PERSONAL_ID`` is the CCCD check at TD1 pos. 30."""

    DOCUMENT_NUMBER = "document_number"
    DATE_OF_BIRTH = "date_of_birth"
    DATE_OF_EXPIRY = "date_of_expiry"
    OPTIONAL_DATA = "optional_data"  # TD3 personal number
    PERSONAL_ID = "personal_id"  # CCCD 12-digit ID in TD1 optional data
    COMPOSITE = "composite"


@dataclass(frozen=True, slots=True)
class MRZ:
    """A parsed MRZ.  Text fields keep ``<`` fillers stripped at the ends only where noted.

    ``optional_data`` is optional data 1 (TD1, after removing an overflowing document number) or the
    personal number (TD3); ``optional_data_2`` is TD1 line 2 positions 19–29.
    """

    format: MRZFormat
    text: str  # all lines concatenated, as in DG1
    document_code: str
    issuing_state: str
    document_number: str
    optional_data: str
    optional_data_2: str
    date_of_birth: str  # YYMMDD as printed
    sex: str  # "M", "F", "X" or "<"
    date_of_expiry: str  # YYMMDD as printed
    nationality: str
    surname: str
    given_names: str
    failed_checks: tuple[Check, ...]

    def __repr__(self) -> str:
        return f"MRZ({self.format.name}, <redacted>, failed_checks={[c.value for c in self.failed_checks]})"

    @property
    def lines(self) -> tuple[str, ...]:
        n = self.format.line_length
        return tuple(self.text[i : i + n] for i in range(0, len(self.text), n))

    @property
    def valid(self) -> bool:
        """True when every check digit verified."""
        return not self.failed_checks

    @property
    def name(self) -> str:
        """``SURNAME GIVEN NAMES`` (as in the MRZ, without diacritics)."""
        return f"{self.surname} {self.given_names}".strip()

    @property
    def personal_id(self) -> str | None:
        """The CCCD 12-digit personal ID from optional data 1 (cccd-chip.md §1), or ``None``."""
        if self.format is not MRZFormat.TD1 or self.issuing_state != "VNM":
            return None
        candidate = self.optional_data[:12]
        if len(candidate) == 12 and candidate.isdigit():
            return candidate
        return None

    @property
    def masked_id(self) -> str:
        """The personal ID (or document number) masked for logs."""
        return mask_id(self.personal_id or self.document_number)

    @property
    def mrz_information(self) -> str:
        """The BAC key input: number, birth date, expiry, each with its check digit (9303-11 §9.7.2)."""

        return mrz_information(self.document_number, self.date_of_birth, self.date_of_expiry)


def parse_dg1(raw: bytes) -> MRZ:
    """Parse the DG1 file ``61 { 5F1F MRZ }`` (ICAO 9303-10 §4.7.1)."""
    try:
        outer = tlv.decode(raw, expected_tag=DG1_TAG)
        mrz_obj = outer.child(MRZ_TAG)
    except TLVError as exc:
        raise DG1Error(f"DG1 structure: {exc}") from None
    try:
        text = mrz_obj.value.decode("ascii")
    except UnicodeDecodeError:
        raise DG1Error("MRZ is not ASCII") from None
    return parse_mrz(text)


def parse_mrz(text: str) -> MRZ:
    """Parse MRZ text: lines joined or separated by newlines/whitespace at line ends."""
    joined = "".join(text.split())
    fmt = {90: MRZFormat.TD1, 72: MRZFormat.TD2, 88: MRZFormat.TD3}.get(len(joined))
    if fmt is None:
        raise DG1Error(f"an MRZ has 88, 72 or 90 characters, not {len(joined)}")
    if any(c not in MRZ_ALPHABET for c in joined):
        raise DG1Error("character outside the MRZ alphabet (A-Z, 0-9, <)")
    if fmt is MRZFormat.TD1:
        return _parse_td1(joined)
    return _parse_two_line(joined, fmt)


def _names(field: str) -> tuple[str, str]:
    surname, _, given = field.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _document_number(head: str, cd: str, optional: str) -> tuple[str, str, str]:
    """Number, its check digit and the optional data left, with the long-number rule (9303-5 §4.2.2 note j).

    A number longer than 9 characters puts ``<`` in the check-digit position and continues in the optional
    data, followed by its check digit and a filler.
    """
    if cd != "<" or head.endswith("<"):
        return head.rstrip("<"), cd, optional
    end = optional.find("<")
    if end < 1:  # no continuation with a check digit: report a failed check digit
        return head, cd, optional
    return head + optional[: end - 1], optional[end - 1], optional[end + 1 :]


def _parse_td1(s: str) -> MRZ:
    l1, l2, l3 = s[:30], s[30:60], s[60:]
    number, number_cd, optional1 = _document_number(l1[5:14], l1[14], l1[15:30])
    failed: list[Check] = []
    if not is_valid_check_digit(number if len(number) > 9 else l1[5:14], number_cd):
        failed.append(Check.DOCUMENT_NUMBER)
    failed += _date_checks(l2[0:6], l2[6], l2[8:14], l2[14])
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    if not is_valid_check_digit(composite, l2[29]):
        failed.append(Check.COMPOSITE)
    if _is_cccd_optional(l1) and not is_valid_check_digit(l1[15:27], l1[29]):
        failed.append(Check.PERSONAL_ID)
    surname, given = _names(l3)
    return MRZ(
        format=MRZFormat.TD1, text=s, document_code=l1[0:2].rstrip("<"), issuing_state=l1[2:5],
        document_number=number, optional_data=optional1.rstrip("<"),
        optional_data_2=l2[18:29].rstrip("<"), date_of_birth=l2[0:6], sex=l2[7],
        date_of_expiry=l2[8:14], nationality=l2[15:18], surname=surname, given_names=given,
        failed_checks=tuple(sorted(set(failed), key=list(Check).index)),
    )  # fmt: skip


def _is_cccd_optional(l1: str) -> bool:
    """CCCD layout: 12 digits at positions 16–27, ``<<`` at 28–29 (cccd-chip.md §1)."""
    return l1[2:5] == "VNM" and l1[15:27].isdigit() and l1[27:29] == "<<"


def _date_checks(dob: str, dob_cd: str, doe: str, doe_cd: str) -> list[Check]:
    failed = []
    if not is_valid_check_digit(dob, dob_cd):
        failed.append(Check.DATE_OF_BIRTH)
    if not is_valid_check_digit(doe, doe_cd):
        failed.append(Check.DATE_OF_EXPIRY)
    return failed


def _parse_two_line(s: str, fmt: MRZFormat) -> MRZ:
    n = fmt.line_length
    l1, l2 = s[:n], s[n:]
    failed: list[Check] = []
    if fmt is MRZFormat.TD3:
        number, number_cd, optional = l2[0:9].rstrip("<"), l2[9], l2[28:42]
        if not is_valid_check_digit(l2[0:9], number_cd):
            failed.append(Check.DOCUMENT_NUMBER)
        personal_cd = l2[42]
        filler_ok = personal_cd == "<" and set(optional) == {"<"}
        if not filler_ok and not is_valid_check_digit(optional, personal_cd):
            failed.append(Check.OPTIONAL_DATA)
        composite = l2[0:10] + l2[13:20] + l2[21:43]
    else:  # TD2, with the long document number rule
        number, number_cd, optional = _document_number(l2[0:9], l2[9], l2[28:35])
        if not is_valid_check_digit(number if len(number) > 9 else l2[0:9], number_cd):
            failed.append(Check.DOCUMENT_NUMBER)
        composite = l2[0:10] + l2[13:20] + l2[21:35]
    failed += _date_checks(l2[13:19], l2[19], l2[21:27], l2[27])
    if not is_valid_check_digit(composite, l2[-1]):
        failed.append(Check.COMPOSITE)
    surname, given = _names(l1[5:])
    return MRZ(
        format=fmt, text=s, document_code=l1[0:2].rstrip("<"), issuing_state=l1[2:5],
        document_number=number, optional_data=optional.rstrip("<"), optional_data_2="",
        date_of_birth=l2[13:19], sex=l2[20], date_of_expiry=l2[21:27], nationality=l2[10:13],
        surname=surname, given_names=given, failed_checks=tuple(sorted(set(failed), key=list(Check).index)),
    )  # fmt: skip


def td1_lines(
    document_code: str, issuing_state: str, document_number: str, optional_data: str,
    date_of_birth: str, sex: str, date_of_expiry: str, nationality: str, name_field: str,
    optional_data_2: str = "",
) -> tuple[str, str, str]:
    """Compose the three TD1 lines with every check digit (ICAO 9303-5 §4.2); the inverse of parsing.

    ``document_number`` up to 9 characters (longer numbers use the overflow rule); ``optional_data`` is
    written verbatim into positions 16–30 after any overflow; ``name_field`` is the 30-character line 3.
    """
    head = document_number[:9].ljust(9, "<")
    if len(document_number) > 9:
        opt1 = document_number[9:] + check_digit(document_number) + "<" + optional_data
        l1_body = head + "<" + opt1
    else:
        l1_body = head + check_digit(head) + optional_data
    l1 = (document_code.ljust(2, "<") + issuing_state + l1_body)[:30].ljust(30, "<")
    l2 = (
        date_of_birth + check_digit(date_of_birth) + sex
        + date_of_expiry + check_digit(date_of_expiry) + nationality + optional_data_2[:11].ljust(11, "<")
    )  # fmt: skip
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    if len(name_field) != 30 or any(c not in MRZ_ALPHABET for c in l1 + l2 + name_field):
        raise DG1Error("TD1 fields do not fit the MRZ alphabet or size")
    return l1, l2, name_field


def cccd_td1_lines(
    id_number: str, date_of_birth: str, sex: str, date_of_expiry: str, name_field: str
) -> tuple[str, str, str]:
    """The CCCD TD1 MRZ (cccd-chip.md §1): ``ID VNM``, number = last 9 ID digits, ID + ``<<`` + check."""
    try:
        number = cccd_document_number(id_number)
    except ParseError:
        raise DG1Error("a CCCD personal ID has exactly 12 digits") from None
    optional = id_number + "<<" + check_digit(id_number)
    return td1_lines("ID", "VNM", number, optional, date_of_birth, sex, date_of_expiry, "VNM",
                     name_field)  # fmt: skip

"""DG13 of the CCCD: Vietnamese personal data (cccd-chip.md §4; ICAO 9303-10 §4.7.13 leaves DG13 optional
and issuer-defined).

``6D { 30 { 02 version, 06 1.0.10646.1.0.8 (UTF-8), 31 { 30 { 02 n, value(s) } ... } } }``.  Fields are
read by their number, never by offset; lengths may be long-form.  A field number outside 1–16 is kept raw
whatever it holds (any tag, nesting or encoding; repeated or not): the parser never fails on a field it
has not seen — the 2024 card may add some (docs/card-2024.md).  Nested
SEQUENCEs (parents, spouse) are flattened to their strings, and a field SEQUENCE holding its strings
directly is accepted too, since the exact nesting of fields 13–14 is not documented.

Text is kept exactly as on the chip (decoded UTF-8); :meth:`PersonalData.nfc` gives an NFC-normalised
copy for comparisons with OCR or QR text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.cardaccess import decode_integer, decode_oid
from reader.lds.mrz import mask_id

DG13_TAG = 0x6D
STRING_TAGS = frozenset(
    {0x0C, 0x13, 0x16, 0x14, 0x1A, 0x1E, 0x04}
)  # UTF8, Printable, IA5, T61, Visible, BMP, OCTET
UTF8_CHARSET_OID = "1.0.10646.1.0.8"
MAX_NESTING = 3

FIELD_NAMES: dict[int, str] = {
    1: "id_number", 2: "full_name", 3: "date_of_birth", 4: "sex", 5: "nationality", 6: "ethnicity",
    7: "religion", 8: "place_of_origin", 9: "place_of_residence", 10: "identifying_marks",
    11: "date_of_issue", 12: "date_of_expiry", 15: "old_id_number", 16: "field16",
}  # fmt: skip


class DG13Error(ParseError):
    """DG13 is malformed."""


@dataclass(frozen=True, slots=True)
class DG13Field:
    """One field: its number, the decoded strings it holds, and its raw encoding (the whole SEQUENCE)."""

    number: int
    texts: tuple[str, ...]
    raw: bytes

    def __repr__(self) -> str:
        return f"DG13Field({self.number}, {len(self.texts)} value(s))"


@dataclass(frozen=True, slots=True)
class PersonalData:
    """The CCCD personal data.  Absent fields are ``None``; dates as printed (``dd/mm/yyyy``)."""

    id_number: str | None = None
    full_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    place_of_residence: str | None = None
    identifying_marks: str | None = None
    date_of_issue: str | None = None
    date_of_expiry: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None
    field16: str | None = None
    version: int = 1
    charset: str = UTF8_CHARSET_OID
    fields: tuple[DG13Field, ...] = ()
    unknown: tuple[DG13Field, ...] = ()

    def __repr__(self) -> str:
        masked = mask_id(self.id_number) if self.id_number else None
        return f"PersonalData(id={masked}, fields={sorted(f.number for f in self.fields)})"

    def nfc(self) -> PersonalData:
        """A copy whose text fields are Unicode NFC-normalised (for comparisons, cccd-chip.md §4)."""
        changes: dict[str, Any] = {
            f.name: unicodedata.normalize("NFC", v)
            for f in fields(self)
            if isinstance(v := getattr(self, f.name), str) and f.name != "charset"
        }
        return replace(self, **changes)

    @property
    def sex_code(self) -> str | None:
        """``M``/``F`` from ``Nam``/``Nữ`` (as in the MRZ), ``None`` if absent or unrecognised."""
        if self.sex is None:
            return None
        return {"nam": "M", "nữ": "F", "nu": "F"}.get(unicodedata.normalize("NFC", self.sex).strip().lower())

    def birth_date(self) -> date | None:
        return parse_vn_date(self.date_of_birth)

    def expiry_date(self) -> date | None:
        """The expiry as a date; ``None`` when absent or not a date (``Không thời hạn``)."""
        return parse_vn_date(self.date_of_expiry)

    def to_dict(self) -> dict[str, Any]:
        """Field values keyed by name, Vietnamese text kept (serialise with ``ensure_ascii=False``)."""
        out: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("fields", "unknown")
        }
        out["unknown"] = {str(f.number): f.raw.hex() for f in self.unknown}
        return out


def parse_vn_date(text: str | None) -> date | None:
    """``dd/mm/yyyy`` (also ``dd-mm-yyyy``, ``ddmmyyyy``) as a date; ``None`` if it is not one."""
    if not text:
        return None
    digits = text.strip().replace("/", "").replace("-", "").replace(".", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None


def parse_dg13(raw: bytes) -> PersonalData:
    """Parse DG13 (cccd-chip.md §4); :class:`DG13Error` on malformed structure or text."""
    try:
        outer = tlv.decode(raw, expected_tag=DG13_TAG)
        body = tlv.decode(outer.value, expected_tag=0x30).children()
    except TLVError as exc:
        raise DG13Error(f"DG13 structure: {exc}") from None
    version, charset, items = _header(body)
    parsed = [_field(item) for item in items]
    values: dict[str, str | None] = {}
    seen: set[int] = set()
    for f in parsed:
        if not is_known_field(f.number):
            continue  # kept raw in ``unknown``, repeated or not: a field we have not seen never fails
        if f.number in seen:
            raise DG13Error(f"DG13 field {f.number} repeated")
        seen.add(f.number)
        _assign(values, f)
    known = tuple(f for f in parsed if is_known_field(f.number))
    unknown = tuple(f for f in parsed if not is_known_field(f.number))
    return PersonalData(**values, version=version, charset=charset, fields=known, unknown=unknown)


def is_known_field(number: int) -> bool:
    """Fields 1–16 of cccd-chip.md §4 (2021 card); other numbers are kept raw (docs/card-2024.md)."""
    return 1 <= number <= 16


def _header(body: list[tlv.TLV]) -> tuple[int, str, list[tlv.TLV]]:
    if len(body) < 2 or body[0].tag != 0x02 or body[1].tag != 0x06:
        raise DG13Error("DG13 must start with a version INTEGER and a character-set OID")
    try:
        version = decode_integer(body[0].value)
        charset = decode_oid(body[1].value)
    except ParseError as exc:
        raise DG13Error(f"DG13 header: {exc}") from None
    rest = body[2:]
    try:
        if len(rest) == 1 and rest[0].tag == 0x31:
            return version, charset, rest[0].children()
    except TLVError as exc:
        raise DG13Error(f"DG13 field set: {exc}") from None
    if all(item.tag == 0x30 for item in rest):  # fields without the SET wrapper
        return version, charset, rest
    raise DG13Error("DG13 fields must be SEQUENCEs inside a SET")


def _field(item: tlv.TLV) -> DG13Field:
    """One field.  A known number must hold text (strict); an unknown number keeps whatever it holds: its
    strings when they decode, else none — its raw bytes are always kept."""
    if item.tag != 0x30:
        raise DG13Error("a DG13 field must be a SEQUENCE")
    try:
        first, _ = tlv.decode_one(item.value)  # the number alone: what follows may be anything
        if first.tag != 0x02:
            raise DG13Error("a DG13 field must start with its number")
        number = decode_integer(first.value)
    except DG13Error:
        raise
    except (ParseError, TLVError) as exc:
        raise DG13Error(f"DG13 field: {exc}") from None
    try:
        texts = tuple(t for part in item.children()[1:] for t in _texts(part))
    except (DG13Error, ParseError, TLVError) as exc:
        if is_known_field(number):
            raise DG13Error(f"DG13 field {number}: {exc}") from None
        texts = ()
    return DG13Field(number, texts, bytes(item.raw))


def _texts(obj: tlv.TLV, depth: int = 0) -> list[str]:
    if obj.tag in (0x30, 0x31):
        if depth >= MAX_NESTING:
            raise DG13Error("DG13 field nested too deeply")
        return [t for child in obj.children() for t in _texts(child, depth + 1)]
    if obj.tag not in STRING_TAGS:
        raise DG13Error(f"unexpected value tag 0x{obj.tag:X} in a DG13 field")
    codec = "utf-16-be" if obj.tag == 0x1E else "utf-8"
    try:
        return [obj.value.decode(codec)]
    except UnicodeDecodeError:
        raise DG13Error("DG13 text is not valid UTF-8") from None


def _assign(values: dict[str, str | None], f: DG13Field) -> None:
    first = f.texts[0] if f.texts else None
    if f.number in FIELD_NAMES:
        values[FIELD_NAMES[f.number]] = first
    elif f.number == 13:
        values["father_name"] = first
        values["mother_name"] = f.texts[1] if len(f.texts) > 1 else None
    elif f.number == 14:
        values["spouse_name"] = first or None

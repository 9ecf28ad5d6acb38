"""The CCCD QR payload (cccd-chip.md §5).

2021 cards, UTF-8, pipe-separated::

    <12-digit ID>|<old 9-digit CMND or empty>|<full name>|<birth ddmmyyyy>|<Nam|Nữ>|<address>|<issue ddmmyyyy>

Also seen: a 6-field variant without the old ID, a byte-order mark and CR/LF from serial/USB scanners,
dates written with ``/``.  The 2024 card's payload is unknown: it is parsed tolerantly (field 0 is the
ID, 8-digit dates are detected, the raw text is kept) and marked ``variant="tolerant"``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from kiosk.keyentry.dates import looks_like_card_date, parse_card_date
from kiosk.keyentry.errors import InvalidIDError, KeyEntryError, QRFormatError
from kiosk.keyentry.idnumber import birth_year_from_id, normalise_id
from reader.lds.mrz import mask_id

_SEX = {"nam": "M", "nữ": "F", "nu": "F", "male": "M", "female": "F"}


@dataclass(frozen=True, slots=True)
class QRPayload:
    """What the QR code says.  ``raw`` is the decoded text (NFC, BOM and line ends removed)."""

    id_number: str
    old_id_number: str | None
    full_name: str | None
    birth_date: date | None
    sex: str | None  # "M" | "F"
    address: str | None
    issue_date: date | None
    variant: str  # "2021-7" | "2021-6" | "tolerant"
    raw: str

    def __repr__(self) -> str:
        return f"QRPayload(id={mask_id(self.id_number)}, variant={self.variant}, <personal data hidden>)"


def decode_qr_bytes(data: bytes | str) -> str:
    """Bytes or text from a scanner → clean NFC text: BOM, NULs and trailing CR/LF removed."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise QRFormatError(
                "the QR payload is not valid UTF-8 (a keyboard-mode scanner may mangle it; use serial mode)"
            ) from None
    else:
        text = data
    text = text.lstrip("\ufeff").replace("\x00", "").strip("\r\n\t ")
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if not text:
        raise QRFormatError("the QR payload is empty")
    return unicodedata.normalize("NFC", text)


def _sex(value: str) -> str | None:
    return _SEX.get(value.strip().lower())


def _opt(value: str) -> str | None:
    value = value.strip()
    return value or None


def _strict(id_number: str, fields: list[str], raw: str) -> QRPayload:
    if len(fields) == 7:
        old, name, birth, sex, address, issue = fields[1:]
        variant = "2021-7"
        old_id = _opt(old)
        if old_id is not None and not (old_id.isascii() and old_id.isdigit()):
            raise QRFormatError("field 1 is not an old ID number")
    else:
        name, birth, sex, address, issue = fields[1:]
        variant, old_id = "2021-6", None
    sex_code = _sex(sex)
    if sex_code is None:
        raise QRFormatError("the sex field is neither Nam nor Nữ")
    if not name.strip() or any(c.isdigit() for c in name):
        raise QRFormatError("the name field is not a name")
    return QRPayload(
        id_number=id_number,
        old_id_number=old_id,
        full_name=name.strip(),
        birth_date=parse_card_date(birth),
        sex=sex_code,
        address=_opt(address),
        issue_date=parse_card_date(issue) if issue.strip() else None,
        variant=variant,
        raw=raw,
    )


def _tolerant(id_number: str, fields: list[str], raw: str) -> QRPayload:
    """Unknown layout: dates by shape; the birth date is the one in the ID's encoded birth year."""
    dates = [parse_card_date(f) for f in fields[1:] if looks_like_card_date(f)]
    year = birth_year_from_id(id_number)
    births = [d for d in dates if d.year == year]
    birth = births[0] if births else None
    later = sorted(d for d in dates if birth is not None and d > birth)
    sexes = [s for s in (_sex(f) for f in fields[1:]) if s]
    names = [
        f.strip() for f in fields[1:]
        if f.strip() and not any(c.isdigit() for c in f) and _sex(f) is None
    ]  # fmt: skip
    return QRPayload(
        id_number=id_number,
        old_id_number=None,
        full_name=names[0] if names else None,
        birth_date=birth,
        sex=sexes[0] if sexes else None,
        address=None,
        issue_date=later[0] if later else None,
        variant="tolerant",
        raw=raw,
    )


def parse_qr(data: bytes | str) -> QRPayload:
    """Parse a CCCD QR payload; raise :class:`QRFormatError` when field 0 is not a 12-digit ID."""
    raw = decode_qr_bytes(data)
    fields = raw.split("|")
    try:
        id_number = normalise_id(fields[0])
    except InvalidIDError:
        raise QRFormatError("field 0 of the QR payload is not a 12-digit personal ID") from None
    if len(fields) in (6, 7):
        try:
            return _strict(id_number, fields, raw)
        except KeyEntryError:
            pass  # not the 2021 layout after all: fall through to the tolerant reading
    return _tolerant(id_number, fields, raw)

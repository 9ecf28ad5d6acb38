"""Synthetic Vietnamese citizens for the simulated card (cccd-chip.md §1, §2, §4, §5).

A :class:`Profile` holds what is printed on a CCCD and stored in its chip, and the switches of the card's
behaviour.  Every derived value — the 12-digit ID's consistency, the expiry (milestone table of §2), the
TD1 MRZ with all check digits, CAN, QR payload, DG13 fields — is computed here, so the simulated card and
the tests agree with the chip facts.  Ready profiles live in ``sims/profiles/<name>.toml``.

All people are invented; their faces are real photographs shipped with the package in
``sims/data/faces`` (origin, licence and processing in its ``SOURCES.md``), so that a face detector finds
them — the simulated camera and the face engine both need a detectable face.
"""

from __future__ import annotations

import functools
import hashlib
import io
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reader.lds.dg1 import cccd_td1_lines
from reader.lds.mrz import cccd_can, cccd_document_number, cccd_expiry, mask_id, mrz_name_field, yymmdd
from sims.lds_build import DG13Value

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
FACES_DIR = Path(__file__).resolve().parent / "data" / "faces"
# Portraits that are already head-and-shoulders (no ``face_crop`` needed): the face of a profile that names
# none, chosen by its ID number.
DEFAULT_FACES = (
    "rose_leslie/img1.jpg", "rose_leslie/img2.jpg", "alex_lacamoire/alex_lacamoire1.jpg",
    "lin_manuel_miranda/lin-manuel-miranda.jpg", "obama/obama.jpg",
)  # fmt: skip
ACCESS_PROTOCOLS = frozenset({"BAC", "PACE-CAN", "PACE-MRZ"})
NO_EXPIRY_TEXT = "Không thời hạn"
SEX_TEXT = {"M": "Nam", "F": "Nữ"}
CARD_2024_FROM = date(2024, 7, 1)  # Law on Identification 2023 in force: the "thẻ căn cước"
CARD_MODELS = ("2021", "2024")
# DG13 field 18 of the simulated 2024 card: SEQUENCE { 18, INTEGER 2, [0] 'opaque' } — a value no public
# parser expects (an INTEGER and a context tag), so that the reader's "keep unknown fields raw" is exercised.
DG13_2024_OPAQUE = bytes.fromhex("020102") + bytes.fromhex("8006") + b"opaque"

FACE_WIDTH, FACE_HEIGHT = 360, 480  # ID-photo crop, 3:4
FACE_MIN_BYTES, FACE_MAX_BYTES = 15_000, 20_000


class ProfileError(ValueError):
    """A profile is inconsistent or its file is malformed."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A synthetic citizen and their card.  ``repr`` shows only the name and a masked ID."""

    name: str
    description: str
    id_number: str
    full_name: str
    date_of_birth: date
    sex: str  # "M" or "F"
    date_of_issue: date
    nationality: str = "Việt Nam"
    ethnicity: str = "Kinh"
    religion: str = "Không"
    place_of_origin: str = ""
    place_of_residence: str = ""
    identifying_marks: str = ""
    father_name: str = ""
    mother_name: str = ""
    spouse_name: str | None = None
    old_id_number: str | None = None
    card_serial: str | None = None  # DG13 field 16 (uncertain meaning)
    face: str | None = None  # path relative to sims/data/faces; None = one of DEFAULT_FACES
    face_crop: tuple[float, float, float, float] | None = None  # left, top, right, bottom (fractions)
    law_2023: bool | None = None  # None: from the issue date (2023 law for cards from 1 July 2024)
    # "2021" (CCCD) or "2024" (thẻ căn cước, Law on Identification 2023); None: from the issue date
    card_model: str | None = None
    place_of_birth_registration: str = ""  # 2024 card: "nơi đăng ký khai sinh" (DG13 field 8, guessed)
    issuing_authority: str = ""  # 2024 card: DG13 field 17 (guessed; an unknown field to the parser)
    expiry_override: date | None = None  # e.g. an expired card; None = the milestone rule
    # card behaviour (used by the simulated card OS)
    select_mf_quirk: bool = False
    access_protocols: tuple[str, ...] = ("PACE-CAN", "BAC")
    chip_authentication: bool = True
    aa_key_type: str = "RSA"  # "RSA" or "EC"
    data_groups: tuple[int, ...] = (1, 2, 3, 13, 14, 15)
    extra_dg13: tuple[tuple[int, str], ...] = ()  # further DG13 fields (number, PrintableString text)

    def __post_init__(self) -> None:
        _validate(self)

    def __repr__(self) -> str:
        return f"Profile({self.name!r}, id={mask_id(self.id_number)})"

    # --- derived values --------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """``2021`` (CCCD) or ``2024`` (thẻ căn cước: cards issued from 1 July 2024, docs/card-2024.md)."""
        if self.card_model is not None:
            return self.card_model
        return "2024" if self.date_of_issue >= CARD_2024_FROM else "2021"

    @property
    def date_of_expiry(self) -> date | None:
        """Expiry by the milestone table (cccd-chip.md §2); ``None`` = never expires (issued at ≥ 58)."""
        if self.expiry_override is not None:
            return self.expiry_override
        return cccd_expiry(self.date_of_birth, self.date_of_issue, law_2023=self.law_2023)

    @property
    def document_number(self) -> str:
        return cccd_document_number(self.id_number)

    @property
    def can(self) -> str:
        return cccd_can(self.id_number)

    @property
    def surname(self) -> str:
        return self.full_name.split()[0]

    @property
    def given_names(self) -> str:
        return " ".join(self.full_name.split()[1:])

    @property
    def mrz_birth_date(self) -> str:
        return yymmdd(self.date_of_birth)

    @property
    def mrz_expiry_date(self) -> str:
        return yymmdd(self.date_of_expiry)

    @property
    def mrz_lines(self) -> tuple[str, str, str]:
        """The TD1 MRZ on the back of the card, every check digit computed (cccd-chip.md §1)."""
        name_field = mrz_name_field(self.surname, self.given_names, 30)
        return cccd_td1_lines(self.id_number, self.mrz_birth_date, self.sex, self.mrz_expiry_date, name_field)

    @property
    def expiry_text(self) -> str:
        expiry = self.date_of_expiry
        return NO_EXPIRY_TEXT if expiry is None else expiry.strftime("%d/%m/%Y")

    @property
    def qr_payload(self) -> str:
        """The 7-field QR text of a 2021 card (cccd-chip.md §5)."""
        return "|".join((
            self.id_number, self.old_id_number or "", self.full_name, self.date_of_birth.strftime("%d%m%Y"),
            SEX_TEXT[self.sex], self.place_of_residence, self.date_of_issue.strftime("%d%m%Y"),
        ))  # fmt: skip

    def dg13_fields(self) -> dict[int, DG13Value]:
        """DG13 fields by number (cccd-chip.md §4), input of :func:`sims.lds_build.build_dg13`."""
        fields: dict[int, DG13Value] = {
            1: self.id_number, 2: self.full_name, 3: self.date_of_birth.strftime("%d/%m/%Y"),
            4: SEX_TEXT[self.sex], 5: self.nationality, 6: self.ethnicity, 7: self.religion,
            8: self.place_of_origin, 9: self.place_of_residence, 10: self.identifying_marks,
            11: self.date_of_issue.strftime("%d/%m/%Y"), 12: self.expiry_text,
            13: (self.father_name, self.mother_name),
            14: (self.spouse_name,) if self.spouse_name else None,
        }  # fmt: skip
        if self.old_id_number:
            fields[15] = self.old_id_number
        if self.card_serial:
            fields[16] = self.card_serial
        if self.model == "2024":  # docs/card-2024.md: what is guessed here
            fields[8] = self.place_of_birth_registration or self.place_of_origin
            del fields[10]  # identifying marks are no longer printed on the 2024 card
            if self.issuing_authority:
                fields[17] = self.issuing_authority
            fields[18] = DG13_2024_OPAQUE  # a field of a type no public parser knows, kept raw by the reader
        fields.update(dict(self.extra_dg13))
        return fields

    def face_path(self) -> Path:
        """The face photo in ``sims/data/faces``: the profile's own, or one of :data:`DEFAULT_FACES`."""
        if self.face is not None:
            return FACES_DIR / self.face
        pick = int.from_bytes(hashlib.sha256(self.id_number.encode()).digest()[:4], "big")
        return FACES_DIR / DEFAULT_FACES[pick % len(DEFAULT_FACES)]

    def face_jpeg(self) -> bytes:
        """The DG2 photo: a JPEG of ``FACE_WIDTH``×``FACE_HEIGHT``, about 15–20 KB."""
        return face_jpeg(self.face_path(), crop=self.face_crop)

    def printed_card(self) -> dict[str, Any]:
        """What is printed on the card (front, back MRZ, QR) — for ``cccd sim show``."""
        return {
            "id_number": self.id_number, "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.strftime("%d/%m/%Y"), "sex": SEX_TEXT[self.sex],
            "nationality": self.nationality, "place_of_origin": self.place_of_origin,
            "place_of_residence": self.place_of_residence, "date_of_expiry": self.expiry_text,
            "date_of_issue": self.date_of_issue.strftime("%d/%m/%Y"), "document_number": self.document_number,
            "can": self.can, "mrz_birth_date": self.mrz_birth_date, "mrz_expiry_date": self.mrz_expiry_date,
            "mrz": list(self.mrz_lines), "qr_payload": self.qr_payload, "card_model": self.model,
            "qr_side": "back" if self.model == "2024" else "front",
            "chip_side": "back" if self.model == "2024" else "front",
        } | ({"place_of_birth_registration": self.place_of_birth_registration}
             if self.model == "2024" and self.place_of_birth_registration else {})  # fmt: skip


def _validate(p: Profile) -> None:
    """The ID ``PPP G YY NNNNNN`` must agree with birth year and sex (cccd-chip.md §1)."""
    if len(p.id_number) != 12 or not p.id_number.isdigit():
        raise ProfileError(f"profile {p.name!r}: the ID must have 12 digits")
    if p.sex not in SEX_TEXT:
        raise ProfileError(f"profile {p.name!r}: sex must be 'M' or 'F'")
    g = int(p.id_number[3])
    century = 1900 + 100 * (g // 2)
    year = p.date_of_birth.year
    if g > 5 or century != year // 100 * 100 or p.id_number[4:6] != f"{year % 100:02d}":
        raise ProfileError(f"profile {p.name!r}: ID century/year digits disagree with the birth date")
    if (g % 2 == 1) != (p.sex == "F"):
        raise ProfileError(f"profile {p.name!r}: ID gender digit disagrees with the sex")
    if p.date_of_issue < p.date_of_birth:
        raise ProfileError(f"profile {p.name!r}: issued before birth")
    if p.old_id_number is not None and not (p.old_id_number.isdigit() and len(p.old_id_number) in (9, 12)):
        raise ProfileError(f"profile {p.name!r}: the old ID (CMND) has 9 digits")
    if not p.full_name.split():
        raise ProfileError(f"profile {p.name!r}: empty name")
    if p.card_model is not None and p.card_model not in CARD_MODELS:
        raise ProfileError(f"profile {p.name!r}: card_model must be one of {CARD_MODELS}")
    if p.model == "2024" and p.date_of_issue < CARD_2024_FROM:
        raise ProfileError(f"profile {p.name!r}: the 2024 card is issued from {CARD_2024_FROM}")
    if p.model == "2021" and p.date_of_issue >= CARD_2024_FROM:
        raise ProfileError(f"profile {p.name!r}: no 2021 CCCD is issued from {CARD_2024_FROM}")
    if p.aa_key_type not in ("RSA", "EC"):
        raise ProfileError(f"profile {p.name!r}: aa_key_type must be 'RSA' or 'EC'")
    if not set(p.access_protocols) <= ACCESS_PROTOCOLS:
        raise ProfileError(f"profile {p.name!r}: access protocols must be among {sorted(ACCESS_PROTOCOLS)}")
    if p.face is not None and not (FACES_DIR / p.face).is_file():
        raise ProfileError(f"profile {p.name!r}: no face photo {p.face!r} in {FACES_DIR}")


# --- face photo ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def face_jpeg(path: Path, crop: tuple[float, float, float, float] | None = None) -> bytes:
    """A 360×480 JPEG of roughly 15–20 KB: the photo at ``path`` cropped to 3:4.

    ``crop`` first cuts a box (fractions of width and height) around head and shoulders, as on an ID photo.

    The JPEG quality is searched so that the file lands in the range (cccd-chip.md §3: 10–20 KB).
    """
    from PIL import Image

    with Image.open(path) as src:
        img = src.convert("RGB")
    if crop is not None:
        w, h = img.size
        img = img.crop((round(crop[0] * w), round(crop[1] * h), round(crop[2] * w), round(crop[3] * h)))
    img = _crop_3_4(img)
    img = img.resize((FACE_WIDTH, FACE_HEIGHT), Image.Resampling.LANCZOS)
    return _encode_in_range(img)


def _crop_3_4(img: Any) -> Any:
    w, h = img.size
    if w * 4 > h * 3:  # too wide: keep the centre
        cw = h * 3 // 4
        return img.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    ch = w * 4 // 3  # too tall: keep the upper part, where the face is
    top = (h - ch) // 4
    return img.crop((0, top, w, top + ch))


def _encode_in_range(img: Any) -> bytes:
    best = b""
    for quality in range(95, 4, -5):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)
        data = buf.getvalue()
        if len(data) <= FACE_MAX_BYTES:
            return data
        best = data
    return best


# --- loading ------------------------------------------------------------------------------------------

_STR_FIELDS = (
    "description", "id_number", "full_name", "sex", "nationality", "ethnicity", "religion", "place_of_origin",
    "place_of_residence", "identifying_marks", "father_name", "mother_name", "spouse_name",
    "old_id_number", "card_serial", "face", "aa_key_type", "card_model", "place_of_birth_registration",
    "issuing_authority",
)  # fmt: skip
_DATE_FIELDS = ("date_of_birth", "date_of_issue", "expiry_override")
_BOOL_FIELDS = ("law_2023", "select_mf_quirk", "chip_authentication")
_SCALAR_TYPES: dict[str, type] = {
    **dict.fromkeys(_STR_FIELDS, str),
    **dict.fromkeys(_DATE_FIELDS, date),
    **dict.fromkeys(_BOOL_FIELDS, bool),
}
_REQUIRED = frozenset({"description", "id_number", "full_name", "date_of_birth", "sex", "date_of_issue"})


def profile_from_mapping(name: str, data: dict[str, Any]) -> Profile:
    """A profile from parsed TOML: top-level citizen fields and an optional ``[card]`` table."""
    flat = dict(data)
    card = flat.pop("card", {})
    if not isinstance(card, dict):
        raise ProfileError("[card] must be a table")
    flat.update(card)
    kwargs: dict[str, Any] = {"name": name}
    for key, value in flat.items():
        if isinstance(value, _SCALAR_TYPES.get(key, ())):
            kwargs[key] = value
        elif key in ("access_protocols", "data_groups") and isinstance(value, list):
            kwargs[key] = tuple(value)
        elif key == "face_crop" and isinstance(value, list) and len(value) == 4:
            kwargs[key] = _crop_box(name, value)
        elif key == "extra_dg13" and isinstance(value, dict):
            kwargs[key] = tuple(sorted((int(k), str(v)) for k, v in value.items()))
        else:
            raise ProfileError(f"profile {name!r}: unknown key or wrong type: {key}")
    missing = _REQUIRED - kwargs.keys()
    if missing:
        raise ProfileError(f"profile {name!r}: missing {sorted(missing)}")
    return Profile(**kwargs)


def _crop_box(name: str, value: list[Any]) -> tuple[float, float, float, float]:
    if not all(isinstance(v, int | float) for v in value):
        raise ProfileError(f"profile {name!r}: face_crop holds 4 numbers")
    left, top, right, bottom = (float(v) for v in value)
    if not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
        raise ProfileError(f"profile {name!r}: face_crop must be fractions with left < right, top < bottom")
    return left, top, right, bottom


def profile_from_toml(path: str | Path) -> Profile:
    """Load a profile from a TOML file; its name is the file's stem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: {exc}") from None
    return profile_from_mapping(path.stem, data)


def list_profiles() -> list[str]:
    """Names of the ready profiles (``sims/profiles/*.toml``)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def load_profile(name: str) -> Profile:
    """A ready profile by name (``KeyError`` if unknown) or a TOML file path."""
    if name.endswith(".toml"):
        return profile_from_toml(name)
    if name not in list_profiles():
        raise KeyError(f"no profile named {name!r}; known: {', '.join(list_profiles())}")
    return profile_from_toml(PROFILES_DIR / f"{name}.toml")

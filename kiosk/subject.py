"""The one subject model: what the chip says about the holder, and every form it takes on the way out.

:class:`SubjectClaims` is built once from the chip report (DG13, DG1 for the ID; cccd-chip.md §4).  The
verification record carries it as OpenID Connect claims (OIDC Core §5.1, OIDC for Identity Assurance §4;
``vn_*`` for the rest) and identity-document details (docs/delivery.md); connectors read it back from the
signed record with :func:`subject_fields`.  Both directions use the tables below, so a field's name
and form (sex as ``M``/``F`` → ``male``/``female`` → ``M``/``F``) are decided in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from reader.chipreport import ChipReport
from reader.errors import ParseError
from reader.lds.dg13 import parse_vn_date
from reader.lds.mrz import cccd_document_number, mask_id

#: DG13's sex as printed on the card (cccd-chip.md §4) → the subject's ``M``/``F``.
CHIP_SEX = {"nam": "M", "nữ": "F", "nu": "F"}
#: The subject's sex ↔ the OIDC ``gender`` claim.
OIDC_GENDER = {"M": "male", "F": "female"}
#: Subject fields with an OIDC claim of their own; the others travel as ``vn_<field>``.
OIDC_NAMES = {"full_name": "name", "birth_date": "birthdate", "address": "address", "sex": "gender",
              "nationality": "nationalities"}  # fmt: skip
VIETNAMESE = ("việt nam", "viet nam")


@dataclass(frozen=True, slots=True)
class SubjectClaims:
    """What the chip says about the holder (DG13, DG1).  Personal data: the repr shows none of it."""

    id_number: str | None = None
    old_id_number: str | None = None
    full_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None  # "M" | "F"
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    address: str | None = None
    issue_date: date | None = None
    expiry_date: date | None = None  # None also for cards that never expire

    def __repr__(self) -> str:
        pid = mask_id(self.id_number) if self.id_number else None
        return f"SubjectClaims(id={pid}, <personal data hidden>)"

    def minimised(self, names: frozenset[str]) -> dict[str, Any]:
        """Only the named fields that are present, dates as ISO strings."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if name in names and value is not None:
                out[name] = value.isoformat() if isinstance(value, date) else value
        return out


FIELD_NAMES = frozenset(f.name for f in fields(SubjectClaims))


def subject_from_chip(report: ChipReport) -> SubjectClaims:
    """The holder's claims from DG13 (and DG1 for the ID number)."""
    p = report.document.personal
    if p is None:
        return SubjectClaims(id_number=report.document.id_number)
    return SubjectClaims(
        id_number=report.document.id_number, old_id_number=p.old_id_number, full_name=p.full_name,
        birth_date=parse_vn_date(p.date_of_birth), sex=CHIP_SEX.get((p.sex or "").strip().lower()),
        nationality=p.nationality, ethnicity=p.ethnicity, religion=p.religion,
        place_of_origin=p.place_of_origin, address=p.place_of_residence,
        issue_date=parse_vn_date(p.date_of_issue), expiry_date=parse_vn_date(p.date_of_expiry),
    )  # fmt: skip


def oidc_claims(subject: SubjectClaims | None, names: frozenset[str]) -> dict[str, Any]:
    """The record's ``verified_claims.claims``: OIDC claim names where one exists, ``vn_*`` for the rest;
    only the forwarded ``names``."""
    claims: dict[str, Any] = {}
    for name, value in (subject.minimised(names) if subject else {}).items():
        if name == "full_name":
            parts = value.split()
            claims.update(name=value, family_name=parts[0], given_name=" ".join(parts[1:]) or parts[0])
        elif name == "sex":
            claims["gender"] = OIDC_GENDER.get(value, "unknown")
        elif name == "address":
            claims["address"] = {"formatted": value, "country": "VN"}
        elif name == "nationality":
            claims["nationalities"] = ["VN"] if value.strip().lower() in VIETNAMESE else [value]
        else:
            claims[OIDC_NAMES.get(name, f"vn_{name}")] = value
    return claims


def document_details(subject: SubjectClaims | None, names: frozenset[str]) -> dict[str, Any]:
    """The identity document's numbers and dates (OIDC for Identity Assurance §5.1.1.1 ``document_details``);
    only the forwarded ``names``."""
    details: dict[str, Any] = {}
    if subject is None:
        return details
    if subject.id_number and "id_number" in names:
        try:
            details["document_number"] = cccd_document_number(subject.id_number)
        except ParseError:
            pass  # not a 12-digit ID (the chip's own word): the personal number alone
        details["personal_number"] = subject.id_number
    for name, key in (("issue_date", "date_of_issuance"), ("expiry_date", "date_of_expiry")):
        value = getattr(subject, name)
        if value is not None and name in names:
            details[key] = value.isoformat()
    return details


_FROM_OIDC = {claim: name for name, claim in OIDC_NAMES.items()}
_FROM_GENDER = {claim: sex for sex, claim in OIDC_GENDER.items()}


def subject_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The forwarded subject as field names (:data:`FIELD_NAMES`), read back from a record's
    ``verified_claims`` — the inverse of :func:`oidc_claims` and :func:`document_details` for the ID.

    Empty unless the record is ``verified`` (only verified records carry claims).
    """
    vc = record.get("verified_claims") or {}
    claims: Mapping[str, Any] = vc.get("claims") or {}
    out: dict[str, Any] = {}
    for evidence in vc.get("verification", {}).get("evidence", []):
        details = evidence.get("document_details", {})
        if "personal_number" in details:
            out["id_number"] = details["personal_number"]
    for key, value in claims.items():
        name = _FROM_OIDC.get(key) or (key[3:] if key.startswith("vn_") else None)
        if name == "sex":
            out["sex"] = _FROM_GENDER.get(value)
        elif name == "address":
            out["address"] = value.get("formatted")
        elif name == "nationality":
            out["nationality"] = "Việt Nam" if value == ["VN"] else ", ".join(value)
        elif name is not None:
            out[name] = value
    return out

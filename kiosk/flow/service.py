"""The profile's service step: the few choices the institution needs besides the verified identity.

Lodging (Law on Residence 2020 Art. 30; Circular 55/2021): period and reason of stay.  Hospital: the kind
of visit.  Public service: the prefilled form to produce.  Bank: none (the bank's own flow continues).
"""

from __future__ import annotations

from kiosk.flow.model import ServiceField
from kiosk.profiles import Profile


class ServiceInputError(ValueError):
    """The submitted service values do not fit the step's fields."""


def service_fields(profile: Profile) -> tuple[ServiceField, ...]:
    """The service step's fields for ``profile`` (empty: the profile has no service step)."""
    s = profile.service
    if profile.kind == "lodging":
        reasons = tuple(dict.fromkeys((s.get("default_reason", "Du lịch"), "Du lịch", "Công tác", "Thăm thân",
                                       "Khác")))  # fmt: skip
        return (
            ServiceField("stay_nights", ("1", "2", "3", "4-7", "8-30"), "1"),
            ServiceField("stay_reason", reasons, reasons[0]),
        )
    if profile.kind == "hospital":
        return (ServiceField("visit_type", ("first_visit", "follow_up", "other"), "first_visit"),)
    if profile.kind == "public_service":
        code = s.get("form_code", "CT01")
        return (ServiceField("form_code", (code,), code),)
    return ()


def validate_service(fields: tuple[ServiceField, ...], values: tuple[tuple[str, str], ...]) -> tuple[
        tuple[str, str], ...]:  # fmt: skip
    """Every field present once, with one of its choices; returned in the fields' order."""
    given = dict(values)
    if len(given) != len(values):
        raise ServiceInputError("a field was given twice")
    unknown = set(given) - {f.id for f in fields}
    if unknown:
        raise ServiceInputError(f"unknown service fields: {sorted(unknown)}")
    out: list[tuple[str, str]] = []
    for f in fields:
        value = given.get(f.id, f.default)
        if value not in f.choices:
            raise ServiceInputError(f"{f.id} must be one of {list(f.choices)}")
        out.append((f.id, value))
    return tuple(out)

"""The service step's fields, as the deployment profile defines them (docs/flow.md "Service step").  Pure.

The hospital's department and kind of visit, the lodging's room, check-in date, nights and reason, the
public-service form; the bank's confirmation lists the forwarded fields instead (minimisation).  How the
values are validated and completed: :mod:`kiosk.flow.service`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.profiles import FORWARDABLE_FIELDS, Profile

MAX_NIGHTS = 30
REASONS = ("Du lịch", "Công tác", "Thăm thân", "Khác")
VISIT_TYPES = ("first_visit", "follow_up", "other")
#: The order in which the bank's confirmation lists the forwarded fields.
SUMMARY_ORDER = ("full_name", "id_number", "old_id_number", "birth_date", "sex", "nationality", "ethnicity",
                 "religion", "place_of_origin", "address", "issue_date", "expiry_date")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceField:
    """One field of the profile's service step (kiosk.flow.service).

    ``kind``: ``choice`` (one of ``choices``), ``count`` (a number among ``choices``, shown with − and +),
    ``date`` (an ISO date among ``choices``, set per day), ``text`` (typed; validated by the service
    module).  ``default`` ``""``: the person must choose.  ``labels_*``: how the choices are shown, when
    they come from the profile (department names) rather than the translation files.
    """

    id: str
    choices: tuple[str, ...]
    default: str
    kind: str = "choice"
    labels_vi: tuple[str, ...] = ()
    labels_en: tuple[str, ...] = ()

    def labels(self, language: str) -> tuple[str, ...]:
        return self.labels_vi if language == "vi" else self.labels_en


def service_fields(profile: Profile) -> tuple[ServiceField, ...]:
    """The service step's fields for ``profile`` (the check-in date's choices are set per day by
    :func:`fields_for_day`)."""
    s = profile.service
    if profile.kind == "lodging":
        reasons = tuple(dict.fromkeys((s.get("default_reason", REASONS[0]), *REASONS)))
        nights = tuple(str(n) for n in range(1, MAX_NIGHTS + 1))
        return (
            ServiceField("room", (), "", kind="text"),
            ServiceField("check_in", (), "", kind="date"),
            ServiceField("nights", nights, "1", kind="count"),
            ServiceField("reason", reasons, reasons[0]),
        )
    if profile.kind == "hospital":
        d = profile.departments
        department = ServiceField("department", tuple(x.code for x in d), "",
                                  labels_vi=tuple(x.name_vi for x in d),
                                  labels_en=tuple(x.name_en for x in d))  # fmt: skip
        return department, ServiceField("visit_type", VISIT_TYPES, "")  # nothing preselected (issue 14)
    if profile.kind == "public_service":
        code = s.get("form_code", "CT01")
        return (ServiceField("form_code", (code,), code),)
    return ()


def summary_fields(profile: Profile) -> tuple[str, ...]:
    """The bank's confirmation lists what the profile forwards (minimisation), in a fixed order."""
    if profile.kind != "bank":
        return ()
    return tuple(f for f in SUMMARY_ORDER if f in profile.forwarded_fields and f in FORWARDABLE_FIELDS)

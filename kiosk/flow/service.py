"""The profile's service step: what the institution needs besides the verified identity.  Pure.

* Hospital: the department (the profile's ``[[service.departments]]``) and the kind of visit; the kiosk
  then issues a queue number per department per local day (:class:`kiosk.flow.effects.IssueQueueNumber`,
  :mod:`kiosk.storage.queue`), e.g. ``NOI-017``.
* Lodging (Law on Residence 2020 Art. 30; Circular 55/2021: name, ID, reason and period of stay): room
  (1–6 letters or digits), check-in date (today by default), nights, reason; the check-out date is
  computed (check-in + nights).
* Bank: no choices — a confirmation of what will be sent (the profile's forwarded fields, the ID masked;
  the images when the profile delivers them), with "confirm" and "stop" equally prominent.
* Public service: the form to prefill.

Dates are the kiosk's local dates (Vietnam, UTC+7 all year: no daylight saving time).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from kiosk.flow.model import FlowConfig
from kiosk.flow.servicefields import (
    ServiceField,
)
from kiosk.subject import subject_from_chip
from reader.chipreport import ChipReport
from reader.lds.mrz import mask_id

CHECK_IN_DAYS = (-1, 14)  # check-in from yesterday (after midnight arrivals) to two weeks ahead
ROOM = re.compile(r"^[A-Z0-9]{1,6}$")


class ServiceInputError(ValueError):
    """The submitted service values do not fit the step's fields; ``hint`` is the message key to show."""

    def __init__(self, message: str, hint: str = "service.invalid") -> None:
        super().__init__(message)
        self.hint = hint



def fields_for_day(fields: tuple[ServiceField, ...], day: date | None) -> tuple[ServiceField, ...]:
    """Date fields get their choices (ISO dates around ``day``) and ``day`` as the default."""
    if day is None:
        return fields
    low, high = CHECK_IN_DAYS
    dates = tuple((day + timedelta(days=n)).isoformat() for n in range(low, high + 1))
    iso = day.isoformat()
    return tuple(replace(f, choices=dates, default=iso) if f.kind == "date" else f for f in fields)


def validate_service(fields: tuple[ServiceField, ...], values: tuple[tuple[str, str], ...]) -> tuple[
        tuple[str, str], ...]:  # fmt: skip
    """Every field present once with an allowed value (a missing one takes its default, if it has one);
    returned in the fields' order.  A room is upper-cased and must be 1–6 letters or digits."""
    given = dict(values)
    if len(given) != len(values):
        raise ServiceInputError("a field was given twice")
    unknown = set(given) - {f.id for f in fields}
    if unknown:
        raise ServiceInputError(f"unknown service fields: {sorted(unknown)}")
    out: list[tuple[str, str]] = []
    for f in fields:
        value = given.get(f.id, f.default).strip()
        if f.kind == "text":
            value = value.upper()
            if not ROOM.match(value):
                raise ServiceInputError(f"{f.id}: 1 to 6 letters or digits", f"service.{f.id}_invalid")
        elif not value:
            raise ServiceInputError(f"{f.id} must be chosen", f"service.choose_{f.id}")
        elif value not in f.choices:
            raise ServiceInputError(f"{f.id} must be one of {list(f.choices)}")
        out.append((f.id, value))
    return tuple(out)


def completed(c: FlowConfig, values: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The values the record carries: lodging adds the check-out date; the bank records the confirmation."""
    v = dict(values)
    if c.kind == "lodging" and "check_in" in v and "nights" in v:
        out = date.fromisoformat(v["check_in"]) + timedelta(days=int(v["nights"]))
        return (*values, ("check_out", out.isoformat()))
    if c.kind == "bank":
        return (*values, ("confirmed", "yes"))
    return values


def queue_ticket(department: str, number: int) -> str:
    """``NOI`` and 17 → ``NOI-017`` (three digits at least; a thousandth patient gets four)."""
    return f"{department}-{number:03d}"


def queue_values(c: FlowConfig, department: str, day: date, number: int) -> tuple[tuple[str, str], ...]:
    """What the record's ``service`` gains when the queue number is issued (service data, not personal)."""
    return (("department_name", department_name(c, department, "vi")),
            ("queue_number", queue_ticket(department, number)), ("queue_day", day.isoformat()))  # fmt: skip


def department_name(c: FlowConfig, code: str, language: str) -> str:
    for f in c.service_fields:
        if f.id == "department" and code in f.choices:
            labels = f.labels(language)
            return labels[f.choices.index(code)] if labels else code
    return code


def summary_lines(report: ChipReport | None, fields: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The bank's confirmation: ``(field, shown value)`` for each forwarded field the chip holds.  IDs are
    masked; dates dd/mm/yyyy; sex ``M``/``F`` (the screen translates it)."""
    if report is None:
        return ()
    subject = subject_from_chip(report)
    out: list[tuple[str, str]] = []
    for name in fields:
        value = getattr(subject, name, None)
        if value is None or value == "":
            continue
        if isinstance(value, date):
            text = value.strftime("%d/%m/%Y")
        elif name in ("id_number", "old_id_number"):
            text = mask_id(str(value))
        else:
            text = str(value)
        out.append((name, text))
    return tuple(out)

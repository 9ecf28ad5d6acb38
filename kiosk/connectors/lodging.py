"""Lodging → the guest residence declaration (Law on Residence 2020 Art. 30; Circular 55/2021).

Per guest: full name, personal ID number, reason for stay, period of stay, lodging address; due by 23:00
on the arrival day, or 08:00 the next day for arrivals after 23:00.  No face data ever goes to a hotel.

The stay comes from the kiosk's service step (``record["service"]``, kiosk.flow.service): ``room``,
``check_in`` and ``check_out`` (ISO dates: the period of stay), ``nights``, ``reason``.  ``arrival`` is
when the guest checked in at the kiosk (the record's completion time, Vietnam time); the deadline runs
from it, or from the check-in day when the guest registers ahead of the stay.  The establishment's name and
address come from the profile.  Records stored by earlier versions (``departure``, ``stay_reason``) are
still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from kiosk.connectors.base import DeliveryContext, DeliveryResult, HttpConnector
from kiosk.subject import subject_fields
from kiosk.timezone import VIETNAM
from reader.lds.mrz import mask_id


@dataclass(frozen=True, slots=True)
class GuestDeclaration:
    verification_id: str
    full_name: str
    id_number: str
    birth_date: str | None
    nationality: str | None
    reason: str
    check_in: str | None  # ISO date: the period of stay (Circular 55/2021) …
    check_out: str | None  # … to this date
    nights: int | None
    room: str | None
    arrival: str  # ISO 8601, Vietnam time: when the guest checked in at the kiosk
    establishment_name: str
    establishment_address: str
    declaration_due: str  # ISO 8601, Vietnam time

    def __repr__(self) -> str:
        return f"GuestDeclaration(id={mask_id(self.id_number)}, <personal data hidden>)"

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS = tuple(GuestDeclaration.__dataclass_fields__)


def declaration_due(arrival: datetime) -> datetime:
    """23:00 on the arrival day; 08:00 the next day when the guest arrives after 23:00 (Circular 55/2021)."""
    local = arrival.astimezone(VIETNAM)
    if local.time() >= time(23, 0):
        return datetime.combine(local.date() + timedelta(days=1), time(8, 0), VIETNAM)
    return datetime.combine(local.date(), time(23, 0), VIETNAM)


def sync_register(register: Any, store: Any, profile: Any, now: datetime) -> int:
    """Take the kiosk's verified records of ``profile`` (a kiosk.storage.KioskStore) that are not yet in the
    register (a kiosk.storage.lodging_register.LodgingRegister); only those are opened and sealed again —
    the clerk's page calls this on every refresh.  The number of guests added."""
    known = register.known_ids()
    added = 0
    for vid in store.record_ids(profile.name, "verified"):
        if vid in known:
            continue
        decl = guest_declaration(store.record(vid), profile.service)
        if decl is not None and register.add(decl, now):
            added += 1
    return added


def guest_declaration(record: Mapping[str, Any], service: Mapping[str, str]) -> GuestDeclaration | None:
    """The declaration for a verified record (``None`` when the record carries no verified identity)."""
    subject = subject_fields(record)
    if record.get("status") != "verified" or "id_number" not in subject or "full_name" not in subject:
        return None
    stay: Mapping[str, Any] = record.get("service") or {}
    when = str(stay.get("arrival") or record["times"]["completed"])
    arrived = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if arrived.tzinfo is None:
        arrived = arrived.replace(tzinfo=VIETNAM)
    check_in = _day(stay.get("check_in"))
    starts = arrived
    if check_in is not None and check_in > arrived.astimezone(VIETNAM).date():  # registered ahead
        starts = datetime.combine(check_in, time(0, 0), VIETNAM)
    nights = str(stay.get("nights") or "")
    return GuestDeclaration(
        verification_id=str(record["verification_id"]),
        full_name=str(subject["full_name"]), id_number=str(subject["id_number"]),
        birth_date=subject.get("birth_date"), nationality=subject.get("nationality"),
        reason=str(stay.get("reason") or stay.get("stay_reason") or service.get("default_reason") or ""),
        check_in=check_in.isoformat() if check_in else None,
        check_out=stay.get("check_out") or stay.get("departure"),
        nights=int(nights) if nights.isdigit() else None, room=stay.get("room"),
        arrival=arrived.astimezone(VIETNAM).isoformat(timespec="minutes"),
        establishment_name=service.get("establishment_name", ""),
        establishment_address=service.get("establishment_address", ""),
        declaration_due=declaration_due(starts).isoformat(timespec="minutes"),
    )  # fmt: skip


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class LodgingWebhookConnector(HttpConnector):
    def deliver(self, ctx: DeliveryContext) -> DeliveryResult:
        declaration = guest_declaration(ctx.record, self.profile.service)
        data = {"guest_declaration": declaration.as_row() if declaration else None}
        return self.post_envelope(ctx, "cccd.lodging.guest_declaration", data)

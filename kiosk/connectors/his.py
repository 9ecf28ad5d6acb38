"""Hospital → a plain JSON webhook for HIS that do not speak FHIR.

Field names follow the Ministry of Health data standard QĐ 130/QĐ-BYT (as amended by QĐ 4750/QĐ-BYT):
``HO_TEN``, ``SO_CCCD``, ``NGAY_SINH`` (``yyyyMMdd0000``), ``GIOI_TINH`` (1 male, 2 female, 3 unknown),
``DIA_CHI``, plus the nationality and ethnicity as names (the kiosk does not hold the code tables) and
the arrival time ``THOI_GIAN_DEN`` (``yyyyMMddHHmm``, Vietnam time).  Only forwarded fields appear.

The kiosk's service step adds a ``visit`` object (service data, not personal): the department chosen
(``department_code`` — the profile's code, also the queue number's prefix — and ``department_name``), the
queue number issued for it (``queue_number``, e.g. ``NOI-017``, one sequence per department per local
day ``queue_day``), and the kind of visit (``first_visit`` | ``follow_up`` | ``other``).  The signed record
carries the same values in its ``service`` object.

When the hospital profile's insurance step ran (kiosk.insurance), an ``insurance`` object carries the BHXH
gateway's answer in the same naming (``MA_THE_BHYT``, ``MA_DKBD``, ``GT_THE_TU``, ``GT_THE_DEN``,
``MUC_HUONG``; kiosk.insurance.mapping.his_insurance); otherwise it is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kiosk.connectors.base import DeliveryContext, DeliveryResult, HttpConnector
from kiosk.insurance.mapping import his_insurance
from kiosk.subject import subject_fields
from kiosk.timezone import VIETNAM


def his_patient(subject: Mapping[str, Any], arrived: str, facility_code: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "full_name" in subject:
        out["HO_TEN"] = subject["full_name"]
    if "id_number" in subject:
        out["SO_CCCD"] = subject["id_number"]
    if "birth_date" in subject:
        out["NGAY_SINH"] = subject["birth_date"].replace("-", "") + "0000"
    if "sex" in subject:
        out["GIOI_TINH"] = {"M": 1, "F": 2}.get(subject["sex"], 3)
    for key, name in (("nationality", "QUOC_TICH"), ("ethnicity", "DAN_TOC"), ("address", "DIA_CHI")):
        if key in subject:
            out[name] = subject[key]
    when = datetime.fromisoformat(arrived.replace("Z", "+00:00")).astimezone(VIETNAM)
    out["THOI_GIAN_DEN"] = when.strftime("%Y%m%d%H%M")
    if facility_code:
        out["MA_CSKCB"] = facility_code
    return out


_VISIT = (("department", "department_code"), ("department_name", "department_name"),
          ("queue_number", "queue_number"), ("queue_day", "queue_day"),
          ("visit_type", "visit_type"))  # fmt: skip


def his_visit(service: Mapping[str, Any]) -> dict[str, Any] | None:
    """The visit the patient registered for at the kiosk (``None`` when the service step did not run)."""
    visit = {name: service[key] for key, name in _VISIT if service.get(key)}
    return visit or None


class HisWebhookConnector(HttpConnector):
    def deliver(self, ctx: DeliveryContext) -> DeliveryResult:
        patient = his_patient(subject_fields(ctx.record), ctx.record["times"]["started"],
                              self.profile.service.get("facility_code"))  # fmt: skip
        visit = his_visit(ctx.record.get("service") or {})
        data: dict[str, Any] = {"patient": patient, "visit": visit}
        insurance = his_insurance(ctx.record.get("service") or {})
        if insurance is not None:
            data["insurance"] = insurance
        return self.post_envelope(ctx, "cccd.hospital.registration", data)

"""The insurance answer in the hospital's terms: FHIR R4 Coverage and Encounter, and the HIS webhook's
fields (docs/insurance.md).

Input is the flat ``insurance_*`` strings of the record's ``service`` object
(:meth:`kiosk.insurance.bhxh.InsuranceResult.service_fields`), so that a connector can rebuild them from a
stored record alone.

* **Coverage** (FHIR R4 coverage.html): ``identifier`` the BHYT number under the VN Core insurance-number
  system, ``beneficiary`` the patient by its national-ID identifier, ``payor`` Vietnam Social Security,
  ``period`` the card's validity, ``network`` the registered primary-care facility (maDKBD), ``class`` the
  benefit level (the card code's 3rd character; ``name`` the percentage), ``status`` ``active`` only for a
  card the gateway confirmed valid.
* **Encounter** (FHIR R4 encounter.html): ``status`` ``arrived``, ``class`` AMB, ``period.start`` the arrival,
  ``serviceType`` the department chosen, ``identifier`` the queue number, ``serviceProvider`` this facility.
* **HIS fields** (QĐ 130/QĐ-BYT naming, as kiosk/connectors/his.py): ``MA_THE_BHYT``, ``MA_DKBD``,
  ``GT_THE_TU`` / ``GT_THE_DEN`` (``yyyyMMdd``), ``MUC_HUONG`` (percent), plus the check itself
  (``KQ_KIEM_TRA_THE``: the gateway's ``maKetQua``; ``TRANG_THAI_THE``: the kiosk's status).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SID_NATIONAL_ID = "http://fhir.ehealth.gov.vn/core/sid/national_id"
SID_INSURANCE = "http://fhir.ehealth.gov.vn/core/sid/insurance_number"
SID_FACILITY = "urn:vn:moh:facility-code"  # KCB facility codes (maCSKCB); no published FHIR system found
SID_QUEUE = "urn:cccd:kiosk:queue-number"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
BHXH_DISPLAY = "Bảo hiểm xã hội Việt Nam"


def has_insurance(service: Mapping[str, Any]) -> bool:
    return bool(service.get("insurance_status"))


def coverage_resource(service: Mapping[str, Any], national_id: str, verification_id: str) -> dict[str, Any]:
    """A Coverage for the card the gateway reported (a Coverage with no card number is not made)."""
    card = service.get("insurance_card_code")
    if not card:
        raise ValueError("no BHYT card number to describe")
    status = "active" if service.get("insurance_status") in ("valid", "other_facility") else "cancelled"
    coverage: dict[str, Any] = {
        "resourceType": "Coverage", "id": f"{verification_id}-bhyt", "status": status,
        "identifier": [{"system": SID_INSURANCE, "value": card}],
        "beneficiary": {"identifier": {"system": SID_NATIONAL_ID, "value": national_id}},
        "payor": [{"display": BHXH_DISPLAY}],
    }  # fmt: skip
    period = {k: service[f"insurance_valid_{s}"] for k, s in (("start", "from"), ("end", "to"))
              if service.get(f"insurance_valid_{s}")}  # fmt: skip
    if period:
        coverage["period"] = period
    if service.get("insurance_facility_code"):
        coverage["network"] = service["insurance_facility_code"]
    if service.get("insurance_benefit_code"):
        percent = service.get("insurance_benefit_percent")
        coverage["class"] = [{"type": {"coding": [{"system": COVERAGE_CLASS, "code": "plan"}]},
                              "value": service["insurance_benefit_code"],
                              "name": f"{percent}%" if percent else None}]  # fmt: skip
        if not percent:
            del coverage["class"][0]["name"]
    return coverage


def encounter_resource(service: Mapping[str, Any], national_id: str, arrived: str, verification_id: str,
                       facility_code: str | None) -> dict[str, Any]:  # fmt: skip
    """The visit the patient registered for at the kiosk."""
    encounter: dict[str, Any] = {
        "resourceType": "Encounter", "id": verification_id, "status": "arrived",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "subject": {"identifier": {"system": SID_NATIONAL_ID, "value": national_id}},
        "period": {"start": arrived},
    }  # fmt: skip
    if service.get("queue_number"):
        encounter["identifier"] = [{"system": SID_QUEUE, "value": service["queue_number"]}]
    if service.get("department"):
        text = service.get("department_name") or service["department"]
        encounter["serviceType"] = {"coding": [{"code": service["department"]}], "text": text}
    if service.get("visit_type"):
        encounter["type"] = [{"text": service["visit_type"]}]
    if facility_code:
        encounter["serviceProvider"] = {"identifier": {"system": SID_FACILITY, "value": facility_code}}
    if service.get("insurance_card_code"):
        encounter["extension"] = [{
            "url": "urn:cccd:kiosk:encounter-coverage",
            "valueReference": {"reference": f"Coverage/{verification_id}-bhyt"},
        }]  # fmt: skip
    return encounter


def _yyyymmdd(value: Any) -> str | None:
    return str(value).replace("-", "") if value else None


def his_insurance(service: Mapping[str, Any]) -> dict[str, Any] | None:
    """The HIS webhook's ``insurance`` object; ``None`` when no check ran."""
    if not has_insurance(service):
        return None
    out: dict[str, Any] = {"TRANG_THAI_THE": service["insurance_status"],
                           "KQ_KIEM_TRA_THE": service.get("insurance_gateway_code") or None}  # fmt: skip
    for key, name in (("insurance_card_code", "MA_THE_BHYT"), ("insurance_facility_code", "MA_DKBD"),
                      ("insurance_facility_name", "TEN_DKBD")):  # fmt: skip
        if service.get(key):
            out[name] = service[key]
    for key, name in (("insurance_valid_from", "GT_THE_TU"), ("insurance_valid_to", "GT_THE_DEN"),
                      ("insurance_five_years_from", "NGAY_DU_5_NAM")):  # fmt: skip
        if service.get(key):
            out[name] = _yyyymmdd(service[key])
    if service.get("insurance_benefit_percent"):
        out["MUC_HUONG"] = int(service["insurance_benefit_percent"])
    return out

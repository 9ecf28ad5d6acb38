"""Hospital → FHIR R4: a VN Core Patient by conditional update, and a Provenance for the signed record.

* ``PUT [base]/Patient?identifier=<national_id system>|<ID>`` (FHIR R4 http.html §3.1.0.4.3 conditional
  update): the server creates the patient (201) or updates the one match (200); two matches → 412.
* ``PUT [base]/Provenance/<verification ID>`` (update-as-create, idempotent): ``target`` the Patient,
  ``entity`` the verification record, ``signature`` the compact JWS (``sigFormat`` application/jose).

Identifier systems and the Patient profile: the draft Vietnamese core guide (integrations.md).  Only
``verified`` records create or update a patient; other outcomes reach the HIS through its JSON webhook.

Then, when the record's ``service`` carries them (kiosk.insurance.mapping): ``PUT [base]/Coverage/<id>-bhyt``
(the BHYT card the BHXH gateway reported) and ``PUT [base]/Encounter/<id>`` (the visit registered at the
kiosk: department, queue number, arrival; docs/insurance.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from kiosk.connectors.base import DeliveryContext, DeliveryResult, HttpConnector
from kiosk.connectors.his import his_visit
from kiosk.insurance.mapping import coverage_resource, encounter_resource, has_insurance
from kiosk.subject import subject_fields

VN_CORE_PATIENT = "http://fhir.ehealth.gov.vn/core/StructureDefinition/vn-core-patient"
SID_NATIONAL_ID = "http://fhir.ehealth.gov.vn/core/sid/national_id"
SID_INSURANCE = "http://fhir.ehealth.gov.vn/core/sid/insurance_number"
SID_PATIENT_INTERNAL = "http://fhir.ehealth.gov.vn/core/sid/patient-internal-id"
NATIONALITY_EXT = "http://hl7.org/fhir/StructureDefinition/patient-nationality"
_GENDER = {"M": "male", "F": "female"}
#: The header that carries the signed record (compact JWS) on the Patient conditional update: a FHIR write
#: is accepted only with the record that vouches for it (docs/receiver.md).
RECORD_JWS_HEADER = "cccd-record-jws"


def patient_resource(subject: Mapping[str, Any]) -> dict[str, Any]:
    """A VN Core Patient from the forwarded subject fields."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [VN_CORE_PATIENT]},
        "identifier": [{"use": "official", "system": SID_NATIONAL_ID, "value": subject["id_number"]}],
        "active": True,
    }
    if subject.get("full_name"):
        parts = str(subject["full_name"]).split()
        patient["name"] = [{"use": "official", "text": subject["full_name"], "family": parts[0],
                            "given": parts[1:] or parts[:1]}]  # fmt: skip
    patient["gender"] = _GENDER.get(subject.get("sex") or "", "unknown")
    if subject.get("birth_date"):
        patient["birthDate"] = subject["birth_date"]
    if subject.get("address"):
        patient["address"] = [{"use": "home", "text": subject["address"], "country": "VN"}]
    if subject.get("nationality"):
        patient["extension"] = [{"url": NATIONALITY_EXT, "extension": [
            {"url": "code", "valueCodeableConcept": {"text": subject["nationality"]}}]}]  # fmt: skip
    return patient


def provenance_resource(ctx: DeliveryContext, patient_ref: str, jws: str) -> dict[str, Any]:
    record = ctx.record
    device = record["kiosk"]["device_id"]
    who = {"identifier": {"system": "urn:cccd:kiosk", "value": device}, "display": f"CCCD kiosk {device}"}
    return {
        "resourceType": "Provenance",
        "id": ctx.verification_id,
        "target": [{"reference": patient_ref}],
        "recorded": record["times"]["completed"],
        "activity": {"text": "identity verification with the CCCD chip (ICAO 9303) and face comparison"},
        "agent": [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "verifier"}]}, "who": who}],
        "entity": [{"role": "source", "what": {
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:ulid:{ctx.verification_id}"},
            "display": "signed CCCD verification record"}}],
        "signature": [{"type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.5",
                                  "display": "Verification Signature"}],
                       "when": record["times"]["completed"], "who": who, "sigFormat": "application/jose",
                       "data": base64.b64encode(jws.encode()).decode()}],
    }  # fmt: skip


class FhirConnector(HttpConnector):
    content_type = "application/fhir+json"

    def deliver(self, ctx: DeliveryContext) -> DeliveryResult:
        subject = subject_fields(ctx.record)
        if ctx.record["status"] != "verified" or "id_number" not in subject:
            return DeliveryResult("sent", None, "not verified: no patient to register")
        vid = ctx.verification_id
        url = f"{self.url}/Patient"
        query = f"?identifier={SID_NATIONAL_ID}|{subject['id_number']}"
        jws = self.sign_record(ctx)  # a FHIR write carries the signed record (docs/receiver.md)
        result, response = self.send("PUT", url + query, patient_resource(subject), vid, f"{vid}:Patient",
                                     ctx.now, "Patient", {RECORD_JWS_HEADER: jws})  # fmt: skip
        if result.outcome != "sent" or response is None:
            return result
        patient_id = _patient_id(response.headers.get("location"), response.content)
        if patient_id is None:
            return DeliveryResult("retry", response.status_code, "Patient: no id in the server's answer")
        provenance = provenance_resource(ctx, f"Patient/{patient_id}", jws)
        result, _ = self.send("PUT", f"{self.url}/Provenance/{vid}", provenance, vid, f"{vid}:Provenance",
                              ctx.now, "Provenance")  # fmt: skip
        if result.outcome != "sent":
            return result
        return self._visit(ctx, str(subject["id_number"]))

    def _visit(self, ctx: DeliveryContext, national_id: str) -> DeliveryResult:
        """Coverage (when the insurance check found a card) and Encounter (when a visit or a check exists)."""
        vid, service = ctx.verification_id, ctx.record.get("service") or {}
        result = DeliveryResult("sent")
        if service.get("insurance_card_code"):
            coverage = coverage_resource(service, national_id, vid)
            result, _ = self.send("PUT", f"{self.url}/Coverage/{coverage['id']}", coverage, vid,
                                  f"{vid}:Coverage", ctx.now, "Coverage")  # fmt: skip
            if result.outcome != "sent":
                return result
        if his_visit(service) or has_insurance(service):
            encounter = encounter_resource(service, national_id, ctx.record["times"]["started"], vid,
                                           self.profile.service.get("facility_code"))  # fmt: skip
            result, _ = self.send("PUT", f"{self.url}/Encounter/{vid}", encounter, vid, f"{vid}:Encounter",
                                  ctx.now, "Encounter")  # fmt: skip
        return result


def _patient_id(location: str | None, body: bytes) -> str | None:
    """The logical id from ``Location: [base]/Patient/<id>/_history/<v>`` or from the returned resource."""
    if location and "/Patient/" in location:
        return location.split("/Patient/", 1)[1].split("/", 1)[0] or None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value else None

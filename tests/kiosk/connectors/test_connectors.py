"""Connector payloads: FHIR Patient/Provenance, HIS fields, lodging declaration and exports."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from kiosk.connectors import classify_status, subject_fields
from kiosk.connectors.fhir import SID_NATIONAL_ID, VN_CORE_PATIENT, patient_resource
from kiosk.connectors.his import his_patient
from kiosk.connectors.lodging import declaration_due, guest_declaration
from kiosk.connectors.lodging_export import export_csv, export_xlsx
from kiosk.profiles import Profile
from kiosk.timezone import VIETNAM
from tests.helpers.delivery import FACE_MISMATCH, TEST_ID, TEST_NAME, make_record


def test_subject_round_trip(profiles: dict[str, Profile]) -> None:
    subject = subject_fields(make_record(profiles["public_service"]).document)
    assert subject["id_number"] == TEST_ID and subject["full_name"] == TEST_NAME
    assert subject["sex"] == "F" and subject["nationality"] == "Việt Nam" and subject["religion"] == "Không"
    assert subject_fields(make_record(profiles["hospital"], face=FACE_MISMATCH).document) == {}


def test_fhir_patient(profiles: dict[str, Profile]) -> None:
    p = patient_resource(subject_fields(make_record(profiles["hospital"]).document))
    assert p["meta"]["profile"] == [VN_CORE_PATIENT]
    assert p["identifier"][0] == {"use": "official", "system": SID_NATIONAL_ID, "value": TEST_ID}
    assert p["name"][0]["family"] == "Nguyễn" and p["name"][0]["given"] == ["Thị", "Mai", "Anh"]
    assert p["gender"] == "female" and p["address"][0]["country"] == "VN"


def test_his_fields(profiles: dict[str, Profile]) -> None:
    doc = make_record(profiles["hospital"]).document
    his = his_patient(subject_fields(doc), doc["times"]["started"], "01001")
    assert his["SO_CCCD"] == TEST_ID and his["NGAY_SINH"] == "200306150000" and his["GIOI_TINH"] == 2
    assert his["THOI_GIAN_DEN"] == "202603011530" and his["MA_CSKCB"] == "01001"  # 08:30 UTC = 15:30 VN


def test_classification() -> None:
    assert [
        classify_status(s).outcome for s in (200, 201, 204, 400, 401, 404, 409, 422, 408, 429, 500, 503)
    ] == ["sent", "sent", "sent", "dead", "dead", "dead", "dead", "dead", "retry", "retry", "retry", "retry"]


def test_declaration_deadline() -> None:
    assert (
        declaration_due(datetime(2026, 3, 1, 14, 0, tzinfo=VIETNAM)).isoformat()
        == "2026-03-01T23:00:00+07:00"
    )
    assert (
        declaration_due(datetime(2026, 3, 1, 23, 30, tzinfo=VIETNAM)).isoformat()
        == "2026-03-02T08:00:00+07:00"
    )


def test_guest_declaration_and_exports(tmp_path: Path, profiles: dict[str, Profile]) -> None:
    lodging = profiles["lodging"]
    stay = {
        "arrival": "2026-03-01T20:15:00+07:00",
        "departure": "2026-03-03",
        "reason": "=cmd|' /C calc'!A0",
        "room": "301",
    }
    record = make_record(lodging, service=stay).document
    d = guest_declaration(record, lodging.service)
    assert d is not None and d.id_number == TEST_ID and d.declaration_due == "2026-03-01T23:00+07:00"
    assert TEST_ID not in repr(d)
    assert guest_declaration(make_record(lodging, face=FACE_MISMATCH).document, lodging.service) is None
    other = replace(d, full_name="Trần Văn Bình", verification_id="01B")
    assert export_csv([d, other], tmp_path / "g.csv") == 2
    rows = list(csv.reader((tmp_path / "g.csv").open(encoding="utf-8-sig")))
    assert rows[0][1] == "Họ và tên" and rows[1][1] == TEST_NAME and rows[1][5].startswith("'=")
    assert export_xlsx([d, other], tmp_path / "g.xlsx") == 2
    sheet = load_workbook(tmp_path / "g.xlsx").active
    assert sheet is not None and sheet["B2"].value == TEST_NAME and str(sheet["F2"].value).startswith("'=")


def test_guest_declaration_from_the_kiosk_service_step(profiles: dict[str, Profile]) -> None:
    """The flow's lodging values (kiosk.flow.service): room, check-in, nights, check-out, reason."""
    lodging = profiles["lodging"]
    stay = {"room": "B12", "check_in": "2026-03-01", "nights": "2", "reason": "Công tác",
            "check_out": "2026-03-03"}  # fmt: skip
    d = guest_declaration(make_record(lodging, service=stay).document, lodging.service)
    assert d is not None
    assert (d.room, d.check_in, d.check_out, d.nights, d.reason) == ("B12", "2026-03-01", "2026-03-03", 2,
                                                                     "Công tác")  # fmt: skip
    assert d.arrival == "2026-03-01T15:30+07:00"  # the record's completion time (08:30:40 UTC)
    assert d.declaration_due == "2026-03-01T23:00+07:00"
    assert d.establishment_address == lodging.service["establishment_address"]
    ahead = dict(stay, check_in="2026-03-05", check_out="2026-03-07")  # registered ahead of the stay
    later = guest_declaration(make_record(lodging, service=ahead).document, lodging.service)
    assert later is not None and later.declaration_due == "2026-03-05T23:00+07:00"
    row = d.as_row()
    for key in ("room", "check_in", "check_out", "nights", "reason", "establishment_address"):
        assert row[key], key


def test_lodging_webhook_body_carries_the_stay(profiles: dict[str, Profile]) -> None:
    from kiosk.connectors.lodging import COLUMNS
    from kiosk.connectors.lodging_export import HEADERS_VI

    assert {"room", "check_in", "check_out", "reason"} <= set(COLUMNS) and set(COLUMNS) == set(HEADERS_VI)
    assert "face" not in " ".join(COLUMNS) and "image" not in " ".join(COLUMNS)


def test_his_visit_carries_department_and_queue_number(profiles: dict[str, Profile]) -> None:
    from kiosk.connectors.his import his_visit

    hospital = profiles["hospital"]
    service = {"facility_code": "00000", "department": "NOI", "department_name": "Khám Nội",
               "visit_type": "first_visit", "queue_number": "NOI-017", "queue_day": "2026-03-01"}  # fmt: skip
    doc = make_record(hospital, service=service).document
    assert doc["service"]["queue_number"] == "NOI-017"  # in the signed record too
    assert his_visit(doc["service"]) == {"department_code": "NOI", "department_name": "Khám Nội",
                                         "queue_number": "NOI-017", "queue_day": "2026-03-01",
                                         "visit_type": "first_visit"}  # fmt: skip
    assert his_visit({"facility_code": "00000"}) is None

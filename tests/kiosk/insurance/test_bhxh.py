"""The BHXH gateway client against the simulated gateway (sims.bhxh, a real HTTP server on loopback): every
scripted answer, the time budget, token handling, secrets; and the FHIR / HIS mapping of the answer."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk.connectors.his import HisWebhookConnector
from kiosk.insurance import BhxhClient, BhxhSettings, InsuranceConfigError, InsuranceResult, InsuranceStatus
from kiosk.insurance.mapping import coverage_resource, encounter_resource, his_insurance
from kiosk.profiles import Profile, load_profiles
from sims.bhxh import BhxhGateway, BhxhServer

CCCD, NAME, DOB = "079303001234", "Nguyễn Thị Mai Anh", date(2003, 6, 15)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BHXH_PASSWORD", "sim-password")
    monkeypatch.setenv("BHXH_OFFICER", "Trần Văn Tiếp Đón")
    monkeypatch.setenv("BHXH_OFFICER_ID", "001080000001")


@pytest.fixture
def server(env: None) -> Iterator[BhxhServer]:
    with BhxhServer(BhxhGateway(slow_seconds=3.0)) as s:
        yield s


def _settings(url: str, **kw: object) -> BhxhSettings:
    refs = ("env:BHXH_PASSWORD", "env:BHXH_OFFICER", "env:BHXH_OFFICER_ID")
    base = BhxhSettings(url, "01001_BV", *refs, "79001", connect_timeout_seconds=0.5,
                        read_timeout_seconds=0.6, budget_seconds=2.0)  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def _check(
    server: BhxhServer, scenario: str | None = None, **kw: object
) -> tuple[InsuranceResult, BhxhClient]:
    if scenario:
        server.gateway.script(CCCD, scenario)
    client = BhxhClient(_settings(server.url, **kw), today=lambda: date(2026, 12, 4))
    try:
        return client.check(CCCD, NAME, DOB), client
    finally:
        client.close()


def test_valid(server: BhxhServer) -> None:
    result, _ = _check(server, "valid")
    assert result.status is InsuranceStatus.VALID and not result.status.needs_counter
    assert result.card_code == "SV4797930300123" and result.benefit_percent == 80
    assert result.valid_to == date(2030, 12, 31) and result.facility_code == "79001"
    assert result.message("vi") == "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: Bệnh viện Chợ Rẫy."
    assert "valid until 31/12/2030" in result.message("en")
    assert CCCD not in repr(result) and NAME not in repr(result)
    calls = server.gateway.calls
    assert [c[0] for c in calls] == ["/api/token/take", "/api/egw/KQNhanLichSuKCB2024"]
    assert calls[1][1] == {"maThe": CCCD, "hoTen": NAME, "ngaySinh": "15/06/2003",
                           "hoTenCb": "Trần Văn Tiếp Đón", "cccdCb": "001080000001"}  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("expired", InsuranceStatus.EXPIRED, "010"),
        ("wrong_facility", InsuranceStatus.OTHER_FACILITY, "000"),
        ("not_found", InsuranceStatus.NOT_FOUND, "050"),
        ("malformed", InsuranceStatus.UNAVAILABLE, None),
        ("down", InsuranceStatus.UNAVAILABLE, None),
    ],
)
def test_every_scripted_answer(server: BhxhServer, scenario: str, status: InsuranceStatus,
                               code: str | None) -> None:  # fmt: skip
    result, _ = _check(server, scenario)
    assert result.status is status and result.gateway_code == code
    assert result.status.needs_counter
    assert result.message("vi").endswith("Vui lòng đến quầy tiếp đón.")
    if scenario == "down":
        assert result.attempts == 2  # 5xx is retried once
    if scenario == "malformed":
        assert result.attempts == 1 and "not JSON" in str(result.note)  # not retried
    if scenario == "wrong_facility":
        assert "Phúc Xá" in result.message("vi")


def test_gateway_down_for_the_token_too(env: None) -> None:
    with BhxhServer(BhxhGateway(default_scenario="down")) as s:
        result, _ = _check(s)
    assert result.status is InsuranceStatus.UNAVAILABLE and "503" in str(result.note)


def test_slow_gateway_never_holds_the_citizen_past_the_budget(server: BhxhServer) -> None:
    t0 = time.monotonic()
    result, _ = _check(server, "slow", budget_seconds=1.2)
    elapsed = time.monotonic() - t0
    assert result.status is InsuranceStatus.UNAVAILABLE and "timeout" in str(result.note)
    assert elapsed < 2.5  # the 1.2 s budget plus scheduling slack on a loaded machine; the answer takes 3 s


def test_mismatch_and_unknown_people(server: BhxhServer) -> None:
    client = BhxhClient(_settings(server.url))
    try:
        assert client.check(CCCD, "Nguyễn Thị Mai", DOB).status is InsuranceStatus.MISMATCH
        assert client.check(CCCD, NAME, date(2003, 6, 16)).status is InsuranceStatus.MISMATCH
        assert client.check("001099000001", NAME, DOB).status is InsuranceStatus.NOT_FOUND
        # one token served all three checks
        assert [c[0] for c in server.gateway.calls].count("/api/token/take") == 1
        server.gateway.expire_tokens()  # the gateway forgets the token: 401, a new token, the check again
        again = client.check(CCCD, NAME, DOB)
        assert again.status is InsuranceStatus.VALID and again.attempts == 2
    finally:
        client.close()


def test_expired_by_date_even_when_the_gateway_says_valid(server: BhxhServer) -> None:
    client = BhxhClient(_settings(server.url), today=lambda: date(2031, 1, 2))
    try:
        assert client.check(CCCD, NAME, DOB).status is InsuranceStatus.EXPIRED
    finally:
        client.close()


def test_account_and_secret_problems(server: BhxhServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BHXH_PASSWORD", "wrong")
    result, _ = _check(server)
    assert result.status is InsuranceStatus.UNAVAILABLE and "token refused" in str(result.note)
    monkeypatch.delenv("BHXH_PASSWORD")
    with pytest.raises(InsuranceConfigError, match="BHXH_PASSWORD"):
        _check(server)
    with pytest.raises(InsuranceConfigError):
        _check(server, password_ref="plain-text-password")
    with pytest.raises(ValueError):
        _settings(server.url, budget_seconds=60)


def test_nothing_listening(env: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t0 = time.monotonic()
    client = BhxhClient(_settings(f"http://127.0.0.1:{port}"))
    result = client.check(CCCD, NAME, DOB)
    client.close()
    assert result.status is InsuranceStatus.UNAVAILABLE and result.attempts == 2
    assert time.monotonic() - t0 < 2.5  # within the 2 s budget (+ slack), never hanging


def test_fhir_and_his_mapping(server: BhxhServer) -> None:
    result, _ = _check(server, "valid")
    service = result.service_fields() | {"department": "NOI", "department_name": "Khoa Nội",
                                         "queue_number": "NOI-017", "visit_type": "first_visit"}  # fmt: skip
    coverage = coverage_resource(service, CCCD, "01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert coverage["status"] == "active" and coverage["network"] == "79001"
    assert coverage["identifier"][0]["value"] == "SV4797930300123"
    assert coverage["period"] == {"start": "2026-01-01", "end": "2030-12-31"}
    assert coverage["class"][0]["value"] == "4" and coverage["class"][0]["name"] == "80%"
    assert coverage["beneficiary"]["identifier"]["value"] == CCCD
    enc = encounter_resource(service, CCCD, "2026-12-04T08:30:00Z", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "79001")
    assert enc["status"] == "arrived" and enc["class"]["code"] == "AMB"
    assert enc["identifier"][0]["value"] == "NOI-017" and enc["serviceType"]["text"] == "Khoa Nội"
    assert enc["extension"][0]["valueReference"]["reference"] == "Coverage/01HZZZZZZZZZZZZZZZZZZZZZZZ-bhyt"
    his = his_insurance(service)
    assert his == {"TRANG_THAI_THE": "valid", "KQ_KIEM_TRA_THE": "000", "MA_THE_BHYT": "SV4797930300123",
                   "MA_DKBD": "79001", "TEN_DKBD": "Bệnh viện Chợ Rẫy", "GT_THE_TU": "20260101",
                   "GT_THE_DEN": "20301231", "MUC_HUONG": 80}  # fmt: skip
    assert his_insurance({}) is None
    expired = coverage_resource(service | {"insurance_status": "expired"}, CCCD, "x")
    assert expired["status"] == "cancelled"
    with pytest.raises(ValueError):
        coverage_resource({"insurance_status": "not_found"}, CCCD, "x")


def test_his_webhook_carries_the_insurance_object(server: BhxhServer) -> None:
    from kiosk.connectors.base import DeliveryContext, DeliveryResult
    from tests.helpers.delivery import make_record

    profiles: dict[str, Profile] = load_profiles()
    result, _ = _check(server, "expired")
    record = make_record(profiles["hospital"], service=result.service_fields()).document
    sent: list[Any] = []

    class Capture(HisWebhookConnector):
        def post_envelope(self, ctx: DeliveryContext, event: str, data: Any) -> DeliveryResult:
            sent.append(data)
            return DeliveryResult("sent")

    settings = next(c for c in profiles["hospital"].connectors if c.kind == "his_webhook")
    Capture(settings, profiles["hospital"], None, None).deliver(  # type: ignore[arg-type]
        DeliveryContext(record["verification_id"], record, None, time.time())
    )
    assert sent[0]["insurance"]["TRANG_THAI_THE"] == "expired"
    assert sent[0]["insurance"]["KQ_KIEM_TRA_THE"] == "010"


def test_no_token_password_or_id_in_the_http_logs(
    server: BhxhServer, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs each request's URL at INFO; the gateway's query string (token, password digest) and a
    FHIR query (the national ID) must not reach the log (kiosk.httplog)."""
    import logging

    import httpx

    from kiosk.httplog import redact_httpx_logs

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="httpx")  # a `cccd` run earlier in this process quiets httpx
    result, _ = _check(server, "valid")
    assert result.status is InsuranceStatus.VALID
    redact_httpx_logs()  # idempotent: a second call adds no second filter
    assert len(logging.getLogger("httpx").filters) == 1
    with httpx.Client() as client:
        client.get(server.url + "/fhir/Patient?identifier=urn:x|079303001234")
    text = caplog.text
    # the query is cut (kiosk.logsafe.redact, through kiosk.httplog's filter or logsafe's record factory)
    assert "HTTP Request" in text and "KQNhanLichSuKCB2024?" in text
    for secret in ("token=", "password=", "079303001234", hashlib.md5(b"sim-password").hexdigest()):
        assert secret not in text


def test_fhir_connector_delivers_coverage_and_encounter(
    server: BhxhServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verified hospital record with the insurance answer and the visit → Patient, Provenance, Coverage
    and Encounter on the reference receiver (a real loopback HTTP server); delivered again: updated, once."""
    from kiosk.connectors import build_connector
    from kiosk.connectors.base import DeliveryContext
    from kiosk.connectors.webhooks import new_webhook_secret
    from kiosk.keys import KeyStore, RecordSigner
    from tests.helpers.delivery import RunningReceiver, make_record

    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", secret := new_webhook_secret())
    keys = KeyStore.open(tmp_path / "keys")
    receiver = RunningReceiver(tmp_path / "receiver.db", keys.directory, secret)
    hospital = load_profiles()["hospital"]
    result, _ = _check(server, "valid")
    visit = {
        "department": "NOI",
        "department_name": "Khoa Nội",
        "queue_number": "NOI-017",
        "visit_type": "first_visit",
    }
    record = make_record(hospital, service=result.service_fields() | visit).document
    settings = next(c for c in hospital.connectors if c.kind == "fhir")
    connector = build_connector(settings, hospital, RecordSigner(keys, "urn:test"), receiver.url)
    try:
        for _ in range(2):
            ctx = DeliveryContext(record["verification_id"], record, None, time.time())
            assert connector.deliver(ctx).outcome == "sent"
        (coverage,) = receiver.store.resources("Coverage")
        (encounter,) = receiver.store.resources("Encounter")
    finally:
        connector.close()
        receiver.stop()
    assert coverage["identifier"][0]["value"] == "SV4797930300123" and coverage["network"] == "79001"
    assert coverage["meta"]["versionId"] == "2"  # the second delivery updated it, created nothing new
    assert (
        encounter["identifier"][0]["value"] == "NOI-017"
        and encounter["subject"]["identifier"]["value"] == CCCD
    )

"""The hospital's BHYT check end to end (docs/insurance.md, "In the flow"): a headless hospital kiosk
asks the simulated BHXH gateway (sims.bhxh, a real HTTP server on loopback) for every scripted answer;
each transaction completes with its queue number, the record carries the answer, and delivery sends it to
the reference receiver (a real loopback server): the HIS webhook's ``insurance`` object, the FHIR Coverage
(when a card was found) and the Encounter."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from cccd.compose import KioskConfig, relay_until_idle
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.flow.model import Session, State
from kiosk.insurance import BhxhSettings
from kiosk.keys import KeyStore
from sims.bhxh import BhxhGateway, BhxhServer
from tests.helpers.delivery import RunningReceiver

CCCD = "079303001234"  # the simulated default card's holder, insured in sims.bhxh
#: gateway scenario → (status in the record, the receipt sends the person to the desk, a card was found)
EXPECTED = {
    "valid": ("valid", False, True),
    "expired": ("expired", True, True),
    "wrong_facility": ("other_facility", True, True),
    "not_found": ("not_found", True, False),
    "slow": ("unavailable", True, False),
    "down": ("unavailable", True, False),
    "malformed": ("unavailable", True, False),
}
BUDGET = 1.2  # seconds: the slow gateway answers after 2.5 s


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[BhxhServer]:
    monkeypatch.setenv("BHXH_PASSWORD", "sim-password")
    monkeypatch.setenv("BHXH_OFFICER", "Trần Văn Tiếp Đón")
    monkeypatch.setenv("BHXH_OFFICER_ID", "001080000001")
    with BhxhServer(BhxhGateway(slow_seconds=2.5)) as s:
        yield s


def settings(url: str) -> BhxhSettings:
    return BhxhSettings(url, "01001_BV", "env:BHXH_PASSWORD", "env:BHXH_OFFICER", "env:BHXH_OFFICER_ID",
                        "79001", connect_timeout_seconds=0.5, read_timeout_seconds=0.8,
                        budget_seconds=BUDGET)  # fmt: skip


def test_every_gateway_answer_through_the_kiosk_to_the_receiver(
    gateway: BhxhServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", secret := new_webhook_secret())
    keys = KeyStore.open(tmp_path / "data" / "keys")
    receiver = RunningReceiver(tmp_path / "receiver.db", keys.directory, secret)
    config = KioskConfig(tmp_path / "data", deliver_to=receiver.url, relay_interval=0,
                         insurance=settings(gateway.url))  # fmt: skip
    scenario = SCENARIOS["happy"]
    kiosk, card = build_scenario_kiosk(scenario, "hospital", config)
    receipts: dict[str, tuple[str | None, bool]] = {}
    ids: dict[str, str] = {}
    try:
        assert kiosk.driver.config.checks_insurance
        for name, (status, counter, _) in EXPECTED.items():
            gateway.gateway.script(CCCD, name)

            def seen(s: Session, name: str = name) -> None:
                if s.state is State.RECEIPT:
                    view = kiosk.driver.view()
                    receipts[name] = (getattr(view, "insurance", None),
                                      getattr(view, "insurance_counter", False))  # fmt: skip

            t0 = time.monotonic()
            result = run_flow(kiosk, ScriptedUser(scenario, card), scenario, on_state=seen)
            assert time.monotonic() - t0 < BUDGET + 8  # never more than the budget on top of the flow
            assert result.outcome == "verified" and result.queue_number, (name, result)
            assert result.insurance == status, name
            assert receipts[name][1] is counter, name
            assert result.verification_id
            ids[name] = result.verification_id
        counts = relay_until_idle(kiosk, 30, pending=True)
        assert counts.get("dead", 0) == 0 and counts.get("pending", 0) == 0, counts
        coverages = {c["id"]: c for c in receiver.store.resources("Coverage")}
        encounters = {c["id"]: c for c in receiver.store.resources("Encounter")}
    finally:
        kiosk.close()
        receiver.stop()
    assert receipts["valid"][0] == "Thẻ BHYT còn hạn đến 31/12/2030, nơi đăng ký: Bệnh viện Chợ Rẫy."
    assert receipts["expired"][0] == "Thẻ BHYT đã hết hạn (31/12/2025)."
    for name, (_status, _, card_found) in EXPECTED.items():
        vid = ids[name]
        assert (f"{vid}-bhyt" in coverages) is card_found, name
        assert vid in encounters, name  # the visit (queue number) is always registered
    assert coverages[f"{ids['valid']}-bhyt"]["status"] == "active"
    assert coverages[f"{ids['valid']}-bhyt"]["identifier"][0]["value"] == "SV4797930300123"
    db = sqlite3.connect(tmp_path / "receiver.db")
    try:
        rows = db.execute("SELECT verification_id, body FROM deliveries").fetchall()
        bodies = {vid: json.loads(body) for vid, body in rows}
    finally:
        db.close()
    his = bodies[ids["valid"]]["data"]["insurance"]
    assert his["TRANG_THAI_THE"] == "valid" and his["MA_THE_BHYT"] == "SV4797930300123"
    assert his["GT_THE_DEN"] == "20301231" and his["MA_DKBD"] == "79001"
    assert bodies[ids["down"]]["data"]["insurance"]["TRANG_THAI_THE"] == "unavailable"
    for status in ("valid", "expired", "other_facility", "not_found", "unavailable"):  # the metrics
        assert (REGISTRY.get_sample_value("cccd_insurance_check_seconds_count", {"status": status}) or 0) >= 1


def _note_check(asked: list[int | None], s: Session) -> None:
    asked.append(s.insurance_op)


def test_a_hospital_without_a_gateway_and_other_profiles_ask_nothing(gateway: BhxhServer,
                                                                      tmp_path: Path) -> None:  # fmt: skip
    scenario = SCENARIOS["happy"]
    for profile, config in (("hospital", KioskConfig(tmp_path / "a", relay_interval=0)),
                            ("lodging", KioskConfig(tmp_path / "b", relay_interval=0,
                                                    insurance=settings(gateway.url)))):  # fmt: skip
        kiosk, card = build_scenario_kiosk(scenario, profile, config)
        asked: list[int | None] = []
        try:
            assert not kiosk.driver.config.checks_insurance
            result = run_flow(kiosk, ScriptedUser(scenario, card), scenario,
                              on_state=partial(_note_check, asked))  # fmt: skip
        finally:
            kiosk.close()
        assert result.outcome == "verified" and result.insurance is None
        assert set(asked) == {None}
    assert not gateway.gateway.calls

"""The insurance step (kiosk.insurance.step), its settings, and ``cccd insurance check|sim-gateway``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cccd.cli import main
from kiosk.insurance import BhxhClient, InsuranceStatus
from kiosk.insurance.step import InsuranceSettingsError, run_insurance_step, settings_from_mapping
from kiosk.subject import SubjectClaims
from sims.bhxh import BhxhGateway, BhxhServer

SUBJECT = SubjectClaims(
    id_number="079303001234", full_name="Nguyễn Thị Mai Anh", birth_date=date(2003, 6, 15)
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[BhxhServer]:
    monkeypatch.setenv("BHXH_PASSWORD", "sim-password")
    monkeypatch.setenv("BHXH_OFFICER", "Trần Văn Tiếp Đón")
    monkeypatch.setenv("BHXH_OFFICER_ID", "001080000001")
    with BhxhServer(BhxhGateway()) as s:
        yield s


def _table(url: str) -> dict[str, object]:
    return {
        "base_url": url,
        "username": "01001_BV",
        "password": "env:BHXH_PASSWORD",
        "officer_name": "env:BHXH_OFFICER",
        "officer_id": "env:BHXH_OFFICER_ID",
        "facility_code": "79001",
        "budget_seconds": 2,
        "read_timeout_seconds": 1,
    }


def test_step_outcomes(server: BhxhServer) -> None:
    client = BhxhClient(settings_from_mapping(_table(server.url)))
    try:
        ok = run_insurance_step(client, SUBJECT)
        assert not ok.refer_to_counter and ok.message("vi").startswith("Thẻ BHYT còn hạn đến 31/12/2030")
        assert ok.service["insurance_status"] == "valid" and ok.service["insurance_benefit_percent"] == "80"
        assert repr(ok) == "InsuranceStepOutcome(valid, counter=False, <card hidden>)"
        card = ok.service.get("insurance_card_code", "")
        assert card and card not in repr(ok) and "2030" not in repr(ok)
        server.gateway.script(SUBJECT.id_number or "", "expired")
        expired = run_insurance_step(client, SUBJECT)
        assert expired.refer_to_counter and expired.result.status is InsuranceStatus.EXPIRED
        assert "reception desk" in expired.message("en")
        incomplete = run_insurance_step(client, SubjectClaims(id_number="079303001234"))
        assert incomplete.refer_to_counter and incomplete.result.attempts == 0
    finally:
        client.close()


def test_settings_validation() -> None:
    with pytest.raises(ValueError, match="password"):
        settings_from_mapping({k: v for k, v in _table("http://x").items() if k != "password"})
    with pytest.raises(ValueError, match="secret reference"):
        settings_from_mapping(_table("http://x") | {"password": "hunter2"})
    with pytest.raises(ValueError, match="number"):
        settings_from_mapping(_table("http://x") | {"budget_seconds": "4"})
    with pytest.raises(ValueError, match="budget"):
        settings_from_mapping(_table("http://x") | {"budget_seconds": 30})
    ok = _table("https://egw.baohiemxahoi.gov.vn")
    assert settings_from_mapping(ok).base_url == "https://egw.baohiemxahoi.gov.vn"
    assert settings_from_mapping(_table("http://127.0.0.1:8080")).password_ref == "env:BHXH_PASSWORD"
    with pytest.raises(InsuranceSettingsError, match="only to loopback") as info:
        settings_from_mapping(_table("http://egw.baohiemxahoi.gov.vn"))  # the password's MD5 in clear
    assert info.value.problems == (("base_url", "plain http is allowed only to loopback; use https"),)
    with pytest.raises(InsuranceSettingsError) as info:
        settings_from_mapping(ok | {"password": "file:relative/path", "officer_id": "env:"})
    assert [key for key, _ in info.value.problems] == ["password", "officer_id"]


def test_cli_check(tmp_path: Path, server: BhxhServer, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "kiosk.toml"
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in _table(server.url).items()]
    conf.write_text("[insurance]\n" + "\n".join(lines) + "\n")
    args = [
        "insurance",
        "check",
        "--config",
        str(conf),
        "--id",
        "079303001234",
        "--name",
        "Nguyễn Thị Mai Anh",
        "--dob",
        "2003-06-15",
    ]
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "valid"
    server.gateway.script("079303001234", "not_found")
    assert main(args) == 1
    assert "Không tìm thấy thẻ BHYT" in capsys.readouterr().out
    assert main([*args[:-2], "--dob", "15/06/2003"]) == 2
    conf.write_text("[other]\n")
    assert main(args) == 2
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}"
             for k, v in _table("http://egw.baohiemxahoi.gov.vn").items()]  # fmt: skip
    conf.write_text("[insurance]\n" + "\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(args) == 2
    assert "only to loopback" in capsys.readouterr().err


def test_cli_sim_gateway_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cccd", "insurance", "sim-gateway"],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "simulated BHXH gateway on http://127.0.0.1:" in line and "079303***" in line
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0


def test_cli_check_takes_the_id_as_the_kiosk_does(tmp_path: Path, server: BhxhServer,
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """`cccd insurance check --id`: spaces and dots as a person types them are fine (kiosk.keyentry
    normalise_id); non-ASCII digits or a wrong length are a typed error, exit 2, the number not echoed."""
    conf = tmp_path / "kiosk.toml"
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in _table(server.url).items()]
    conf.write_text("[insurance]\n" + "\n".join(lines) + "\n")
    args = ["insurance", "check", "--config", str(conf), "--name", "Nguyễn Thị Mai Anh",
            "--dob", "2003-06-15"]  # fmt: skip
    assert main([*args, "--id", "079 303 001 234", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "valid"
    for bad in ("٠٧٩٣٠٣٠٠١٢٣٤", "07930300123"):
        assert main([*args, "--id", bad]) == 2
        err = capsys.readouterr().err
        assert "12-digit personal ID" in err and bad not in err

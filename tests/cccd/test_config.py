"""cccd.config and ``cccd config check|show``: where the file comes from, how it reaches the composition,
the exit codes, and that a secret is never printed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cccd import __version__
from cccd.cli import build_parser, main
from cccd.config import (
    apply_delivery,
    config_path,
    kiosk_config,
    load_config,
    operator_pin,
    profile,
    secret_problems,
)
from kiosk.config import ConfigError
from kiosk.profiles import load_profile

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a test key, as in the receiver's tests

GOOD = """
[kiosk]
device_id = "bvcr-kiosk-07"
site_id = "bv-cho-ray"
profile = "hospital"
language = "en"
[counter]
number = "12"
[[delivery]]
connector = "his"
url = "https://his.example.vn/webhooks/his"
secret = "env:CCCD_TEST_HIS_SECRET"
ca_bundle = "/etc/cccd/tls/his-ca.pem"
[operator]
pin = "env:CCCD_TEST_PIN"
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD)
    return path


def test_search_order(tmp_path: Path, good: Path) -> None:
    system = tmp_path / "etc-kiosk.toml"
    assert config_path(None, {}, system) == (None, "defaults")
    system.write_text("")
    assert config_path(None, {}, system) == (system, str(system))
    assert config_path(None, {"CCCD_CONFIG": str(good)}, system) == (good, "$CCCD_CONFIG")
    assert config_path(str(good), {"CCCD_CONFIG": "/nope"}, system) == (good, "--config")
    assert load_config(None, {}, tmp_path / "absent.toml").path is None


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(None, {"CCCD_CONFIG": str(tmp_path / "missing.toml")})
    assert "does not exist (named by $CCCD_CONFIG)" in str(exc.value)


def test_applied_to_the_composition(good: Path, tmp_path: Path) -> None:
    loaded = load_config(str(good))
    cfg = kiosk_config(loaded, data_dir=tmp_path)
    assert (cfg.device_id, cfg.site_id, cfg.data_dir) == ("bvcr-kiosk-07", "bv-cho-ray", tmp_path)
    assert cfg.software_version == f"cccd-kiosk/{__version__}"
    assert cfg.languages == ("en", "vi")
    his = profile(loaded).connector("his")
    assert his.url == "https://his.example.vn/webhooks/his"
    assert his.webhook_secret == "env:CCCD_TEST_HIS_SECRET"
    assert his.tls is not None and his.tls.ca_bundle == Path("/etc/cccd/tls/his-ca.pem")
    fhir = profile(loaded).connector("fhir")
    assert fhir == load_profile("hospital").connector("fhir")  # not configured: the profile file's
    assert operator_pin(loaded, {"CCCD_TEST_PIN": "246810"}) == "246810"
    assert operator_pin(loaded, {}) is None  # the reference does not resolve: no PIN, never a default


def test_an_operator_pin_in_a_file(tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("135790\n")
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD.replace('pin = "env:CCCD_TEST_PIN"', f'pin = "file:{pin}"'))
    assert operator_pin(load_config(str(path))) == "135790"
    pin.unlink()
    assert operator_pin(load_config(str(path))) is None


def test_an_endpoint_for_a_connector_the_profile_lacks(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text(GOOD.replace('connector = "his"', 'connector = "bank"'))
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.problems[0].key == "delivery[0].connector" and "fhir, his" in exc.value.problems[0].fix


def test_a_profile_file_path(tmp_path: Path) -> None:
    prof = tmp_path / "public_service.toml"
    prof.write_text((REPO / "firmware_configs/profiles/public_service.toml").read_text())
    path = tmp_path / "k.toml"
    path.write_text(f'[kiosk]\nprofile = "{prof}"\n')
    assert profile(load_config(str(path))).name == "public_service"
    prof.write_text("[profile]\nname = 1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(str(path))
    assert exc.value.problems[0].key == "kiosk.profile"


def test_apply_delivery_keeps_everything_else() -> None:
    loaded = load_config(str(REPO / "deploy/kiosk.toml.example"))
    hospital = load_profile("hospital")
    applied = apply_delivery(hospital, loaded.settings)
    assert applied.chip == hospital.chip and applied.retention == hospital.retention
    assert [c.audience for c in applied.connectors] == [c.audience for c in hospital.connectors]


def test_check_exit_codes(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.delenv("CCCD_TEST_HIS_SECRET", raising=False)
    monkeypatch.setenv("CCCD_TEST_PIN", "246810")
    assert main(["config", "check", "--config", str(good)]) == 1  # valid, but the secret is not here
    assert "CCCD_TEST_HIS_SECRET" in capsys.readouterr().out
    monkeypatch.setenv("CCCD_TEST_HIS_SECRET", SECRET)
    monkeypatch.setenv("CCCD_TEST_PIN", "1234")  # the kiosk window would refuse it at start
    assert main(["config", "check", "--config", str(good), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["key"] for p in problems] == ["operator.pin"] and "1234" not in json.dumps(problems)
    monkeypatch.delenv("CCCD_TEST_PIN")
    assert main(["config", "check", "--config", str(good)]) == 1
    assert "env:CCCD_TEST_PIN does not resolve" in capsys.readouterr().out
    monkeypatch.setenv("CCCD_TEST_PIN", "246810")
    assert main(["--config", str(good), "config", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"ok": True, "file": str(good), "source": "--config", "notes": [], "problems": []}
    bad = tmp_path / "bad.toml"
    bad.write_text('[reader]\nkind = "usb"\n')
    assert main(["config", "check", "--config", str(bad), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["problems"][0]["key"] == "reader.kind"


def test_show_never_prints_a_secret(good: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("CCCD_TEST_HIS_SECRET", SECRET)
    monkeypatch.setenv("CCCD_TEST_PIN", "246810")
    assert main(["config", "show", "--config", str(good)]) == 0
    text = capsys.readouterr().out
    assert 'device_id = "bvcr-kiosk-07"' in text and '"env:CCCD_TEST_HIS_SECRET"' in text
    assert main(["config", "show", "--config", str(good), "--json"]) == 0
    text += capsys.readouterr().out
    assert SECRET not in text and "246810" not in text


def test_every_command_takes_the_same_option() -> None:
    parser = build_parser()
    for argv in (
        ["kiosk"],
        ["ui"],
        ["outbox", "list"],
        ["outbox", "run"],
        ["outbox", "purge"],
        ["doctor"],
        ["audit", "verify"],
        ["config", "check"],
        ["keys", "show"],
    ):
        args = parser.parse_args([*argv, "--config", "/x.toml"])
        assert args.config == "/x.toml", argv
        args = parser.parse_args(["--config", "/y.toml", *argv])
        assert args.config == "/y.toml", argv


def test_the_kiosk_records_the_configured_identity(good: Path, tmp_path: Path) -> None:
    """A whole headless transaction: the consent row carries the file's device ID, not a built-in one."""
    data = tmp_path / "data"
    r = subprocess.run([sys.executable, "-m", "cccd", "kiosk", "--headless", "--sim", "--face",
                        "ground-truth", "--config", str(good), "--data-dir", str(data), "--json"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["profile"] == "hospital"
    with sqlite3.connect(data / "kiosk.db") as conn:
        assert conn.execute("SELECT DISTINCT device_id FROM consents").fetchall() == [("bvcr-kiosk-07",)]


def test_an_invalid_file_stops_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[kiosk]\nlanguage = "fr"\n')
    for argv in (["kiosk", "--headless", "--sim"], ["doctor"], ["outbox", "list"], ["ui", "--sim"]):
        assert main([*argv, "--config", str(bad)]) == 2, argv
        assert "kiosk.language" in capsys.readouterr().err, argv


def test_check_names_a_missing_hub_enrolment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[hub]\nenrolment = "{tmp_path / "hub.json"}"\n')
    assert main(["config", "check", "--config", str(path), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["key"] for p in problems] == ["hub.enrolment"] and "cccd hub enrol" in problems[0]["fix"]
    (tmp_path / "hub.json").write_text("{}")
    assert main(["config", "check", "--config", str(path), "--json"]) == 0


def test_check_names_an_insurance_secret_that_does_not_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[insurance] (docs/insurance.md): every secret reference must resolve here; its value is never shown."""
    path = tmp_path / "kiosk.toml"
    path.write_text('[insurance]\nbase_url = "https://egw.baohiemxahoi.gov.vn"\nusername = "79001_BV"\n'
                    'password = "env:CCCD_TEST_BHXH_PASSWORD"\nofficer_name = "env:CCCD_TEST_OFFICER"\n'
                    'officer_id = "env:CCCD_TEST_OFFICER_ID"\nfacility_code = "79001"\n')  # fmt: skip
    monkeypatch.setenv("CCCD_TEST_BHXH_PASSWORD", "bhxh-secret-value")
    monkeypatch.setenv("CCCD_TEST_OFFICER", "Trần Văn Tiếp Đón")
    monkeypatch.delenv("CCCD_TEST_OFFICER_ID", raising=False)
    problems = secret_problems(load_config(str(path)).settings)
    assert [p.key for p in problems] == ["insurance.officer_id"]
    assert "bhxh-secret-value" not in str(problems) and "Tiếp Đón" not in str(problems)

"""kiosk.config: the configuration file's typed model — every key parsed, every mistake named with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import (
    DEV_DEVICE_ID,
    ConfigError,
    KioskSettings,
    parse_config_text,
)

REPO = Path(__file__).resolve().parents[2]

FULL = """
[kiosk]
device_id = "bvcr-kiosk-01"
site_id = "bv-cho-ray"
profile = "bank"
language = "en"
data_dir = "/var/lib/cccd"
trust_dir = "/etc/cccd/trust"
[counter]
name = "Quầy 3"
number = 3
[reader]
kind = "serial"
port = "/dev/ttyUSB0"
[camera]
device = 2
[[delivery]]
connector = "bank"
url = "https://bank.example.vn/hook"
secret = "file:/etc/cccd/bank.secret"
ca_bundle = "/etc/cccd/tls/ca.pem"
client_cert = "/etc/cccd/tls/k.crt"
client_key = "/etc/cccd/tls/k.key"
[voice]
enabled = false
[printer]
enabled = true
queue = "receipts"
[operator]
pin = "env:PIN"
"""


def test_every_key() -> None:
    s = parse_config_text(FULL)
    assert (s.device_id, s.site_id, s.profile, s.language) == ("bvcr-kiosk-01", "bv-cho-ray", "bank", "en")
    assert s.data_dir == Path("/var/lib/cccd") and s.trust_dir == Path("/etc/cccd/trust")
    assert (s.counter.name, s.counter.number) == ("Quầy 3", "3")
    assert (s.reader.kind, s.reader.port) == ("serial", "/dev/ttyUSB0")
    assert s.camera.device == 2 and not s.camera.sim
    (e,) = s.delivery
    assert (e.connector, e.url) == ("bank", "https://bank.example.vn/hook")
    assert e.secret.ref == "file:/etc/cccd/bank.secret"
    assert e.ca_bundle == Path("/etc/cccd/tls/ca.pem") and e.client_key == Path("/etc/cccd/tls/k.key")
    assert not s.voice.enabled and s.printer.enabled and s.printer.queue == "receipts"
    assert s.operator_pin is not None and s.operator_pin.ref == "env:PIN"
    assert not s.is_development


def test_empty_file_is_the_embedded_defaults() -> None:
    assert parse_config_text("") == KioskSettings()
    assert KioskSettings().device_id == DEV_DEVICE_ID and KioskSettings().is_development


def test_the_shipped_example_is_valid() -> None:
    s = parse_config_text((REPO / "deploy/kiosk.toml.example").read_text(), "kiosk.toml.example")
    assert s.profile == "hospital" and {e.connector for e in s.delivery} == {"fhir", "his"}


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ('[kiosk]\nlanguag = "vi"', "kiosk.languag", "remove it"),
        ("[kiosk]\ndevice_id = 'a b'", "kiosk.device_id", "letters, digits"),
        ("[kiosk]\nprofile = 'clinic'", "kiosk.profile", "/etc/cccd/profiles"),
        ("[kiosk]\nlanguage = 'fr'", "kiosk.language", "vi"),
        ("[kiosk]\ndata_dir = 'state'", "kiosk.data_dir", "absolute path"),
        ("[reader]\nkind = 'usb'", "reader.kind", "pcsc"),
        ("[reader]\nkind = 'serial'", "reader.port", "/dev/ttyUSB0"),
        ("[camera]\ndevice = 'front'", "camera.device", "/dev/video0"),
        ("[voice]\nenabled = 'yes'", "voice.enabled", "true"),
        ("[counter]\nnumber = ''", "counter.number", "counter sign"),
        ("[operator]\npin = '123456'", "operator.pin", "env:NAME"),
        ("[extra]\na = 1", "extra", "sections are"),
        ("[[delivery]]\nconnector = 'his'\nurl = 'http://his.example/x'\nsecret = 'env:S'",
         "delivery[0].url", "https"),
        ("[[delivery]]\nconnector = 'his'\nurl = 'https://his.example/x'\nsecret = 'whsec_abc'",
         "delivery[0].secret", "env:NAME"),
        ("[[delivery]]\nurl = 'https://his.example/x'\nsecret = 'env:S'", "delivery[0].connector", "fhir"),
        ("[[delivery]]\nconnector = 'his'\nurl = 'https://h/x'\nsecret = 'env:S'\nclient_cert = '/c'",
         "delivery[0].client_cert", "both"),
        ("[kiosk\n", "(file)", "syntax"),
    ],
)  # fmt: skip
def test_mistakes_name_the_key_and_the_fix(text: str, key: str, fix: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config_text(text, "/etc/cccd/kiosk.toml")
    keys = [p.key for p in exc.value.problems]
    assert key in keys, keys
    problem = exc.value.problems[keys.index(key)]
    assert fix in problem.fix
    assert str(exc.value).startswith("/etc/cccd/kiosk.toml: ")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config_text("[kiosk]\nlanguage = 'fr'\n[reader]\nkind = 'usb'\n[camera]\ndevice = -1\n")
    assert [p.key for p in exc.value.problems] == ["kiosk.language", "reader.kind", "camera.device"]


def test_a_secret_value_is_never_in_the_model_or_its_redacted_view() -> None:
    s = parse_config_text(FULL)
    shown = repr(s.redacted())
    assert "file:/etc/cccd/bank.secret" in shown and "env:PIN" in shown
    with pytest.raises(ConfigError) as exc:
        parse_config_text("[operator]\npin = 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0'")
    assert "whsec_c2VjcmV0" not in str(exc.value)


def test_sim_camera() -> None:
    assert parse_config_text('[camera]\ndevice = "sim"').camera.sim


def test_reader_camera() -> None:
    """docs/flow.md "Card on the reader": the reader's own camera, a device number; absent by default."""
    assert parse_config_text("").camera.reader_device is None
    s = parse_config_text("[camera]\ndevice = 0\nreader_device = 2\n")
    assert s.camera.reader_device == 2 and s.redacted()["camera"] == {"device": 0, "reader_device": 2}
    for bad in ("'sim'", "-1", "64", "true"):
        with pytest.raises(ConfigError) as exc:
            parse_config_text(f"[camera]\nreader_device = {bad}\n")
        assert [p.key for p in exc.value.problems] == ["camera.reader_device"]
        assert "reader_device = 2" in str(exc.value)


def test_hub_section() -> None:
    s = parse_config_text('[hub]\nenrolment = "/var/lib/cccd/hub.json"\nheartbeat_seconds = 0.5\n'
                          'bundle_seconds = 30\n')  # fmt: skip
    assert s.hub.enabled and s.hub.enrolment == Path("/var/lib/cccd/hub.json")
    assert (s.hub.heartbeat_seconds, s.hub.bundle_seconds, s.hub.timeout_seconds) == (0.5, 30.0, 10.0)
    assert s.redacted()["hub"]["enrolment"] == "/var/lib/cccd/hub.json"
    assert not parse_config_text("").hub.enabled
    with pytest.raises(ConfigError) as bad:
        parse_config_text('[hub]\nenrolment = "hub.json"\nheartbeat_seconds = 300\nurl = "x"\n')
    keys = {p.key for p in bad.value.problems}
    assert keys == {"hub.enrolment", "hub.heartbeat_seconds", "hub.url"}  # 300 s: shown offline at the hub


INSURANCE = """
[insurance]
base_url = "https://egw.baohiemxahoi.gov.vn"
username = "79001_BV"
password = "file:/etc/cccd-kiosk/secrets/bhxh-password"
officer_name = "env:BHXH_OFFICER_NAME"
officer_id = "env:BHXH_OFFICER_CCCD"
facility_code = "79001"
budget_seconds = 3
"""


def test_the_hospital_insurance_gateway_with_secret_references() -> None:
    """[insurance] (docs/insurance.md): the BHXH gateway's URL and account; secrets only as references."""
    s = parse_config_text(INSURANCE)
    assert s.insurance is not None and s.insurance.budget_seconds == 3.0
    assert s.insurance.password_ref == "file:/etc/cccd-kiosk/secrets/bhxh-password"
    assert s.redacted()["insurance"]["officer_id"] == "env:BHXH_OFFICER_CCCD"
    assert parse_config_text("").insurance is None
    for bad, key in ((INSURANCE.replace('"file:/etc/cccd-kiosk/secrets/bhxh-password"', '"hunter2"'),
                      "insurance.password"),
                     (INSURANCE.replace("https://egw", "http://egw"), "insurance.base_url"),
                     (INSURANCE.replace('facility_code = "79001"', ""), "insurance"),
                     (INSURANCE + 'proxy = "x"\n', "insurance.proxy")):  # fmt: skip
        with pytest.raises(ConfigError) as info:
            parse_config_text(bad)
        assert key in {p.key for p in info.value.problems}, info.value
        assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError) as info:  # a missing password is one problem, not two
        parse_config_text(INSURANCE.replace('password = "file:/etc/cccd-kiosk/secrets/bhxh-password"', ""))
    assert [(p.key, p.problem) for p in info.value.problems] == [("insurance", "[insurance] needs password")]
    with pytest.raises(ConfigError) as info:  # every wrong key at once
        parse_config_text(INSURANCE.replace("https://egw", "http://egw").replace("R_NAME", "R-NAME"))
    assert {p.key for p in info.value.problems} == {"insurance.base_url", "insurance.officer_name"}

"""``cccd doctor`` end to end: a kiosk configured on real parts (a trust store with a fresh CRL, a private
data directory, both hospital connectors at a loopback HTTPS receiver, the simulated camera, pcscd's vpcd
reader) passes every check with exit 0; one broken part makes it exit 1 naming that check and its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cccd.config import load_config
from cccd.doctor import LiveChecks
from sims.pki import TestPKI
from tests.helpers.webserver import Server, self_signed

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _doctor(config: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    r = subprocess.run([sys.executable, "-m", "cccd", "doctor", "--json", "--config", str(config), *extra],
                       cwd=REPO, env={**os.environ, "CCCD_TEST_SECRET": SECRET, **(env or {})},
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.stderr == "" or r.returncode == 2, r.stderr
    return r.returncode, json.loads(r.stdout)


def _kiosk(tmp_path: Path, url: str, ca: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    trust = TestPKI.generate(with_crl=True).export_folder(tmp_path / "trust")
    config = tmp_path / "kiosk.toml"
    config.write_text(f"""
[kiosk]
device_id = "doctor-kiosk-01"
site_id = "doctor-site"
data_dir = "{data}"
trust_dir = "{trust}"
[reader]
kind = "pcsc"
name = "Virtual PCD"
[[delivery]]
connector = "fhir"
url = "{url}"
secret = "env:CCCD_TEST_SECRET"
ca_bundle = "{ca}"
[[delivery]]
connector = "his"
url = "{url}"
secret = "env:CCCD_TEST_SECRET"
ca_bundle = "{ca}"
""")
    return config


@pytest.mark.pcsc
def test_a_healthy_kiosk_passes_and_a_broken_part_is_named(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with Server(tls=(cert, key)) as receiver:
        config = _kiosk(tmp_path, receiver.url, cert)
        code, report = _doctor(config, "--sim")
        failed = [c for c in report["checks"] if c["status"] == "fail"]
        assert code == 0 and report["ok"] and not failed, failed
        names = [c["name"] for c in report["checks"]]
        assert names[:10] == ["config", "clock", "disk", "data_dir", "pcscd", "reader", "camera",
                              "face_models", "trust_store", "outbox"]  # fmt: skip
        assert {"endpoint:fhir", "endpoint:his", "qt_platform"} <= set(names)
        his = next(c for c in report["checks"] if c["name"] == "endpoint:his")
        assert his["details"]["tls_version"].startswith("TLSv1")
        assert his["details"]["certificate_days_left"] > 80

        (tmp_path / "data").chmod(0o755)
        code, report = _doctor(config, "--sim")
        failed = [c for c in report["checks"] if c["status"] == "fail"]
        assert code == 1 and not report["ok"]
        assert [c["name"] for c in failed] == ["data_dir"]
        assert "chmod" in failed[0]["fix"]
        (tmp_path / "data").chmod(0o700)

        code, report = _doctor(config, "--sim", env={"CCCD_TEST_SECRET": ""})
        failed = [c for c in report["checks"] if c["status"] == "fail"]
        assert code == 1 and [c["name"] for c in failed] == ["config"] and SECRET not in json.dumps(report)
    code, report = _doctor(config, "--sim")  # the receiver is gone
    failed = {c["name"] for c in report["checks"] if c["status"] == "fail"}
    assert code == 1 and failed == {"endpoint:fhir", "endpoint:his"}


@pytest.mark.pcsc
def test_text_output_and_exit_codes(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "cccd", "doctor", "--sim"], cwd=REPO, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "CCCD_CONFIG": ""})  # fmt: skip
    assert r.returncode == 1  # no configuration file: the development defaults are not a serving kiosk
    assert "[FAIL] config: no configuration file" in r.stdout
    assert "fix: create /etc/cccd/kiosk.toml" in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[kiosk]\nprofile = 'clinic'\n")
    r = subprocess.run([sys.executable, "-m", "cccd", "doctor", "--config", str(bad)], cwd=REPO,
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2 and "kiosk.profile" in r.stderr and "Traceback" not in r.stderr


def test_the_fleet_agents_state_is_a_live_check(tmp_path: Path) -> None:
    """With [hub] set, the operator screen's checks (and `cccd doctor`) include the agent's state file."""
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
                      f'[hub]\nenrolment = "{tmp_path / "e.json"}"\n')  # fmt: skip
    live = LiveChecks(load_config(str(config)), sim=True, reader=None, camera=0)
    hub = [c for c in live.compute() if c.name == "hub"]
    assert len(hub) == 1 and hub[0].status == "fail" and "no fleet agent state" in hub[0].summary
    (tmp_path / "data" / "hub").mkdir(parents=True)
    (tmp_path / "data" / "hub" / "agent.json").write_text(json.dumps({"last_heartbeat_ok": 9e12}))
    assert [c.status for c in live.compute() if c.name == "hub"] == ["pass"]


def test_the_reader_camera_is_a_live_check_when_configured(tmp_path: Path) -> None:
    """[camera] reader_device: the operator screen checks its device node next to the webcam's."""
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
                      '[camera]\ndevice = 62\nreader_device = 63\n')  # fmt: skip
    live = LiveChecks(load_config(str(config)), sim=False, reader="No Such Reader", camera=62)
    checks = {c.name: c for c in live.compute()}
    assert checks["camera"].status == "fail" and checks["reader_camera"].status == "fail"
    assert "/dev/video63" in checks["reader_camera"].summary
    plain = tmp_path / "plain.toml"
    plain.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n')
    live = LiveChecks(load_config(str(plain)), sim=False, reader="No Such Reader", camera=62)
    assert "reader_camera" not in {c.name for c in live.compute()}


def test_the_operator_screen_checks_the_reader_camera_the_kiosk_runs_with(tmp_path: Path) -> None:
    """`cccd ui --reader-camera N` overrides the file: the operator screen checks that camera."""
    plain = tmp_path / "plain.toml"
    plain.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n')
    live = LiveChecks(load_config(str(plain)), sim=False, reader="No Such Reader", camera=62,
                      reader_camera=61)
    checks = {c.name: c for c in live.compute()}
    assert "/dev/video61" in checks["reader_camera"].summary

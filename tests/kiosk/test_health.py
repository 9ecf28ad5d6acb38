"""kiosk.health: each check on real parts — temporary directories and SQLite files, a real trust store, the
simulated camera, a loopback HTTP and HTTPS server, pcscd (tests marked ``pcsc``, run under
``flock /tmp/pcscd.lock``) — passing and failing, each failure with its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from biometrics.camera import ImageFolderSource, OpenCVCamera
from biometrics.models import YUNET, ModelFile
from biometrics.sim.camera import SimulatedCamera
from kiosk.health import (
    check_camera,
    check_camera_device,
    check_clock,
    check_data_dir,
    check_disk,
    check_endpoint,
    check_face_models,
    check_hub_agent,
    check_outbox,
    check_pcscd,
    check_readers,
    check_serial_port,
    check_tcp,
    check_trust_store,
    find_reader,
)
from kiosk.keys import KeyStore
from kiosk.profiles import load_profile
from kiosk.storage import KioskStore
from sims.people import load_profile as load_person
from sims.pki import TestPKI
from tests.helpers.delivery import make_record
from tests.helpers.webserver import Server, self_signed

NOW = datetime.now(UTC)


# --- pcscd and readers (the shared pcscd with the vpcd driver) ----------------------------------------------


@pytest.mark.pcsc
def test_pcscd_and_the_virtual_reader() -> None:
    assert check_pcscd().status == "pass"
    c = check_readers("Virtual PCD")
    assert c.status == "pass" and "extended-length" in c.summary
    assert all(r["extended_length"] for r in c.details["readers"] if "Virtual PCD" in r["name"])
    assert (find_reader("Virtual PCD") or "").startswith("Virtual PCD")
    missing = check_readers("ACR1252")
    assert missing.status == "fail" and "[reader] name" in missing.fix
    assert missing.details["readers"]  # what is there, to pick the right name
    assert find_reader("no such reader") is None


@pytest.mark.pcsc
def test_pcscd_unreachable_names_the_fix(tmp_path: Path) -> None:
    """pcsc-lite's client reads the daemon's socket path from PCSCLITE_CSOCK_NAME: pointed at nothing, the
    real library finds no daemon (the shared pcscd keeps running for everyone else)."""
    code = (
        "import json, kiosk.health as h; c = h.check_pcscd(); r = h.check_readers('');"
        "print(json.dumps([c.status, c.fix, r.status]))"
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert '"fail"' in out.stdout and "pcscd.socket" in out.stdout and "polkit" in out.stdout


def test_serial_port(tmp_path: Path) -> None:
    assert check_serial_port(str(tmp_path / "ttyUSB9")).status == "fail"
    main, sub = os.openpty()
    try:
        assert check_serial_port(os.ttyname(sub)).status == "pass"
    finally:
        os.close(main)
        os.close(sub)


# --- camera -------------------------------------------------------------------------------------------------


def test_the_simulated_camera_gives_frames() -> None:
    photo = load_person("default").face_jpeg()
    c = check_camera(lambda: SimulatedCamera.live(photo), "simulated camera")
    assert c.status == "pass" and c.details["frames"] == 3 and c.details["width"] > 0


def test_a_missing_camera_and_one_without_frames(tmp_path: Path) -> None:
    c = check_camera(lambda: OpenCVCamera(63), "camera /dev/video63")
    assert c.status == "fail" and "video group" in c.fix
    c = check_camera(lambda: ImageFolderSource(tmp_path), "empty folder")
    assert c.status == "fail" and "0 of 3 frames" in c.summary


def test_camera_device_node(tmp_path: Path) -> None:
    assert check_camera_device(0, tmp_path).status == "fail"
    (tmp_path / "video0").write_bytes(b"")
    assert check_camera_device(0, tmp_path).status == "pass"
    reader = check_camera_device(2, tmp_path, name="reader_camera")  # the reader's own camera
    assert reader.name == "reader_camera" and reader.status == "fail" and "reader_device" in reader.fix
    c = check_camera(lambda: OpenCVCamera(63), "reader camera /dev/video63", name="reader_camera")
    assert c.name == "reader_camera" and c.status == "fail" and "[camera] reader_device" in c.fix


# --- face models --------------------------------------------------------------------------------------------


def test_face_models_match_their_hashes() -> None:
    c = check_face_models()
    assert c.status == "pass", c.summary
    forged = ModelFile(YUNET.name, YUNET.distribution, YUNET.relpath, "00" * 32, YUNET.size)
    c = check_face_models((forged,))
    assert c.status == "fail" and "SHA-256" in c.summary and "face" in c.fix
    absent = ModelFile("nothing", "no-such-distribution", "x.onnx", "00" * 32, 1)
    assert check_face_models((absent,)).status == "fail"


# --- trust store --------------------------------------------------------------------------------------------


def test_trust_store_contents_and_crl_freshness(tmp_path: Path) -> None:
    pki = TestPKI.generate(with_crl=True)
    folder = pki.export_folder(tmp_path / "trust")
    c = check_trust_store(folder, NOW)
    assert c.status == "pass" and c.details["certificates"] == 1 and c.details["crls"] == 1
    stale = check_trust_store(folder, NOW + timedelta(days=120))  # the CRL's next update was in 90 days
    assert stale.status == "fail" and stale.details["stale_crls"] and "CRL" in stale.fix
    (folder / "junk.crl").write_bytes(b"not a CRL")
    assert check_trust_store(folder, NOW).status == "fail"
    assert check_trust_store(None, NOW).status == "fail"
    assert check_trust_store(tmp_path / "absent", NOW).status == "fail"
    (tmp_path / "empty").mkdir()
    assert "no CSCA" in check_trust_store(tmp_path / "empty", NOW).summary


# --- host ---------------------------------------------------------------------------------------------------


def test_clock() -> None:
    assert check_clock(datetime(2000, 1, 1, tzinfo=UTC), lambda: True).status == "fail"
    assert check_clock(NOW, lambda: False).status == "fail"
    assert check_clock(NOW, lambda: True).status == "pass"
    assert "unknown" in check_clock(NOW, lambda: None).summary


def test_disk(tmp_path: Path) -> None:
    assert check_disk(tmp_path, min_free=0).status == "pass"
    c = check_disk(tmp_path, min_free=1 << 60)
    assert c.status == "fail" and c.details["free_mb"] >= 0


def test_data_dir_permissions_of_a_real_kiosk_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = KioskStore(data / "kiosk.db", KeyStore.open(data / "keys"))
    store.close()
    c = check_data_dir(data)
    assert c.status == "pass", c.details
    data.chmod(0o755)
    c = check_data_dir(data)
    assert c.status == "fail" and "0755" in c.details["wrong"][0] and "chmod" in c.fix
    data.chmod(0o700)
    (data / "kiosk.db").chmod(0o644)
    assert check_data_dir(data).status == "fail"
    (data / "kiosk.db").chmod(0o600)
    assert check_data_dir(data, uid=os.getuid() + 1).status == "fail"  # not the service user's
    assert check_data_dir(tmp_path / "absent").status == "fail"


# --- outbox -------------------------------------------------------------------------------------------------


def test_outbox_backlog_age_and_dead_letters(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    assert check_outbox(db, time.time()).status == "pass"  # no transaction yet
    store = KioskStore(db, KeyStore.open(tmp_path / "keys"))
    profile = load_profile("hospital")
    t0 = time.time()
    store.save_verification(make_record(profile), profile, t0)
    c = check_outbox(db, t0 + 60)
    assert c.status == "pass" and c.details["pending"] == 2 and c.details["oldest_age_s"] == pytest.approx(60)
    late = check_outbox(db, t0 + 7200)
    assert late.status == "fail" and "cccd-relay" in late.fix
    store.db.conn.execute("UPDATE outbox SET state = 'dead', dead_at = ? WHERE connector = 'fhir'", (t0,))
    dead = check_outbox(db, t0 + 60)
    assert dead.status == "fail" and dead.details["dead"] == 1 and "cccd outbox retry" in dead.fix
    store.close()


# --- delivery endpoints -------------------------------------------------------------------------------------


def test_http_endpoint() -> None:
    with Server() as s:
        c = check_endpoint("his", s.url)
        assert c.status == "pass" and c.details["http_status"] == 204 and "tls_version" not in c.details
        assert check_tcp("his", s.url).status == "pass"
    c = check_endpoint("his", s.url, timeout=1)
    assert c.status == "fail" and "receiver runs" in c.fix
    assert check_tcp("his", s.url).status == "fail"


def test_the_endpoint_check_speaks_http_as_the_connectors_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment (trust_env=False, kiosk.connectors.base.http_client): the relay ignores
    $HTTP_PROXY, so the doctor's check must not pass or fail through one."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    with Server() as s:
        assert check_endpoint("his", s.url).status == "pass"
    missing = check_endpoint("his", "https://127.0.0.1:9", ca_bundle=Path("/nonexistent/ca.pem"))
    assert missing.status == "fail" and "TLS files" in missing.fix


def test_https_endpoint_with_tls_details(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with Server(tls=(cert, key)) as s:
        c = check_endpoint("his", s.url, ca_bundle=cert)
        assert c.status == "pass", c.summary
        assert c.details["tls_version"] in ("TLSv1.2", "TLSv1.3") and c.details["cipher"]
        assert "commonName=127.0.0.1" in c.details["certificate_subject"]
        assert c.details["certificate_days_left"] in (88, 89)
        untrusted = check_endpoint("his", s.url)  # the system's CAs do not know the test certificate
        assert untrusted.status == "fail" and "ca_bundle" in untrusted.fix


def test_a_certificate_about_to_expire(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, days=5)
    with Server(tls=(cert, key)) as s:
        c = check_endpoint("his", s.url, ca_bundle=cert)
    assert c.status == "fail" and "renew" in c.fix and c.details["certificate_days_left"] <= 5


def test_hub_agent_state(tmp_path: Path) -> None:
    """The fleet agent's state file (hub/agent.py writes it): fresh heartbeat passes; none, an old one or a
    refused bundle fails with the fix."""
    state = tmp_path / "agent.json"
    assert check_hub_agent(state, 1000.0).status == "fail"
    state.write_text(json.dumps({"last_heartbeat_ok": None, "bundle_version": 1}))
    assert "not taken a heartbeat" in check_hub_agent(state, 1000.0).summary
    state.write_text(json.dumps({"last_heartbeat_ok": 990.0, "applied_version": 3}))
    ok = check_hub_agent(state, 1000.0)
    assert ok.status == "pass" and "bundle v3" in ok.summary
    late = check_hub_agent(state, 990.0 + 181)
    assert late.status == "fail" and "offline" in late.summary and late.fix
    state.write_text(json.dumps({"last_heartbeat_ok": 990.0, "bundle_error": "bundle signature not valid"}))
    assert "refused" in check_hub_agent(state, 1000.0).summary
    state.write_text("{")
    assert check_hub_agent(state, 1000.0).status == "fail"

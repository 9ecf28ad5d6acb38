"""The `cccd` chip commands: in-process, and as real processes through pcscd + vpcd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cccd.cli import main
from kiosk.keyentry import KeyEntryError, from_mrz
from sims.people import load_profile
from tests.conftest import require_pcscd

REPO = Path(__file__).resolve().parents[3]
CCCD = [sys.executable, "-m", "cccd"]


def _key_args(name: str = "default") -> list[str]:
    p = load_profile(name).printed_card()
    return ["--id", p["id_number"], "--dob", p["mrz_birth_date"], "--expiry", p["mrz_expiry_date"]]


def test_read_sim_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", *_key_args(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "authentic"
    assert report["reasons"] == []
    assert report["access"]["method"] == "PACE"  # with --id the CAN is its last 6 digits
    assert report["access"]["downgraded"] is False
    assert report["checks"]["passive_auth"]["result"] == "passed"
    assert report["checks"]["chip_auth"]["result"] == "passed"
    assert report["checks"]["active_auth"]["result"] == "passed"
    assert report["checks"]["anticlone"]["method"] == "CA"
    printed = load_profile("default").printed_card()
    assert report["document"]["id_number"] == printed["id_number"]
    assert report["document"]["mrz"]["lines"] == printed["mrz"]
    assert report["document"]["personal"]["full_name"] == "Nguyễn Thị Mai Anh"
    photo = report["document"]["photo"]
    assert photo["format"] == "jpeg" and photo["width"] > 0 and 10_000 < photo["bytes"] < 25_000
    for key in ("apdus", "bytes_in", "bytes_out", "elapsed_ms"):
        assert report["stats"][key] > 0
    assert any("test CSCA" in n for n in report["notes"])


def test_read_sim_with_mrz(capsys: pytest.CaptureFixture[str]) -> None:
    mrz = "\n".join(load_profile("elderly").printed_card()["mrz"])
    assert main(["read", "--sim", "elderly", "--mrz", mrz]) == 0
    assert "verdict:" in capsys.readouterr().out


def test_wrong_key_has_its_own_exit_code_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    args = _key_args()
    args[-1] = "991231"
    assert main(["read", "--sim", "default", "--access", "bac", *args]) == 3
    assert "check the ID number, birth date and expiry" in capsys.readouterr().err


def test_wrong_can_tells_the_user_to_check_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", *_key_args(), "--can", "000000"]) == 3
    err = capsys.readouterr().err
    assert "CAN" in err and "check the ID number" in err
    assert "000000" not in err


def test_access_bac_is_reported_as_a_downgrade(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", *_key_args(), "--access", "bac", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["access"] == {
        "method": "BAC", "protocol": "BAC-3DES", "downgraded": True, "downgrade_reason": "BAC_REQUESTED"
    }  # fmt: skip
    assert report["verdict"] == "authentic"  # CA and AA run over BAC too


def test_mrz_only_opens_the_card_with_pace_mrz(capsys: pytest.CaptureFixture[str]) -> None:
    """Every PACE chip accepts the MRZ password (ICAO 9303-11 §4.4.1), and so do the simulated CCCDs since
    issue 12: PACE, no downgrade.  The fallback to BAC for a chip that refuses it (reported of one CCCD,
    cccd-chip.md §3) is tested in tests/sims/test_conformance.py."""
    mrz = "\n".join(load_profile("default").printed_card()["mrz"])
    assert main(["read", "--sim", "default", "--mrz", mrz, "--json"]) == 0
    access = json.loads(capsys.readouterr().out)["access"]
    assert access["method"] == "PACE" and access["downgraded"] is False
    assert "MRZ" in access["protocol"]


def test_can_alone_opens_the_card_with_pace(capsys: pytest.CaptureFixture[str]) -> None:
    can = load_profile("default").can
    assert main(["read", "--sim", "default", "--can", can, "--access", "pace", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["access"]["method"] == "PACE" and report["verdict"] == "authentic"


@pytest.mark.parametrize("clone", ["wrong-keys", "missing-keys"])
def test_clones_are_never_authentic(clone: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", *_key_args(), "--clone", clone, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checks"]["passive_auth"]["result"] == "passed"  # the data is genuine, copied
    assert report["verdict"] == "not_authentic"
    assert {"CA_FAILED", "AA_FAILED"} <= set(report["reasons"])
    assert report["checks"]["chip_auth"]["result"] == "failed"
    assert report["checks"]["active_auth"]["result"] == "failed"
    assert report["checks"]["anticlone"]["method"] == "none"


def test_bad_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", "--id", "12345", "--dob", "030615", "--expiry", "280615"]) == 2
    assert "12 digits" in capsys.readouterr().err


def test_mrz_check_digits_are_verified() -> None:
    lines = list(load_profile("default").printed_card()["mrz"])
    lines[1] = lines[1][:6] + str((int(lines[1][6]) + 1) % 10) + lines[1][7:]
    with pytest.raises(KeyEntryError, match="birth date"):
        from_mrz("\n".join(lines))


def test_save_dump_and_photo_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump, photo = tmp_path / "dump", tmp_path / "face.jpg"
    assert (
        main(["read", "--sim", "default", *_key_args(), "--save-dump", str(dump), "--photo-out", str(photo)])
        == 0
    )
    names = sorted(p.name for p in dump.iterdir())
    assert names == ["DG1", "DG13", "DG14", "DG15", "DG2", "EF.COM", "EF.CardAccess", "EF.SOD",
                     "evidence.json"]  # fmt: skip
    evidence = json.loads((dump / "evidence.json").read_text())
    assert set(evidence) == {"format", "pace", "ca", "aa"}
    assert len(bytes.fromhex(evidence["aa"]["rnd_ifd"])) == 8 and evidence["aa"]["valid"] is True
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in dump.iterdir())
    assert photo.read_bytes()[:3] == b"\xff\xd8\xff"
    assert oct(photo.stat().st_mode & 0o777) == "0o600"


def test_sim_profiles_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "profiles"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "elderly" in out and "long_address" in out
    assert main(["sim", "show", "elderly", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["mrz_expiry_date"] == "991231"
    for key in ("id_number", "full_name", "date_of_birth", "can", "mrz", "qr_payload"):
        assert shown[key]


def _wait_for_card(timeout: float = 10.0) -> None:
    from reader.errors import NoCardError
    from reader.transports.pcsc import PCSCTransport

    deadline = time.monotonic() + timeout
    while True:
        try:
            PCSCTransport("Virtual PCD 00 00").close()
            return
        except NoCardError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.pcsc
def test_sim_serve_and_read_through_pcscd_as_processes(tmp_path: Path) -> None:
    """`cccd sim serve` in one process, `cccd read --reader` in another, through the real pcscd."""
    require_pcscd()
    trust = tmp_path / "trust"
    from sims.personalize import shared_test_pki

    shared_test_pki()  # the serving process generates its own PKI: export it from there instead
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = subprocess.Popen(
        [*CCCD, "sim", "serve", "--profile", "default", "--export-trust", str(trust)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert "Virtual PCD 00 00" in line, serve.stderr.read() if serve.stderr else line
        _wait_for_card()
        done = subprocess.run(
            [*CCCD, "read", "--reader", "Virtual PCD 00 00", *_key_args(), "--trust", str(trust), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        assert report["checks"]["passive_auth"]["result"] == "passed"
        assert report["access"]["method"] == "PACE" and report["access"]["downgraded"] is False
        assert report["checks"]["anticlone"]["method"] == "CA"
        assert report["checks"]["active_auth"]["result"] == "passed"
        assert report["verdict"] == "authentic"
    finally:
        serve.terminate()
        serve.wait(timeout=10)


@pytest.mark.pcsc
def test_read_without_card_and_with_unknown_reader(capsys: pytest.CaptureFixture[str]) -> None:
    require_pcscd()
    assert main(["read", "--reader", "Virtual PCD 00 01", *_key_args()]) == 5
    assert "no card" in capsys.readouterr().err
    assert main(["read", "--reader", "Nope 42", *_key_args()]) == 4


def test_verify_dump_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sims.personalize import card_image

    dump, trust = tmp_path / "dump", tmp_path / "trust"
    card_image("default").pki.export_folder(trust, include_crl=False)
    assert main(["read", "--sim", "default", *_key_args(), "--save-dump", str(dump)]) == 0
    capsys.readouterr()
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checks"]["passive_auth"]["result"] == "passed"
    assert report["access"]["method"] == "none"
    assert report["document"]["personal"]["full_name"] == "Nguyễn Thị Mai Anh"
    assert report["checks"]["active_auth"]["result"] == "passed"  # the saved signature, re-verified
    assert report["checks"]["chip_auth"]["reason"] == "NOT_RECHECKABLE_OFFLINE"
    assert report["checks"]["anticlone"]["method"] == "AA" and report["verdict"] == "authentic"
    assert main(["verify-dump", str(dump), "--json"]) == 0  # no trust store: CSCA unknown
    assert "CSCA_UNKNOWN" in json.loads(capsys.readouterr().out)["reasons"]
    dg1 = dump / "DG1"
    dg1.write_bytes(dg1.read_bytes().replace(b"NGUYEN", b"NGUYEM"))
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    tampered = json.loads(capsys.readouterr().out)
    assert tampered["verdict"] == "not_authentic"
    assert any("DG1" in r for r in tampered["reasons"])


def test_verify_dump_detects_forged_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sims.personalize import card_image

    dump, trust = tmp_path / "dump", tmp_path / "trust"
    card_image("default").pki.export_folder(trust, include_crl=False)
    assert main(["read", "--sim", "default", *_key_args(), "--save-dump", str(dump)]) == 0
    evidence = json.loads((dump / "evidence.json").read_text())
    evidence["aa"]["rnd_ifd"] = "00" * 8  # a different challenge than the one the chip signed
    (dump / "evidence.json").write_text(json.dumps(evidence))
    capsys.readouterr()
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "not_authentic" and "AA_FAILED" in report["reasons"]
    (dump / "evidence.json").write_text("{not json")
    assert main(["verify-dump", str(dump), "--trust", str(trust)]) == 2
    assert "evidence.json" in capsys.readouterr().err
    (dump / "evidence.json").unlink()
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "inconclusive" and "NO_ANTICLONE_PROOF" in report["reasons"]


def test_verify_dump_of_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-dump", str(tmp_path / "nothing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_can_alone_on_a_chip_without_pace_asks_for_the_bac_data(capsys: pytest.CaptureFixture[str]) -> None:
    can = load_profile("default").can
    assert main(["read", "--sim", "default", "--can", can, "--access", "bac"]) == 2
    assert "give the birth date and expiry" in capsys.readouterr().err

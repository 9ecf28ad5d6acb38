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

from kiosk.chipread import KeyInputError, bac_key_from_mrz
from kiosk.cli import main
from sims.profile import load_profile
from tests.conftest import require_pcscd

REPO = Path(__file__).resolve().parents[2]
CCCD = [sys.executable, "-m", "kiosk"]


def _key_args(name: str = "default") -> list[str]:
    p = load_profile(name).printed_card()
    return ["--id", p["id_number"], "--dob", p["mrz_birth_date"], "--expiry", p["mrz_expiry_date"]]


def test_read_sim_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", *_key_args(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "inconclusive"
    assert report["reasons"] == ["NO_ANTICLONE_PROOF"]
    assert report["access"]["method"] == "BAC"
    assert report["checks"]["passive_auth"]["result"] == "passed"
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
    assert main(["read", "--sim", "default", *args]) == 3
    assert "check the ID number, birth date and expiry" in capsys.readouterr().err


def test_bad_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "--sim", "default", "--id", "12345", "--dob", "030615", "--expiry", "280615"]) == 2
    assert "12 digits" in capsys.readouterr().err


def test_mrz_check_digits_are_verified() -> None:
    lines = list(load_profile("default").printed_card()["mrz"])
    lines[1] = lines[1][:6] + str((int(lines[1][6]) + 1) % 10) + lines[1][7:]
    with pytest.raises(KeyInputError, match="birth date"):
        bac_key_from_mrz("\n".join(lines))


def test_save_dump_and_photo_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump, photo = tmp_path / "dump", tmp_path / "face.jpg"
    assert (
        main(["read", "--sim", "default", *_key_args(), "--save-dump", str(dump), "--photo-out", str(photo)])
        == 0
    )
    names = sorted(p.name for p in dump.iterdir())
    assert names == ["DG1", "DG13", "DG14", "DG15", "DG2", "EF.COM", "EF.CardAccess", "EF.SOD"]
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
        assert report["verdict"] == "inconclusive"
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
    assert main(["verify-dump", str(dump), "--json"]) == 0  # no trust store: CSCA unknown
    assert "CSCA_UNKNOWN" in json.loads(capsys.readouterr().out)["reasons"]
    dg1 = dump / "DG1"
    dg1.write_bytes(dg1.read_bytes().replace(b"NGUYEN", b"NGUYEM"))
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    tampered = json.loads(capsys.readouterr().out)
    assert tampered["verdict"] == "not_authentic"
    assert any("DG1" in r for r in tampered["reasons"])


def test_verify_dump_of_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-dump", str(tmp_path / "nothing")]) == 2
    assert "not a directory" in capsys.readouterr().err

"""``cccd trust import|list|status|remove``: JSON output, exit codes, config file, a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cccd.cli import main
from sims.pki import TestPKI


@pytest.fixture(scope="module")
def pkis() -> tuple[TestPKI, TestPKI]:
    de = TestPKI.generate(country="DE", csca_key="secp256r1", csca_hash="sha256", with_crl=True,
                          seed=b"cli-de")  # fmt: skip
    vn = TestPKI.generate(country="VN", csca_key="brainpoolP512r1", csca_hash="sha512",
                          csca_explicit_params=True, seed=b"cli-vn")  # fmt: skip
    return de, vn


def _files(tmp: Path, de: TestPKI, vn: TestPKI) -> tuple[Path, Path, Path]:
    ml = tmp / "list.ml"
    ml.write_bytes(de.master_list(extra_cscas=(vn.csca_der,)))
    pin = tmp / "pin.pem"
    pin.write_bytes(de.csca_pem())
    crl = tmp / "de.crl"
    assert de.crl is not None
    crl.write_bytes(de.crl)
    return ml, pin, crl


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, dict)
    return out


def test_import_list_status_remove(tmp_path: Path, pkis: tuple[TestPKI, TestPKI],
                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    de, vn = pkis
    ml, pin, crl = _files(tmp_path, de, vn)
    base = ["trust", "--dir", str(tmp_path / "trust"), "--json"]
    assert main([*base, "import", str(ml), "--signer-ca", str(pin), "--dry-run"]) == 0
    assert _json(capsys)["imports"][0]["dry_run"] is True
    assert not (tmp_path / "trust").exists()
    assert main([*base, "import", str(ml), str(crl), "--signer-ca", str(pin)]) == 0
    imports = _json(capsys)["imports"]
    assert [i["kind"] for i in imports] == ["master_list", "crl"]
    assert main([*base, "list", "--country", "vn"]) == 0
    rows = _json(capsys)["cscas"]
    assert len(rows) == 1 and rows[0]["key_type"] == "EC brainpoolP512r1 (explicit parameters)"
    assert main([*base, "list", "--key-type", "secp256"]) == 0
    assert [r["country"] for r in _json(capsys)["cscas"]] == ["DE"]
    assert main([*base, "list", "--validity", "expired"]) == 0
    assert _json(capsys)["cscas"] == []
    assert main([*base, "list", "--crls"]) == 0
    assert len(_json(capsys)["crls"]) == 1
    assert main([*base, "status"]) == 0
    st = _json(capsys)
    assert st["ok"] is True and st["vietnam"]["valid"] == 1
    assert main([*base, "remove", "--country", "VN"]) == 0
    assert len(_json(capsys)["removed"]) == 1
    assert (
        main([*base, "status"]) == 0
    )  # nothing expired or stale; no Vietnamese CSCA is reported, not an error
    assert _json(capsys)["vietnam"] == {"cscas": 0, "valid": 0, "crls": 0}


def test_refusals_and_bad_arguments(tmp_path: Path, pkis: tuple[TestPKI, TestPKI],
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    de, vn = pkis
    ml, pin, _ = _files(tmp_path, de, vn)
    base = ["trust", "--dir", str(tmp_path / "trust")]
    wrong_pin = tmp_path / "vn.pem"
    wrong_pin.write_bytes(vn.csca_pem())
    assert main([*base, "import", str(ml), "--signer-ca", str(wrong_pin)]) == 1
    assert "not issued by a pinned signer CA" in capsys.readouterr().err
    assert main([*base, "import", str(ml)]) == 1
    assert "--signer-ca" in capsys.readouterr().err
    short = tmp_path / "short.ml"
    short.write_bytes(ml.read_bytes()[:300])
    assert main([*base, "import", str(short), "--signer-ca", str(pin)]) == 2
    assert main([*base, "import", str(tmp_path / "missing.ml"), "--signer-ca", str(pin)]) == 2
    assert main([*base, "remove"]) == 2
    assert main([*base, "remove", "abc"]) == 2
    assert not (tmp_path / "trust").exists()
    with pytest.raises(SystemExit) as info:
        main(["trust", "frobnicate"])
    assert info.value.code == 2


def test_config_file_and_a_real_process(tmp_path: Path, pkis: tuple[TestPKI, TestPKI]) -> None:
    de, vn = pkis
    ml, pin, _ = _files(tmp_path, de, vn)
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[trust]\ndir = "{tmp_path / "store"}"\nsigner_ca = ["{pin}"]\nexpiring_days = 30\n')
    cmd = [sys.executable, "-m", "cccd", "trust", "--config", str(conf), "--log-json"]
    done = subprocess.run([*cmd, "import", str(ml)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "added 2" in done.stdout
    event = json.loads(done.stderr.strip().splitlines()[-1])
    assert event["event"] == "trust.imported" and event["added"] == 2
    done = subprocess.run([*cmd, "status"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Vietnam: 1 valid CSCA(s)" in done.stdout
    bad = tmp_path / "bad.ml"
    bad.write_bytes(b"\x30\x80garbage")
    done = subprocess.run([*cmd, "import", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr

"""Every command-line input error of issue 12 is a clear message and exit 2 — never a traceback, never a
card access, never a file created."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cccd.cli import main
from sims.people import load_profile
from sims.personalize import card_image
from sims.pki import TestPKI

REPO = Path(__file__).resolve().parents[3]
P = load_profile("default")
ID, DOB, EXP = P.id_number, P.mrz_birth_date, P.mrz_expiry_date
MISSING_READER = ["read", "--reader", "No Such Reader 99"]  # exit 4 if anything reached PC/SC


def _err(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def dump_and_trust(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dump")
    dump, trust = root / "dump", root / "trust"
    card_image("default").pki.export_folder(trust, include_crl=False)
    assert main(["read", "--sim", "default", "--id", ID, "--save-dump", str(dump)]) == 0
    return dump, trust


# --- trust store: a corrupted master list --------------------------------------------------------------


def _corrupted_master_lists(tmp: Path) -> list[Path]:
    good = TestPKI.generate(seed=b"cli-errors").master_list()
    folders = []
    # (a flip in an unsigned header byte, e.g. position 40 here, can leave a valid list: not used)
    for i, pos in enumerate([3, 120, 300, len(good) // 2, len(good) - 10]):
        folder = tmp / f"trust{i}"
        folder.mkdir()
        (folder / "list.ml").write_bytes(good[:pos] + bytes([good[pos] ^ 0x41]) + good[pos + 1 :])
        folders.append(folder)
    found = Path(__file__).resolve().parents[3] / "fuzz" / "corpus" / "master_list"
    for i, seed in enumerate(sorted(found.glob("found-*"))):  # the fuzzer's UnicodeDecodeError input
        folder = tmp / f"found{i}"
        folder.mkdir()
        (folder / "list.ml").write_bytes(seed.read_bytes())
        folders.append(folder)
    return folders


def test_a_corrupted_master_list_for_verify_dump(
    tmp_path: Path, dump_and_trust: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dump, _ = dump_and_trust
    for folder in _corrupted_master_lists(tmp_path):
        assert "list.ml" in _err(capsys, ["verify-dump", str(dump), "--trust", str(folder)])


def test_a_corrupted_master_list_for_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _corrupted_master_lists(tmp_path)[-1]
    assert "--trust" in _err(capsys, ["read", "--sim", "default", "--id", ID, "--trust", str(folder)])


def test_trust_folder_missing(
    tmp_path: Path, dump_and_trust: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dump, _ = dump_and_trust
    assert "not found" in _err(capsys, [*MISSING_READER, "--id", ID, "--trust", str(tmp_path / "none")])
    assert "not found" in _err(capsys, ["verify-dump", str(dump), "--trust", str(tmp_path / "none")])


# --- access-key input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--id", "０７９３０３００１２３４"],  # full-width digits
        ["--id", "٠٧٩٣٠٣٠٠١٢٣٤"],  # Arabic-Indic digits
        ["--id", "07930300123²"],
        ["--can", "１２３４５６"],
        ["--can", "١٢٣٤٥٦"],
        ["--id", ID, "--can", "12345٦"],
    ],
)
def test_non_ascii_digits(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert "digits" in _err(capsys, [*MISSING_READER, *args])


@pytest.mark.parametrize(
    ("dob", "expiry", "says"),
    [
        ("030230", EXP, "calendar"),  # 30 February
        ("031301", EXP, "calendar"),
        ("999999", None, "calendar"),
        ("040615", None, "birth year"),  # the ID encodes 2003
        (None, "010101", "expiry"),  # before the birth
        (None, "991399", "calendar"),
        ("03061５", EXP, "6 digits"),
    ],
)
def test_impossible_dates_are_refused_before_the_card(
    dob: str | None, expiry: str | None, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--id", ID] + (["--dob", dob] if dob else []) + (["--expiry", expiry] if expiry else [])
    assert says in _err(capsys, [*MISSING_READER, *args])


def test_a_birth_date_in_the_future_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "birth date" in _err(capsys, [*MISSING_READER, "--id", "001299000001", "--dob", "991231"])


def test_mrz_with_a_wrong_composite_check_digit(capsys: pytest.CaptureFixture[str]) -> None:
    lines = list(P.mrz_lines)
    assert main(["read", "--sim", "default", "--mrz", "\n".join(lines)]) == 0  # the genuine one reads
    wrong = "0123456789"[("0123456789".index(lines[1][29]) + 1) % 10]
    lines[1] = lines[1][:29] + wrong
    assert "composite" in _err(capsys, [*MISSING_READER, "--mrz", "\n".join(lines)])


def test_unknown_simulated_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert "nosuchprofile" in _err(capsys, ["read", "--sim", "nosuchprofile", "--id", ID])


# --- output paths and databases ---------------------------------------------------------------------------


def test_unwritable_outputs_are_refused_before_the_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "--save-dump" in _err(capsys, [*MISSING_READER, "--id", ID, "--save-dump", str(blocker / "d")])
    assert "--save-dump" in _err(capsys, [*MISSING_READER, "--id", ID, "--save-dump", str(blocker)])
    assert "--photo-out" in _err(capsys, [*MISSING_READER, "--id", ID, "--photo-out", str(blocker / "p.jpg")])
    assert "--photo-out" in _err(capsys, [*MISSING_READER, "--id", ID, "--photo-out", str(tmp_path)])
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert "--save-dump" in _err(capsys, [*MISSING_READER, "--id", ID, "--save-dump", str(ro / "d")])


def test_outbox_list_of_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["list"], ["retry"], ["purge"]):
        db = tmp_path / "nowhere" / "x.db"
        err = _err(capsys, ["outbox", *command, "--db", str(db), "--keys", str(tmp_path / "keys")])
        assert "no kiosk database" in err
        assert not db.exists() and not db.parent.exists()


# --- evidence.json -----------------------------------------------------------------------------------------


def test_deeply_nested_evidence(
    dump_and_trust: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dump, trust = dump_and_trust
    saved = (dump / "evidence.json").read_bytes()
    try:
        (dump / "evidence.json").write_text("[" * 200_000 + "]" * 200_000)
        assert "nested" in _err(capsys, ["verify-dump", str(dump), "--trust", str(trust)])
        (dump / "evidence.json").write_text('{"aa": ' + "[" * 100_000 + "]" * 100_000 + "}")
        assert "nested" in _err(capsys, ["verify-dump", str(dump), "--trust", str(trust)])
    finally:
        (dump / "evidence.json").write_bytes(saved)
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"]


def test_as_a_process_no_traceback(tmp_path: Path) -> None:
    """The same errors through ``python -m cccd``: stderr is one message, exit 2."""
    env = dict(os.environ, CCCD_DATA_DIR=str(tmp_path / "data"))
    cases = (
        ["read", "--sim", "nosuchprofile", "--id", ID],
        ["outbox", "list", "--db", str(tmp_path / "n" / "x.db")],
        [*MISSING_READER, "--id", ID, "--dob", "030230", "--expiry", EXP],
    )
    for args in cases:
        run = subprocess.run([sys.executable, "-m", "cccd", *args], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
        assert run.returncode == 2 and "Traceback" not in run.stderr and len(run.stderr.splitlines()) == 1, (
            run.stderr
        )

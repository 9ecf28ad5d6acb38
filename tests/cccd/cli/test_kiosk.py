"""`cccd kiosk` in-process: usage errors, text and JSON output, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cccd.cli import main


@pytest.mark.parametrize(
    "args",
    [["kiosk"], ["kiosk", "--headless"], ["kiosk", "--headless", "--sim", "--runs", "0"],
     ["kiosk", "--headless", "--sim", "--deliver-to", "http://127.0.0.1:9"]],
)  # fmt: skip
def test_usage_errors(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CCCD_WEBHOOK_SECRET", raising=False)
    assert main(args) == 2
    assert "kiosk:" in capsys.readouterr().err


def test_json_results_for_every_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["kiosk", "--headless", "--sim", "--profile", "lodging", "--scenario", "all",
            "--face", "ground-truth", "--data-dir", str(tmp_path), "--json"]  # fmt: skip
    assert main(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    wanted = {"happy", "wrong_person", "clone_card", "card_removed", "no_consent", "wrong_key"}
    assert {r["scenario"] for r in rows} >= wanted
    assert all(r["as_expected"] for r in rows)
    happy = next(r for r in rows if r["scenario"] == "happy")
    assert happy["outcome"] == "verified" and happy["record_status"] == "verified"


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["kiosk", "--headless", "--sim", "--profile", "hospital", "--face", "ground-truth", "--runs", "2",
            "--data-dir", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("hospital/happy: ") for line in lines)

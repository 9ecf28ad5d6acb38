"""Evaluation on the shared photos, the FMR bound, and the `cccd face-eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biometrics.errors import BiometricsError
from biometrics.evaluation import evaluate, fmr_upper_bound, list_people


def test_rule_of_three() -> None:
    assert fmr_upper_bound(0, 300) == pytest.approx(3 / 300, rel=0.01)
    assert fmr_upper_bound(0, 0) is None
    assert fmr_upper_bound(5, 5) == 1.0
    ub = fmr_upper_bound(1, 100)
    assert ub is not None and 0.046 < ub < 0.048  # Clopper-Pearson, one-sided 95 %


def test_evaluate_shared_faces(sface, faces: Path) -> None:  # type: ignore[no-untyped-def]
    r = evaluate(sface, faces)
    s = r.summary()
    assert s["people"] == 6 and s["images"] == 15 and not s["failed_to_enrol"]
    assert s["genuine_pairs"] == 14 and s["impostor_pairs"] == 91
    assert s["fmr"] == 0.0 and s["fnmr"] == 0.0
    assert s["fmr_upper_bound_95"] == pytest.approx(1 - 0.05 ** (1 / 91))
    rows = r.sweep()
    assert rows[0][1] == 1.0 and rows[-1][1] == 0.0  # FMR falls from 1 to 0 across the sweep


def test_list_people_needs_two(tmp_path: Path) -> None:
    (tmp_path / "solo").mkdir()
    (tmp_path / "solo" / "a.jpg").write_bytes(b"x")
    with pytest.raises(BiometricsError):
        list_people(tmp_path)


def test_cli_face_eval(faces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cccd.cli import main

    assert main(["face-eval", str(faces), "--json", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "engine",
        "threshold",
        "genuine_pairs",
        "impostor_pairs",
        "fnmr",
        "fmr",
        "fmr_upper_bound_95",
    ):
        assert key in out
    assert out["engine"] == "sface"
    assert (tmp_path / "det.png").stat().st_size > 1000
    assert (tmp_path / "pairs.csv").read_text().count("\n") == 14 + 91 + 1
    assert main(["face-eval", str(faces)]) == 0
    assert "FMR" in capsys.readouterr().out
    assert main(["face-eval", str(tmp_path / "absent")]) == 2

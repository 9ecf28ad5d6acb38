"""Every fuzz target (fuzz/targets.py): its seed corpus and past findings pass, and a short coverage-guided
run under atheris finds nothing (the long runs: ``make fuzz``, docs/fuzzing.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fuzz.targets import TARGETS, run_one

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
#: Executions per target in the short run (the full read costs a simulated PACE+CA+AA read each).
RUNS = {"full_read": 25, "sod": 2000, "cms": 2000, "master_list": 2000}
DEFAULT_RUNS = 3000


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seed_corpus_and_findings_replay_without_untyped_errors(name: str) -> None:
    files = sorted((CORPUS / name).iterdir())
    assert files, f"no seed corpus for {name}: run python -m fuzz.make_corpus"
    for file in files:
        run_one(name, file.read_bytes())


def _short_run(name: str, tmp: Path) -> tuple[str, int, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FUZZ_WORKDIR=str(tmp / name), FUZZ_QUICK="1")
    argv = [sys.executable, "-m", "fuzz", name, f"-runs={RUNS.get(name, DEFAULT_RUNS)}", "-seed=1"]
    proc = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    return name, proc.returncode, proc.stderr[-3000:]


def test_short_coverage_guided_run_of_every_target(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda n: _short_run(n, tmp_path), sorted(TARGETS)))
    failed = [(name, rc, err) for name, rc, err in results if rc != 0 or "DONE" not in err]
    assert not failed, "\n\n".join(f"{name} (exit {rc}):\n{err}" for name, rc, err in failed)

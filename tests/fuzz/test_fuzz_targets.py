"""Every fuzz target (fuzz/targets.py): its seed corpus and past findings pass, and a short coverage-guided
run under atheris finds nothing (the long runs: ``make fuzz``, docs/fuzzing.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import reader.engine
import reader.pki.certs
import reader.pki.cms
import sims.activeauth
import sims.card
from fuzz.targets import FULL_READ_FILES, TARGETS, _genuine, run_one
from reader.access.params import DHGroup, ECGroup
from reader.lds.sod import SOD
from reader.report import Verdict

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
#: Executions per target in the short run (the full read costs a simulated PACE+CA+AA read each).
RUNS = {"full_read": 300, "sod": 2000, "cms": 2000, "master_list": 2000}
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


def _genuine_input(name: str) -> bytes:
    image = _genuine()
    content: bytes = {**image.mf_files, **image.lds_files}[name]
    return bytes([FULL_READ_FILES.index(name)]) + content


def test_full_read_leaves_nothing_memoized_behind() -> None:
    """The memo of fuzz.targets._memoized_crypto lives only inside each full read."""
    patched = [
        (ECGroup, "exp"), (DHGroup, "exp"), (SOD, "from_bytes"), (sims.activeauth, "_rsa_private"),
        (reader.pki.certs, "verify_signature"), (reader.pki.cms, "verify_signature"),
    ]  # fmt: skip
    before = [vars(owner)[name] for owner, name in patched]
    run_one("full_read", _genuine_input("DG15"))
    assert [vars(owner)[name] for owner, name in patched] == before


def test_full_read_oracle_still_catches_an_altered_file_called_authentic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reader that wrongly said ``authentic`` would be a finding (the memo does not hide it)."""
    run_one("full_read", _genuine_input("DG2"))  # the genuine card: authentic, no finding
    monkeypatch.setattr(reader.engine, "compute_verdict", lambda *a, **k: (Verdict.AUTHENTIC, []))
    altered = bytearray(_genuine_input("DG2"))
    altered[-100] ^= 1
    with pytest.raises(AssertionError, match="DG2 altered"):
        run_one("full_read", bytes(altered))


def test_full_read_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same input gives the same APDUs both ways (libFuzzer's expectation; ``--repro`` replays it)."""
    transcript: list[tuple[bytes, bytes]] = []
    execute = sims.card.CardOS.execute

    def recording(card: sims.card.CardOS, apdu: bytes) -> bytes:
        response = execute(card, apdu)
        transcript.append((bytes(apdu), bytes(response)))
        return response

    monkeypatch.setattr(sims.card.CardOS, "execute", recording)
    for access in (0, 8):  # PACE, BAC
        runs = []
        for _ in range(2):
            transcript.clear()
            genuine = _genuine_input("DG2")
            run_one("full_read", bytes([genuine[0] | access]) + genuine[1:])
            runs.append(list(transcript))
        assert len(runs[0]) > 20 and runs[0] == runs[1]

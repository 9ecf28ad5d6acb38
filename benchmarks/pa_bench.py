"""Passive authentication of a typical CCCD read (ICAO 9303-11 §5.1), host CPU time.

The card: DG1, DG2 (~15 KB JPEG-sized), DG13, DG14, DG15 hashed with SHA-256; Document Signer on
brainpoolP384r1 signing with ECDSA-SHA-384; CSCA on brainpoolP512r1 with explicit domain parameters and
ECDSA-SHA-512 (the Vietnamese CSCA's style), plus a CRL.  Also times the trust-store loads.

    .venv/bin/python -m benchmarks.pa_bench [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reader.auth.passive import PAResult, passive_authenticate
from reader.lds.sod import SOD
from reader.pki.trust import CSCAStore
from sims.pki import TestPKI, build_sod

DG_SIZES = {1: 93, 2: 15_000, 13: 1_100, 14: 382, 15: 300}


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    start = time.process_time()
    pki = TestPKI.generate(
        csca_key="brainpoolP512r1", csca_hash="sha512", csca_explicit_params=True,
        ds_key="brainpoolP384r1", ds_hash="sha384", with_crl=True,
    )  # fmt: skip
    generate_ms = (time.process_time() - start) * 1000
    dgs = {n: os.urandom(size) for n, size in DG_SIZES.items()}
    sod = build_sod(dgs, pki, "sha256", signature_hash="sha384")
    assert pki.crl is not None
    store = CSCAStore([pki.csca_der], [pki.crl])
    at = datetime.now(UTC)
    result = passive_authenticate(sod, dgs, store, at=at)
    assert result.result is PAResult.PASSED, result.reasons

    with tempfile.TemporaryDirectory() as folder:
        pki.export_folder(folder)
        Path(folder, "list.ml").write_bytes(pki.master_list())
        runs = args.runs
        rows = [
            ("TestPKI.generate (explicit P-512 CSCA)", (generate_ms, generate_ms)),
            ("SOD.from_bytes", _time(lambda: SOD.from_bytes(sod), runs)),
            (
                "passive_authenticate (typical card)",
                _time(lambda: passive_authenticate(sod, dgs, store, at=at), runs),
            ),
            (
                "CSCAStore.from_folder (pem + crl + ml)",
                _time(lambda: CSCAStore.from_folder(folder), runs // 4),
            ),
        ]
    print(f"EF.SOD {len(sod)} bytes; data groups {sum(DG_SIZES.values())} bytes; runs {args.runs}")
    print(f"{'step':44} {'median ms':>10} {'max ms':>10}")
    for name, (median, worst) in rows:
        print(f"{name:44} {median:10.2f} {worst:10.2f}")


if __name__ == "__main__":
    main()

"""The managed trust store (reader.pki.store, docs/trust.md) at the size of a real master list: wall time
of importing a signed list of N CSCAs (signature and pinned-signer checks, every certificate's key
decoded, the atomic copy-and-swap), of one more CSCA into the full store (the copy-on-write cost), of
``list`` and ``status``, and of the reader's load of the folder (``CSCAStore.from_folder``).

ICAO's master list holds a few hundred CSCAs; one in ten here is brainpoolP512r1 with explicit
parameters (the Vietnamese CSCA's style), the rest secp256r1.

    .venv/bin/python -m benchmarks.trust_import [--cscas N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reader.pki.certs import Certificate
from reader.pki.store import ManagedTrustStore, status
from reader.pki.trust import CSCAStore
from sims.pki import TestPKI


def _wall(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cscas", type=int, default=300)
    args = parser.parse_args()

    start = time.perf_counter()
    signer = TestPKI.generate(country="DE", csca_key="secp256r1", csca_hash="sha256", seed=b"bench-de")
    vn = {"country": "VN", "csca_key": "brainpoolP512r1", "csca_hash": "sha512", "csca_explicit_params": True}
    fr = {"country": "FR", "csca_key": "secp256r1", "csca_hash": "sha256"}
    others = [
        TestPKI.generate(**(vn if i % 10 == 0 else fr), seed=b"bench-%d" % i)
        for i in range(args.cscas - 1)
    ]
    ml = signer.master_list(extra_cscas=tuple(p.csca_der for p in others))
    print(f"test PKI: {args.cscas} CSCAs, master list {len(ml) // 1024} KiB "
          f"(generated in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    pin = [Certificate.from_der(signer.csca_der)]
    extra = TestPKI.generate(country="JP", csca_key="secp256r1", csca_hash="sha256", seed=b"bench-extra")
    with tempfile.TemporaryDirectory() as tmp:
        store = ManagedTrustStore(Path(tmp) / "trust")
        ms, report = _wall(lambda: store.import_bytes(ml, "list.ml", signer_cas=pin))
        print(f"import master list ({len(report.added)} CSCAs):   {ms:8.1f} ms")  # type: ignore[attr-defined]
        ms, _ = _wall(lambda: store.import_bytes(extra.csca_der, "jp.cer"))
        print(f"import one CSCA into the full store:  {ms:8.1f} ms")
        ms, _ = _wall(lambda: store.import_bytes(ml, "list.ml", signer_cas=pin))
        print(f"re-import (nothing new):              {ms:8.1f} ms")
        ms, entries = _wall(store.cscas)
        print(f"list ({len(entries)} entries):                   {ms:8.1f} ms")  # type: ignore[arg-type]
        ms, _ = _wall(lambda: status(store, datetime.now(UTC)))
        print(f"status:                               {ms:8.1f} ms")
        ms, loaded = _wall(lambda: CSCAStore.from_folder(store.root))
        print(f"reader load (CSCAStore.from_folder):  {ms:8.1f} ms ({len(loaded)} CSCAs)")  # type: ignore


if __name__ == "__main__":
    main()

"""Outbox relay throughput to the loopback reference receiver, with durable commits on both sides.

The kiosk database and the receiver's database both run SQLite WAL with ``synchronous=FULL`` (an fsync
per commit).  The receiver is a separate process (``cccd receiver``); the relay runs here with its
defaults (8 workers, batches of 64).  Every delivery is a signed (ES256) lodging webhook verified by the
receiver (Standard Webhooks HMAC + JWS) and stored once.

    python -m benchmarks.delivery_bench [--n 2000] [--workers 8] [--batch 64]

Target (issue 5): ≥ 200 deliveries per second sustained.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks._records import bench_record
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.delivery import ConnectorRegistry, Relay
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import load_profiles
from kiosk.storage import KioskStore

REPO = Path(__file__).resolve().parents[1]


def _fill(store: KioskStore, n: int) -> None:
    profile = load_profiles()["lodging"]
    for _ in range(n):
        store.save_verification(bench_record(profile), profile, time.time())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args([] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="cccd-bench-") as tmp:
        root = Path(tmp)
        keys = KeyStore.open(root / "keys")
        secret = new_webhook_secret()
        token = secrets.token_urlsafe(24)
        env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_RECEIVER_TOKEN=token)
        os.environ["CCCD_WEBHOOK_SECRET"] = secret
        receiver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cccd",
                "receiver",
                "--port",
                "0",
                "--db",
                str(root / "receiver.db"),
                "--keys",
                str(keys.directory),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert receiver.stdout is not None
            url = receiver.stdout.readline().split()[-1]
            store = KioskStore(root / "kiosk.db", keys)
            t0 = time.perf_counter()
            _fill(store, args.n)
            fill_s = time.perf_counter() - t0
            registry = ConnectorRegistry(load_profiles(), RecordSigner(keys, "urn:cccd:kiosk:bench"), url)
            relay = Relay(store, registry, rng=random.Random(1), batch=args.batch, workers=args.workers)
            t0, c0 = time.perf_counter(), time.process_time()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.enable()
                stats = relay.run(threading.Event(), until_idle=True)
                prof.disable()
                pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
            else:
                stats = relay.run(threading.Event(), until_idle=True)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            relay.close()
            received = httpx.get(url + "/stats", headers={"authorization": f"Bearer {token}"}).json()
            store.close()
        finally:
            receiver.terminate()
            receiver.wait(10)
    print(
        f"outbox writes (result + outbox row + audit, one durable commit each): "
        f"{args.n / fill_s:.0f}/s ({fill_s * 1000 / args.n:.2f} ms each)"
    )
    print(
        f"relay: {stats.sent} delivered in {elapsed:.2f} s = {stats.sent / elapsed:.0f} deliveries/s "
        f"(workers {args.workers}, batch {args.batch}, {stats.rounds} durable commits, "
        f"relay CPU {cpu:.2f} s)"
    )
    print(
        f"receiver: stored {received['deliveries']}, distinct {received['distinct_verifications']}, "
        f"retried {stats.retried}, dead {stats.dead}"
    )
    ok = stats.sent == args.n and received["deliveries"] == args.n
    print("target ≥ 200 deliveries/s:", "met" if ok and stats.sent / elapsed >= 200 else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

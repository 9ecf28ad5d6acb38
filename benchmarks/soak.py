"""Soak: thousands of headless kiosk transactions (simulated card, ground-truth face) delivering to a
`cccd receiver` process that is killed (SIGKILL) and restarted periodically (issue 12, "A soak benchmark").

One kiosk (:func:`cccd.headless.build_scenario_kiosk`, the ``happy`` scenario) runs ``--n`` transactions
in this process; its relay delivers on the delivery thread (after each transaction and idle rounds, under
the relay lock) to the receiver on 127.0.0.1.  Every ``--outage-every`` transactions the receiver is
killed for ``--outage-length`` transactions, then started again on the same port; rows that met the
outage wait for their backoff and go out later.  Every ``--sample-every`` transactions the process's RSS,
open file descriptors and threads are sampled with the outbox backlog: they must stay flat (no leak of
memory, sockets, SQLite handles or threads).  At the end the outbox is drained and every verification is
counted in the receiver's database.

    python -m benchmarks.soak [--n 10000] [--profile lodging] [--outage-every 1000] [--outage-length 150]
                              [--sample-every 500] [--json FILE]

Figures (transaction time p50/p99, the samples, flatness) are printed; docs/delivery.md, "Performance".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cccd.compose import KioskConfig, relay_until_idle
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore

QUICK = ["--n", "600", "--outage-every", "200", "--outage-length", "50", "--sample-every", "100"]


@dataclass(frozen=True, slots=True)
class Sample:
    done: int  # transactions so far
    seconds: float  # since the start
    rss_mib: float
    open_files: int
    threads: int
    pending: int  # outbox rows not yet delivered
    receiver_up: bool


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _sample(done: int, t0: float, pending: int, up: bool) -> Sample:
    return Sample(done, round(time.monotonic() - t0, 1), round(_status("VmRSS") / 1024, 1),
                  len(os.listdir("/proc/self/fd")), _status("Threads"), pending, up)  # fmt: skip


class Receiver:
    """`cccd receiver` in its own process, on a fixed port so that it can come back where it was."""

    def __init__(self, db: Path, keys: Path, env: dict[str, str]) -> None:
        self.db, self.keys, self.env = db, keys, env
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [sys.executable, "-m", "cccd", "receiver", "--port", str(self.port), "--db", str(self.db),
                "--keys", str(self.keys)]  # fmt: skip
        for _ in range(50):  # the port of a killed receiver may linger a moment
            proc = subprocess.Popen(argv, env=self.env, text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if "listening on" in line:
                self.proc = proc
                self.port = int(line.split()[-1].rsplit(":", 1)[1])
                threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
                return
            proc.wait(10)
            time.sleep(0.2)
        raise RuntimeError("the receiver does not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    @property
    def up(self) -> bool:
        return self.proc is not None

    def stored(self) -> tuple[int, int]:
        """(stored deliveries, distinct verification IDs) in the receiver's database."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT COUNT(*), COUNT(DISTINCT verification_id) FROM deliveries").fetchone()
            return int(row[0]), int(row[1])
        finally:
            conn.close()


def _print(s: Sample) -> None:
    up = "up" if s.receiver_up else "DOWN"
    print(f"  {s.done:>6} txn  {s.seconds:>7.1f} s  rss {s.rss_mib:>6.1f} MiB  fds {s.open_files:>3}  "
          f"threads {s.threads:>3}  pending {s.pending:>4}  receiver {up}", flush=True)  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _drift(samples: list[Sample], attr: str) -> tuple[float, float]:
    """The metric's median over the first and the last third of the samples after warm-up."""
    body = samples[1:] if len(samples) > 3 else samples
    third = max(1, len(body) // 3)
    first = statistics.median(getattr(s, attr) for s in body[:third])
    last = statistics.median(getattr(s, attr) for s in body[-third:])
    return float(first), float(last)


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    os.environ.setdefault("CCCD_WEBHOOK_SECRET", new_webhook_secret())
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    data = tmp / "data"
    KeyStore.open(data / "keys")
    receiver = Receiver(tmp / "receiver.db", data / "keys", env)
    receiver.start()
    scenario = SCENARIOS["happy"]
    config = KioskConfig(data, deliver_to=receiver.url, relay_interval=1.0)
    kiosk, card = build_scenario_kiosk(scenario, args.profile, config, face="ground-truth")
    user = ScriptedUser(scenario, card)
    times: list[float] = []
    samples: list[Sample] = []
    outages = 0
    t0 = time.monotonic()
    try:
        for i in range(args.n):
            if args.outage_every and i % args.outage_every == args.outage_every // 2:
                receiver.kill()
                outages += 1
            if not receiver.up and i % args.outage_every == args.outage_every // 2 + args.outage_length:
                samples.append(_sample(i, t0, kiosk.store.counts()["pending"], False))  # the outage's backlog
                _print(samples[-1])
                receiver.start()
            result = run_flow(kiosk, user, scenario)
            if result.outcome != "verified":
                raise RuntimeError(f"transaction {i}: {result.outcome}")
            times.append(result.elapsed_ms)
            if i % args.sample_every == 0 or i == args.n - 1:
                samples.append(_sample(i + 1, t0, kiosk.store.counts()["pending"], receiver.up))
                _print(samples[-1])
        if not receiver.up:
            receiver.start()
        kiosk.runner.drain_storage()
        drain_t = time.monotonic()
        counts = relay_until_idle(kiosk, args.drain_seconds, pending=True)
        drain_s = time.monotonic() - drain_t
        samples.append(_sample(args.n, t0, counts["pending"], True))
    finally:
        kiosk.close()
        receiver.kill()
    stored, distinct = receiver.stored()
    report: dict[str, Any] = {
        "n": args.n, "profile": args.profile, "outages": outages, "seconds": round(time.monotonic() - t0, 1),
        "txn_ms": {"p50": _percentile(times, 0.50), "p99": _percentile(times, 0.99),
                   "max": max(times), "mean": round(statistics.fmean(times), 1)},
        "outbox": counts, "drain_seconds": round(drain_s, 1),
        "receiver": {"stored_deliveries": stored, "distinct_verifications": distinct},
        "samples": [asdict(s) for s in samples],
        "drift": {a: _drift(samples, a) for a in ("rss_mib", "open_files", "threads")},
    }  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.soak", description="a soak of headless transactions")
    parser.add_argument("--n", type=int, default=10_000, help="transactions (default 10000)")
    parser.add_argument("--profile", default="lodging",
                        choices=("hospital", "bank", "lodging", "public_service"))  # fmt: skip
    parser.add_argument("--outage-every", type=int, default=1000, help="an outage every N transactions")
    parser.add_argument("--outage-length", type=int, default=150, help="transactions while it is down")
    parser.add_argument("--sample-every", type=int, default=500)
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args(QUICK if argv is None else argv)  # `python -m benchmarks`: a quick run
    if args.n < 1 or args.sample_every < 1 or args.outage_length >= max(1, args.outage_every):
        parser.error("--n and --sample-every must be ≥ 1, --outage-length below --outage-every")
    print(f"soak: {args.n} transactions ({args.profile}, ground-truth face), receiver killed every "
          f"{args.outage_every} for {args.outage_length}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cccd-soak-") as tmp:
        report = run(args, Path(tmp))
    t = report["txn_ms"]
    print(f"transaction time: p50 {t['p50']:.1f} ms, p99 {t['p99']:.1f} ms, max {t['max']:.1f} ms, "
          f"mean {t['mean']:.1f} ms; {report['seconds']} s in all, {report['outages']} outages")  # fmt: skip
    print(f"outbox after the drain ({report['drain_seconds']} s): {report['outbox']}; receiver: "
          f"{report['receiver']}")  # fmt: skip
    for name, (first, last) in report["drift"].items():
        print(f"  {name}: median {first:g} (first third) → {last:g} (last third)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    ok = report["outbox"]["pending"] == 0 and report["outbox"]["dead"] == 0
    ok = ok and report["receiver"]["distinct_verifications"] == args.n
    print("delivered: every verification exactly once" if ok else "NOT all delivered", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

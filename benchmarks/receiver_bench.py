"""The reference receiver under load and under attack: ``python -m benchmarks.receiver_bench``.

Runs ``cccd receiver`` as a process on a free loopback port and measures (issue 12):

* latency of signed deliveries (p50/p99, sequential keep-alive client), of ``/healthz`` and of rejected
  (badly signed) requests;
* the receiver's RSS before and after 30 concurrent clients each declaring a 16 MB body (the old server
  read them all before checking the signature: 316 → 522 MB, never released), and after 30 clients
  streaming chunked bodies past the cap;
* its threads and open files before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks._records import bench_record
from kiosk.connectors import webhooks
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile, load_profiles

REPO = Path(__file__).resolve().parents[1]


def _proc(pid: int) -> tuple[float, int, int]:
    """(RSS MB, threads, open files) of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]) / 1024
    threads = int(next(x for x in status.splitlines() if x.startswith("Threads")).split()[1])
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))


def _record(profile: Profile) -> dict[str, Any]:
    """A verified record of a made-up person (benchmarks._records)."""
    return dict(bench_record(profile).document)


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def _oversized(port: int, key: bytes) -> None:
    head = webhooks.signed_headers(key, "01BIG", int(time.time()), b"")
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            f"POST /webhooks/bank HTTP/1.1\r\nhost: x\r\n{lines}content-length: 16777216\r\n\r\n".encode()
        )
        try:
            s.sendall(b"\0" * (1 << 20))  # the server answers 413 and closes without reading it
            s.recv(100)
        except OSError:
            pass


def _chunked(url: str, key: bytes) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(256):
            yield b"\0" * 65536

    head = webhooks.signed_headers(key, "01BIG", int(time.time()), b"")
    try:
        httpx.post(url + "/webhooks/bank", content=body(), headers=head, timeout=10)
    except httpx.HTTPError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500, help="signed deliveries to time")
    args = parser.parse_args(sys.argv[2:] if sys.argv[1:2] == ["receiver_bench"] else sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = KeyStore.open(root / "keys")
        secret = webhooks.new_webhook_secret()
        key = webhooks.decode_secret(secret)
        env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_RECEIVER_TOKEN="bench-token-0123456789")
        argv = [sys.executable, "-m", "cccd", "receiver", "--port", "0", "--db", str(root / "r.db"),
                "--keys", str(keys.directory)]  # fmt: skip
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1]
            port = int(url.rsplit(":", 1)[1])
            profile = load_profiles()["bank"]
            signer = RecordSigner(keys, "urn:bench")
            bodies = []
            for _ in range(args.n):
                record = _record(profile)
                vid = record["verification_id"]
                data = {"verification_id": vid, "record_jws": signer.sign(record, "aud", time.time())}
                bodies.append((vid, json.dumps({"type": "t", "timestamp": "x", "data": data}).encode()))
            client = httpx.Client()
            for _ in range(20):
                client.get(url + "/healthz")
            before = _proc(proc.pid)
            health, posts, rejected = [], [], []
            for _ in range(200):
                t = time.perf_counter()
                client.get(url + "/healthz")
                health.append((time.perf_counter() - t) * 1000)
            for vid, body in bodies:
                head = webhooks.signed_headers(key, vid, int(time.time()), body)
                t = time.perf_counter()
                r = client.post(url + "/webhooks/bank", content=body, headers=head)
                posts.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
                bad = dict(head, **{"webhook-signature": "v1,AAAA"})
                t = time.perf_counter()
                client.post(url + "/webhooks/bank", content=body, headers=bad)
                rejected.append((time.perf_counter() - t) * 1000)
            loaded = _proc(proc.pid)
            attack = [threading.Thread(target=_oversized, args=(port, key)) for _ in range(30)]
            for th in attack:
                th.start()
            for th in attack:
                th.join()
            after_big = _proc(proc.pid)
            attack = [threading.Thread(target=_chunked, args=(url, key)) for _ in range(30)]
            for th in attack:
                th.start()
            for th in attack:
                th.join()
            time.sleep(0.5)
            after_chunked = _proc(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"signed delivery (stored, fsync): p50 {_pct(posts, .5):.2f} ms, p99 {_pct(posts, .99):.2f} ms "
          f"({args.n} sequential, keep-alive)")  # fmt: skip
    print(f"rejected (bad signature): p50 {_pct(rejected, 0.5):.2f} ms, p99 {_pct(rejected, 0.99):.2f} ms")
    print(f"/healthz: p50 {statistics.median(health):.2f} ms, p99 {_pct(health, 0.99):.2f} ms")
    for name, (rss, threads, files) in (("idle", before), (f"after {args.n} deliveries", loaded),
                                        ("after 30 x 16 MB declared bodies", after_big),
                                        ("after 30 x 16 MB chunked bodies", after_chunked)):  # fmt: skip
        print(f"receiver {name}: RSS {rss:.0f} MB, {threads} threads, {files} open files")


if __name__ == "__main__":
    main()

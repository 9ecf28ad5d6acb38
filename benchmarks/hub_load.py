"""Hub load: N kiosks (asyncio clients, one keep-alive connection each) send signed records and heartbeats.

Reports records/s ingested durably (PostgreSQL with fsync on; a 2xx only after the commit), p50/p99
latency, the same load against the ceiling (benchmarks/_hub_ceiling.py: HMAC + one ES256 verify + one
durable INSERT, same uvicorn, same pool size) and the hub's rate as a ratio of it, then fan-out
throughput to the reference receiver (``cccd receiver``, SQLite with synchronous=FULL) with 1 and 2 hub
replicas.  Records are signed before the clock starts (the kiosks' signing is not the hub's cost).
Hub and ceiling runs alternate (``--rounds``, medians reported) and each run also reports the server's
CPU time per record (from /proc), which does not depend on how busy the shared machine is.

    python -m benchmarks.hub_load [--kiosks 200] [--records 15] [--rounds 3] [--pool-size 10] [--rate R]

PostgreSQL: ``CCCD_HUB_DSN`` (a database ``hub_bench`` is created there) or a private cluster in
build/bench-pg, started and stopped here.  Targets (issue 13): ≥ 0.5× the ceiling, never below 500
records/s, p99 ≤ 250 ms, fan-out keeping up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from ulid import ULID

from benchmarks._records import bench_record
from hub import admin, db
from hub.client import enrol
from hub.pgcluster import PgCluster, create_database
from kiosk.connectors import webhooks
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import load_profile
from kiosk.record import (
    KioskIdentity,
)

REPO = Path(__file__).resolve().parents[1]
SITE = "bench-site"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode})")
        try:
            httpx.get(url, timeout=1, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): the server's cost, whatever the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _process(argv: list[str], url: str, what: str, env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_http(url, proc, what)
            yield proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def _database() -> Iterator[str]:
    cluster = None
    admin_dsn = os.environ.get("CCCD_HUB_DSN")
    if not admin_dsn:
        cluster = PgCluster(REPO / "build" / "bench-pg")
        admin_dsn = cluster.start()
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS hub_bench WITH (FORCE)")
        dsn = create_database(admin_dsn, "hub_bench")
        db.migrate(dsn)
        yield dsn
    finally:
        if cluster is not None:
            cluster.stop()


def _record(kiosk_id: str) -> dict[str, Any]:
    kiosk = KioskIdentity(kiosk_id, SITE, "0.1.0", "ACS ACR1252U", "sim")
    return dict(bench_record(load_profile("lodging"), kiosk, subject=None, score=0.8).document)


class Fleet:
    """Enrolled kiosks; :meth:`sign` makes pre-signed record envelopes for each."""

    def __init__(self, hub_url: str, dsn: str, tmp: Path, n: int) -> None:
        self.kiosks: dict[str, dict[str, Any]] = {}
        self.signers: dict[str, RecordSigner] = {}
        with psycopg.connect(dsn, autocommit=True) as conn:
            tokens = [admin.issue_enrol_token(conn, "bench", SITE) for _ in range(n)]
        http = httpx.Client(timeout=30, trust_env=False)
        for i in range(n):
            kid = f"bench-{i:04d}"
            keys = KeyStore.open(tmp / "keys" / kid)
            e = enrol(hub_url, tokens[i], kid, keys, http=http)
            self.kiosks[kid] = {"secret": e.webhook_secret, "jwks": keys.jwks()}
            self.signers[kid] = RecordSigner(keys, f"urn:cccd:kiosk:{kid}", lifetime_seconds=3600)
        http.close()
        self.template = {kid: _record(kid) for kid in self.kiosks}

    def sign(self, per_kiosk: int) -> dict[str, list[tuple[str, bytes]]]:
        out: dict[str, list[tuple[str, bytes]]] = {}
        for kid, signer in self.signers.items():
            bodies = []
            for _ in range(per_kiosk):
                doc = dict(self.template[kid], verification_id=str(ULID()))
                jws = signer.sign(doc, "urn:cccd:lodging:pms", time.time())
                data = {
                    "verification_id": doc["verification_id"],
                    "profile": "lodging",
                    "status": doc["status"],
                    "reasons": [],
                    "record_jws": jws,
                }
                envelope = {
                    "type": "cccd.lodging.guest",
                    "timestamp": doc["times"]["completed"],
                    "data": data,
                }
                bodies.append((doc["verification_id"], json.dumps(envelope, separators=(",", ":")).encode()))
            out[kid] = bodies
        return out


async def _request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> int:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n{head}\r\n".encode()
        + body
    )
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _client(
    port: int,
    kiosk_id: str,
    secret: str,
    bodies: list[tuple[str, bytes]],
    latencies: list[float],
    counts: dict[str, int],
    interval: float = 0.0,
) -> None:
    key = webhooks.decode_secret(secret)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    base = f"/v1/kiosks/{kiosk_id}"
    try:
        if interval:
            await asyncio.sleep(random.uniform(0, interval))  # kiosks are not in step
        next_at = time.perf_counter()
        for i, (vid, body) in enumerate(bodies):
            if interval:  # open loop: a kiosk sends at its pace whatever the answers' latency
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            headers = webhooks.signed_headers(key, vid, int(time.time()), body)
            headers["idempotency-key"] = vid
            t0 = time.perf_counter()
            status = await _request(reader, writer, base + "/webhooks/pms", headers, body)
            latencies.append(time.perf_counter() - t0)
            counts["ok" if 200 <= status < 300 else f"http_{status}"] = (
                counts.get("ok" if 200 <= status < 300 else f"http_{status}", 0) + 1
            )
            if i % 25 == 24:  # a heartbeat now and then (every 60 s in the field)
                hb = json.dumps({"version": "0.1.0", "outbox_backlog": len(bodies) - i}).encode()
                hid = f"hb-{vid}"
                await _request(
                    reader,
                    writer,
                    base + "/heartbeat",
                    webhooks.signed_headers(key, hid, int(time.time()), hb),
                    hb,
                )
                counts["heartbeats"] = counts.get("heartbeats", 0) + 1
    finally:
        writer.close()


def _load(
    port: int,
    fleet: Fleet,
    bodies: dict[str, list[tuple[str, bytes]]],
    rate: float = 0.0,
    pid: int | None = None,
) -> dict[str, Any]:
    """Closed loop (every kiosk sends its next record on the answer) or, with ``rate``, open loop at
    ``rate`` records/s spread over the kiosks."""
    latencies: list[float] = []
    counts: dict[str, int] = {}

    async def run() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(
            *(
                _client(
                    port, k, v["secret"], bodies[k], latencies, counts, len(bodies) / rate if rate else 0.0
                )
                for k, v in fleet.kiosks.items()
            )
        )
        return time.perf_counter() - t0

    cpu0 = _cpu_seconds(pid) if pid else 0.0
    elapsed = asyncio.run(run())
    cpu = (_cpu_seconds(pid) - cpu0) if pid else 0.0
    q = statistics.quantiles(latencies, n=100)
    return {
        "records_per_s": round(counts.get("ok", 0) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "seconds": round(elapsed, 2),
        "server_cpu_ms_per_record": round(1000 * cpu / max(1, counts.get("ok", 0)), 2),
        "counts": counts,
    }


def _hub_argv(dsn: str, port: int, tmp: Path, workers: int, pool: int, name: str) -> list[str]:
    cfg = tmp / f"{name}.toml"
    cfg.write_text(
        f"[hub]\npool_size = {pool}\nworkers = {workers}\nworker_concurrency = 16\nworker_batch = 64\n"
        f'keys_dir = "{tmp / "hub-keys"}"\nlog_level = "warning"\nreplica_id = "{name}"\n'
    )
    return [
        sys.executable,
        "-m",
        "cccd",
        "hub",
        "--config",
        str(cfg),
        "--dsn",
        dsn,
        "serve",
        "--port",
        str(port),
    ]


def _drain(dsn: str, total: int, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()
        if row is not None and row[0] >= total:
            return time.perf_counter() - t0
        time.sleep(0.2)
    raise RuntimeError("fan-out did not drain in time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--records", type=int, default=15, help="records per kiosk and run")
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternating hub/ceiling runs (median)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered load of the latency run (default: half the saturated rate)",
    )
    args = parser.parse_args([] if argv is None else argv)
    secret = webhooks.new_webhook_secret()
    env = dict(os.environ, PYTHONPATH=str(REPO), CCCD_WEBHOOK_SECRET=secret)
    env.pop("CCCD_HUB_DSN", None)
    with tempfile.TemporaryDirectory(prefix="cccd-hub-bench-") as t, _database() as dsn:
        tmp = Path(t)
        rport = _free_port()
        hub_keys = KeyStore.open(tmp / "hub-keys")
        with psycopg.connect(dsn, autocommit=True) as conn:
            admin.add_site(conn, "bench", SITE, "Bench", "lodging", f"http://127.0.0.1:{rport}")
        port, cport = _free_port(), _free_port()
        with ExitStack() as stack:
            hub_pid = stack.enter_context(
                _process(
                    _hub_argv(dsn, port, tmp, 0, args.pool_size, "ingest"),
                    f"http://127.0.0.1:{port}/health",
                    "hub",
                    env,
                    tmp / "hub.log",
                )
            )
            print(
                f"enrolling {args.kiosks} kiosks, signing {args.kiosks * args.records * (args.rounds + 1)} "
                "records ...",
                flush=True,
            )
            fleet = Fleet(f"http://127.0.0.1:{port}", dsn, tmp, args.kiosks)
            (tmp / "kiosks.json").write_text(json.dumps(fleet.kiosks))
            ceiling_argv = [
                sys.executable,
                "-m",
                "benchmarks._hub_ceiling",
                "--dsn",
                dsn,
                "--kiosks",
                str(tmp / "kiosks.json"),
                "--port",
                str(cport),
                "--pool-size",
                str(args.pool_size),
            ]
            ceiling_pid = stack.enter_context(
                _process(ceiling_argv, f"http://127.0.0.1:{cport}/", "ceiling", env, tmp / "ceiling.log")
            )
            sets = [fleet.sign(args.records) for _ in range(args.rounds)]
            paced_bodies = fleet.sign(args.records)
            hubs, ceilings = [], []
            for r, bodies in enumerate(sets):  # alternate, so neither side gets the quieter moments
                hubs.append(_load(port, fleet, bodies, pid=hub_pid))
                ceilings.append(_load(cport, fleet, bodies, pid=ceiling_pid))
                print(f"round {r + 1}: hub {hubs[-1]}\n         ceiling {ceilings[-1]}", flush=True)
            hub_rate = round(statistics.median(h["records_per_s"] for h in hubs), 1)
            ceiling_rate = round(statistics.median(c["records_per_s"] for c in ceilings), 1)
            rate = args.rate or max(50.0, round(hub_rate * 0.5))
            paced = _load(port, fleet, paced_bodies, rate, pid=hub_pid)
        total = sum(h["counts"].get("ok", 0) for h in hubs) + paced["counts"].get("ok", 0)
        print(
            f"hub ingest, median of {args.rounds} ({args.kiosks} kiosks): {hub_rate} records/s; "
            f"p50 {round(statistics.median(h['p50_ms'] for h in hubs), 1)} ms, "
            f"p99 {round(statistics.median(h['p99_ms'] for h in hubs), 1)} ms"
        )
        print(f"ceiling, median of {args.rounds}: {ceiling_rate} records/s")
        hub_cpu = round(statistics.median(h["server_cpu_ms_per_record"] for h in hubs), 2)
        ceiling_cpu = round(statistics.median(c["server_cpu_ms_per_record"] for c in ceilings), 2)
        print(
            f"server CPU per record: hub {hub_cpu} ms, ceiling {ceiling_cpu} ms "
            f"(ratio {ceiling_cpu / max(hub_cpu, 1e-9):.2f}; independent of the machine's load)"
        )
        print(f"ratio hub/ceiling: {hub_rate / max(ceiling_rate, 1e-9):.2f}")
        print(f"hub at an offered {rate:.0f} records/s (open loop, {args.kiosks} kiosks): {paced}")
        (tmp / "hub-jwks.json").write_text(json.dumps(hub_keys.jwks()))
        for replicas in (1, 2):
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_at = now(), lease_until = NULL"
                )
            rdb = tmp / f"receiver-{replicas}.db"
            receiver = [
                sys.executable,
                "-m",
                "cccd",
                "receiver",
                "--port",
                str(rport),
                "--db",
                str(rdb),
                "--jwks",
                str(tmp / "hub-jwks.json"),
            ]
            with _process(
                receiver, f"http://127.0.0.1:{rport}/healthz", "receiver", env, tmp / "receiver.log"
            ):
                ports = [_free_port() for _ in range(replicas)]
                procs = [
                    subprocess.Popen(
                        _hub_argv(dsn, p, tmp, 1, args.pool_size, f"fanout-{i}"),
                        cwd=REPO,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for i, p in enumerate(ports)
                ]
                try:
                    seconds = _drain(dsn, total)
                finally:
                    for p in procs:
                        p.terminate()
                        p.wait(30)
            print(
                f"fan-out with {replicas} replica(s): {total} deliveries in {seconds:.1f} s = "
                f"{total / seconds:.0f}/s (including replica start-up)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

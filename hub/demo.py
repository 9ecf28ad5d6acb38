"""The fleet demo (``cccd hub demo``, ``make demo-hub``): a private PostgreSQL, the hub, the reference
receiver, three kiosks (hospital, bank, lodging) running every headless scenario and delivering through
the hub; then the console's URL and a sign-in (docs/hub.md, "Demo").

Everything runs as separate processes on loopback ports: ``cccd hub serve``, ``cccd receiver``,
``cccd kiosk --headless --sim`` (each with its fleet agent: heartbeats every 2 s and the site's bundle,
``--hub-enrolment``).  State lives in ``--dir`` (default build/hub-demo), fresh every run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from hub import admin, db
from hub.client import enrol
from hub.pgcluster import PgCluster, create_database
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore

KIOSKS = (
    ("hospital", "bv-bach-mai", "Bệnh viện Bạch Mai"),
    ("bank", "nh-hoan-kiem", "Ngân hàng — CN Hoàn Kiếm"),
    ("lodging", "ks-ho-guom", "Khách sạn Hồ Gươm"),
)


HEARTBEAT_SECONDS = 2.0  # the kiosks' fleet agents report this often in the demo (60 s when deployed)


class DemoError(Exception):
    """A demo step failed (the message says which)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cccd(*args: str) -> list[str]:
    return [sys.executable, "-m", "cccd", *args]


@contextmanager
def _service(argv: list[str], health: str, env: dict[str, str], log: Path, what: str) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(health, timeout=1, trust_env=False).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise DemoError(f"{what} did not start (see {log})")
                time.sleep(0.1)
            yield
        finally:
            _stop(proc)


def run(directory: Path, wait: bool, scenario: str = "all") -> int:
    if directory.exists():
        for sub in ("kiosks", "hub-keys", "receiver.db"):
            path = directory / sub
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    cluster = PgCluster(directory / "pg")
    print("hub demo: starting PostgreSQL ...", flush=True)
    admin_dsn = cluster.start()
    try:
        return _with_database(directory, admin_dsn, wait, scenario)
    finally:
        cluster.stop()
        print("hub demo: PostgreSQL stopped", flush=True)


def _with_database(directory: Path, admin_dsn: str, wait: bool, scenario: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cccd_hub_demo WITH (FORCE)")
    dsn = create_database(admin_dsn, "cccd_hub_demo")
    db.migrate(dsn)
    fanout_secret = new_webhook_secret()
    password = secrets.token_urlsafe(9)
    hub_keys = KeyStore.open(directory / "hub-keys")
    (directory / "hub-jwks.json").write_text(json.dumps(hub_keys.jwks()))
    base_env = {k: v for k, v in os.environ.items() if k != "CCCD_HUB_DSN"}
    read_token = secrets.token_urlsafe(24)  # the reference receiver's reads (/stats) need a bearer token
    env = dict(base_env, CCCD_WEBHOOK_SECRET=fanout_secret, CCCD_RECEIVER_TOKEN=read_token)
    rport, hport = _free_port(), _free_port()
    receiver_url, hub_url = f"http://127.0.0.1:{rport}", f"http://127.0.0.1:{hport}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        for profile, site, name in KIOSKS:
            admin.add_site(conn, "demo", site, name, profile, receiver_url)
        admin.add_operator(conn, "demo", "admin", password, "fleet_admin", None, "vi")
    cfg = directory / "hub.toml"
    cfg.write_text(f'[hub]\nkeys_dir = "{directory / "hub-keys"}"\nworkers = 1\nlog_level = "warning"\n')
    with ExitStack() as stack:
        stack.enter_context(
            _service(
                _cccd(
                    "receiver",
                    "--port",
                    str(rport),
                    "--db",
                    str(directory / "receiver.db"),
                    "--jwks",
                    str(directory / "hub-jwks.json"),
                ),
                f"{receiver_url}/healthz",
                env,
                directory / "receiver.log",
                "the receiver",
            )
        )
        stack.enter_context(
            _service(
                _cccd("hub", "--config", str(cfg), "serve", "--port", str(hport)),
                f"{hub_url}/health",
                dict(env, CCCD_HUB_DSN=dsn),  # not on the command line: the DSN carries the password
                directory / "hub.log",
                "the hub",
            )
        )
        print(f"hub demo: hub {hub_url}, receiver {receiver_url}", flush=True)
        made = _kiosks(directory, dsn, hub_url, base_env, scenario, stack if wait else None)
        stats = _wait_for_fanout(dsn, receiver_url, made, read_token)
        _print_fleet(dsn)
        print(
            f"hub demo: {made} records stored once at the hub; the receiver stored "
            f"{stats.get('distinct_verifications')} ({stats.get('per_endpoint')}), "
            f"{stats.get('duplicates')} duplicates",
            flush=True,
        )
        print(
            f"\nconsole: {hub_url}/console/   sign in as admin / {password}\n"
            f"API: {hub_url}/openapi.json   metrics: {hub_url}/metrics",
            flush=True,
        )
        if wait:
            print("(Ctrl-C stops the hub, the receiver and PostgreSQL)", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


def _kiosks(directory: Path, dsn: str, hub_url: str, env: dict[str, str], scenario: str,
            stay: ExitStack | None = None) -> int:  # fmt: skip
    """Enrol and run the three kiosks; the records they made.  ``stay``: the kiosks stay up after their
    runs (``cccd kiosk --stay``: their fleet agents go on reporting, so the console shows them online) and
    are stopped when ``stay`` closes."""
    procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    for profile, site, _ in KIOSKS:
        kiosk_id = f"{site}-01"
        data = directory / "kiosks" / kiosk_id
        with psycopg.connect(dsn, autocommit=True) as conn:
            token = admin.issue_enrol_token(conn, "demo", site, 1)
        enrolment = enrol(hub_url, token, kiosk_id, KeyStore.open(data / "keys"), "cccd-kiosk/0.1")
        enrolment.save(data / "hub-enrolment.json")  # the kiosk's fleet agent reports with it (hub/agent.py)
        kenv = dict(env, CCCD_WEBHOOK_SECRET=enrolment.webhook_secret)
        argv = _cccd("kiosk", "--headless", "--sim", "--profile", profile, "--scenario", scenario,
                     "--face", "ground-truth", "--json", "--data-dir", str(data), "--device-id", kiosk_id,
                     "--site-id", site, "--deliver-to", f"{hub_url}/v1/kiosks/{kiosk_id}",
                     "--hub-enrolment", str(data / "hub-enrolment.json"),
                     "--hub-interval", str(HEARTBEAT_SECONDS))  # fmt: skip
        if stay is not None:
            argv.append("--stay")
        log = data / "kiosk.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(argv, env=kenv, stdout=subprocess.PIPE, stderr=err)  # noqa: S603
        if stay is not None:
            stay.callback(_stop, proc)
        procs.append((kiosk_id, proc, log))
        print(
            f"hub demo: kiosk {kiosk_id} ({profile}) enrolled at site {site}, running its scenarios",
            flush=True,
        )
    made = 0
    for kiosk_id, proc, log in procs:
        assert proc.stdout is not None
        code: int | None = None
        for raw in proc.stdout:  # until the kiosk exits or, staying, says so
            item = json.loads(raw)
            made += bool(item.get("verification_id"))
            if item.get("staying"):
                code = int(item.get("exit_code", 0))
                break
        if code is None:
            code = proc.wait(600)
        if code != 0:
            raise DemoError(f"kiosk {kiosk_id} failed: {log.read_text(errors='replace')[-500:]}")
    return made


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """A server or a staying kiosk: SIGTERM (a kiosk's agent sends a last heartbeat), then its pipe closed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _print_fleet(dsn: str) -> None:
    """Each kiosk as its own fleet agent reported it (heartbeats; the console's fleet table)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT k.kiosk_id, k.software_version, k.last_heartbeat, "
            "k.last_seen > now() - interval '180 s', "
            "(SELECT count(*) FROM heartbeats h WHERE h.kiosk_id = k.kiosk_id) FROM kiosks k ORDER BY 1"
        ).fetchall()
    for kiosk_id, version, beat, online, beats in rows:
        beat = beat or {}
        print(
            f"hub demo: kiosk {kiosk_id} {'online' if online else 'offline'}, {version}, {beats} heartbeats "
            f"from its fleet agent, outbox backlog {beat.get('outbox_backlog', '-')}, "
            f"bundle {'refused' if beat.get('bundle_error') else beat.get('bundle_etag', '-')}",
            flush=True,
        )


def _wait_for_fanout(dsn: str, receiver_url: str, made: int, read_token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT count(*), (SELECT count(*) FROM outbox WHERE state <> 'sent') FROM records"
            ).fetchone()
        if row is not None and row[0] >= made and row[1] == 0:
            break
        time.sleep(0.3)
    else:
        raise DemoError("the hub's fan-out did not finish in 2 minutes")
    stats: dict[str, Any] = httpx.get(f"{receiver_url}/stats", trust_env=False, timeout=5,
                                      headers={"authorization": f"Bearer {read_token}"}).json()
    return stats

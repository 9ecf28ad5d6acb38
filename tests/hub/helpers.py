"""A hub replica served by uvicorn on a loopback port in a thread, and kiosks that enrol with it."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from hub import admin
from hub.app import create_app
from hub.client import Enrolment, HubClient, enrol
from hub.config import HubSettings
from kiosk.connectors import DeliveryContext, DeliveryResult, build_connector
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import load_profile
from kiosk.record import BiometricImages, KioskIdentity, VerificationRecord
from tests.helpers.delivery import KIOSK, make_record


class RunningHub:
    def __init__(self, settings: HubSettings, background: bool = False, port: int = 0) -> None:
        self.settings = settings
        self.app = create_app(settings, background=background)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # a port of an earlier replica: the same hub back after an outage
        self.port = int(sock.getsockname()[1])
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the hub did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


def settings_for(dsn: str, tmp: Path, **kw: Any) -> HubSettings:
    values: dict[str, Any] = {"pool_size": 4, "workers": 0}
    values.update(kw)
    return HubSettings(dsn=dsn, keys_dir=str(tmp / "hub-keys"), **values)


def add_site(
    dsn: str, site_id: str = "site-hn-01", profile: str = "hospital", deliver_to: str | None = None
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        admin.add_site(conn, "test", site_id, f"Site {site_id}", profile, deliver_to)


def token(dsn: str, site_id: str = "site-hn-01") -> str:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return admin.issue_enrol_token(conn, "test", site_id)


class Kiosk:
    """An enrolled kiosk: its key store, enrolment and signed-request client."""

    def __init__(
        self,
        hub: RunningHub | str,
        dsn: str,
        tmp: Path,
        kiosk_id: str = KIOSK.device_id,
        site_id: str = KIOSK.site_id,
    ) -> None:
        self.keys = KeyStore.open(tmp / f"keys-{kiosk_id}")
        self.identity: KioskIdentity = replace(KIOSK, device_id=kiosk_id, site_id=site_id)
        url = hub if isinstance(hub, str) else hub.url
        self.enrolment: Enrolment = enrol(url, token(dsn, site_id), kiosk_id, self.keys, "0.1.0")
        self.client = HubClient(self.enrolment)
        self.secret_file = tmp / f"secret-{kiosk_id}"
        self.secret_file.write_text(self.enrolment.webhook_secret)
        self.secret_file.chmod(0o600)

    def close(self) -> None:
        self.client.close()


def deliver(
    kiosk: Kiosk,
    record: VerificationRecord,
    connector: str = "his",
    signer_keys: KeyStore | None = None,
    hub_url: str | None = None,
    images: BiometricImages | None = None,
) -> DeliveryResult:
    """The kiosk's own connector (kiosk.connectors) delivering ``record`` to the hub."""
    profile = load_profile(record.profile)
    settings = replace(profile.connector(connector), webhook_secret=f"file:{kiosk.secret_file}")
    signer = RecordSigner(signer_keys or kiosk.keys, f"urn:cccd:kiosk:{kiosk.identity.device_id}")
    to = kiosk.client.deliver_to if hub_url is None else f"{hub_url}/v1/kiosks/{kiosk.identity.device_id}"
    conn = build_connector(settings, profile, signer, to)
    try:
        return conn.deliver(DeliveryContext(record.verification_id, record.document, images, time.time()))
    finally:
        conn.close()


def record_for(kiosk: Kiosk, profile: str = "hospital", **kw: Any) -> VerificationRecord:
    return make_record(load_profile(profile), kiosk=kiosk.identity, **kw)

"""A real receiver (receiver/ on uvicorn) on a free loopback port, with small limits where needed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.connectors import webhooks
from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile, load_profiles
from receiver import KeySource, Limits, ReceiverConfig, ReceiverServer, ReceiverStore
from tests.helpers.delivery import make_record

TOKEN = "receiver-test-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}


class Running:
    def __init__(self, db: Path, keys: KeyStore, secret: str, limits: Limits) -> None:
        self.store = ReceiverStore(db)
        self.secret = secret
        source = KeySource(key_store=keys.directory)
        config = ReceiverConfig(self.store, webhooks.decode_secret(secret), source, None, TOKEN, limits)
        self.server = ReceiverServer("127.0.0.1", 0, config)
        self.server.start()
        self.url, self.port = self.server.url, self.server.port

    def post(self, path: str, payload: Any, msg_id: str, method: str = "POST",
             headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = webhooks.signed_headers(webhooks.decode_secret(self.secret), msg_id, int(time.time()), body)
        return httpx.request(method, self.url + path, content=body, headers={**signed, **(headers or {})})

    def stop(self) -> None:
        self.server.shutdown()
        self.store.close()


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return load_profiles()


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore.open(tmp_path / "keys")


@pytest.fixture
def start(tmp_path: Path, keys: KeyStore) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def make(**limits: Any) -> Running:
        r = Running(tmp_path / f"receiver{len(started)}.db", keys, new_webhook_secret(), Limits(**limits))
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


@pytest.fixture
def rx(start: Callable[..., Running]) -> Running:
    return start()


def signed_envelope(
    keys: KeyStore, profile: Profile, **data: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(verification ID, webhook envelope, the signed record) as the kiosk's connectors send it."""
    record = dict(make_record(profile).document)
    token = RecordSigner(keys, "urn:test").sign(record, "aud", time.time())
    vid = record["verification_id"]
    body = {"verification_id": vid, "profile": record["profile"], "status": record["status"],
            "record_jws": token, **data}  # fmt: skip
    return vid, {"type": "t", "timestamp": "x", "data": body}, record

"""Fixtures for delivery and records tests: key store, webhook secret, stores, an in-process receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore
from kiosk.profiles import Profile, load_profiles
from kiosk.storage import KioskStore
from tests.kiosk.delivery.helpers import RunningReceiver


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return load_profiles()


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore.open(tmp_path / "keys")


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = new_webhook_secret()
    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", value)
    return value


@pytest.fixture
def store(tmp_path: Path, keys: KeyStore) -> Iterator[KioskStore]:
    s = KioskStore(tmp_path / "kiosk.db", keys)
    yield s
    s.close()


@pytest.fixture
def receiver(tmp_path: Path, keys: KeyStore, secret: str) -> Iterator[RunningReceiver]:
    r = RunningReceiver(tmp_path / "receiver.db", keys.directory, secret)
    yield r
    r.stop()

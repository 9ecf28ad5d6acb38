"""Heartbeats, replays, configuration bundles, /health, /metrics and the OpenAPI document."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from joserfc.jwk import KeySet

from hub import admin, bundle
from hub.client import HubClientError
from kiosk.connectors import webhooks
from kiosk.keys import KeyStore
from tests.hub.helpers import Kiosk, RunningHub, add_site, settings_for


@pytest.fixture
def hub(clean_db: str, tmp_path: Path) -> Iterator[RunningHub]:
    add_site(clean_db)
    h = RunningHub(settings_for(clean_db, tmp_path))
    yield h
    h.stop()


@pytest.fixture
def kiosk(hub: RunningHub, clean_db: str, tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(hub, clean_db, tmp_path)
    yield k
    k.close()


def test_heartbeat_updates_last_seen(kiosk: Kiosk, clean_db: str) -> None:
    answer = kiosk.client.heartbeat(
        {
            "version": "0.2.0",
            "outbox_backlog": 3,
            "reader": {"model": "ACR1252U", "ok": True},
            "last_errors": ["reader timeout"],
        }
    )
    assert answer["ok"] and answer["next_in"] == 60 and answer["bundle_etag"].startswith('"')
    with psycopg.connect(clean_db) as conn:
        row = conn.execute(
            "SELECT software_version, last_seen IS NOT NULL, last_heartbeat FROM kiosks"
        ).fetchone()
    assert row is not None and row[0] == "0.2.0" and row[1] and row[2]["outbox_backlog"] == 3


@pytest.mark.parametrize(
    "status", [{"outbox_backlog": -1}, {"outbox_backlog": "3"}, {"surprise": 1}, {"last_errors": ["x"] * 21}]
)
def test_bad_heartbeat_refused(kiosk: Kiosk, status: dict[str, object]) -> None:
    with pytest.raises(HubClientError) as err:
        kiosk.client.heartbeat(status)
    assert err.value.status == 400


def test_replayed_request_refused(kiosk: Kiosk) -> None:
    body = b'{"version":"1"}'
    headers = webhooks.signed_headers(
        webhooks.decode_secret(kiosk.enrolment.webhook_secret), "req-1", int(time.time()), body
    )
    url = kiosk.client.deliver_to + "/heartbeat"
    assert httpx.post(url, content=body, headers=headers, trust_env=False).status_code == 200
    again = httpx.post(url, content=body, headers=headers, trust_env=False)
    assert again.status_code == 409 and "replayed" in again.json()["error"]


def test_bundle_signed_with_etag(kiosk: Kiosk, clean_db: str, tmp_path: Path) -> None:
    content, etag = kiosk.client.bundle()
    assert content is not None and content["profile"]["name"] == "hospital" and content["version"] == 1
    assert "[profile]" in content["profile"]["toml"]
    same, etag2 = kiosk.client.bundle(etag)
    assert same is None and etag2 == etag  # 304
    with psycopg.connect(clean_db, autocommit=True) as conn:
        admin.update_site_bundle(
            conn,
            "test",
            "site-hn-01",
            settings={"language": "en"},
            trust_store=[{"name": "csca-vn", "kind": "csca", "der_b64": "MAA="}],
        )
    changed, etag3 = kiosk.client.bundle(etag)
    assert changed is not None and etag3 != etag and changed["settings"] == {"language": "en"}
    # a bundle signed by anyone but the hub is refused by the kiosk
    token = bundle.sign(KeyStore.open(tmp_path / "impostor"), changed)
    with pytest.raises(bundle.BundleError):
        bundle.verify(token, KeySet.import_key_set(kiosk.enrolment.hub_jwks))  # type: ignore[arg-type]


def test_heartbeat_etag_follows_the_bundle(kiosk: Kiosk, clean_db: str) -> None:
    """The heartbeat's bundle_etag (cached per replica and site) is the bundle's, before and after changes."""
    first = kiosk.client.heartbeat({"version": "1"})["bundle_etag"]
    assert kiosk.client.heartbeat({"version": "1"})["bundle_etag"] == first == kiosk.client.bundle()[1]
    with psycopg.connect(clean_db, autocommit=True) as conn:
        admin.update_site_bundle(conn, "test", "site-hn-01", settings={"language": "en"})
    changed = kiosk.client.heartbeat({"version": "1"})["bundle_etag"]
    assert changed != first and changed == kiosk.client.bundle()[1]


def test_health_metrics_openapi(hub: RunningHub, kiosk: Kiosk) -> None:
    health = httpx.get(f"{hub.url}/health", trust_env=False)
    assert health.status_code == 200 and health.json()["ok"] is True
    kiosk.client.heartbeat({"version": "1"})
    metrics = httpx.get(f"{hub.url}/metrics", trust_env=False).text
    assert "hub_heartbeats_total 1.0" in metrics and 'hub_kiosks{state="online"} 1.0' in metrics
    spec = httpx.get(f"{hub.url}/openapi.json", trust_env=False).json()
    for path in (
        "/v1/enrol",
        "/v1/kiosks/{kiosk_id}/webhooks/{connector}",
        "/v1/kiosks/{kiosk_id}/heartbeat",
        "/v1/kiosks/{kiosk_id}/bundle",
        "/v1/kiosks/{kiosk_id}/keys",
        "/v1/jwks",
        "/health",
        "/metrics",
    ):
        assert path in spec["paths"], path
    ingest = spec["paths"]["/v1/kiosks/{kiosk_id}/webhooks/{connector}"]["post"]
    assert {p["name"] for p in ingest["parameters"]} >= {"webhook-id", "webhook-signature"}

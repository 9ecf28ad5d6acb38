"""The kiosk side of configuration bundles: the last good bundle is kept, a bad one refused and reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from cccd.cli import main
from hub import admin
from hub.client import BundleCache, HubClient
from kiosk.keys import KeyStore
from tests.hub.helpers import Kiosk, RunningHub, add_site, settings_for


@pytest.fixture
def kiosk(clean_db: str, tmp_path: Path) -> Iterator[Kiosk]:
    add_site(clean_db)
    hub = RunningHub(settings_for(clean_db, tmp_path))
    k = Kiosk(hub, clean_db, tmp_path)
    yield k
    k.close()
    hub.stop()


def test_last_good_bundle_is_kept(kiosk: Kiosk, clean_db: str, tmp_path: Path) -> None:
    cache = BundleCache(tmp_path / "bundle")
    assert cache.refresh(kiosk.client) is True and cache.current()[0]["version"] == 1  # type: ignore[index]
    assert cache.refresh(kiosk.client) is False and cache.last_error is None  # 304
    assert (tmp_path / "bundle" / "bundle.json").stat().st_mode & 0o777 == 0o600
    # the hub's key as the kiosk knows it is not the one that signs: the bundle is refused, v1 stays
    impostor = replace(kiosk.enrolment, hub_jwks=KeyStore.open(tmp_path / "other").jwks())
    with psycopg.connect(clean_db, autocommit=True) as conn:
        admin.update_site_bundle(conn, "test", kiosk.identity.site_id, settings={"language": "en"})
    fooled = HubClient(impostor)
    try:
        assert cache.refresh(fooled) is False
    finally:
        fooled.close()
    assert "signature" in (cache.last_error or "") and cache.current()[0]["version"] == 1  # type: ignore[index]
    assert cache.reported_error()
    # the real hub key: version 2 is taken and the error cleared
    assert cache.refresh(kiosk.client) is True and cache.current()[0]["version"] == 2  # type: ignore[index]
    assert cache.reported_error() is None


def test_pull_and_heartbeat_commands(
    kiosk: Kiosk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    enrolment = tmp_path / "enrolment.json"
    kiosk.enrolment.save(enrolment)
    bundle_dir = tmp_path / "bundle"
    assert main(["hub", "pull", "--enrolment", str(enrolment), "--dir", str(bundle_dir)]) == 0
    assert "bundle updated: version 1" in capsys.readouterr().out
    assert (
        main(["hub", "heartbeat", "--enrolment", str(enrolment), "--dir", str(bundle_dir), "--backlog", "2"])
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] and answer["bundle_outdated"] is False
    assert main(["hub", "heartbeat", "--enrolment", str(tmp_path / "missing.json")]) == 2

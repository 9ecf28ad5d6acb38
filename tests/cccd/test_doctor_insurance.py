"""The BHXH gateway among the kiosk's checks (docs/insurance.md): the operator screen's live checks reach it
(a real loopback server, sims.bhxh), and name it when it is gone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cccd.config import LoadedConfig
from cccd.doctor import LiveChecks
from kiosk.config import KioskSettings
from kiosk.health import Check
from kiosk.insurance import BhxhSettings
from sims.bhxh import BhxhServer


def _loaded(url: str, tmp_path: Path) -> LoadedConfig:
    gateway = BhxhSettings(url, "01001_BV", "env:A", "env:B", "env:C", "79001")
    settings = dataclasses.replace(KioskSettings(), data_dir=tmp_path, insurance=gateway)
    return LoadedConfig(settings, None, "test")


def _checks(loaded: LoadedConfig) -> dict[str, Check]:
    return {c.name: c for c in LiveChecks(loaded, sim=True, reader=None, camera=0).compute()}


def test_live_checks_reach_the_gateway_and_name_it_when_it_is_gone(tmp_path: Path) -> None:
    with BhxhServer() as server:
        url = server.url
        assert _checks(_loaded(url, tmp_path))["endpoint:bhxh"].ok
    gone = _checks(_loaded(url, tmp_path))["endpoint:bhxh"]
    assert not gone.ok and "cccd doctor" in gone.fix
    plain = LoadedConfig(dataclasses.replace(KioskSettings(), data_dir=tmp_path), None, "test")
    assert "endpoint:bhxh" not in _checks(plain)

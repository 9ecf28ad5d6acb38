"""cccd/fleet.py without a hub: a bundle swaps the profile, trust store and languages between transactions,
and keeps what the kiosk's own configuration and hardware decide (its BHYT gateway, its reader camera)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cccd.compose import KioskConfig
from cccd.fleet import FleetLink
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from hub.bundle import profile_text
from hub.kioskbundle import read_bundle
from kiosk.flow.model import State


def test_a_bundle_keeps_the_kiosks_reader_camera_and_insurance_check(tmp_path: Path) -> None:
    sc = SCENARIOS["card_on_reader"]
    kiosk, card = build_scenario_kiosk(sc, "hospital", KioskConfig(tmp_path / "data"))
    try:
        local = dataclasses.replace(kiosk.driver.config, checks_insurance=True)
        kiosk.driver.reconfigure(local)
        link = FleetLink(kiosk, tmp_path / "data")
        bundle = read_bundle({"site_id": "s", "version": 2, "settings": {"language": "en"}, "trust_store": [],
                              "profile": {"name": "hospital", "toml": profile_text("hospital")}})  # fmt: skip
        link.offer(bundle)
        link.apply_pending()
        config = kiosk.driver.config
        assert link.active is bundle and config.languages == ("en", "vi")
        assert config.reader_camera and config.checks_insurance
        kiosk.driver.reconfigure(dataclasses.replace(config, checks_insurance=False))  # no gateway here
        r = run_flow(kiosk, ScriptedUser(sc, card), sc)  # the card laid once still gives the key
        assert r.outcome == "verified" and kiosk.driver.state is State.ATTRACT
        assert r.path[r.path.index("key_entry") + 1] == "place_card" and "reading" in r.path
        link.close()
    finally:
        kiosk.close()

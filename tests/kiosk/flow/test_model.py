"""kiosk/flow/model.py: a new version of the profile keeps what the kiosk itself decides."""

from __future__ import annotations

from dataclasses import fields, replace

from kiosk.flow.model import KIOSK_FIELDS, FlowConfig, Limits, Timeouts, reader_scan
from kiosk.profiles import load_profile


def test_with_profile_takes_the_profile_and_keeps_the_kiosks_own_fields() -> None:
    mine = replace(FlowConfig.from_profile(load_profile("hospital")), languages=("en", "vi"),
                   checks_insurance=True, reader_camera=True, timeouts=Timeouts(consent=5.0),
                   limits=Limits(card_placements=9))  # fmt: skip
    bank = load_profile("bank")
    other = mine.with_profile(bank)
    assert {name: getattr(other, name) for name in KIOSK_FIELDS} == {
        name: getattr(mine, name) for name in KIOSK_FIELDS}  # fmt: skip
    fresh = FlowConfig.from_profile(bank)
    profile_fields = [f.name for f in fields(FlowConfig) if f.name not in KIOSK_FIELDS]
    assert all(getattr(other, n) == getattr(fresh, n) for n in profile_fields) and other.kind == "bank"


def test_the_reader_camera_scans_until_the_chip_refuses_a_key() -> None:
    c = FlowConfig.from_profile(load_profile("hospital"))
    assert not reader_scan(c, 0)
    on_reader = replace(c, reader_camera=True)
    assert reader_scan(on_reader, 0) and not reader_scan(on_reader, 1)

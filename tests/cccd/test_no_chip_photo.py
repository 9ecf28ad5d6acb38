"""A card whose chip holds no face photo (the 2024 model for children under 6: Circular 16/2024/TT-BCA,
docs/card-2024.md; the simulated ``card2024_infant``) end to end, headless, in every profile: the chip's
verdict stays what the reader found (``inconclusive``, ``IDENTITY_DATA_MISSING``: a genuine signature over
a chip without a face proves nobody), and the person is sent to the counter with a reason of its own,
``NO_CHIP_PHOTO``, and its own message — not the generic "card not accepted"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cccd.compose import KioskConfig
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.flow.model import Reason
from kiosk.flow.outcomes import ChipOutcome
from kiosk.flow.views import FallbackView
from ui.i18n import Catalog

INFANT = dataclasses.replace(SCENARIOS["happy"], name="no_chip_photo", card="card2024_infant",
                             expect="NO_CHIP_PHOTO")  # fmt: skip


@pytest.mark.parametrize("profile", ["hospital", "bank", "lodging", "public_service"])
def test_a_chip_without_a_face_goes_to_the_counter_with_its_own_reason(profile: str, tmp_path: Path) -> None:
    kiosk, card = build_scenario_kiosk(INFANT, profile, KioskConfig(tmp_path, relay_interval=0))
    chips: list[ChipOutcome] = []
    views: list[FallbackView] = []

    def watch(s: object) -> None:
        chip = getattr(s, "chip", None)
        if chip is not None:
            chips.append(chip)
        view = kiosk.driver.view()
        if isinstance(view, FallbackView):
            views.append(view)

    try:
        result = run_flow(kiosk, ScriptedUser(INFANT, card), INFANT, on_state=watch)
        records = kiosk.store.records(kiosk.profile.name)
    finally:
        kiosk.close()
    assert result.outcome == Reason.NO_CHIP_PHOTO.value
    # the chip's own verdict is unchanged: genuine signature, no face: inconclusive, never authentic
    assert result.chip_verdict == "inconclusive" and "IDENTITY_DATA_MISSING" in result.chip_reasons
    assert chips and chips[0].without_face_image and chips[0].photo is None
    assert "face_capture" not in result.path  # no camera for a face there is nothing to compare with
    assert {v.message_key for v in views} == {"fallback.no_chip_photo"}
    assert views[0].reason == "NO_CHIP_PHOTO" and "IDENTITY_DATA_MISSING" in views[0].detail
    catalog = Catalog.load()
    assert "dưới 6 tuổi" in catalog.text("fallback.no_chip_photo", "vi")
    assert "under 6" in catalog.text("fallback.no_chip_photo", "en")
    (record,) = records
    assert record["status"] == "referred" and "NO_CHIP_PHOTO" in record["reasons"]


def test_a_card_with_a_photo_is_not_affected(tmp_path: Path) -> None:
    adult = dataclasses.replace(SCENARIOS["happy"], card="card2024_adult")
    kiosk, card = build_scenario_kiosk(adult, "hospital", KioskConfig(tmp_path, relay_interval=0))
    try:
        result = run_flow(kiosk, ScriptedUser(adult, card), adult)
    finally:
        kiosk.close()
    assert result.outcome == "verified" and result.chip_verdict == "authentic"

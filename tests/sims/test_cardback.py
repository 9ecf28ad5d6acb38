"""The simulated card back (sims.cardback): the size of an ID-1 card, the MRZ in OCR-B, deterministic."""

from __future__ import annotations

import numpy as np

from sims.cardback import (
    CARD_MM,
    FRAME_SIZE,
    OCRB_FONTS,
    PX_PER_MM,
    Degradation,
    camera_frame,
    mild,
    random_people,
    render_card_back,
)
from sims.people import load_profile


def test_the_ocr_b_font_is_installed() -> None:
    """scripts/ensure-system.sh installs fonts-ocr-b; without it the card backs are not ICAO-like."""
    assert OCRB_FONTS[0].is_file()


def test_card_back_has_id1_size_and_frames_are_bgr_webcam_frames() -> None:
    card = render_card_back(load_profile("elderly"))
    assert card.size == (round(CARD_MM[0] * PX_PER_MM), round(CARD_MM[1] * PX_PER_MM))
    frame = camera_frame(card)
    assert frame.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, camera_frame(card))  # deterministic
    dark = camera_frame(card, Degradation(light=0.4))
    assert dark.mean() < 0.5 * frame.mean()


def test_mild_conditions_cycle_through_the_four_degradations() -> None:
    kinds = [mild(i) for i in range(4)]
    assert kinds[0].blur >= 0.6 and kinds[1].glare >= 0.35 and kinds[3].light <= 0.55
    assert kinds[0].glare == kinds[2].glare == kinds[3].glare == 0.0


def test_random_people_are_valid_and_distinct() -> None:
    people = random_people(20, seed=3)
    assert len({p.id_number for p in people}) == 20
    assert all(len(p.mrz_lines[0]) == 30 for p in people)  # Profile validated the ID against birth and sex

"""Accessibility constants: contrast (WCAG 2.1 §1.4.6, enhanced: 7:1), text size, touch size, time-outs."""

from __future__ import annotations

import pytest

from kiosk.flow.model import USER_WAIT_STATES
from ui import theme
from ui.samples import sample_views


def _luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.1, definition of 'relative luminance')."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("ink", [theme.INK, theme.PRIMARY, theme.SUCCESS, theme.DANGER, theme.MUTED,
                                 theme.GUIDE])  # fmt: skip
def test_every_text_colour_has_enhanced_contrast_on_paper(ink: str) -> None:
    assert contrast(ink, theme.PAPER) >= 7.0


def test_sizes() -> None:
    assert theme.BODY_PT >= 24 and theme.SMALL_PT >= 24 and theme.TITLE_PT > theme.BODY_PT
    assert theme.TOUCH_MM >= 15.0


def test_no_user_wait_shorter_than_a_minute() -> None:
    """Screens where a person must act wait at least 60 s before the flow asks "do you need more time?"."""
    states = {s.value for s in USER_WAIT_STATES}
    for sample in sample_views("vi"):
        v = sample.view
        if v.state == "result" and getattr(v, "verified", False):  # it moves on by itself
            assert v.timeout_seconds is not None and v.timeout_seconds <= 5.0
        elif v.state in states:
            assert v.timeout_seconds is not None and v.timeout_seconds >= 60.0, v.state

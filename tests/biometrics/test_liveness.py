"""Liveness building blocks: the 3-D (parallax) check, the challenge, the step tracker."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from biometrics.liveness import (
    Action,
    Baseline,
    Challenge,
    ChallengeTracker,
    LivenessConfig,
    Observation,
    Reason,
    planar_residual,
)
from biometrics.sim.camera import SimMode, SimulatedCamera
from biometrics.sim.head import HeadPose


@pytest.fixture(scope="module")
def live_cam(photo):  # type: ignore[no-untyped-def]
    return SimulatedCamera(photo("obama/obama.jpg"), SimMode.LIVE, noise=0)


def _landmarks(sface: Any, landmarker: Any, img: Any) -> Any:
    return landmarker.landmarks(img, sface.detect(img)[0].box)


def test_head_turn_has_parallax_flat_photo_does_not(sface, landmarker, live_cam, photo) -> None:  # type: ignore[no-untyped-def]
    head = live_cam._head
    ref = _landmarks(sface, landmarker, head.render(HeadPose()))
    turned = _landmarks(sface, landmarker, head.render(HeadPose(yaw=25)))
    flat_cam = SimulatedCamera(photo("obama/obama.jpg"), SimMode.FLAT_PHOTO, noise=0)
    tilted = _landmarks(sface, landmarker, flat_cam._photo_in_hand(10, 5, 3, 40.0))
    cfg = LivenessConfig()
    assert planar_residual(ref, turned) > cfg.parallax_min
    assert planar_residual(ref, tilted) < cfg.parallax_min


def test_random_challenge_has_a_turn_and_a_blink() -> None:
    seen = set()
    for seed in range(20):
        ch = Challenge.random(random.Random(seed))
        assert len(ch.steps) == 2 and Action.BLINK in ch.steps
        seen.add(ch.steps)
    assert len(seen) == 4  # both turn directions, both orders
    assert len(Challenge.random().steps) == 2  # system randomness by default


def _obs(t: float, yaw: float, ear: float, lm: Any) -> Observation:
    return Observation(t, lm, yaw, ear, 100.0)


def test_tracker_blink_needs_close_then_open() -> None:
    lm = np.zeros((68, 2))
    base = Baseline(0.3, 0.0, lm)
    tr = ChallengeTracker(Challenge((Action.BLINK,)), base, LivenessConfig())
    for t, ear in [(0.0, 0.3), (0.1, 0.25), (0.2, 0.15), (0.3, 0.2)]:
        tr.feed(_obs(t, 0.0, ear, lm))
    assert not tr.finished
    tr.feed(_obs(0.4, 0.0, 0.29, lm))
    assert tr.finished and tr.results[0].passed


def test_tracker_times_out_with_reasons() -> None:
    lm = np.zeros((68, 2))
    tr = ChallengeTracker(
        Challenge((Action.TURN_LEFT,)), Baseline(0.3, 0.0, lm), LivenessConfig(step_timeout=1.0)
    )
    for k in range(20):  # turns the wrong way
        tr.feed(_obs(k * 0.1, -0.2, 0.3, lm))
    assert tr.finished and not tr.results[0].passed
    assert Reason.WRONG_DIRECTION in tr.results[0].reasons

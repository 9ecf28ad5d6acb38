"""Capture quality gates and their hints, on frames of the simulated head."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from biometrics.hints import Hint
from biometrics.quality import QualityConfig, assess
from biometrics.sim.camera import place_face
from biometrics.sim.head import HeadModel, HeadPose

CFG = QualityConfig()


@pytest.fixture(scope="module")
def head(photo):  # type: ignore[no-untyped-def]
    from biometrics.imaging import decode_image

    canvas, lm = place_face(decode_image(photo("obama/obama.jpg")))
    return HeadModel(canvas, lm)


def _hints(engine: Any, img: Any) -> Any:
    return assess(img, engine.detect(img), CFG)


def test_good_frontal_frame_passes(sface, head) -> None:  # type: ignore[no-untyped-def]
    report = _hints(sface, head.render(HeadPose()))
    assert report.passed, report.hints
    assert report.measures is not None and report.measures.inter_eye > CFG.min_inter_eye


def test_no_face(sface) -> None:  # type: ignore[no-untyped-def]
    assert _hints(sface, np.full((480, 640, 3), 120, np.uint8)).hints == (Hint.NO_FACE,)


def test_too_dark(sface, head) -> None:  # type: ignore[no-untyped-def]
    dark = (head.render(HeadPose()).astype(np.float32) * 0.3).astype(np.uint8)
    assert Hint.TOO_DARK in _hints(sface, dark).hints


def test_too_bright(sface, head) -> None:  # type: ignore[no-untyped-def]
    bright = np.clip(head.render(HeadPose()).astype(np.float32) * 1.8 + 40, 0, 255).astype(np.uint8)
    assert Hint.TOO_BRIGHT in _hints(sface, bright).hints


def test_move_closer(sface, head) -> None:  # type: ignore[no-untyped-def]
    small = cv2.resize(head.render(HeadPose()), (320, 240))
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[120:360, 160:480] = small
    assert Hint.MOVE_CLOSER in _hints(sface, frame).hints


def test_look_straight(sface, head) -> None:  # type: ignore[no-untyped-def]
    assert Hint.LOOK_STRAIGHT in _hints(sface, head.render(HeadPose(yaw=35))).hints


def test_hold_still_when_blurred(sface, head) -> None:  # type: ignore[no-untyped-def]
    blurred = cv2.GaussianBlur(head.render(HeadPose()), (0, 0), 4)
    assert Hint.HOLD_STILL in _hints(sface, blurred).hints


def test_one_person_only(sface, head) -> None:  # type: ignore[no-untyped-def]
    one = cv2.resize(head.render(HeadPose()), (320, 240))
    two = np.hstack([one, one])
    assert _hints(sface, two).hints == (Hint.ONE_PERSON_ONLY,)


def test_eyes_open_against_baseline(sface, head, landmarker) -> None:  # type: ignore[no-untyped-def]
    from biometrics.landmarks import eye_aspect_ratio

    img = head.render(HeadPose())
    faces = sface.detect(img)
    ear = eye_aspect_ratio(landmarker.landmarks(img, faces[0].box))
    assert assess(img, faces, CFG, ear, ear_baseline=ear).passed
    assert Hint.OPEN_EYES in assess(img, faces, CFG, ear * 0.5, ear_baseline=ear).hints

"""Nothing biometric reaches the logs or the decision: a whole verification with logging at DEBUG."""

from __future__ import annotations

import base64
import logging

import pytest

from biometrics.imaging import decode_image
from biometrics.liveness import Action, Challenge, LivenessConfig
from biometrics.sim import SimMode, SimulatedCamera
from biometrics.verifier import FaceConfig, FaceVerifier, portrait_template


def test_no_biometric_data_in_logs(sface, landmarker, photo, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    chip = photo("rose_leslie/img1.jpg")
    verifier = FaceVerifier(
        FaceConfig(max_attempts=1, liveness=LivenessConfig(step_timeout=3.0)), sface, landmarker
    )
    with caplog.at_level(logging.DEBUG):
        d = verifier.verify(
            chip,
            SimulatedCamera(photo("rose_leslie/img2.jpg"), SimMode.LIVE, seed=1),
            Challenge((Action.TURN_LEFT, Action.BLINK)),
        )
    assert d.accepted
    text = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "face decision" in text  # the verification was logged ...
    template, _ = portrait_template(sface, decode_image(chip))
    vector = template.vector
    forbidden = [chip[k : k + 12].hex() for k in range(0, 600, 50)]
    forbidden += [base64.b64encode(chip[k : k + 12]).decode() for k in range(0, 600, 50)]
    forbidden += [repr(chip[k : k + 8])[2:-1] for k in range(100, 600, 50)]
    forbidden += [f"{float(v):.4f}" for v in vector[:16] if abs(float(v)) > 0.001]
    forbidden += [str(float(v))[:7] for v in vector[:16]]
    for needle in forbidden:  # ... without image bytes or template values in any form
        assert needle not in text, needle
    assert "array(" not in text and "[[" not in text
    assert all(len(r.getMessage()) < 400 for r in caplog.records)

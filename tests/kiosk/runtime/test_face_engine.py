"""kiosk/runtime/face_engine.py: a camera that cannot start is a typed outcome (issue 11, section 3).

Before: the simulated camera's constructor raised ``NoFaceError`` (a chip photo without a detectable face),
the adapter let it escape, the effect runner logged it and the flow sat on the face screen until its
120-second deadline.  Now every exception of the camera factory becomes ``FaceFailed("camera_unavailable")``
at once, and the flow moves on to its retry and then its fallback.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from biometrics.errors import CameraError, NoFaceError
from cccd.compose import Kiosk, KioskConfig, build_sim_kiosk
from cccd.headless import SCENARIOS, ScriptedUser, run_flow
from kiosk.runtime.face import FaceStepError
from kiosk.runtime.face_engine import EngineFaceStep, simulated_camera


class _UnusedVerifier:
    """Stands for a FaceVerifier the camera never reaches (models are not loaded for these tests)."""

    config = SimpleNamespace(max_attempts=1)
    engine = SimpleNamespace(name="sface", version="test")

    def verify(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the verifier must not run without a camera")


def _step(factory: Any) -> EngineFaceStep:
    return EngineFaceStep(factory, _UnusedVerifier())


def _faceless_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (360, 480), (200, 205, 210)).save(buf, "JPEG")
    return buf.getvalue()


ERRORS = [NoFaceError("no face in the photo"), CameraError("busy"), RuntimeError("bug"), OSError(5, "I/O")]


@pytest.mark.parametrize("error", ERRORS, ids=["NoFaceError", "CameraError", "RuntimeError", "OSError"])
def test_any_camera_constructor_error_is_camera_unavailable(error: Exception) -> None:
    def factory(attempt: int) -> Any:
        raise error

    with pytest.raises(FaceStepError) as caught:
        _step(factory).capture(1, b"chip", lambda hint: None, threading.Event())
    assert caught.value.kind == "camera_unavailable"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no traceback chain


def test_the_simulated_camera_refuses_a_faceless_photo_as_a_typed_outcome() -> None:
    """The real factory of the headless runs, given a chip photo no detector finds (the old drawn face)."""
    pytest.importorskip("cv2", reason="the face engine needs OpenCV (requirements-face.txt)")
    step = _step(simulated_camera(_faceless_jpeg(), "live"))
    with pytest.raises(FaceStepError) as caught:
        step.capture(1, _faceless_jpeg(), lambda hint: None, threading.Event())
    assert caught.value.kind == "camera_unavailable"


@pytest.fixture
def built() -> Iterator[list[Kiosk]]:
    kiosks: list[Kiosk] = []
    yield kiosks
    for k in kiosks:
        k.close()


def test_the_flow_falls_back_within_seconds_when_the_camera_cannot_start(
    tmp_path: Path, built: list[Kiosk]
) -> None:
    """A whole headless transaction whose camera never starts: face retry, then the counter — in seconds,
    not at the 120-second deadline."""
    from sims.personalize import card_image

    sc = SCENARIOS["happy"]
    image = card_image(sc.card)
    calls: list[int] = []

    def factory(attempt: int) -> Any:
        calls.append(attempt)
        raise NoFaceError("the simulated camera's photo shows no face")

    kiosk = build_sim_kiosk("lodging", KioskConfig(tmp_path / "data"), image=image, face=_step(factory))
    built.append(kiosk)
    t0 = time.monotonic()
    result = run_flow(kiosk, ScriptedUser(sc, image.profile), sc, deadline_seconds=60)
    took = time.monotonic() - t0
    assert result.outcome == "FACE_UNAVAILABLE", result
    assert calls and calls == sorted(calls)  # one camera per attempt, and every attempt failed
    assert took < 30, f"the flow took {took:.1f} s"

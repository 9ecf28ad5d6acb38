"""The kiosk entry point end to end with the simulated camera: genuine live person, attacks, wrong person."""

from __future__ import annotations

import json

import cv2
import pytest

from biometrics.decision import Outcome
from biometrics.hints import Guidance, Hint, Phase
from biometrics.imaging import as_bgr, decode_image, encode_jpeg2000
from biometrics.liveness import Action, Challenge, LivenessConfig, Reason
from biometrics.sim import SimMode, SimulatedCamera
from biometrics.verifier import FaceConfig, FaceVerifier

FAST = FaceConfig(max_attempts=1, liveness=LivenessConfig(step_timeout=3.0))


@pytest.fixture(scope="module")
def verifier(sface, landmarker):  # type: ignore[no-untyped-def]
    return FaceVerifier(FAST, engine=sface, landmarker=landmarker)


@pytest.fixture(scope="module")
def chip(photo) -> bytes:  # type: ignore[no-untyped-def]
    """Rose Leslie's *other* photo as a small JPEG 2000 chip portrait."""
    img = decode_image(photo("rose_leslie/img1.jpg"))
    return encode_jpeg2000(as_bgr(cv2.resize(img, (480, 300), interpolation=cv2.INTER_AREA)), 80)


@pytest.mark.parametrize("steps", [(Action.TURN_LEFT, Action.BLINK), (Action.BLINK, Action.TURN_RIGHT)])
def test_live_genuine_person_matches(verifier, chip, photo, steps) -> None:  # type: ignore[no-untyped-def]
    guidance: list[Guidance] = []
    cam = SimulatedCamera(photo("rose_leslie/img2.jpg"), SimMode.LIVE, seed=1)
    d = verifier.verify(chip, cam, Challenge(steps), on_guidance=guidance.append)
    assert d.outcome is Outcome.MATCH and d.accepted, d.summary()
    assert d.score is not None and d.score >= d.threshold == verifier.engine.threshold
    assert d.liveness is not None and d.liveness.passed and d.liveness.parallax
    assert [s.action for s in d.liveness.steps] == list(steps)
    assert d.engine == "sface" and "SFace" in d.engine_version and d.attempts == 1
    assert d.quality.probe_frames == 3 and d.quality.best is not None
    hints = [g.primary for g in guidance]
    assert steps[0].hint in hints and steps[1].hint in hints
    assert guidance[-1].phase is Phase.FINISHED and guidance[-1].primary is Hint.DONE


def test_wrong_person_does_not_match(verifier, chip, photo) -> None:  # type: ignore[no-untyped-def]
    cam = SimulatedCamera(photo("alex_lacamoire/img1.jpg"), SimMode.LIVE, seed=2)
    d = verifier.verify(chip, cam, Challenge((Action.BLINK, Action.TURN_LEFT)))
    assert d.liveness is not None and d.liveness.passed
    assert d.outcome is Outcome.NO_MATCH and not d.accepted
    assert d.score is not None and d.score < d.threshold


def test_flat_photo_attack_is_rejected(verifier, photo) -> None:  # type: ignore[no-untyped-def]
    """The holder's own photo, printed and moved/tilted: the face matches, liveness does not."""
    chip = photo("obama/obama.jpg")
    d = verifier.verify(
        chip, SimulatedCamera(chip, SimMode.FLAT_PHOTO), Challenge((Action.TURN_RIGHT, Action.BLINK))
    )
    assert d.outcome is Outcome.NOT_LIVE and not d.accepted
    assert d.liveness is not None and Reason.TURN_NOT_SEEN in d.liveness.reasons


def test_static_image_attack_is_rejected(verifier, photo) -> None:  # type: ignore[no-untyped-def]
    chip = photo("obama/obama.jpg")
    d = verifier.verify(
        chip, SimulatedCamera(chip, SimMode.STATIC), Challenge((Action.BLINK, Action.TURN_LEFT))
    )
    assert d.outcome is Outcome.NOT_LIVE
    assert d.liveness is not None and {Reason.NO_BLINK, Reason.NO_MOTION} <= set(d.liveness.reasons)


def test_no_usable_face_tells_what_to_change(verifier, chip) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from biometrics.camera import Frame

    class Dark:
        i = 0

        def read(self) -> Frame | None:
            self.i += 1
            return None if self.i > 40 else Frame(np.full((480, 640, 3), 10, np.uint8), self.i / 15, self.i)

        def close(self) -> None:
            pass

    d = verifier.verify(chip, Dark())
    assert d.outcome is Outcome.NO_USABLE_CAPTURE and d.liveness is None and d.score is None
    assert d.quality.last_hints == (Hint.NO_FACE,)


def test_decision_holds_no_image(verifier, chip, photo) -> None:  # type: ignore[no-untyped-def]
    cam = SimulatedCamera(photo("rose_leslie/img2.jpg"), SimMode.LIVE, seed=1)
    d = verifier.verify(chip, cam, Challenge((Action.TURN_LEFT, Action.BLINK)))
    text = json.dumps(d.to_dict())
    assert len(text) < 2000 and len(repr(d)) < 3000


def test_threshold_can_only_be_stricter(sface, landmarker) -> None:  # type: ignore[no-untyped-def]
    from biometrics.errors import BiometricsError

    with pytest.raises(BiometricsError):
        FaceVerifier(FaceConfig(threshold=0.1), engine=sface, landmarker=landmarker)
    assert FaceVerifier(FaceConfig(threshold=0.9), engine=sface, landmarker=landmarker).threshold == 0.9


def test_chip_photo_without_face(verifier) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from biometrics.errors import NoFaceError
    from biometrics.imaging import encode_jpeg

    blank = encode_jpeg(np.full((320, 240, 3), 128, np.uint8))
    with pytest.raises(NoFaceError):
        verifier.verify(blank, SimulatedCamera.static(np.full((480, 640, 3), 128, np.uint8)))

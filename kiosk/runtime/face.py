"""The face step of the effect runner, behind a narrow protocol.

:class:`FaceStep` is what the flow needs: capture a live face with a liveness check, then compare it 1:1
with the chip photo.  The biometrics package (issue "face") is still being built; until it offers an entry
point, :class:`GroundTruthFaceStep` stands in for headless runs and tests.  It does **no** face analysis: it
uses the simulated camera's *ground truth* (which person stands in front of it and how they are presented)
and says so in every decision it returns (engine ``sim-ground-truth``).  It must never be used with a
real camera; the composition root only builds it with ``--sim``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kiosk.flow.outcomes import FaceCapture, FaceDecision

GuidanceSink = Callable[[str], None]


class FaceStepError(Exception):
    """The camera or the engine could not run; ``kind`` is camera_unavailable | no_face | engine_error."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class FaceStep(Protocol):
    engine: str
    engine_version: str

    def capture(self, attempt: int, chip_photo: bytes, guidance: GuidanceSink,
                cancel: threading.Event) -> FaceCapture:  # fmt: skip
        """One live capture with its liveness challenge (engines that compare while capturing put their
        decision in the capture); raise :class:`FaceStepError`."""
        ...

    def match(self, capture: FaceCapture, chip_photo: bytes) -> FaceDecision:
        """Compare the capture with the chip photo (1:1)."""
        ...


PRESENTATIONS = ("live", "flat-photo", "static", "wrong-person")


@dataclass(frozen=True, slots=True)
class SimulatedScene:
    """What the simulated camera sees: a face image and how it is presented.

    ``presentation``: ``live`` (a live person), ``flat-photo`` (a printed photo held up), ``static`` (a
    frozen frame), ``wrong-person`` (someone else, live).
    """

    face_jpeg: bytes
    presentation: str = "live"

    def __post_init__(self) -> None:
        if self.presentation not in PRESENTATIONS:
            raise ValueError(f"presentation must be one of {PRESENTATIONS}")

    def __repr__(self) -> str:
        return f"SimulatedScene({self.presentation}, <image hidden>)"


class GroundTruthFaceStep:
    """Decisions from the simulated camera's ground truth (see the module docstring) — not an engine.

    ``scenes[i]`` is what attempt ``i + 1`` sees (the last one repeats).  A live capture passes liveness;
    a flat photo or a static frame fails it.  The comparison says ``match`` exactly when the captured image
    is the chip photo itself (the simulated citizen's own face), with score 1.0 against threshold 0.5.
    """

    engine = "sim-ground-truth"
    engine_version = "1"

    def __init__(self, scenes: tuple[SimulatedScene, ...]) -> None:
        if not scenes:
            raise ValueError("at least one scene")
        self.scenes = scenes

    def capture(self, attempt: int, chip_photo: bytes, guidance: GuidanceSink,
                cancel: threading.Event) -> FaceCapture:  # fmt: skip
        scene = self.scenes[min(attempt, len(self.scenes)) - 1]
        guidance("look_at_camera")
        if cancel.is_set():
            raise FaceStepError("cancelled")
        live = scene.presentation in ("live", "wrong-person")
        failure = None if live else scene.presentation.replace("-", "_")
        return FaceCapture(live, "sim-ground-truth", scene.face_jpeg, failure)

    def match(self, capture: FaceCapture, chip_photo: bytes) -> FaceDecision:
        same = capture.live_jpeg == chip_photo
        return FaceDecision("match" if same else "no_match", 1.0 if same else 0.0, 0.5, self.engine,
                            self.engine_version)  # fmt: skip

"""The entry point for the kiosk: compare the chip photo with a live, guided, liveness-checked capture.

``FaceVerifier(config).verify(chip_photo, camera, challenge, on_guidance)`` → :class:`FaceDecision`.
Images and templates stay in memory and are overwritten once the decision is made; the decision holds no
image and no template; logs carry outcomes and scores only.
"""

from __future__ import annotations

import logging
import time

import cv2

from biometrics.camera import CameraSource
from biometrics.capture import Capture, CaptureResult, FaceConfig
from biometrics.decision import FaceDecision, Outcome, QualitySummary
from biometrics.engines import FaceEngine, Template, get_engine
from biometrics.engines.base import Detection
from biometrics.errors import BiometricsError, NoFaceError
from biometrics.hints import GuidanceCallback
from biometrics.imaging import Image, as_bgr, decode_image
from biometrics.landmarks import Landmarker, shared_landmarker
from biometrics.liveness import Challenge

log = logging.getLogger(__name__)


def portrait_template(engine: FaceEngine, image: Image) -> tuple[Template, Detection]:
    """Template of the largest face of a portrait (chip photo, evaluation image).  A tightly cropped
    portrait is padded before a second try, since detectors miss faces that touch the border."""
    faces = engine.detect(image)
    if faces:
        return engine.embed(image, faces[0]), faces[0]
    pad = max(image.shape[:2]) // 4
    padded = as_bgr(cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
    try:
        faces = engine.detect(padded)
        if not faces:
            raise NoFaceError("no face found in the portrait")
        return engine.embed(padded, faces[0]), faces[0]
    finally:
        padded.fill(0)


class FaceVerifier:
    """Chip photo vs live capture, with quality guidance and active liveness."""

    def __init__(
        self,
        config: FaceConfig | None = None,
        engine: FaceEngine | None = None,
        landmarker: Landmarker | None = None,
    ) -> None:
        self.config = config or FaceConfig()
        self.engine = engine or get_engine(self.config.engine)
        self.landmarker = landmarker or shared_landmarker()
        t = self.config.threshold
        if t is not None and t < self.engine.threshold:
            raise BiometricsError(
                f"threshold {t} is below the {self.engine.name} engine's calibrated {self.engine.threshold}"
            )
        self.threshold = self.engine.threshold if t is None else t

    def verify(
        self,
        chip_photo: bytes,
        camera: CameraSource,
        challenge: Challenge | None = None,
        on_guidance: GuidanceCallback | None = None,
    ) -> FaceDecision:
        """Decode the chip photo (JPEG / JPEG 2000), capture up to ``config.max_attempts`` times (a new random
        challenge after a failed attempt) and decide.  A source with a ``follow(guidance)`` method (the
        simulated person) gets the same guidance as ``on_guidance``.  Raises :class:`ImageDecodeError` or
        :class:`NoFaceError` when the chip photo is unusable; the camera is not closed here."""
        t0 = time.perf_counter()
        chip = decode_image(chip_photo)
        try:
            reference, chip_face = portrait_template(self.engine, chip)
        finally:
            chip.fill(0)
        callbacks = [cb for cb in (on_guidance, getattr(camera, "follow", None)) if cb is not None]
        compute = time.perf_counter() - t0
        try:
            result, attempts, frames = None, 0, 0
            while attempts < self.config.max_attempts:
                attempts += 1
                ch = challenge if attempts == 1 and challenge is not None else Challenge.random()
                capture = Capture(self.engine, self.landmarker, self.config, ch, callbacks)
                result = capture.run(camera, reference)
                compute += result.compute_seconds
                frames += result.frames
                log.info("face capture attempt %d: %s", attempts, result.summary())
                if result.camera_ended or self._outcome(result) is Outcome.MATCH:
                    break
        finally:
            reference.wipe()
        assert result is not None
        return self._decide(result, chip_face, attempts, frames, compute)

    def _outcome(self, r: CaptureResult) -> Outcome:
        if r.liveness is None:
            return Outcome.NO_USABLE_CAPTURE
        if not r.liveness.passed:
            return Outcome.NOT_LIVE
        return Outcome.MATCH if r.score is not None and r.score >= self.threshold else Outcome.NO_MATCH

    def _decide(
        self, r: CaptureResult, chip: Detection, attempts: int, frames: int, compute: float
    ) -> FaceDecision:
        quality = QualitySummary(round(chip.inter_eye_distance, 1), r.probe_count, r.best, r.last_hints)
        decision = FaceDecision(
            self._outcome(r),
            r.score,
            self.threshold,
            self.engine.name,
            self.engine.version,
            quality,
            r.liveness,
            attempts,
            frames,
            r.capture_seconds,
            compute,
        )
        log.info("face decision: %s", decision.summary())
        return decision


__all__ = ["FaceConfig", "FaceDecision", "FaceVerifier", "Outcome", "portrait_template"]

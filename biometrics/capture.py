"""One guided capture: positioning (quality gates), the liveness challenge, a closing frontal frame; then
the best frames' templates are compared with the chip photo's and wiped.

Frame by frame: detect (engine) → 68 landmarks of the largest face (dlib) → quality gates → guidance.
Only the ``probe_frames`` best frontal frames are embedded, plus one closing frame that must show the same
person (so the face cannot be swapped during the challenge).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from biometrics.camera import CameraSource, Frame
from biometrics.engines import DEFAULT_ENGINE, FaceEngine, Template
from biometrics.engines.base import Detection
from biometrics.hints import Guidance, GuidanceCallback, Hint, Phase
from biometrics.landmarks import Landmarker
from biometrics.liveness import (
    Baseline,
    Challenge,
    ChallengeTracker,
    LivenessConfig,
    LivenessResult,
    Observation,
    Reason,
    StepResult,
    still_image,
)
from biometrics.quality import QualityConfig, QualityMeasures, QualityReport, assess


@dataclass(frozen=True, slots=True)
class FaceConfig:
    """Verification settings.  ``threshold`` may only make the engine's calibrated threshold stricter."""

    engine: str = DEFAULT_ENGINE
    threshold: float | None = None
    quality: QualityConfig = field(default_factory=QualityConfig)
    liveness: LivenessConfig = field(default_factory=LivenessConfig)
    positioning_frames: int = 5  # good frontal frames before the challenge starts
    probe_frames: int = 3  # best frames embedded and compared with the chip photo
    positioning_timeout: float = 10.0  # seconds
    closing_timeout: float = 2.0  # seconds to see the face frontal again after the challenge
    max_attempts: int = 2
    detect_width: int = 320  # live frames are searched downscaled to this width (YuNet: 4× fewer pixels)


@dataclass(slots=True)
class CaptureResult:
    liveness: LivenessResult | None  # None: never positioned
    score: float | None
    probe_count: int
    best: QualityMeasures | None
    last_hints: tuple[Hint, ...]
    frames: int
    capture_seconds: float
    compute_seconds: float
    camera_ended: bool

    def summary(self) -> str:
        live = "-" if self.liveness is None else ("live" if self.liveness.passed else "not live")
        reasons = ",".join(self.liveness.reasons) if self.liveness else "-"
        score = "-" if self.score is None else f"{self.score:.3f}"
        return f"{live} reasons={reasons} score={score} frames={self.frames} ended={self.camera_ended}"


@dataclass(slots=True)
class _Seen:
    frame: Frame
    face: Detection | None
    report: QualityReport
    obs: Observation | None
    faces: int


class Capture:
    def __init__(
        self,
        engine: FaceEngine,
        landmarker: Landmarker,
        config: FaceConfig,
        challenge: Challenge,
        callbacks: list[GuidanceCallback],
    ) -> None:
        self.engine, self.landmarker, self.cfg = engine, landmarker, config
        self.challenge = challenge
        self.callbacks = callbacks
        self.frames = 0
        self.compute = 0.0
        self.camera_ended = False
        self.last_hints: tuple[Hint, ...] = ()
        self.candidates: list[tuple[float, Frame, Detection, QualityMeasures]] = []
        self.observations: list[Observation] = []
        self.steps: tuple[StepResult, ...] = ()
        self.parallax: float | None = None
        self.first_t: float | None = None
        self.last_t = 0.0

    # -- per frame -------------------------------------------------------------------------------------
    def _next(self, camera: CameraSource, baseline: float | None) -> _Seen | None:
        frame = camera.read()
        if frame is None:
            self.camera_ended = True
            return None
        self.first_t = frame.timestamp if self.first_t is None else self.first_t
        self.last_t = frame.timestamp
        t0 = time.perf_counter()
        faces = self.engine.detect(frame.image, self.cfg.detect_width)
        obs = None
        if faces:
            obs = Observation.of(frame.timestamp, self.landmarker.landmarks(frame.image, faces[0].box))
            self.observations.append(obs)
        report = assess(frame.image, faces, self.cfg.quality, obs.ear if obs else None, baseline)
        self.compute += time.perf_counter() - t0
        self.frames += 1
        return _Seen(frame, faces[0] if faces else None, report, obs, len(faces))

    def _guide(self, seen: _Seen, phase: Phase, hints: tuple[Hint, ...], step: int = 0) -> None:
        self.last_hints = hints
        g = Guidance(seen.frame.index, phase, hints, step, len(self.challenge.steps))
        for cb in self.callbacks:
            cb(g)

    def _keep(self, seen: _Seen) -> None:
        assert seen.face is not None and seen.report.measures is not None
        m = seen.report.measures
        self.candidates.append((m.rank, seen.frame, seen.face, m))
        self.candidates.sort(key=lambda c: c[0])
        for _, frame, _, _ in self.candidates[self.cfg.probe_frames :]:
            if all(frame is not c[1] for c in self.candidates[: self.cfg.probe_frames]):
                frame.image.fill(0)
        del self.candidates[self.cfg.probe_frames :]

    # -- phases ----------------------------------------------------------------------------------------
    def _position(self, camera: CameraSource) -> Baseline | None:
        frontal: list[Observation] = []
        start: float | None = None
        while (seen := self._next(camera, None)) is not None:
            start = seen.frame.timestamp if start is None else start
            if seen.report.passed and seen.obs is not None:
                self._keep(seen)
                frontal.append(seen.obs)
                if len(frontal) >= self.cfg.positioning_frames:
                    self._guide(seen, Phase.POSITIONING, ())
                    return Baseline.of(frontal)
            self._guide(seen, Phase.POSITIONING, seen.report.hints)
            if seen.frame.timestamp - start > self.cfg.positioning_timeout:
                return None
        return None

    def _challenge(self, camera: CameraSource, baseline: Baseline) -> list[Reason]:
        lv: LivenessConfig = self.cfg.liveness
        tracker = ChallengeTracker(self.challenge, baseline, lv)
        reasons: list[Reason] = []
        prev: Observation | None = None
        lost_since: float | None = None
        now = 0.0
        while not tracker.finished and (seen := self._next(camera, baseline.ear)) is not None:
            now = seen.frame.timestamp
            if seen.faces > 1 and Hint.ONE_PERSON_ONLY in seen.report.hints:
                reasons.append(Reason.MULTIPLE_FACES)
                break
            if seen.obs is None:
                lost_since = now if lost_since is None else lost_since
                if now - lost_since > lv.max_lost:
                    reasons.append(Reason.FACE_LOST)
                    break
            else:
                lost_since = None
                if prev is not None and _jump(prev, seen.obs) > lv.max_jump:
                    reasons.append(Reason.FACE_JUMPED)
                    break
                prev = seen.obs
                tracker.feed(seen.obs)
            action = tracker.current
            step = len(tracker.results) + 1
            self._guide(seen, Phase.CHALLENGE, (action.hint,) if action else (), step)
        if not tracker.finished and not reasons:
            tracker.timeout(now)
        for r in tracker.results:
            reasons.extend(r.reasons)
        self.steps = tuple(tracker.results)
        self.parallax = tracker.best_parallax
        return reasons

    def _closing(self, camera: CameraSource, baseline: Baseline) -> _Seen | None:
        start: float | None = None
        while (seen := self._next(camera, baseline.ear)) is not None:
            start = seen.frame.timestamp if start is None else start
            if seen.report.passed and seen.face is not None:
                self._guide(seen, Phase.FINISHED, (Hint.DONE,))
                return seen
            self._guide(seen, Phase.CHALLENGE, seen.report.hints or (Hint.LOOK_STRAIGHT,))
            if seen.frame.timestamp - start > self.cfg.closing_timeout:
                return None
        return None

    # -- the whole capture -----------------------------------------------------------------------------
    def run(self, camera: CameraSource, reference: Template) -> CaptureResult:
        templates: list[Template] = []
        liveness: LivenessResult | None = None
        score: float | None = None
        try:
            baseline = self._position(camera)
            if baseline is not None:
                reasons = self._challenge(camera, baseline)
                closing = self._closing(camera, baseline) if not reasons else None
                if closing is None and not reasons:
                    reasons.append(Reason.FACE_LOST)
                t0 = time.perf_counter()
                templates = [self.engine.embed(f.image, d) for _, f, d, _ in self.candidates]
                if closing is not None and closing.face is not None:
                    end = self.engine.embed(closing.frame.image, closing.face)
                    templates.append(end)
                    if self.engine.compare(templates[0], end) < self.engine.threshold:
                        reasons.append(Reason.FACE_SWITCHED)
                if still_image(self.observations, self.cfg.liveness):
                    reasons.append(Reason.NO_MOTION)
                probes = templates[: len(self.candidates)]
                score = (
                    float(np.mean([self.engine.compare(reference, p) for p in probes])) if probes else None
                )
                self.compute += time.perf_counter() - t0
                uniq = tuple(dict.fromkeys(reasons))
                liveness = LivenessResult(not uniq, self.challenge.steps, self.steps, uniq, self.parallax)
        finally:
            for t in templates:
                t.wipe()
            best = self.candidates[0][3] if self.candidates else None
            for _, frame, _, _ in self.candidates:
                frame.image.fill(0)
            probe_count = len(self.candidates)
            self.candidates.clear()
            self.observations.clear()
        span = self.last_t - (self.first_t or 0.0)
        return CaptureResult(
            liveness,
            score,
            probe_count,
            best,
            self.last_hints,
            self.frames,
            span,
            self.compute,
            self.camera_ended,
        )


def _jump(a: Observation, b: Observation) -> float:
    ca, cb = a.landmarks.mean(axis=0), b.landmarks.mean(axis=0)
    return float(np.hypot(*(cb - ca))) / max(a.iod, 1e-6)

"""Active liveness on 2 CPU cores: a randomised challenge (turn left / right, blink) verified from 68-point
landmarks, plus a check that the face moves like a 3-D head and not like a flat picture.

3-D check: between the frontal reference frame and the most-turned frame, a flat object (printed photo,
phone or tablet screen) moves by a plane projective map (homography), so a homography fitted to its rigid
landmarks explains them up to landmark noise; a real head turning ~20° leaves a residual several times
larger (the nose tip moves more than the jaw contour).  The residual is the RMS error of a least-squares
homography in inter-eye distances.  This stops printed photos and static or tilted screens showing a still
image; it does NOT stop a replayed video of the person doing the challenge, a 3-D mask, or a deepfake fed to
the camera (see docs/face-verification.md).  No ISO/IEC 30107-3 level is claimed.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

import cv2
import numpy as np

from biometrics.hints import Hint
from biometrics.landmarks import Points, eye_aspect_ratio, inter_eye_distance, yaw_index

# Rigid points for the 3-D check: jaw, brows, nose, eye corners, mouth corners (not lids or lips).
RIGID = (*range(0, 36), 36, 39, 42, 45, 48, 54)


class Action(StrEnum):
    TURN_LEFT = "TURN_LEFT"  # the user's own left: the nose moves to the image's right
    TURN_RIGHT = "TURN_RIGHT"
    BLINK = "BLINK"

    @property
    def hint(self) -> Hint:
        return Hint(self.value)


class Reason(StrEnum):
    """Why liveness failed (several may apply)."""

    NOT_POSITIONED = "NOT_POSITIONED"  # no good frontal frames before the challenge
    TURN_NOT_SEEN = "TURN_NOT_SEEN"
    WRONG_DIRECTION = "WRONG_DIRECTION"
    FLAT_MOTION = "FLAT_MOTION"  # the face moved like a plane: photo or screen
    NO_BLINK = "NO_BLINK"
    NO_MOTION = "NO_MOTION"  # landmarks did not move at all: a still image
    FACE_LOST = "FACE_LOST"
    MULTIPLE_FACES = "MULTIPLE_FACES"
    FACE_JUMPED = "FACE_JUMPED"  # the face jumped between frames: the source was switched
    FACE_SWITCHED = "FACE_SWITCHED"  # the face after the challenge is not the one before it


@dataclass(frozen=True, slots=True)
class Challenge:
    """The ordered actions asked of the user."""

    steps: tuple[Action, ...]

    @classmethod
    def random(cls, rng: random.Random | None = None) -> Challenge:
        """One turn (left or right) and one blink, in random order (``secrets`` randomness by default)."""
        r = rng or secrets.SystemRandom()
        steps = [r.choice((Action.TURN_LEFT, Action.TURN_RIGHT)), Action.BLINK]
        r.shuffle(steps)
        return cls(tuple(steps))


@dataclass(frozen=True, slots=True)
class LivenessConfig:
    turn_min: float = 0.10  # yaw-index change (inter-eye distances; ≈ 0.55·sin yaw) that counts as a turn
    parallax_min: float = 0.035  # homography residual (inter-eye distances) that counts as 3-D
    blink_closed: float = 0.65  # eye aspect ratio below this fraction of the open baseline: closed
    blink_open: float = 0.85  # and back above this fraction: open again
    blink_max_yaw: float = 0.08  # a blink only counts with the head near its frontal pose
    step_timeout: float = 5.0  # seconds per step
    max_jump: float = 1.0  # face-centre move between consecutive frames, inter-eye distances
    max_lost: float = 0.6  # seconds without a face during the challenge
    still_max: float = 0.015  # landmarks moving less than this (IOD) over the capture: a still image


@dataclass(frozen=True, slots=True, repr=False)
class Observation:
    """Landmarks of the single face in one frame (geometry only; kept in memory for one capture)."""

    timestamp: float
    landmarks: Points
    yaw: float
    ear: float
    iod: float

    @classmethod
    def of(cls, timestamp: float, landmarks: Points) -> Observation:
        return cls(
            timestamp,
            landmarks,
            yaw_index(landmarks),
            eye_aspect_ratio(landmarks),
            inter_eye_distance(landmarks),
        )

    def __repr__(self) -> str:
        return f"Observation(t={self.timestamp:.3f}, yaw={self.yaw:+.3f}, ear={self.ear:.3f})"


@dataclass(frozen=True, slots=True)
class StepResult:
    action: Action
    passed: bool
    seconds: float
    detail: str
    reasons: tuple[Reason, ...] = ()
    parallax: float | None = None


@dataclass(frozen=True, slots=True)
class LivenessResult:
    passed: bool
    challenge: tuple[Action, ...]
    steps: tuple[StepResult, ...]
    reasons: tuple[Reason, ...]
    parallax: float | None = None  # best 3-D residual seen in a turn

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "challenge": [a.value for a in self.challenge],
            "steps": [
                {
                    "action": s.action.value,
                    "passed": s.passed,
                    "seconds": round(s.seconds, 3),
                    "detail": s.detail,
                }
                for s in self.steps
            ],
            "reasons": [r.value for r in self.reasons],
            "parallax": None if self.parallax is None else round(self.parallax, 4),
        }


def planar_residual(ref: Points, cur: Points) -> float:
    """RMS error of the least-squares homography from ``ref`` to ``cur`` rigid points, in ref IODs."""
    src = ref[list(RIGID)].astype(np.float64)
    dst = cur[list(RIGID)].astype(np.float64)
    h, _ = cv2.findHomography(src, dst, 0)
    if h is None:
        return 0.0
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
    rms = float(np.sqrt(((mapped - dst) ** 2).sum(axis=1).mean()))
    return rms / max(inter_eye_distance(ref), 1e-6)


@dataclass(slots=True)
class Baseline:
    """The person's frontal reference from the positioning frames."""

    ear: float
    yaw: float
    reference: Points

    @classmethod
    def of(cls, frontal: list[Observation]) -> Baseline:
        ear = float(np.median([o.ear for o in frontal]))
        yaw = float(np.median([o.yaw for o in frontal]))
        ref = min(frontal, key=lambda o: abs(o.yaw - yaw))
        return cls(ear, yaw, ref.landmarks)


@dataclass(slots=True)
class _Step:
    action: Action
    start: float
    best_turn: float = 0.0
    wrong_turn: float = 0.0
    parallax: float = 0.0
    closed_seen: bool = False
    done: bool = False


@dataclass(slots=True)
class ChallengeTracker:
    """Feeds observations through the challenge's steps, one at a time."""

    challenge: Challenge
    baseline: Baseline
    cfg: LivenessConfig
    results: list[StepResult] = field(default_factory=list)
    _step: _Step | None = None

    @property
    def finished(self) -> bool:
        return len(self.results) == len(self.challenge.steps) or any(not r.passed for r in self.results)

    @property
    def current(self) -> Action | None:
        return None if self.finished else self.challenge.steps[len(self.results)]

    @property
    def best_parallax(self) -> float | None:
        vals = [r.parallax for r in self.results if r.parallax is not None]
        return max(vals) if vals else None

    def feed(self, obs: Observation) -> None:
        action = self.current
        if action is None:
            return
        if self._step is None:
            self._step = _Step(action, obs.timestamp)
        st = self._step
        if action is Action.BLINK:
            self._blink(st, obs)
        else:
            self._turn(st, obs)
        if st.done:
            self._close(st, obs.timestamp, True)
        elif obs.timestamp - st.start > self.cfg.step_timeout:
            self._close(st, obs.timestamp, False)

    def timeout(self, now: float) -> None:
        """The source ended: close the current step as failed."""
        action = self.current
        if action is not None:
            self._close(self._step or _Step(action, now), now, False)

    def _turn(self, st: _Step, obs: Observation) -> None:
        sign = 1.0 if st.action is Action.TURN_LEFT else -1.0
        turn = (obs.yaw - self.baseline.yaw) * sign
        st.wrong_turn = max(st.wrong_turn, -turn)
        if turn >= 0.5 * self.cfg.turn_min:  # the 3-D check is only meaningful on a turned face
            st.parallax = max(st.parallax, planar_residual(self.baseline.reference, obs.landmarks))
        st.best_turn = max(st.best_turn, turn)
        st.done = st.best_turn >= self.cfg.turn_min and st.parallax >= self.cfg.parallax_min

    def _blink(self, st: _Step, obs: Observation) -> None:
        if abs(obs.yaw - self.baseline.yaw) > self.cfg.blink_max_yaw:
            return
        ratio = obs.ear / max(self.baseline.ear, 1e-6)
        if ratio < self.cfg.blink_closed:
            st.closed_seen = True
        elif st.closed_seen and ratio > self.cfg.blink_open:
            st.done = True

    def _close(self, st: _Step, now: float, passed: bool) -> None:
        reasons: list[Reason] = []
        parallax = None
        if st.action is Action.BLINK:
            detail = f"eyes closed seen: {st.closed_seen}"
            if not passed:
                reasons.append(Reason.NO_BLINK)
        else:
            detail = f"turn {st.best_turn:+.3f}, parallax {st.parallax:.4f}"
            parallax = st.parallax
            if not passed:
                if st.best_turn < self.cfg.turn_min:
                    reasons.append(
                        Reason.WRONG_DIRECTION if st.wrong_turn >= self.cfg.turn_min else Reason.TURN_NOT_SEEN
                    )
                if st.best_turn >= 0.5 * self.cfg.turn_min and st.parallax < self.cfg.parallax_min:
                    reasons.append(Reason.FLAT_MOTION)
        self.results.append(StepResult(st.action, passed, now - st.start, detail, tuple(reasons), parallax))
        self._step = None


def still_image(observations: list[Observation], cfg: LivenessConfig) -> bool:
    """True when the landmarks hardly moved over the whole capture (a still image, even with noise)."""
    if len(observations) < 3:
        return False
    pts = np.stack([o.landmarks[list(RIGID)] for o in observations])
    spread = float(np.sqrt(pts.var(axis=0).sum(axis=1)).mean())
    iod = float(np.median([o.iod for o in observations]))
    return spread / max(iod, 1e-6) < cfg.still_max

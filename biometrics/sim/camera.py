"""A simulated camera: a person (built from one photo) in front of a kiosk camera, following the hints.

Modes:
- ``LIVE``: a 3-D head (:class:`~biometrics.sim.head.HeadModel`) that sways, turns like a head when asked
  to turn and blinks when asked to blink;
- ``FLAT_PHOTO``: the same photo as a flat print, moved in the plane and tilted towards the asked side
  (the best a printed-photo attacker can do);
- ``STATIC``: a still image (a screen showing the photo), with sensor noise.

A "wrong person" is simply ``LIVE`` with someone else's photo.  Time is simulated: ``read()`` returns the
next frame ``1/fps`` later without sleeping, so tests run faster than real time.  Pass :meth:`follow` as the
verifier's guidance callback (the :class:`~biometrics.verifier.FaceVerifier` also forwards hints to any
source with a ``follow`` method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cv2
import numpy as np

from biometrics.camera import Frame
from biometrics.errors import NoFaceError
from biometrics.hints import Guidance, Hint
from biometrics.imaging import Image, as_bgr, decode_image
from biometrics.landmarks import Points, eye_centres, shared_landmarker
from biometrics.sim.head import HeadModel, HeadPose

FRAME_SIZE = (640, 480)
TURN_DEG = 30.0
REACTION = 0.25  # seconds between a hint and the start of the movement
TURN_RAMP, TURN_HOLD = 0.35, 0.35
BLINK_RAMP, BLINK_HOLD = 0.1, 0.14
BLINK_DEPTH = 0.75  # rendered lid closure at the blink's peak (see docs: dlib misplaces fully shut lids)
PHOTO_TILT_DEG = 40.0


class SimMode(StrEnum):
    LIVE = "LIVE"
    FLAT_PHOTO = "FLAT_PHOTO"
    STATIC = "STATIC"


@dataclass(frozen=True, slots=True)
class _Act:
    hint: Hint
    start: float

    def duration(self) -> float:
        if self.hint is Hint.BLINK:
            return 2 * BLINK_RAMP + BLINK_HOLD + 0.05
        return 2 * TURN_RAMP + TURN_HOLD

    def level(self, t: float, ramp: float, hold: float) -> float:
        """0 → 1 → 0 envelope of the movement at time ``t``."""
        u = t - self.start
        if u <= 0 or u >= 2 * ramp + hold:
            return 0.0
        if u < ramp:
            return u / ramp
        return 1.0 if u < ramp + hold else max(0.0, 1.0 - (u - ramp - hold) / ramp)


def place_face(
    photo: Image, size: tuple[int, int] = FRAME_SIZE, inter_eye: float = 100.0
) -> tuple[Image, Points]:
    """The photo scaled, levelled and centred in a ``size`` frame so the eyes are ``inter_eye`` px apart;
    returns that frame and its 68 landmarks."""
    import dlib  # type: ignore[import-untyped]

    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    rects = dlib.get_frontal_face_detector()(gray, 1)
    if not rects:
        raise NoFaceError("the simulated camera's photo shows no face")
    r = max(rects, key=lambda r: r.width() * r.height())
    lm = shared_landmarker().landmarks(photo, (r.left(), r.top(), r.width(), r.height()))
    a, b = eye_centres(lm)
    mid = (a + b) / 2.0
    angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
    scale = inter_eye / float(np.hypot(*(b - a)))
    m = np.asarray(cv2.getRotationMatrix2D((float(mid[0]), float(mid[1])), angle, scale), dtype=np.float64)
    m[:, 2] += np.array([size[0] / 2.0, size[1] * 0.42]) - mid
    canvas = cv2.warpAffine(photo, m, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return as_bgr(canvas), np.c_[lm, np.ones(len(lm))] @ m.T


class SimulatedCamera:
    """A :class:`~biometrics.camera.CameraSource` of a simulated person (see the module docstring)."""

    def __init__(
        self,
        photo: bytes | Image,
        mode: SimMode = SimMode.LIVE,
        *,
        fps: float = 15.0,
        max_seconds: float = 30.0,
        seed: int = 0,
        inter_eye: float = 100.0,
        noise: float = 2.0,
    ) -> None:
        img = decode_image(photo) if isinstance(photo, bytes) else as_bgr(photo)
        self._canvas, lm = place_face(img, FRAME_SIZE, inter_eye)
        self.mode = mode
        self._head = HeadModel(self._canvas, lm) if mode is SimMode.LIVE else None
        self._centre = self._head.centre if self._head else (eye_centres(lm)[0] + eye_centres(lm)[1]) / 2
        self.fps = fps
        self._max_frames = int(max_seconds * fps)
        self._rng = np.random.default_rng(seed)
        self._phase = float(self._rng.uniform(0, 2 * math.pi))
        self._noise = noise
        self._index = 0
        self._act: _Act | None = None
        self._closed = False

    @classmethod
    def live(cls, photo: bytes | Image, **kw: Any) -> SimulatedCamera:
        return cls(photo, SimMode.LIVE, **kw)

    @classmethod
    def flat_photo(cls, photo: bytes | Image, **kw: Any) -> SimulatedCamera:
        return cls(photo, SimMode.FLAT_PHOTO, **kw)

    @classmethod
    def static(cls, photo: bytes | Image, **kw: Any) -> SimulatedCamera:
        return cls(photo, SimMode.STATIC, **kw)

    @property
    def now(self) -> float:
        return self._index / self.fps

    def follow(self, guidance: Guidance) -> None:
        """React to the verifier's hints: start turning or blinking (after a human reaction time)."""
        hint = guidance.primary
        if hint not in (Hint.TURN_LEFT, Hint.TURN_RIGHT, Hint.BLINK) or self.mode is SimMode.STATIC:
            return
        if self._act is not None and self.now < self._act.start + self._act.duration() + 0.2:
            return
        self._act = _Act(hint, self.now + REACTION)

    def read(self) -> Frame | None:
        if self._closed or self._index >= self._max_frames:
            return None
        t = self.now
        img = self._render(t)
        if self._noise > 0:
            noisy = img.astype(np.float32) + self._rng.normal(0.0, self._noise, img.shape).astype(np.float32)
            img = np.clip(noisy, 0, 255).astype(np.uint8)
        frame = Frame(img, t, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._closed = True

    def _sway(self, t: float) -> tuple[float, float, float, float]:
        p = self._phase
        return (
            2.0 * math.sin(2 * math.pi * 0.31 * t + p),  # yaw
            4.0 * math.sin(2 * math.pi * 0.23 * t + 2 * p),  # dx
            3.0 * math.sin(2 * math.pi * 0.19 * t + 3 * p),  # dy
            1.0 * math.sin(2 * math.pi * 0.27 * t + p),  # roll
        )

    def _render(self, t: float) -> Image:
        if self.mode is SimMode.STATIC:
            return self._canvas.copy()
        yaw, dx, dy, roll = self._sway(t)
        turn = blink = 0.0
        if self._act is not None:
            if self._act.hint is Hint.BLINK:
                blink = BLINK_DEPTH * self._act.level(t, BLINK_RAMP, BLINK_HOLD)
            else:
                sign = 1.0 if self._act.hint is Hint.TURN_LEFT else -1.0
                turn = sign * self._act.level(t, TURN_RAMP, TURN_HOLD)
        if self._head is not None:
            return self._head.render(HeadPose(yaw + TURN_DEG * turn, 0.0, roll, dx, dy, 1.0, blink))
        return self._photo_in_hand(dx, dy, roll, PHOTO_TILT_DEG * turn)

    def _photo_in_hand(self, dx: float, dy: float, roll: float, tilt: float) -> Image:
        """The print held up and tilted about its vertical axis (a homography of the photo's plane)."""
        h, w = self._canvas.shape[:2]
        cx, cy = float(self._centre[0]), float(self._centre[1])
        th, rr, f = math.radians(tilt), math.radians(roll), 1.3 * w
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        dst = []
        for x, y in src.tolist():
            u, v = x - cx, y - cy
            u, v = u * math.cos(rr) - v * math.sin(rr), u * math.sin(rr) + v * math.cos(rr)
            depth = f / (f + u * math.sin(th))
            dst.append([cx + dx + u * math.cos(th) * depth, cy + dy + v * depth])
        hmat = cv2.getPerspectiveTransform(src, np.array(dst, dtype=np.float32))
        return as_bgr(cv2.warpPerspective(self._canvas, hmat, (w, h), borderMode=cv2.BORDER_REPLICATE))

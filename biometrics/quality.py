"""Capture quality gates in the spirit of ISO/IEC 19794-5 §7 (frontal image): one face, enough resolution
(inter-eye distance), near-frontal pose, sharpness, exposure without clipping and even lighting, eyes open.
Each failed gate maps to the :class:`~biometrics.hints.Hint` that tells the user what to change.

Pose angles are estimated from the five detector landmarks (nose tip against the eyes and mouth corners):
approximate, good enough to pick the most frontal frame, not a measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from biometrics.engines.base import Detection
from biometrics.hints import Hint
from biometrics.imaging import Image

NOSE_DEPTH = 0.55  # nose-tip offset per unit sin(yaw), in inter-eye distances (generic head)
PITCH_NEUTRAL = 0.52  # nose height between the eye line (0) and the mouth line (1), frontal
PITCH_GAIN = 120.0  # degrees per unit of that ratio (approximate)
CROP = 128  # face crops are resized to this width before sharpness / exposure measures


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """Gate thresholds (live frames of a 640×480 kiosk camera by default)."""

    min_inter_eye: float = 90.0
    max_face_width: float = 0.7  # of the frame width
    max_yaw: float = 15.0
    max_pitch: float = 18.0
    min_sharpness: float = 40.0  # variance of the Laplacian of the 128-px-wide gray face crop
    min_brightness: float = 60.0
    max_brightness: float = 200.0
    max_clipped: float = 0.12  # fraction of face pixels at 0-5 or 250-255
    max_uneven: float = 0.6  # |left - right| / mean brightness of the two face halves
    min_eye_openness: float = 0.7  # eye aspect ratio over the person's open-eye baseline
    min_ear: float = 0.12  # absolute eye aspect ratio floor when no baseline is known yet


@dataclass(frozen=True, slots=True)
class QualityMeasures:
    inter_eye: float
    yaw: float
    pitch: float
    sharpness: float
    brightness: float
    clipped: float
    uneven: float
    ear: float | None = None

    @property
    def rank(self) -> float:
        """Lower is better: the most frontal, sharpest frame wins."""
        return abs(self.yaw) + abs(self.pitch) - 5.0 * min(self.sharpness / 200.0, 2.0)


@dataclass(frozen=True, slots=True)
class QualityReport:
    faces: int
    hints: tuple[Hint, ...]
    measures: QualityMeasures | None = None

    @property
    def passed(self) -> bool:
        return not self.hints


def pose_angles(face: Detection) -> tuple[float, float]:
    """Approximate (yaw, pitch) in degrees from five landmarks; yaw > 0: nose to the image's right."""
    a, b = np.array(face.eyes[0]), np.array(face.eyes[1])
    iod = float(np.hypot(*(b - a)))
    if iod <= 0:
        return 0.0, 0.0
    axis = (b - a) / iod
    normal = np.array([-axis[1], axis[0]])
    mid = (a + b) / 2.0
    nose = np.array(face.nose) - mid
    mouth = (np.array(face.mouth[0]) + np.array(face.mouth[1])) / 2.0 - mid
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, float(nose @ axis) / iod / NOSE_DEPTH))))
    down = float(mouth @ normal)
    pitch = (float(nose @ normal) / down - PITCH_NEUTRAL) * PITCH_GAIN if down > 0 else 90.0
    return yaw, pitch


def measure(image: Image, face: Detection, ear: float | None = None) -> QualityMeasures:
    x, y, w, h = (round(v) for v in face.box)
    ih, iw = image.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, iw), min(y + h, ih)
    gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY) if x1 > x0 and y1 > y0 else None
    if gray is None or gray.size < 16:
        sharp = bright = uneven = 0.0
        clipped = 1.0
    else:
        crop = cv2.resize(gray, (CROP, max(8, round(CROP * gray.shape[0] / gray.shape[1]))))
        sharp = float(cv2.Laplacian(crop, cv2.CV_64F).var())
        bright = float(crop.mean())
        clipped = float(np.mean((crop <= 5) | (crop >= 250)))
        half = crop.shape[1] // 2
        left, right = float(crop[:, :half].mean()), float(crop[:, half:].mean())
        uneven = abs(left - right) / max((left + right) / 2.0, 1.0)
    yaw, pitch = pose_angles(face)
    return QualityMeasures(face.inter_eye_distance, yaw, pitch, sharp, bright, clipped, uneven, ear)


def assess(
    image: Image,
    faces: list[Detection],
    cfg: QualityConfig,
    ear: float | None = None,
    ear_baseline: float | None = None,
) -> QualityReport:
    """Gate one frame: ``faces`` from the engine's detector, ``ear`` of the largest face if known."""
    if not faces:
        return QualityReport(0, (Hint.NO_FACE,))
    if len(faces) > 1 and faces[1].area > 0.25 * faces[0].area:
        return QualityReport(len(faces), (Hint.ONE_PERSON_ONLY,))
    face = faces[0]
    m = measure(image, face, ear)
    return QualityReport(len(faces), _hints(image, face, m, cfg, ear_baseline), m)


def _hints(
    image: Image, face: Detection, m: QualityMeasures, cfg: QualityConfig, base: float | None
) -> tuple[Hint, ...]:
    hints: list[Hint] = []
    ih, iw = image.shape[:2]
    x, y, w, h = face.box
    if m.inter_eye < cfg.min_inter_eye:
        hints.append(Hint.MOVE_CLOSER)
    elif w > cfg.max_face_width * iw:
        hints.append(Hint.MOVE_BACK)
    if x < 0 or y < 0 or x + w > iw or y + h > ih:
        hints.append(Hint.CENTER_FACE)
    if abs(m.yaw) > cfg.max_yaw or abs(m.pitch) > cfg.max_pitch:
        hints.append(Hint.LOOK_STRAIGHT)
    if m.brightness < cfg.min_brightness:
        hints.append(Hint.TOO_DARK)
    elif m.brightness > cfg.max_brightness or m.clipped > cfg.max_clipped:
        hints.append(Hint.TOO_BRIGHT)
    elif m.uneven > cfg.max_uneven:
        hints.append(Hint.UNEVEN_LIGHT)
    if m.sharpness < cfg.min_sharpness:
        hints.append(Hint.HOLD_STILL)
    if m.ear is not None:
        floor = cfg.min_eye_openness * base if base else cfg.min_ear
        if m.ear < floor:
            hints.append(Hint.OPEN_EYES)
    return tuple(hints)

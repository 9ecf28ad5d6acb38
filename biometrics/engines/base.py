"""The engine interface: detect faces, turn one into a template, compare two templates."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.imaging import Image

XY = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Detection:
    """A face found by an engine's detector: box (x, y, w, h), five landmarks, confidence.

    ``eyes`` are ordered by image x (image-left first); ``raw`` keeps the engine's own output for alignment.
    """

    box: tuple[float, float, float, float]
    eyes: tuple[XY, XY]
    nose: XY
    mouth: tuple[XY, XY]
    confidence: float
    raw: tuple[float, ...] = ()

    @property
    def inter_eye_distance(self) -> float:
        (ax, ay), (bx, by) = self.eyes
        return math.hypot(bx - ax, by - ay)

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


class Template:
    """A face template (embedding): biometric data, kept in memory only, never printed.

    :meth:`wipe` overwrites the vector; the verifier calls it once a decision is made.
    """

    __slots__ = ("_vector", "engine")

    def __init__(self, vector: npt.NDArray[np.float32], engine: str) -> None:
        self._vector = np.array(vector, dtype=np.float32).reshape(-1)
        self.engine = engine

    @property
    def vector(self) -> npt.NDArray[np.float32]:
        return self._vector

    def wipe(self) -> None:
        self._vector.fill(0.0)

    def __repr__(self) -> str:
        return f"<Template {self.engine} dim={self._vector.size} (hidden)>"

    __str__ = __repr__


class FaceEngine(ABC):
    """One detector + recognizer pair.  ``compare`` returns a similarity (higher = more alike), and
    ``threshold`` is that engine's calibrated accept point on the same scale (accept iff score ≥ it)."""

    name: str
    threshold: float
    score_kind: str

    @property
    @abstractmethod
    def version(self) -> str:
        """Engine, model and library versions, e.g. for the decision record."""

    @abstractmethod
    def detect(self, image: Image, max_width: int | None = None) -> list[Detection]:
        """All faces in ``image``, largest first, in ``image`` coordinates.

        ``max_width``: the detector may run on a copy downscaled to this width (live frames, for speed);
        portraits are searched at full size."""

    @abstractmethod
    def embed(self, image: Image, face: Detection) -> Template:
        """The template of ``face`` (a detection from :meth:`detect` on the same image)."""

    @abstractmethod
    def compare(self, a: Template, b: Template) -> float:
        """Similarity of two templates of this engine."""


def five_points(
    eyes: tuple[XY, XY], nose: XY, mouth: tuple[XY, XY]
) -> tuple[tuple[XY, XY], XY, tuple[XY, XY]]:
    """Order eyes and mouth corners by image x."""
    e = tuple(sorted(eyes))
    m = tuple(sorted(mouth))
    return (e[0], e[1]), nose, (m[0], m[1])

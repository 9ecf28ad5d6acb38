"""Verification error rates on a folder of portraits: one sub-folder per person (ISO/IEC 19795-1 terms).

Every image is enrolled once (largest face); every pair of images of the same person is a genuine
comparison, every pair across people an impostor comparison.  FMR and FNMR are reported at the engine's
threshold and over a sweep, with the 95 % upper confidence bound of the FMR (Clopper-Pearson; with N
impostor pairs and no false accept it is 1 − 0.05^(1/N) ≈ 3/N, the "rule of three").
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.camera import IMAGE_SUFFIXES
from biometrics.engines import FaceEngine, Template
from biometrics.errors import BiometricsError, ImageDecodeError, NoFaceError
from biometrics.imaging import decode_image
from biometrics.verifier import portrait_template

Scores = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pair:
    a: str  # "person/file"
    b: str
    score: float
    genuine: bool


@dataclass(frozen=True, slots=True)
class EvalResult:
    engine: str
    engine_version: str
    threshold: float
    people: int
    images: int
    failed_to_enrol: tuple[str, ...]
    pairs: tuple[Pair, ...]

    @property
    def genuine(self) -> Scores:
        return np.array([p.score for p in self.pairs if p.genuine], dtype=np.float64)

    @property
    def impostor(self) -> Scores:
        return np.array([p.score for p in self.pairs if not p.genuine], dtype=np.float64)

    def rates(self, threshold: float) -> tuple[float, float, int, int]:
        """(fnmr, fmr, false non-matches, false matches) at ``threshold`` (accept iff score ≥ it)."""
        g, i = self.genuine, self.impostor
        fnm, fm = int((g < threshold).sum()), int((i >= threshold).sum())
        return fnm / max(len(g), 1), fm / max(len(i), 1), fnm, fm

    def sweep(self, steps: int = 21) -> list[tuple[float, float, float]]:
        """(threshold, fmr, fnmr) rows over the score range."""
        lo = float(min(self.impostor.min(initial=0.0), self.genuine.min(initial=0.0)))
        hi = float(max(self.impostor.max(initial=1.0), self.genuine.max(initial=1.0)))
        rows = []
        for t in np.linspace(lo, hi, steps):
            fnmr, fmr, _, _ = self.rates(float(t))
            rows.append((float(t), fmr, fnmr))
        return rows

    def summary(self) -> dict[str, object]:
        fnmr, fmr, fnm, fm = self.rates(self.threshold)
        g, i = self.genuine, self.impostor
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "threshold": self.threshold,
            "people": self.people,
            "images": self.images,
            "failed_to_enrol": list(self.failed_to_enrol),
            "genuine_pairs": len(g),
            "impostor_pairs": len(i),
            "false_non_matches": fnm,
            "false_matches": fm,
            "fnmr": fnmr,
            "fmr": fmr,
            "fmr_upper_bound_95": fmr_upper_bound(fm, len(i)),
            "fnmr_upper_bound_95": fmr_upper_bound(fnm, len(g)),
            "genuine_min": None if not len(g) else round(float(g.min()), 4),
            "impostor_max": None if not len(i) else round(float(i.max()), 4),
        }


def fmr_upper_bound(errors: int, trials: int, confidence: float = 0.95) -> float | None:
    """One-sided Clopper-Pearson upper bound of an error rate (``None`` without trials)."""
    if trials <= 0:
        return None
    if errors >= trials:
        return 1.0
    alpha = 1.0 - confidence
    if errors == 0:
        return float(1.0 - alpha ** (1.0 / trials))
    lo, hi = errors / trials, 1.0
    for _ in range(60):  # bisection on P(X ≤ errors | trials, p) = alpha
        mid = (lo + hi) / 2
        if _binom_cdf(errors, trials, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def _binom_cdf(k: int, n: int, p: float) -> float:
    logs = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k + 1)
    ]
    return float(sum(math.exp(v) for v in logs))


def list_people(folder: Path) -> dict[str, list[Path]]:
    """``{person: [image, ...]}`` of a set folder (hidden entries and other files ignored)."""
    if not folder.is_dir():
        raise BiometricsError(f"{folder} is not a folder")
    people = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            people[sub.name] = images
    if len(people) < 2:
        raise BiometricsError(f"{folder} needs at least two person sub-folders with images")
    return people


def evaluate(engine: FaceEngine, folder: Path, threshold: float | None = None) -> EvalResult:
    """Enrol every image of ``folder`` with ``engine`` and score all pairs."""
    people = list_people(folder)
    templates: dict[str, Template] = {}
    failed: list[str] = []
    for person, images in people.items():
        for path in images:
            key = f"{person}/{path.name}"
            try:
                image = decode_image(path.read_bytes())
                templates[key], _ = portrait_template(engine, image)
            except (ImageDecodeError, NoFaceError):
                failed.append(key)
    pairs = []
    try:
        for (ka, ta), (kb, tb) in itertools.combinations(templates.items(), 2):
            genuine = ka.split("/")[0] == kb.split("/")[0]
            pairs.append(Pair(ka, kb, engine.compare(ta, tb), genuine))
    finally:
        for t in templates.values():
            t.wipe()
    n_images = sum(len(v) for v in people.values())
    at = engine.threshold if threshold is None else threshold
    return EvalResult(engine.name, engine.version, at, len(people), n_images, tuple(failed), tuple(pairs))

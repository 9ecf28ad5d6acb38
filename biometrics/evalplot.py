"""The evaluation's figure (PNG, drawn with OpenCV): score distributions and the DET curve."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from biometrics.evaluation import EvalResult

W, H, M = 560, 420, 50
GEN, IMP, THR, INK = (40, 160, 40), (40, 40, 200), (200, 120, 0), (30, 30, 30)


def _panel() -> np.ndarray:  # type: ignore[type-arg]
    img = np.full((H, W, 3), 255, np.uint8)
    cv2.rectangle(img, (M, M // 2), (W - M // 2, H - M), INK, 1)
    return img


def _text(img: np.ndarray, s: str, x: int, y: int, color: tuple[int, int, int] = INK) -> None:  # type: ignore[type-arg]
    cv2.putText(img, s, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.42, color, 1, cv2.LINE_AA)


def histogram_panel(r: EvalResult) -> np.ndarray:  # type: ignore[type-arg]
    img = _panel()
    lo = min(float(r.impostor.min(initial=0.0)), float(r.genuine.min(initial=0.0)), r.threshold) - 0.05
    hi = max(float(r.impostor.max(initial=1.0)), float(r.genuine.max(initial=1.0)), r.threshold) + 0.05
    bins = np.linspace(lo, hi, 41)
    x0, x1, y0, y1 = M, W - M // 2, H - M, M // 2
    for scores, color in ((r.impostor, IMP), (r.genuine, GEN)):
        if not len(scores):
            continue
        hist, _ = np.histogram(scores, bins)
        frac = hist / hist.sum()
        for k, f in enumerate(frac):
            xa = int(x0 + (x1 - x0) * k / 40)
            xb = int(x0 + (x1 - x0) * (k + 1) / 40)
            cv2.rectangle(img, (xa, int(y0 - (y0 - y1) * f / max(frac.max(), 1e-9))), (xb, y0), color, 1)
    tx = int(x0 + (x1 - x0) * (r.threshold - lo) / (hi - lo))
    cv2.line(img, (tx, y1), (tx, y0), THR, 2)
    _text(img, f"scores ({r.engine}); threshold {r.threshold:.3f}", M, 18)
    _text(img, f"genuine n={len(r.genuine)}", x0 + 5, y1 + 15, GEN)
    _text(img, f"impostor n={len(r.impostor)}", x0 + 5, y1 + 30, IMP)
    _text(img, f"{lo:.2f}", x0 - 10, y0 + 18)
    _text(img, f"{hi:.2f}", x1 - 30, y0 + 18)
    return img


def det_panel(r: EvalResult) -> np.ndarray:  # type: ignore[type-arg]
    """FNMR against FMR on log axes; zero rates are drawn at the resolution floor 1/(2N)."""
    img = _panel()
    n_i, n_g = max(len(r.impostor), 1), max(len(r.genuine), 1)
    floor = min(0.5 / n_i, 0.5 / n_g)
    lmin = math.floor(math.log10(floor))
    x0, x1, y0, y1 = M, W - M // 2, H - M, M // 2

    def pt(fmr: float, fnmr: float) -> tuple[int, int]:
        fx = (math.log10(max(fmr, floor)) - lmin) / -lmin
        fy = (math.log10(max(fnmr, floor)) - lmin) / -lmin
        return int(x0 + (x1 - x0) * fx), int(y0 - (y0 - y1) * fy)

    scores = np.unique(np.concatenate([r.genuine, r.impostor, [r.threshold]]))
    pts = [pt(r.rates(float(t))[1], r.rates(float(t))[0]) for t in scores]
    cv2.polylines(img, [np.array(pts, np.int32)], False, INK, 2, cv2.LINE_AA)
    fnmr, fmr, _, _ = r.rates(r.threshold)
    cv2.circle(img, pt(fmr, fnmr), 5, THR, -1)
    _text(img, f"DET: FNMR vs FMR (log); at threshold FMR={fmr:.4f} FNMR={fnmr:.4f}", M, 18)
    _text(img, f"1e{lmin}", x0 - 10, y0 + 18)
    _text(img, "1", x1 - 5, y0 + 18)
    _text(img, "FMR", (x0 + x1) // 2, y0 + 35)
    _text(img, "FNMR", 5, (y0 + y1) // 2)
    return img


def write_plot(r: EvalResult, path: Path) -> None:
    img = np.hstack([histogram_panel(r), det_panel(r)])
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")

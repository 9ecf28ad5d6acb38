"""Face verification timings per engine on this machine: ``python -m benchmarks.face_bench [ENGINE ...]``.

- per live frame: detect + 68 landmarks + quality gates + embedding, on 640×480 frames of the simulated
  camera (the chip photo's template is computed once, outside the loop);
- per capture: a whole ``FaceVerifier.verify`` (positioning, turn + blink challenge, closing frame, probe
  templates, decision) on the simulated live person; the figure is the analysis time the decision reports
  (``compute_seconds``), which excludes rendering the simulated frames and the user's movement time.
Targets for the default engine: ≤ 60 ms per frame, ≤ 1.5 s per capture.
"""

from __future__ import annotations

import statistics
import sys
import time

from biometrics.engines import get_engine
from biometrics.landmarks import eye_aspect_ratio, shared_landmarker
from biometrics.liveness import Challenge
from biometrics.quality import QualityConfig, assess
from biometrics.sim import SimulatedCamera
from biometrics.verifier import FaceConfig, FaceVerifier
from sims.people import FACES_DIR as FACES  # the shipped photos; sources in its SOURCES.md

CHIP, LIVE = "rose_leslie/img1.jpg", "rose_leslie/img2.jpg"
FRAMES = 30
CAPTURES = 5


def _ms(values: list[float]) -> str:
    v = sorted(values)
    p90 = v[min(len(v) - 1, round(0.9 * (len(v) - 1)))]
    return f"median {statistics.median(v) * 1e3:6.1f} ms, p90 {p90 * 1e3:6.1f} ms, max {v[-1] * 1e3:6.1f} ms"


def per_frame(engine_name: str) -> tuple[list[float], list[float]]:
    """(whole frame, detection only) times over FRAMES simulated frames."""

    engine, landmarker, cfg = get_engine(engine_name), shared_landmarker(), QualityConfig()
    cam = SimulatedCamera.live((FACES / LIVE).read_bytes(), max_seconds=FRAMES / 15.0 + 1)
    frames = [cam.read() for _ in range(FRAMES)]
    totals, detects = [], []
    for f in frames:
        assert f is not None
        t0 = time.perf_counter()
        faces = engine.detect(f.image, FaceConfig().detect_width)  # as a capture does
        t1 = time.perf_counter()
        ear = eye_aspect_ratio(landmarker.landmarks(f.image, faces[0].box))
        assess(f.image, faces, cfg, ear)
        engine.embed(f.image, faces[0]).wipe()
        totals.append(time.perf_counter() - t0)
        detects.append(t1 - t0)
    return totals, detects


def per_capture(engine_name: str) -> list[tuple[float, int, str]]:

    verifier = FaceVerifier(FaceConfig(engine=engine_name, max_attempts=1))
    chip = (FACES / CHIP).read_bytes()
    out = []
    for seed in range(CAPTURES):
        cam = SimulatedCamera.live((FACES / LIVE).read_bytes(), seed=seed)
        d = verifier.verify(chip, cam, Challenge.random())
        out.append((d.compute_seconds, d.frames, d.outcome.value))
    return out


def main(argv: list[str] | None = None) -> None:
    names = (argv if argv is not None else sys.argv[1:]) or ["sface", "dlib"]
    if not FACES.is_dir():
        print(f"skipped: no face photos at {FACES}")
        return

    for name in names:
        t0 = time.perf_counter()
        engine = get_engine(name)
        print(f"{name}: {engine.version}; load + SHA-256 check {time.perf_counter() - t0:.2f} s")
        totals, detects = per_frame(name)
        print(f"  per frame (detect+landmarks+quality+embedding, 640x480, n={FRAMES}): {_ms(totals)}")
        print(f"    of which detection: {_ms(detects)}")
        caps = per_capture(name)
        secs = [c[0] for c in caps]
        print(
            f"  per capture (n={CAPTURES}): compute median {statistics.median(secs):.2f} s, "
            f"max {max(secs):.2f} s; frames {[c[1] for c in caps]}; outcomes {sorted({c[2] for c in caps})}"
        )


if __name__ == "__main__":
    main()

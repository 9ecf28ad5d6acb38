"""``cccd face-eval DIR [--engine NAME] [--out DIR] [--json]``: face verification error rates on a folder
with one sub-folder per person (biometrics.evaluation)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from biometrics.engines import DEFAULT_ENGINE, create_engine
from biometrics.errors import BiometricsError
from biometrics.evalplot import write_plot
from biometrics.evaluation import evaluate

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser("face-eval", help="face verification FMR/FNMR on a folder of people")
    p.add_argument("folder", type=Path, metavar="DIR", help="one sub-folder of images per person")
    p.add_argument("--engine", default=None, help="face engine: sface (default) or dlib")
    p.add_argument(
        "--threshold", type=float, default=None, help="score at which to report (default: the engine's)"
    )
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="write det.png, pairs.csv, sweep.csv, summary.json"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_face_eval)


def cmd_face_eval(args: argparse.Namespace) -> int:

    try:
        engine = create_engine(args.engine or DEFAULT_ENGINE)
        result = evaluate(engine, args.folder, args.threshold)
    except BiometricsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if not args.folder.is_dir() else EXIT_ERROR
    summary = result.summary()
    if args.out:
        _write_outputs(result, summary, args.out)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print_table(result, summary)
    return EXIT_OK


def _write_outputs(result: Any, summary: dict[str, object], out: Path) -> None:

    out.mkdir(parents=True, exist_ok=True)
    write_plot(result, out / "det.png")
    with (out / "pairs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "score", "genuine"])
        for p in result.pairs:
            w.writerow([p.a, p.b, f"{p.score:.5f}", int(p.genuine)])
    with (out / "sweep.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["threshold", "fmr", "fnmr"])
        for t, fmr, fnmr in result.sweep():
            w.writerow([f"{t:.4f}", f"{fmr:.5f}", f"{fnmr:.5f}"])
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def _print_table(result: Any, s: dict[str, Any]) -> None:
    print(f"engine     {s['engine']} ({s['engine_version']})")
    print(
        f"set        {s['people']} people, {s['images']} images, failed to enrol: {len(s['failed_to_enrol'])}"
    )
    print(f"pairs      {s['genuine_pairs']} genuine, {s['impostor_pairs']} impostor")
    print(f"threshold  {s['threshold']}")
    print(f"FNMR       {s['fnmr']:.4f} ({s['false_non_matches']}/{s['genuine_pairs']})")
    ub = s["fmr_upper_bound_95"]
    print(
        f"FMR        {s['fmr']:.4f} ({s['false_matches']}/{s['impostor_pairs']}); 95% upper bound "
        f"{'-' if ub is None else f'{ub:.4f}'}"
    )
    print(f"scores     genuine min {s['genuine_min']}, impostor max {s['impostor_max']}")
    print("\nthreshold     FMR      FNMR")
    for t, fmr, fnmr in result.sweep():
        print(f"{t:9.3f}  {fmr:8.4f}  {fnmr:8.4f}")

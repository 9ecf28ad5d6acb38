"""``python -m fuzz TARGET [libFuzzer options]``: fuzz one target with atheris on its seed corpus.

The corpus directory ``fuzz/corpus/TARGET`` is read; new inputs go to ``build/fuzz/corpus/TARGET`` (the
repository's seeds stay small) and crashes to ``build/fuzz/crashes/TARGET``.  Examples::

    python -m fuzz dg13 -max_total_time=60
    python -m fuzz --list
    python -m fuzz dg13 --repro FILE...     # run the target once on each file, show the traceback
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import atheris

from fuzz.instrument import EXCLUDE, INSTRUMENT

HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("FUZZ_WORKDIR") or HERE.parent / "build" / "fuzz")  # new inputs and crashes


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    modules = INSTRUMENT.get(name, ())
    if os.environ.get("FUZZ_QUICK"):  # the short runs of the tests: our code only (asn1crypto costs ~3 s)
        modules = tuple(m for m in modules if m.split(".")[0] in ("reader", "kiosk"))
    with atheris.instrument_imports(include=list(modules), exclude=list(EXCLUDE.get(name, ()))):
        for module in modules:  # the code under test, instrumented for coverage
            importlib.import_module(module)
        if name == "full_read":
            import reader.engine  # noqa: F401 - every module of the read
    from fuzz.targets import TARGETS, run_one

    if name == "--list":
        print("\n".join(TARGETS))
        return 0
    if name not in TARGETS:
        print(f"fuzz: no target {name!r} (python -m fuzz --list)", file=sys.stderr)
        return 2
    if argv[2:3] == ["--repro"]:
        for file in argv[3:]:
            print(f"{file}: ", end="", flush=True)
            run_one(name, Path(file).read_bytes())
            print("no finding")
        return 0
    if name == "full_read":  # the simulated card: not instrumented (it is not the code under test)
        from fuzz.targets import _genuine

        _genuine()
    out = BUILD / "corpus" / name
    crashes = BUILD / "crashes" / name
    out.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    options = argv[2:]
    args = [argv[0], *options, f"-artifact_prefix={crashes}/", str(out), str(HERE / "corpus" / name)]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

    def one_input(data: bytes) -> None:
        run_one(name, data)

    atheris.Setup(args, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

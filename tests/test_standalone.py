"""The repository stands alone (issue 11, "Self-contained repository").

A clone with nothing beside it must run ``make demo`` and pass ``make test``: no code, test, doc, Makefile or
script may reach for a ``shared/`` folder next to the repository, every document a docstring cites must be
in the repository, and the data the tests and the simulated people need ships inside it with its sources.
``.ci/run`` proves the whole of it by running ``make test`` in a fresh clone in an empty directory.
"""

from __future__ import annotations

import configparser
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()

SKIP_DIRS = {".git", ".venv", "venv", "build", "dist", "out", "__pycache__", ".pytest_cache", ".mypy_cache",
             ".ruff_cache", "node_modules"}  # fmt: skip
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".txt", ".sh", ".json", ".ini", ".yml", ".yaml", ".service",
                 ".timer", ".conf", ".html", ".js", ".css", ".in"}  # fmt: skip
TEXT_NAMES = {"Makefile", "run", "Dockerfile"}

# A parent-directory reference folder: its relative path (two dots, a slash, its name), its absolute path, or
# a path built from a parent (the repository's parent joined with the folder's name).
PARENT_SHARED = re.compile(r"\.\./shared|/work/shared|parent.*shared", re.IGNORECASE)
MD_REF = re.compile(r"(?<![\w./-])([\w./-]*[\w-]+\.md)\b")
GENERATED_MD = {"OUT/SOURCES.md"}  # written by scripts/face-build-evalset.py into its output folder


@functools.cache
def _files() -> tuple[Path, ...]:
    """Every file of the checkout, not descending into the virtualenv, build output or caches."""
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [Path(root, f) for f in files]
    return tuple(found)


def text_files() -> Iterator[Path]:
    for path in _files():
        if (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES) and path != THIS:
            yield path


def test_nothing_refers_to_a_shared_folder_beside_the_repository() -> None:
    offenders = []
    for path in text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if PARENT_SHARED.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()[:100]}")
    assert not offenders, "references outside the repository:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_must() -> None:
    name = "sha" + "red"  # spelled in two pieces: this file holds the guard, not a reference
    for bad in (f"see ../{name}/docs/x.md", f'ROOT = REPO.parent / "{name}"', f"open('/work/{name}/v.json')",
                f'Path(__file__).parents[2] / "{name}" / "data"'):  # fmt: skip
        assert PARENT_SHARED.search(bad), bad
    assert not PARENT_SHARED.search("the relay retries after a shared outage")


def test_every_cited_document_exists() -> None:
    """``cccd-chip.md §3`` in a docstring must name a file of the repository (docs/cccd-chip.md)."""
    names = {p.name for p in _files()}
    missing = []
    for path in text_files():
        for ref in MD_REF.findall(path.read_text(encoding="utf-8", errors="replace")):
            ref = ref.lstrip("./")
            if ref in GENERATED_MD:
                continue
            exists = (REPO / ref).is_file() if "/" in ref else ref in names
            if not exists:
                missing.append(f"{path.relative_to(REPO)}: {ref}")
    assert not missing, "documents cited but not in the repository:\n" + "\n".join(sorted(set(missing)))


def test_chip_facts_and_integrations_are_in_docs() -> None:
    chip = (REPO / "docs" / "cccd-chip.md").read_text(encoding="utf-8")
    for section in range(1, 8):  # the code cites §1 … §7
        assert re.search(rf"^## {section}\. ", chip, re.MULTILINE), f"cccd-chip.md §{section}"
    assert "## Sources" in chip
    integrations = (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")
    for heading in ("Who receives what", "Hospitals", "The verification record", "Delivering it",
                    "Personal data protection", "Sources"):  # fmt: skip
        assert re.search(rf"^#+ {heading}", integrations, re.MULTILINE), heading
    for duty in range(1, 7):
        assert re.search(rf"^{duty}\. \*\*", integrations, re.MULTILINE), f"duty {duty}"


def test_test_data_ships_with_its_sources() -> None:
    vectors = REPO / "tests" / "vectors"
    assert (vectors / "icao9303.json").is_file() and (vectors / "SOURCES.md").is_file()
    faces = REPO / "sims" / "data" / "faces"
    assert (faces / "SOURCES.md").is_file()
    photos = sorted(faces.glob("*/*.jpg"))
    assert len(photos) == 15  # 6 people, as SOURCES.md lists them
    listed = (faces / "SOURCES.md").read_text(encoding="utf-8")
    for photo in photos:
        assert f"`{photo.name}`" in listed, photo


def test_the_package_ships_the_faces() -> None:
    """``pip install .`` must carry the portraits: the simulated people need a detectable face."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    globs = [g.strip() for g in cfg["options.package_data"]["sims"].split(",")]
    shipped = {p for g in globs for p in (REPO / "sims").glob(g)}
    wanted = {p for p in (REPO / "sims" / "data" / "faces").rglob("*") if p.is_file()}
    assert wanted <= shipped, sorted(str(p.relative_to(REPO)) for p in wanted - shipped)


@pytest.mark.parametrize("skip", [r"pytest\.skip\(", r"skipif\("])
def test_no_external_truth_test_skips_on_missing_data(skip: str) -> None:
    """A vector file or a photo set that is missing fails its tests; nothing skips for a missing file."""
    pattern = re.compile(skip + r"[^\n]*(exists|is_file|not found|missing|shared)", re.IGNORECASE)
    offenders = []
    for path in [*REPO.joinpath("tests").rglob("*.py"), *REPO.joinpath("benchmarks").rglob("*.py")]:
        if path != THIS and pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, offenders


def test_ci_runs_make_test_in_a_fresh_clone() -> None:
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "mktemp -d" in run and "git clone" in run and "make test" in run

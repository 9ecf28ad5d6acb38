"""The product as a wheel (issue 11, "Installable like a product"): built offline from the sources, its
metadata declares the runtime dependencies (ranges every pin of requirements*.txt satisfies) and the face and
ui extras, it carries the package data the code reads at run time, and one version source feeds it all."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from cccd import __version__
from cccd.cli import main

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("cccd", "kiosk", "reader", "biometrics", "ui", "sims", "firmware_configs")


def _pins(name: str) -> dict[str, str]:
    out = {}
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pkg, version = line.split("==")
            out[Requirement(pkg.strip()).name.lower()] = version.strip()  # psycopg[binary] is psycopg
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel --no-deps`` of a copy of the sources (no build/ or egg-info left in the checkout), offline:
    no index, no build isolation (setuptools and wheel of the venv, requirements-dev.txt)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    for name in SOURCES:
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (built,) = out.glob("cccd_kiosk-*.whl")
    return built


def _metadata(wheel: Path) -> tuple[list[str], object]:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return names, Parser().parsestr(z.read(meta).decode())


def test_wheel_version_is_the_one_source(wheel: Path) -> None:
    _, meta = _metadata(wheel)
    assert meta["Version"] == __version__  # type: ignore[index]
    assert wheel.name.startswith(f"cccd_kiosk-{__version__}-")
    assert f"## {__version__}" in (REPO / "CHANGELOG.md").read_text()


def test_requirements_match_the_pins(wheel: Path) -> None:
    _, meta = _metadata(wheel)
    reqs = [Requirement(r) for r in meta.get_all("Requires-Dist")]  # type: ignore[attr-defined]
    by_extra: dict[str, dict[str, Requirement]] = {}
    for r in reqs:
        m = re.search(r'extra == "(\w+)"', str(r.marker)) if r.marker else None
        by_extra.setdefault(m.group(1) if m else "", {})[r.name.lower()] = r
    assert set(by_extra) == {"", "face", "ui"}
    runtime = _pins("requirements.txt")
    face, ui = _pins("requirements-face.txt"), _pins("requirements-ui.txt")
    expected = {
        "": {**runtime, "opencv-python-headless": face["opencv-python-headless"], "numpy": face["numpy"]},
        "face": {k: v for k, v in face.items() if k not in ("opencv-python-headless", "numpy")},
        "ui": {k: v for k, v in ui.items() if k != "pytest-qt"},
    }  # pytest-qt: tests only
    for extra, pins in expected.items():
        assert set(by_extra[extra]) == set(pins), extra
        for name, version in pins.items():
            assert by_extra[extra][name].specifier.contains(version), (extra, name, version)
            assert by_extra[extra][name].specifier, f"{name} has no version range"


def test_package_data_is_inside(wheel: Path) -> None:
    names, _ = _metadata(wheel)
    for required in (
        "firmware_configs/readers.toml",
        "firmware_configs/card_access.toml",
        "firmware_configs/profiles/hospital.toml",
        "firmware_configs/profiles/bank.toml",
        "sims/profiles/default.toml",
        "sims/data/faces/SOURCES.md",
        "sims/data/faces/obama/obama.jpg",
        "ui/i18n/vi.json",
        "ui/i18n/en.json",
        "cccd/cli/doctor.py",
        "kiosk/config.py",
    ):
        assert required in names, required
    faces = [n for n in names if n.startswith("sims/data/faces/") and n.endswith(".jpg")]
    assert len(faces) == len(list((REPO / "sims/data/faces").rglob("*.jpg")))
    assert not [n for n in names if n.startswith("tests/")]
    with zipfile.ZipFile(wheel) as z:
        entry = next(n for n in names if n.endswith("entry_points.txt"))
        assert "cccd = cccd.cli:main" in z.read(entry).decode()


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"cccd {__version__}"

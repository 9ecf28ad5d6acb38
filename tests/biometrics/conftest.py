"""Biometrics fixtures: the face photos shipped in sims/data/faces (sources in its SOURCES.md) and the
engines, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sims.people import FACES_DIR as FACES


@pytest.fixture(scope="session")
def faces() -> Path:
    """External truth (real photos of known people): missing photos fail the tests, they never skip."""
    if not (FACES / "obama" / "obama.jpg").is_file():
        pytest.fail(f"the face photos are missing from the repository: {FACES}")
    return FACES


@pytest.fixture(scope="session")
def photo(faces: Path):  # type: ignore[no-untyped-def]
    """``photo("obama/obama.jpg")`` → the file's bytes."""

    def read(rel: str) -> bytes:
        return (faces / rel).read_bytes()

    return read


@pytest.fixture(scope="session")
def sface():  # type: ignore[no-untyped-def]
    from biometrics.engines import get_engine

    return get_engine("sface")


@pytest.fixture(scope="session")
def dlib_engine():  # type: ignore[no-untyped-def]
    from biometrics.engines import get_engine
    from biometrics.errors import BiometricsError

    try:
        return get_engine("dlib")
    except BiometricsError as exc:
        pytest.skip(f"dlib engine unavailable: {exc}")


@pytest.fixture(scope="session", params=["sface", "dlib"])
def engine(request, sface, faces):  # type: ignore[no-untyped-def]
    if request.param == "sface":
        return sface
    return request.getfixturevalue("dlib_engine")


@pytest.fixture(scope="session")
def landmarker():  # type: ignore[no-untyped-def]
    from biometrics.landmarks import shared_landmarker

    return shared_landmarker()

"""Shared fixtures: the spec vectors from ../shared/vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS_PATH = SHARED / "vectors" / "icao9303.json"


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    if not VECTORS_PATH.exists():
        pytest.skip(f"spec vectors not found at {VECTORS_PATH}")
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return data

"""UI tests run offscreen (no display, no audio device)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest

from ui.i18n import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()

"""biometrics/ stands alone: no reader/, kiosk/ or ui/ imports, no Qt, never the GUI OpenCV build."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "biometrics"
FORBIDDEN = ("reader", "kiosk", "ui", "sims", "PySide6", "PyQt5", "PyQt6")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_forbidden_imports(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_headless_opencv_only() -> None:
    for gui in ("opencv-python", "opencv-contrib-python"):
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.version(gui)

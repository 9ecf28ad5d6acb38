"""Qt stays inside ui/ (and its tests): no other package imports PySide6 or shiboken6."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
ALLOWED = (REPO / "ui", REPO / "tests" / "ui")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_qt_outside_ui() -> None:
    offenders = []
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO)
        if rel.parts[0] in (".venv", "build") or any(path.is_relative_to(a) for a in ALLOWED):
            continue
        if _imports(path) & set(QT):
            offenders.append(str(rel))
    assert offenders == []


def test_ui_does_not_call_the_machines() -> None:
    """The UI renders views and sends intents: it never imports the reader, biometrics or connectors."""
    for path in (REPO / "ui").rglob("*.py"):
        assert not _imports(path) & {"reader", "biometrics", "sims"}, path.name
        text = path.read_text(encoding="utf-8")
        assert "kiosk.connectors" not in text and "kiosk.runtime.chip" not in text, path.name

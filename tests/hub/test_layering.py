"""The hub's place in the layering (docs/hub.md; architecture: ``cccd → {ui, hub} → kiosk → {reader,
biometrics}``): hub/ imports neither ui/, sims/ nor the composition root, nor the parts of kiosk/ that
move there (the flow, the CLI); kiosk/ never imports hub/."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_HUB = ("ui", "sims", "cccd", "kiosk.flow", "cccd.cli", "cccd.demo", "cccd.fulldemo")


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


def test_hub_imports_only_downwards() -> None:
    bad = {
        f: sorted(n for n in names if any(n == x or n.startswith(x + ".") for x in FORBIDDEN_IN_HUB))
        for f, names in imports("hub").items()
    }
    assert not {f: n for f, n in bad.items() if n}


def test_kiosk_never_imports_hub() -> None:
    bad = {
        f: sorted(n for n in names if n == "hub" or n.startswith("hub."))
        for f, names in imports("kiosk").items()
    }
    assert not {f: n for f, n in bad.items() if n}

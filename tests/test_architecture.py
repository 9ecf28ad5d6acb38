"""The structure rules of docs/architecture.md that import-linter cannot express.

* Imports sit at module level.  A function-level import of a project module is allowed only where the
  laziness is the point, listed in :data:`LAZY_IMPORTS` with its reason.
* Each rule exists once: the CAN, the ID's document number, ``YYMMDD`` dates, the Vietnam time zone, the
  MRZ → access-key parser, the subject model.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = {"cccd", "ui", "kiosk", "reader", "biometrics", "sims", "benchmarks", "hub", "receiver"}
SKIP = {".venv", "build", "tests", "fuzz"}

#: (file, imported module): why it is imported inside a function.
LAZY_IMPORTS = {
    ("cccd/cli/ui.py", "cccd.uiapp"): "Qt loads only for `cccd ui`: other commands run without its libraries",
    ("biometrics/engines/__init__.py", "biometrics.engines.sface"): "engines load by name (plug-ins)",
    ("biometrics/engines/__init__.py", "biometrics.engines.dlib_fr"): "dlib is optional (plug-in)",
}


def _sources() -> list[Path]:
    return [p for p in REPO.rglob("*.py") if p.relative_to(REPO).parts[0] not in SKIP]


def function_level_imports() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                found += [(str(path.relative_to(REPO)), n) for n in names if n.split(".")[0] in PROJECT]
    return found


def test_project_imports_are_at_module_level() -> None:
    unexplained = [f for f in function_level_imports() if f not in LAZY_IMPORTS]
    assert unexplained == []


def _grep(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    hits = []
    for path in _sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if rx.search(line) and not line.lstrip().startswith("#"):
                hits.append(f"{path.relative_to(REPO)}:{n}")
    return hits


def test_each_rule_is_written_once() -> None:
    rules = {
        # the CAN is the ID's last six digits (reader.lds.mrz.cccd_can)
        "CAN slice": (r"(id_number|personal_id)\W{0,3}\[(6|-6):\]|\bdoc\[-6:\]", 1),
        "def cccd_can": (r"^def cccd_can\(", 1),
        # the document number is the ID's last nine digits (reader.lds.mrz.cccd_document_number)
        "document-number slice": (r"(id_number|personal_id)\W{0,3}\[3:\]", 1),
        "def yymmdd": (r"^def _?yymmdd\(", 1),
        "UTC+7": (r"timedelta\(hours=7\)", 1),
        "MRZ parser": (r"^def (parse_mrz|bac_key_from_mrz)\(", 1),
        "subject model": (r"^class SubjectClaims\b", 1),
        "key-entry error base": (r"^class (KeyInputError|KeyEntryError)\(", 1),
    }
    for name, (pattern, expected) in rules.items():
        hits = _grep(pattern)
        assert len(hits) == expected, (name, hits)

"""The state diagram of the flow, generated from :data:`kiosk.flow.table.TABLE` (Mermaid text)."""

from __future__ import annotations

from pathlib import Path

from kiosk.flow.model import State
from kiosk.flow.table import TABLE

BEGIN = "<!-- BEGIN GENERATED DIAGRAM (kiosk.flow.diagram.mermaid) -->"
END = "<!-- END GENERATED DIAGRAM -->"
# Cancel and AskForHelp are accepted in (almost) every state; drawn once each to keep the diagram legible.
_GLOBAL = ("Cancel", "AskForHelp")


def mermaid() -> str:
    """``stateDiagram-v2`` text: one arrow per (state, target), labelled with the events that take it."""
    edges: dict[tuple[str, str], list[str]] = {}
    for (state, event), rule in TABLE.items():
        if event.__name__ in _GLOBAL:
            continue
        for target in sorted(rule.targets, key=lambda x: x.value):
            labels = edges.setdefault((state.value, target.value), [])
            if rule.label not in labels:
                labels.append(rule.label)
    lines = ["stateDiagram-v2", f"    [*] --> {State.ATTRACT.value}"]
    for (src, dst), labels in sorted(edges.items()):
        lines.append(f"    {src} --> {dst}: {', '.join(sorted(labels))}")
    lines.append("    note right of wipe: Cancel from every state but attract, take_card and wipe leads here "
                 "(to take_card first while the card may be on the reader)")
    lines.append("    note right of fallback: AskForHelp from every state but attract, take_card, wipe and "
                 "fallback")
    return "\n".join(lines) + "\n"


def docs_block() -> str:
    """The block of docs/flow.md between the markers."""
    return f"{BEGIN}\n```mermaid\n{mermaid()}```\n{END}"


def write_docs(path: Path) -> bool:
    """Replace the generated block of ``path``; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + docs_block() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


#: The docs that carry the diagram (between :data:`BEGIN` and :data:`END`).
DOCS = ("flow.md", "architecture.md")

if __name__ == "__main__":  # python -m kiosk.flow.diagram [--write]
    import sys

    folder = Path(__file__).resolve().parents[2] / "docs"
    if "--write" in sys.argv:
        for name in DOCS:
            print(name, "updated" if write_docs(folder / name) else "up to date")
    else:
        print(mermaid(), end="")

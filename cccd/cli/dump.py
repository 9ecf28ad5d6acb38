"""``cccd verify-dump DIR [--trust DIR] [--json]``: passive authentication of a saved read and the
re-check of its saved anti-clone evidence (``evidence.json``), offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cccd.reading import UsageError, load_trust, render_text
from reader.chipreport import build_chip_report
from reader.engine import verify_offline
from reader.lds.files import BY_NAME
from reader.pki.trust import CSCAStore

MAX_FILE = 1 << 20  # no EF of an ID card is near 1 MiB


def register(sub: Any) -> None:
    p = sub.add_parser("verify-dump", help="re-verify a dump written by `cccd read --save-dump`")
    p.add_argument("directory", type=Path)
    p.add_argument("--trust", type=Path, metavar="DIR", help="CSCA certificates and master lists")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify_dump)


def load_dump(directory: Path) -> dict[str, bytes]:
    """The raw files of a dump, by EF name; unknown names are ignored, oversized files refused."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    raw: dict[str, bytes] = {}
    for path in sorted(directory.iterdir()):
        if path.name in BY_NAME and path.is_file():
            if path.stat().st_size > MAX_FILE:
                raise ValueError(f"{path.name} is larger than any card file")
            raw[path.name] = path.read_bytes()
    return raw


def load_evidence(directory: Path) -> dict[str, Any] | None:
    """``evidence.json`` of a dump (None when absent); :class:`ValueError` when it is not valid."""
    path = directory / "evidence.json"
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_FILE:
        raise ValueError("evidence.json is too large")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"evidence.json is not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError("evidence.json is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("evidence.json must hold one JSON object")
    return data


def cmd_verify_dump(args: argparse.Namespace) -> int:
    try:
        raw = load_dump(args.directory)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "EF.SOD" not in raw:
        print("error: the dump has no EF.SOD; nothing can be verified", file=sys.stderr)
        return 2
    try:
        evidence = load_evidence(args.directory)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        store = load_trust(args.trust) if args.trust else CSCAStore()
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    notes = [f"offline verification of {args.directory}"] + (
        [f"trust store: {args.trust}"] if args.trust else []
    )
    if evidence is None:
        notes.append("no evidence.json: anti-clone proofs cannot be re-checked")
    report = build_chip_report(verify_offline(raw, store, evidence=evidence), notes)
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else render_text(report))
    return 0

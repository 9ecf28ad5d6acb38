"""``cccd config check [--json]`` and ``cccd config show``: the kiosk's configuration file (cccd.config).

``check`` exits 0 when the file is valid and every secret reference resolves, 1 when the file is valid but a
secret is not available here, 2 when the file is invalid (each problem names the key and the fix).  ``show``
prints the effective settings as TOML-like text; secrets appear only as their references.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cccd.config import LoadedConfig, from_args, secret_problems
from kiosk.config import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="check or show the kiosk configuration file")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check", help="validate the file (exit 2 when invalid, 1 when a secret is missing)"
    )
    check.add_argument("--json", action="store_true", help="one JSON object")
    check.set_defaults(func=_check)
    show = sub.add_parser("show", help="print the effective settings (secrets only as references)")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(func=_show)


def _load(args: argparse.Namespace) -> LoadedConfig | ConfigError:
    try:
        return from_args(args)
    except ConfigError as exc:
        return exc


def _check(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, ConfigError):
        problems = [{"key": p.key, "problem": p.problem, "fix": p.fix} for p in loaded.problems]
        if args.json:
            print(json.dumps({"ok": False, "file": loaded.source, "problems": problems}, ensure_ascii=False))
        else:
            print(f"config: {loaded.source}: INVALID", file=sys.stderr)
            for p in loaded.problems:
                print(f"  {p.key}: {p.problem}\n      fix: {p.fix}", file=sys.stderr)
        return 2
    missing = secret_problems(loaded.settings)
    notes = ["embedded development defaults (no configuration file)"] if loaded.path is None else []
    if loaded.settings.is_development:
        notes.append("device_id/site_id are the development defaults; set [kiosk] device_id and site_id")
    if args.json:
        print(json.dumps({"ok": not missing, "file": str(loaded.path) if loaded.path else None,
                          "source": loaded.source, "notes": notes,
                          "problems": [{"key": p.key, "problem": p.problem, "fix": p.fix} for p in missing]},
                         ensure_ascii=False))  # fmt: skip
    else:
        print(f"config: {loaded.path or 'defaults'} (from {loaded.source}): valid")
        for n in notes:
            print(f"  note: {n}")
        for p in missing:
            print(f"  {p.key}: {p.problem}\n      fix: {p.fix}")
    return 1 if missing else 0


def _show(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, ConfigError):
        print(f"config: {loaded}", file=sys.stderr)
        return 2
    data = loaded.settings.redacted()
    if args.json:
        print(json.dumps({"file": str(loaded.path) if loaded.path else None, **data}, ensure_ascii=False,
                         indent=2))  # fmt: skip
        return 0
    print(f"# {loaded.path or 'embedded defaults'} (from {loaded.source})")
    for section, values in data.items():
        rows = values if isinstance(values, list) else [values]
        for row in rows:
            print(f"\n[[{section}]]" if isinstance(values, list) else f"\n[{section}]")
            for key, value in row.items():
                print(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return 0

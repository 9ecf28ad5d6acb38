"""The ``cccd`` command.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module adds its parser and
sets ``func`` (returning the process exit code) with ``parser.set_defaults(func=...)``.  To add a command,
add its module name to :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.cli.chip",  # readers, read, demo
    "kiosk.cli.sim",  # sim profiles|show|serve
    "kiosk.cli.face",
    "kiosk.cli.receiver",  # receiver (reference receiving server)
    "kiosk.cli.outbox",  # outbox list|retry|run|purge
    "kiosk.cli.audit",  # audit verify
    "kiosk.cli.keys",  # keys show|rotate
    "kiosk.cli.dump",  # verify-dump
    "kiosk.cli.kiosk",  # kiosk --headless --sim (the flow)
    "kiosk.cli.ui",  # ui [--sim] [--profile] [--demo] [--screenshots DIR]
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cccd", description="CCCD verification kiosk")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.logsafe import install

    install()  # no library logger can print personal data (kiosk/logsafe.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

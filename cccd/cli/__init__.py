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
    "cccd.cli.chip",  # readers, read, demo
    "cccd.cli.sim",  # sim profiles|show|serve
    "cccd.cli.face",
    "cccd.cli.receiver",  # receiver (reference receiving server)
    "cccd.cli.outbox",  # outbox list|retry|run|purge
    "cccd.cli.audit",  # audit verify
    "cccd.cli.keys",  # keys show|rotate
    "cccd.cli.dump",  # verify-dump
    "cccd.cli.kiosk",  # kiosk --headless --sim (the flow)
    "cccd.cli.ui",  # ui [--sim] [--profile] [--demo] [--screenshots DIR]
    "cccd.cli.trust",  # trust import|list|status|remove (managed CSCA trust store)
    "cccd.cli.evidence",  # evidence verify (bank evidence object, SBV 2345)
    "cccd.cli.lodging",  # lodging sync|list|export|declared|checkout|departed (declaration register)
    "cccd.cli.insurance",  # insurance check|sim-gateway (BHXH health-insurance gateway)
    "hub.cli",  # hub serve|migrate|site|enrol-token|revoke|operator|dead|kiosks|purge|pg|enrol
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cccd", description="CCCD verification kiosk")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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

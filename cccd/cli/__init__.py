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

from cccd import logs

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
    parser.add_argument("--log-format", choices=logs.LOG_FORMATS, default=None,
                        help="log lines on standard error: json (default; $CCCD_LOG_FORMAT) or text")
    parser.add_argument("-v", dest="log_verbosity", action="count", default=0,
                        help="more log detail: -v info, -vv debug (never personal data)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Every command logs the same way (cccd.logs); a command's own -v/--verbose counts as one more -v.
    logs.configure(args.log_format, args.log_verbosity + int(bool(getattr(args, "verbose", False))))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

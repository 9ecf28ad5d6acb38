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

from cccd import __version__, logs
from kiosk import logsafe

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
    "cccd.cli.config",  # config check|show
    "cccd.cli.doctor",  # doctor [--json] [--sim]
)

CONFIG_HELP = "kiosk configuration file (default: $CCCD_CONFIG, /etc/cccd/kiosk.toml, built-in defaults)"


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The common ``--config FILE`` on ``parser`` and every sub-command below it (docs/deploy.md,
    "Configuration").  A sub-command's default is SUPPRESS, so ``cccd --config F outbox list`` and
    ``cccd outbox list --config F`` both set ``args.config``."""
    if not any("--config" in a.option_strings for a in parser._actions):
        parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_config_option(child)



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cccd", description="CCCD verification kiosk")
    parser.add_argument("--log-format", choices=logs.LOG_FORMATS, default=None,
                        help="log lines on standard error: json (default; $CCCD_LOG_FORMAT) or text")
    parser.add_argument("-v", dest="log_verbosity", action="count", default=0,
                        help="more log detail: -v info, -vv debug (never personal data)")  # fmt: skip
    parser.add_argument("--version", action="version", version=f"cccd {__version__}")
    parser.add_argument("--config", metavar="FILE", default=None, help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    add_config_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logsafe.install()  # no library logger can print personal data (kiosk/logsafe.py)
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

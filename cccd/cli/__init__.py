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

# The command each module registers, so that ``cccd COMMAND`` imports only that command's module (the server
# stacks, OpenCV and the rest load only for the commands that use them).  tests/cccd/cli/test_main.py
# checks this table against what the modules register.
COMMANDS: dict[str, str] = {
    "readers": "cccd.cli.chip", "read": "cccd.cli.chip", "demo": "cccd.cli.chip", "sim": "cccd.cli.sim",
    "face-eval": "cccd.cli.face", "receiver": "cccd.cli.receiver", "outbox": "cccd.cli.outbox",
    "audit": "cccd.cli.audit", "keys": "cccd.cli.keys", "verify-dump": "cccd.cli.dump",
    "kiosk": "cccd.cli.kiosk", "ui": "cccd.cli.ui", "trust": "cccd.cli.trust",
    "evidence": "cccd.cli.evidence", "lodging": "cccd.cli.lodging", "insurance": "cccd.cli.insurance",
    "hub": "hub.cli", "config": "cccd.cli.config", "doctor": "cccd.cli.doctor",
}  # fmt: skip
_VALUED_OPTIONS = ("--log-format", "--config")  # the global options that take a value

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


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not a global option or its value)."""
    words = iter(argv)
    for word in words:
        if word in _VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None, *, commands: bool = True) -> argparse.ArgumentParser:
    """The parser with every command, only ``command``'s module when it names a known command, or none
    (``commands=False``: ``cccd --version``)."""
    parser = argparse.ArgumentParser(prog="cccd", description="CCCD verification kiosk")
    parser.add_argument(
        "--log-format",
        choices=logs.LOG_FORMATS,
        default=None,
        help="log lines on standard error: json (default; $CCCD_LOG_FORMAT) or text",
    )
    parser.add_argument("-v", dest="log_verbosity", action="count", default=0,
                        help="more log detail: -v info, -vv debug (never personal data)")  # fmt: skip
    parser.add_argument("--version", action="version", version=f"cccd {__version__}")
    parser.add_argument("--config", metavar="FILE", default=None, help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES if commands else ()
    for name in modules:
        importlib.import_module(name).register(sub)
    add_config_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logsafe.install()  # no library logger can print personal data (kiosk/logsafe.py)
    words = list(sys.argv[1:] if argv is None else argv)
    command = command_of(words)
    parser = build_parser(command, commands=command is not None or "--version" not in words)
    args = parser.parse_args(words)
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

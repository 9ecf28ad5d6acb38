"""The ``cccd`` command line (cccd/cli/__init__.py): each command loads only its own module."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from cccd.cli import COMMAND_MODULES, COMMANDS, build_parser, command_of, main


def test_the_command_table_is_what_the_modules_register() -> None:
    registered: dict[str, str] = {}
    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert registered == COMMANDS


@pytest.mark.parametrize(("argv", "command"), [
    (["readers"], "readers"), (["--config", "k.toml", "outbox", "list"], "outbox"),
    (["--log-format", "text", "-vv", "hub", "serve"], "hub"), (["--config=k.toml", "doctor"], "doctor"),
    (["--version"], None), ([], None), (["-v"], None),
])  # fmt: skip
def test_command_of(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def test_a_command_parser_has_only_its_module_and_the_global_options() -> None:
    parser = build_parser("outbox")
    args = parser.parse_args(["--config", "k.toml", "outbox", "list"])
    assert args.command == "outbox" and args.config == "k.toml"
    full = build_parser()
    assert full.parse_args(["outbox", "list", "--config", "k.toml"]).config == "k.toml"


def test_an_unknown_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["nosuch"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nosuch'" in err and all(f"'{c}'" in err for c in COMMANDS)


def test_a_light_command_does_not_load_the_server_stacks() -> None:
    code = (
        "import sys; from cccd.cli import main\n"
        "try: main(['readers', '--help'])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in ('fastapi', 'psycopg', 'hub.app', 'receiver.app') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"

"""``cccd ui`` takes its reader, counter, voice, printer and operator PIN from the configuration file (command
line options win); the embedded defaults choose no hardware."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

import cccd.uiapp
from cccd.cli import main
from cccd.cli.ui import _configured_reader
from cccd.config import load_config

SIM = """
[kiosk]
device_id = "ui-kiosk-01"
site_id = "ui-site"
[counter]
number = "7"
[reader]
kind = "sim"
[voice]
enabled = false
[printer]
enabled = true
queue = "receipts"
[operator]
pin = "env:CCCD_TEST_PIN"
"""


def _args(**kw: Any) -> argparse.Namespace:
    base = {"sim": False, "reader": None, "serial": None, "screenshots": None, "demo": False}
    return argparse.Namespace(**(base | kw))


def test_the_configured_reader(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text(SIM)
    args = _args()
    assert _configured_reader(args, load_config(str(path))) is None and args.sim
    path.write_text('[reader]\nkind = "serial"\nport = "/dev/ttyUSB3"\n')
    args = _args()
    assert _configured_reader(args, load_config(str(path))) is None and args.serial == "/dev/ttyUSB3"
    args = _args(reader="ACS ACR1252U 00 00")  # the command line wins
    assert _configured_reader(args, load_config(str(path))) is None and args.serial is None
    args = _args()
    assert _configured_reader(args, load_config(None, {}, tmp_path / "none.toml")) is None
    assert not args.sim and args.reader is None and args.serial is None  # defaults: no hardware chosen


@pytest.mark.pcsc
def test_a_configured_pcsc_reader_that_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[reader]\nkind = "pcsc"\nname = "No Such Reader"\n')
    problem = _configured_reader(_args(), load_config(str(path)))
    assert problem is not None and "No Such Reader" in problem and "cccd doctor" in problem


def test_the_window_gets_the_configured_counter_voice_printer_and_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The composition up to the window (a real simulated kiosk); the window itself is replaced by a probe."""
    path = tmp_path / "k.toml"
    path.write_text(SIM)
    monkeypatch.setenv("CCCD_TEST_PIN", "246810")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    seen: dict[str, Any] = {}

    def probe(driver: Any, options: Any, **kw: Any) -> int:
        seen.update(options=options, status=kw["status"](), lockout=kw["on_pin_lockout"])
        return 0

    monkeypatch.setattr(cccd.uiapp, "run_window", probe)
    argv = ["ui", "--config", str(path), "--face", "ground-truth", "--data-dir", str(tmp_path / "data")]
    assert main(argv) == 0
    options = seen["options"]
    assert (options.counter, options.printer_queue, options.muted) == ("7", "receipts", True)
    assert options.operator_pin == "246810" and options.print_receipts
    assert seen["status"].checks_pending or seen["status"].checks  # the live checks have started
    assert callable(seen["lockout"])

"""Structured logs (issue 11 §8): JSON lines or text, journald priority prefixes, IDs masked, the same
configuration for every command (cccd.logs, called from cccd.cli.main)."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cccd import logs
from cccd.cli import COMMAND_MODULES, main
from kiosk.keys import KeyStore
from sims.personalize import card_image

REPO = Path(__file__).resolve().parents[2]
ID = "079303001234"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("kiosk.test")
    return logger.makeRecord("kiosk.test", logging.INFO, "f.py", 1, msg, args, None, "fn", extra or None)


@pytest.mark.parametrize(("text", "masked"), [
    (ID, "079303***234"), ("doc 203001234 x", "doc 20***34 x"), ("12345678", "12345678"),
    ("a0793030012345b", "a07***45b"),
])  # fmt: skip
def test_mask_numbers(text: str, masked: str) -> None:
    assert logs.mask_numbers(text) == masked


def test_journald_gets_priority_prefixes_and_no_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(tmp_path / "journal", "w") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert logs.under_journald(stream)
        logs.configure("text", 0, stream=stream)
        logging.getLogger("kiosk.test").warning("outbox backlog")
        logs.configure("json", 0, stream=stream)
        logging.getLogger("kiosk.test").error("relay down")
    first, second = (tmp_path / "journal").read_text().splitlines()
    assert first.startswith("<4>kiosk.test ") and first.endswith(": outbox backlog")
    assert second.startswith("<3>{") and json.loads(second[3:])["message"] == "relay down"
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")
    assert not logs.under_journald(io.StringIO())


def test_configure_replaces_its_handler_and_quietens_chatty_libraries() -> None:
    out = io.StringIO()
    logs.configure("json", 2, stream=out)
    logs.configure("json", 2, stream=out)
    root = logging.getLogger()
    assert sum(h.get_name() == "cccd" for h in root.handlers) == 1 and root.level == logging.DEBUG
    assert logging.getLogger("httpx").level == logging.WARNING  # request lines carry URLs
    logs.configure("text", 3, stream=out)
    assert logging.getLogger("httpx").level == logging.DEBUG
    with pytest.raises(ValueError):
        logs.configure("xml", 0, stream=out)


def test_filters_run_on_the_same_handler() -> None:
    out = io.StringIO()

    class Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "secret" not in record.getMessage()

    logs.configure("json", 1, stream=out, filters=[Drop()])
    logging.getLogger("kiosk.test").info("a secret")
    logging.getLogger("kiosk.test").info("fine")
    assert [json.loads(x)["message"] for x in out.getvalue().splitlines()] == ["fine"]


@pytest.mark.parametrize("argv", [
    ["ui", "--serial", "/dev/null", "--reader", "x"],  # cccd ui, ending before Qt loads
    ["--log-format", "text", "-vv", "outbox", "list", "--db", "{tmp}/k.db", "--keys", "{tmp}/keys"],
    ["-v", "keys", "show", "--keys", "{tmp}/keys"],
])  # fmt: skip
def test_every_command_is_configured_by_main(argv: list[str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if h.get_name() == "cccd"]
    fmt = "text" if "text" in argv else "json"
    assert isinstance(handler.formatter, logs.TextFormatter if fmt == "text" else logs.JsonFormatter)
    assert root.level == {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}[argv.count("-v")
                                                                                + 2 * argv.count("-vv")]
    assert "cccd.cli.ui" in COMMAND_MODULES


def test_a_kiosk_run_logs_json_lines_without_personal_data(tmp_path: Path) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(tmp_path))
    env.pop("PYTHONWARNINGS", None)
    KeyStore.open(tmp_path / "keys")
    argv = [sys.executable, "-m", "cccd", "-vvv", "kiosk", "--headless", "--sim", "--profile", "hospital",
            "--scenario", "happy", "--face", "ground-truth", "--deliver-to", "http://127.0.0.1:9",
            "--drain-seconds", "0"]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    events = {e["event"] for e in entries}
    assert {"flow.transition", "chip.read", "verification.stored", "relay.round"} <= events
    assert all({"time", "level", "logger", "event", "message"} <= set(e) for e in entries)
    assert any(e["logger"] == "kiosk.delivery" and e.get("retry") for e in entries)  # refused: retried
    assert any(e["logger"].startswith("http") for e in entries)  # -vvv: the libraries' lines, masked too
    holder = card_image("default").profile
    for personal in (holder.id_number, holder.full_name, holder.id_number[-6:] + "<"):
        assert personal not in done.stderr


def test_the_handler_follows_the_current_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """A command run in-process (tests) must not leave a handler on a stream that is later closed."""
    logs.configure("json", 0)
    logging.getLogger("kiosk.test").warning("first")
    assert json.loads(capsys.readouterr().err)["message"] == "first"
    saved = sys.stderr
    sys.stderr = replaced = io.StringIO()
    try:
        logging.getLogger("kiosk.test").warning("second")
    finally:
        sys.stderr = saved
    assert json.loads(replaced.getvalue())["message"] == "second"

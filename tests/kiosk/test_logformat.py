"""The shared log line formats (kiosk.logformat; docs/observability.md, "Logs"): JSON lines or text, ID
numbers masked, one line per record; the hub's logs use the same format (hub.logs)."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from hub import logs as hub_logs
from kiosk import logformat as logs
from kiosk import logsafe

ID = "079303001234"


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("kiosk.test")
    return logger.makeRecord("kiosk.test", logging.INFO, "f.py", 1, msg, args, None, "fn", extra or None)


def test_a_json_line_has_time_level_event_and_masked_ids() -> None:
    line = logs.JsonFormatter().format(_record("PUT /fhir/Patient?identifier=x|%s done", ID, event="fhir.put",
                                               verification_id="01M918D2R3AFZ4Q8P298815C3G",
                                               numbers=[ID, 7]))  # fmt: skip
    entry = json.loads(line)
    assert entry["level"] == "info" and entry["logger"] == "kiosk.test" and entry["event"] == "fhir.put"
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]
    assert entry["message"] == "PUT /fhir/Patient?identifier=x|079303***234 done"
    assert entry["verification_id"] == "01M918D2R3AFZ4Q8P298815C3G"  # a ULID is not an ID number
    assert entry["numbers"] == ["079303***234", 7]
    assert ID not in line and "\n" not in line


def test_the_event_defaults_to_module_and_function() -> None:
    assert json.loads(logs.JsonFormatter().format(_record("x")))["event"] == "f.fn"


def test_exceptions_are_one_masked_line() -> None:
    try:
        raise ValueError(f"bad id {ID}")
    except ValueError:
        info = sys.exc_info()
        # one of our own loggers: kiosk.logsafe (installed by any `cccd` run in this process) drops the
        # tracebacks of third-party loggers altogether
        own = logging.getLogger("kiosk.k")
        record = own.makeRecord("kiosk.k", logging.ERROR, "f.py", 1, "failed", (), info)
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["error"] == "ValueError" and "079303***234" in entry["traceback"] and ID not in str(entry)
    text = logs.TextFormatter().format(record)
    assert "\n" not in text and ID not in text and " ERROR kiosk.k " in text


def test_the_hub_writes_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
             for n in ("hub", "uvicorn", "uvicorn.error", "psycopg")}  # fmt: skip
    try:
        hub_logs.configure("info")
        logging.getLogger("hub.ingest").info(
            "record %s stored", ID, extra={"event": "ingest.stored", "site": "s1"}
        )
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.propagate = handlers, propagate
            logger.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "ingest.stored" and entry["site"] == "s1" and entry["logger"] == "hub.ingest"
    assert entry["message"] == "record 079303***234 stored" and ID not in stream.getvalue()
    assert set(entry) >= {"time", "level", "logger", "event", "message"}


@pytest.mark.parametrize(("text", "masked"), [
    (f"id {ID}", "id 079303***234"), ("doc 203001234", "doc 20***34"),
    ("a0793030012345b", "a07***45b"), ("12345678 kept", "12345678 kept"),
])  # fmt: skip
def test_log_lines_keep_only_the_documented_digits(text: str, masked: str) -> None:
    """kiosk.logsafe (every record, own and library) masks as kiosk.logformat and docs/observability.md
    say: a 12-digit ID keeps six + three digits (mask_id), any other run of 9 or more two + two."""
    assert logsafe.mask_numbers(text) == masked
    assert logsafe.redact(text, library=False) == masked and logsafe.redact(text) == masked

"""Structured logs, configured once for every ``cccd`` command (issue 11 §8; docs/observability.md, "Logs").

:func:`configure` is called by :func:`cccd.cli.main` before any command runs — ``cccd ui`` included — so
every process logs the same way: one line per record on standard error, either a JSON object
(``--log-format json``: ``time``, ``level``, ``logger``, ``event``, ``message`` and the record's extra
fields) or text.  Under systemd the lines carry the ``<N>`` syslog-priority prefix journald reads
(``sd-daemon(3)``; detected from ``$JOURNAL_STREAM``) and no time of their own (journald stamps them).

No personal data: every message and field passes :func:`mask_numbers` (a run of nine or more digits —
an ID or document number — keeps its first and last digits only, the audit log's rule in
:func:`reader.lds.mrz.mask_id`), and library loggers that print URLs, headers or bodies (``httpx``,
``httpcore``) stay at WARNING below ``-vvv``.  Other filters (a redaction filter of the privacy work) are
handed to :func:`configure` and run on the same handler before the formatter.

Levels: WARNING by default, ``-v`` INFO, ``-vv`` DEBUG.  ``$CCCD_LOG_FORMAT`` and ``$CCCD_LOG_LEVEL``
(``debug|info|warning|error``) set the defaults for a service unit.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from kiosk.logsafe import HANDLER_NAME, StderrHandler, mask_numbers

LOG_FORMATS = ("json", "text")
CHATTY_LIBRARIES = ("httpx", "httpcore", "urllib3", "hpack", "PIL", "asyncio")  # URLs, headers, bodies
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                                "taskName"}  # fmt: skip
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
_HANDLER_NAME = HANDLER_NAME  # one handler, whichever module installed it (kiosk.logsafe)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, bool | float) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**8 else mask_numbers(str(value))
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _masked(v) for k, v in value.items()}
    return mask_numbers(str(value))


def event_name(record: logging.LogRecord) -> str:
    """The record's event: ``extra={"event": ...}`` when given, else ``<module>.<function>``."""
    given = record.__dict__.get("event")
    return str(given) if given else f"{record.module}.{record.funcName}"


def under_journald(stream: TextIO) -> bool:
    """Standard error is connected to the journal (``$JOURNAL_STREAM`` names its device and inode)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        dev, ino = (int(x) for x in value.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (a journald ``MESSAGE``, a file for log shippers)."""

    def __init__(self, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": event_name(record),
            "message": mask_numbers(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "event" and not key.startswith("_"):
                entry[key] = _masked(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = mask_numbers(self.formatException(record.exc_info))
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return f"<{_PRIORITY.get(record.levelno, 6)}>{line}" if self.journald else line


class TextFormatter(logging.Formatter):
    """``time level logger event: message`` (journald: ``<N>logger event: message``)."""

    def __init__(self, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.name} {event_name(record)}: {mask_numbers(record.getMessage())}"
        if record.exc_info and record.exc_info[0] is not None:
            text += " | " + mask_numbers(self.formatException(record.exc_info)).replace("\n", " | ")
        if self.journald:
            return f"<{_PRIORITY.get(record.levelno, 6)}>{text}"
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return f"{stamp} {record.levelname} {text}"


def level_for(verbosity: int) -> int:
    """``-v`` INFO, ``-vv`` DEBUG; ``$CCCD_LOG_LEVEL`` (a service unit's) when it asks for more detail."""
    level = logging.getLevelName(os.environ.get("CCCD_LOG_LEVEL", "warning").upper())
    configured = level if isinstance(level, int) else logging.WARNING
    flags = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    return min(configured, flags)


def default_format() -> str:
    value = os.environ.get("CCCD_LOG_FORMAT", "").lower()
    return value if value in LOG_FORMATS else "json"


def configure(fmt: str | None = None, verbosity: int = 0, *, stream: TextIO | None = None,
              filters: Iterable[logging.Filter] = ()) -> logging.Handler:  # fmt: skip
    """(Re)configure the root logger: one handler on ``stream`` (standard error), ``fmt`` ``json`` or
    ``text``; ``filters`` run before the formatter.  Idempotent: a second call replaces the handler."""
    fmt = fmt or default_format()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    out = stream if stream is not None else sys.stderr
    journald = under_journald(out)
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter(journald) if fmt == "json" else TextFormatter(journald))
    for f in filters:
        handler.addFilter(f)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    level = level_for(verbosity)
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 3 else max(level, logging.WARNING))
    logging.captureWarnings(True)
    return handler

"""Log line formats shared by every process of the project: the kiosk's ``cccd`` commands
(:mod:`cccd.logs`) and the fleet hub (:mod:`hub.logs`) (docs/observability.md, "Logs").

:class:`JsonFormatter` writes one JSON object per line — ``time``, ``level``, ``logger``, ``event``,
``message`` and the record's extra fields — and :class:`TextFormatter` one text line.  Under journald
(:func:`under_journald`) both carry the ``<N>`` syslog-priority prefix of ``sd-daemon(3)`` instead of a
time.  Every message, field and traceback passes :func:`kiosk.logsafe.mask_numbers`: a run of nine or
more digits (an ID or document number) keeps only its first and last digits — a 12-digit ID its first six
and last three (``079303***234``, :func:`reader.lds.mrz.mask_id`), any other run its first two and last
two.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any, TextIO

from kiosk.logsafe import mask_numbers

# the record's own attributes; uvicorn's ``color_message`` repeats the message with terminal colours
_RECORD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD = _RECORD | {"message", "asctime", "taskName", "color_message"}
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


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

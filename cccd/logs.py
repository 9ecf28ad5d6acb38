"""Structured logs, configured once for every ``cccd`` command (issue 11 §8; docs/observability.md, "Logs").

:func:`configure` is called by :func:`cccd.cli.main` before any command runs — ``cccd ui`` included — so
every process logs the same way: one line per record on standard error, either a JSON object
(``--log-format json``: ``time``, ``level``, ``logger``, ``event``, ``message`` and the record's extra
fields) or text.  Under systemd the lines carry the ``<N>`` syslog-priority prefix journald reads
(``sd-daemon(3)``; detected from ``$JOURNAL_STREAM``) and no time of their own (journald stamps them).

No personal data: every message and field passes :func:`mask_numbers` (a 12-digit ID keeps its first six
and last three digits, as :func:`reader.lds.mrz.mask_id` shows it; any other run of nine or more digits
its first two and last two — kiosk/logsafe.py), and library loggers that print URLs, headers or bodies
(``httpx``, ``httpcore``) stay at WARNING below ``-vvv``.  Other filters (a redaction filter of the privacy
work) are handed to :func:`configure` and run on the same handler before the formatter.

Levels: WARNING by default, ``-v`` INFO, ``-vv`` DEBUG.  ``$CCCD_LOG_FORMAT`` and ``$CCCD_LOG_LEVEL``
(``debug|info|warning|error``) set the defaults for a service unit.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from kiosk.logformat import JsonFormatter, TextFormatter, under_journald
from kiosk.logsafe import HANDLER_NAME, StderrHandler, mask_numbers

__all__ = ["JsonFormatter", "TextFormatter", "configure", "level_for", "mask_numbers", "under_journald"]

LOG_FORMATS = ("json", "text")
CHATTY_LIBRARIES = ("httpx", "httpcore", "urllib3", "hpack", "PIL", "asyncio")  # URLs, headers, bodies
_HANDLER_NAME = HANDLER_NAME  # one handler, whichever module installed it (kiosk.logsafe)


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

"""Structured logs: one JSON object per line (docs/hub.md, "Operations").

The line format is the kiosk's (:class:`kiosk.logformat.JsonFormatter`: ``time``, ``level``, ``logger``,
``event``, ``message`` and the extra fields, ID numbers masked), so one log pipeline reads both.  Messages
name kiosks, sites and verification IDs, never record contents, secrets or tokens.
"""

from __future__ import annotations

import logging
import sys

from kiosk.logformat import JsonFormatter, under_journald


def configure(level: str = "info") -> None:
    """JSON lines on stderr for the ``hub`` loggers and uvicorn's (with journald's priority prefixes when
    standard error is the journal)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(journald=under_journald(sys.stderr)))
    for name in ("hub", "uvicorn", "uvicorn.error", "psycopg"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # the hub logs its own requests (no query strings)

"""httpx logs every request at INFO with its full URL (``HTTP Request: PUT …/Patient?identifier=…|<ID>``);
query strings here carry national ID numbers (FHIR conditional updates) and the BHXH gateway's token and
password digest.  :func:`redact_httpx_logs` installs, once, a filter on the ``httpx`` logger that passes
those records through :func:`kiosk.logsafe.redact` — the one redaction of every log line — for code that
uses the connectors without the ``cccd`` command (which installs :func:`kiosk.logsafe.install` for every
library logger)."""

from __future__ import annotations

import logging

from kiosk.logsafe import redact

_FILTER_NAME = "cccd-redact-query"


class _RedactQuery(logging.Filter):
    def __init__(self) -> None:
        super().__init__(_FILTER_NAME)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


def redact_httpx_logs() -> None:
    """Idempotent: the filter is added to the ``httpx`` logger once."""
    logger = logging.getLogger("httpx")
    if not any(f.name == _FILTER_NAME for f in logger.filters if isinstance(f, logging.Filter)):
        logger.addFilter(_RedactQuery())

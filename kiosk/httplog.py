"""httpx logs every request at INFO with its full URL (``HTTP Request: PUT …/Patient?identifier=…|<ID>``);
query strings here carry national ID numbers (FHIR conditional updates) and the BHXH gateway's token and
password digest.  :func:`redact_httpx_logs` installs, once, a filter on the ``httpx`` logger that removes
query strings from those records (the project's rule: no ID numbers or keys in logs)."""

from __future__ import annotations

import logging

import httpx

_FILTER_NAME = "cccd-redact-query"


class _RedactQuery(logging.Filter):
    def __init__(self) -> None:
        super().__init__(_FILTER_NAME)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        return True


def _redact(value: object) -> object:
    if isinstance(value, httpx.URL) and value.query:
        return value.copy_with(query=b"redacted")
    if isinstance(value, str) and "?" in value and "://" in value:
        return value.split("?", 1)[0] + "?redacted"
    return value


def redact_httpx_logs() -> None:
    """Idempotent: the filter is added to the ``httpx`` logger once."""
    logger = logging.getLogger("httpx")
    if not any(f.name == _FILTER_NAME for f in logger.filters if isinstance(f, logging.Filter)):
        logger.addFilter(_RedactQuery())

"""Logging that cannot leak personal data (docs/design.md, "Privacy"; issue 12).

Libraries log what they handle: httpx logs every request line — for the FHIR conditional update that is
``PUT …/Patient?identifier=…|<12-digit ID>`` — httpcore and h11 log headers and bodies at DEBUG, uvicorn's
access log prints paths with query strings, PIL logs image chunks.  Two layers make that impossible
whatever level a deployer sets:

* a **record factory** (every ``LogRecord`` of the process, installed by :func:`install`) renders a
  library record's message at once and rewrites it: query strings and fragments are cut from URLs, runs
  of 9 or more digits (ID numbers, old IDs, document numbers) are masked by :func:`mask_numbers` (a
  12-digit ID keeps its first six and last three digits, ``079303***234`` as
  :func:`reader.lds.mrz.mask_id`; any other run its first two and last two), 6-digit CANs after ``can``
  become ``[redacted]``, compact JWS (whose claims are the record), base64 blobs, byte-string and JPEG
  payloads are replaced, and the text is capped; the record's ``args`` are dropped, so no handler can
  format the original values again;
* a **handler filter** (:class:`LibraryFilter`, on the handlers :func:`configure_logging` installs)
  drops library records below WARNING: their DEBUG/INFO output is wire traffic.

Our own loggers (``kiosk``, ``reader``, ``receiver``, ``ui``, ``biometrics``) already log no personal
data (DEVELOPERS guide); their records also go through the digit-run masking, as a second line.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any, TextIO

from reader.lds.mrz import mask_id

OWN = ("kiosk", "reader", "receiver", "ui", "biometrics", "sims", "cccd", "hub", "benchmarks", "__main__")
LEVEL_ENV = "CCCD_LOG_LEVEL"
QUIET = ("httpx", "httpcore", "h11", "hpack", "urllib3", "asyncio", "PIL", "multipart", "uvicorn", "fastapi",
         "starlette", "joserfc")  # fmt: skip
MAX_LIBRARY_MESSAGE = 300

_URL_QUERY = re.compile(r"(https?://[^\s?#\"'<>]*)[?#][^\s\"'<>]*", re.IGNORECASE)
_BARE_QUERY = re.compile(r"(/[\w./-]*)\?[^\s\"'<>]*")
_LONG_DIGITS = re.compile(r"(?<![0-9])[0-9]{9,}(?![0-9])")
_CAN = re.compile(r"(?i)(can\W{0,3})[0-9]{6}\b")
_JWS = re.compile(r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}")  # compact JWS
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{48,}={0,2}")  # base64 blobs (images, tokens, bodies)
_BYTES = re.compile(r"b(['\"]).{24,}?\1", re.DOTALL)
_JPEG = re.compile(r"(\\xff\\xd8|\xff\xd8|/9j/)[\s\S]*")
REDACTED = "[redacted]"

_installed = False
_previous_factory = logging.getLogRecordFactory()


def is_own(name: str | None) -> bool:
    """A record of our own packages (``None``: a record made without a logger, e.g. by
    ``logging.makeLogRecord``, counts as the root logger's)."""
    return not name or name == "root" or name.split(".", 1)[0] in OWN


def mask_numbers(text: str) -> str:
    """Mask every run of nine or more digits: a 12-digit ID as ``079303***234``
    (:func:`reader.lds.mrz.mask_id`), any other run to its first and last two digits.  The one masking of
    every log line, whichever handler writes it (cccd.logs, :func:`configure_logging`)."""

    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        return mask_id(s) if len(s) == 12 else f"{s[:2]}***{s[-2:]}"

    return _LONG_DIGITS.sub(one, text)


def redact(text: str, library: bool = True) -> str:
    """``text`` with URL queries, long digit runs (masked), CANs and byte payloads removed."""
    text = _JWS.sub(REDACTED, text)
    text = mask_numbers(text)
    text = _CAN.sub(lambda m: m.group(1) + REDACTED, text)
    if library:
        text = _BASE64.sub(REDACTED, text)
        text = _URL_QUERY.sub(lambda m: m.group(1) + "?" + REDACTED, text)
        text = _BARE_QUERY.sub(lambda m: m.group(1) + "?" + REDACTED, text)
        text = _BYTES.sub("b'" + REDACTED + "'", text)
        text = _JPEG.sub(REDACTED, text)
        if len(text) > MAX_LIBRARY_MESSAGE:
            text = text[:MAX_LIBRARY_MESSAGE] + "…"
    return text


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    library = not is_own(record.name)
    try:
        message = record.getMessage()
    except Exception:
        message = f"{record.msg!s:.80} (unformattable)"
    cleaned = redact(message, library)
    if library or cleaned != message:
        record.msg, record.args = cleaned, ()
    if library and record.exc_info:
        record.exc_info, record.exc_text = None, None  # tracebacks of libraries quote their locals' values
        record.msg = f"{record.msg} (exception suppressed)"
    return record


class LibraryFilter(logging.Filter):
    """Drop records of third-party loggers below WARNING (their DEBUG/INFO is wire traffic)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return is_own(record.name) or record.levelno >= logging.WARNING


def install() -> None:
    """Install the record factory (once per process) and quieten the chattiest libraries."""
    global _installed
    if _installed:
        return
    logging.setLogRecordFactory(_factory)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
    _installed = True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (a test's captured stream is
    closed after the test; the process's standard error otherwise)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


HANDLER_NAME = "cccd"  # the one log handler of a process (cccd.logs.configure, configure_logging replace it)


def configure_logging(level: int = logging.WARNING, stream: Any = None) -> None:
    """Every command's logging: :func:`install`, one stderr handler with :class:`LibraryFilter`.
    ``$CCCD_LOG_LEVEL`` (e.g. ``DEBUG``) overrides ``level`` — our loggers only; libraries stay filtered."""
    install()
    env = os.environ.get(LEVEL_ENV, "").strip().upper()
    if env and isinstance(logging.getLevelName(env), int):
        level = logging.getLevelName(env)
    root = logging.getLogger()
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(LibraryFilter())
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)

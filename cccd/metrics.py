"""Exporting the kiosk's Prometheus metrics (:mod:`kiosk.metrics`) from a running command (issue 11 §8;
docs/observability.md, "Metrics").

``--metrics-port PORT`` serves ``/metrics`` on 127.0.0.1 only (0: any free port; the address is printed on
standard error as ``metrics: http://127.0.0.1:PORT/metrics``) — a local Prometheus agent scrapes it.
``--metrics-textfile PATH`` (``*.prom``) writes the same text for node-exporter's textfile collector every
``TEXTFILE_INTERVAL`` seconds and at exit, atomically (a temporary file renamed over it).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from prometheus_client import REGISTRY, start_http_server, write_to_textfile

import kiosk.metrics  # noqa: F401  (defines the metrics on the default registry)

TEXTFILE_INTERVAL = 15.0
LOOPBACK = "127.0.0.1"


class MetricsError(ValueError):
    """The metrics cannot be exported as asked (port in use or out of range, textfile path unusable)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics-port", type=int, metavar="PORT",
                        help="serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0: any free port)")
    parser.add_argument("--metrics-textfile", type=Path, metavar="PATH",
                        help="write the metrics to PATH (*.prom) for node-exporter's textfile collector, "
                        "every 15 s and at exit")  # fmt: skip


class MetricsExport:
    """A context manager: the loopback endpoint and/or the textfile writer while the command runs."""

    def __init__(self, port: int | None = None, textfile: Path | None = None, *,
                 interval: float = TEXTFILE_INTERVAL) -> None:  # fmt: skip
        if port is not None and not 0 <= port <= 65535:
            raise MetricsError(f"--metrics-port {port}: not a port number (0-65535)")
        if textfile is not None:
            if textfile.suffix != ".prom":
                raise MetricsError(f"--metrics-textfile {textfile}: node-exporter reads only *.prom files")
            if not textfile.parent.is_dir():
                raise MetricsError(f"--metrics-textfile {textfile}: no such directory {textfile.parent}")
        self.port, self.textfile, self.interval = port, textfile, interval
        self.url: str | None = None
        self._server: Any = None
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MetricsExport:
        return cls(getattr(args, "metrics_port", None), getattr(args, "metrics_textfile", None))

    def __enter__(self) -> MetricsExport:
        if self.textfile is not None:
            self.write()  # fail now, not 15 s later, when the file cannot be written
            self._writer = threading.Thread(target=self._loop, name="metrics-textfile", daemon=True)
            self._writer.start()
        if self.port is not None:
            try:
                self._server, _ = start_http_server(self.port, addr=LOOPBACK, registry=REGISTRY)
            except OSError as exc:
                self._stop_writer()
                raise MetricsError(f"--metrics-port {self.port}: {exc.strerror or exc}") from None
            self.url = f"http://{LOOPBACK}:{self._server.server_port}/metrics"
            print(f"metrics: {self.url}", file=sys.stderr, flush=True)
        return self

    def write(self) -> None:
        assert self.textfile is not None
        try:
            write_to_textfile(str(self.textfile), REGISTRY)
        except OSError as exc:
            raise MetricsError(f"--metrics-textfile {self.textfile}: {exc.strerror or exc}") from None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except MetricsError:  # a full disk must not stop the kiosk; the next write tries again
                pass

    def _stop_writer(self) -> None:
        self._stop.set()
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._stop_writer()
        if self.textfile is not None:
            try:
                self.write()  # the final figures
            except MetricsError:
                pass
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

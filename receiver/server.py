"""The receiver on uvicorn: our own listening socket (so that bind errors are clear and the backlog is
ours), uvicorn's connection limit and keep-alive timeout, no access log (paths carry IDs), no server
header.  :class:`ReceiverServer` runs it in the foreground (``cccd receiver``) or in a thread (tests)."""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
import time

import uvicorn

from receiver.app import create_app
from receiver.config import ReceiverConfig


class BindError(Exception):
    """The address cannot be listened on (the message says why, for a person)."""


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on ``host`` (an IPv4 or IPv6 literal or ``localhost``), ``port`` (0: any)."""
    if not 0 <= port <= 65535:
        raise BindError(f"port {port} is not a TCP port (0-65535; 0 picks a free one)")
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        family = socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise BindError(f"cannot open a socket for {host} ({exc.strerror})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # uvicorn writes a response's head and body separately; with Nagle's algorithm the body waits for
        # the client's delayed ACK (~40 ms on Linux) on every keep-alive request.  Accepted sockets inherit
        # TCP_NODELAY from the listening socket on Linux.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(f"port {port} on {host} is already in use (another receiver?)") from None
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise BindError(f"address {host} is not available on this machine") from None
        raise BindError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    except (socket.gaierror, OverflowError, TypeError) as exc:
        sock.close()
        raise BindError(f"cannot listen on {host}:{port} ({exc})") from None
    return sock


class ReceiverServer:
    def __init__(self, host: str, port: int, config: ReceiverConfig) -> None:
        self.config = config
        limits = config.limits
        self.socket = listen(host, port, limits.backlog)
        self.uvicorn = uvicorn.Server(uvicorn.Config(
            create_app(config),
            limit_concurrency=limits.max_connections,
            timeout_keep_alive=int(limits.keep_alive_seconds),
            backlog=limits.backlog,
            h11_max_incomplete_event_size=limits.max_header_bytes,
            http="h11",
            access_log=False,
            log_config=None,
            server_header=False,
            date_header=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        ))  # fmt: skip
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = self.socket.getsockname()[0]
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (or SIGINT/SIGTERM in the main thread)."""
        try:
            self.uvicorn.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def start(self) -> None:
        """Serve in a daemon thread; return once it accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="receiver", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.uvicorn.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)

    def shutdown(self) -> None:
        self.uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


logging.getLogger("uvicorn.access").disabled = True  # request lines carry the FHIR query (an ID number)

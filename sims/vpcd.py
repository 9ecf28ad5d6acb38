"""Bridge a simulated card to pcscd's vpcd driver (vsmartcard), so it appears as a real PC/SC reader.

The driver listens on 127.0.0.1:35963 (+ slot); the card connects.  Every message is a 2-byte big-endian
length and a payload; a 1-byte payload is a control code (00 off, 01 on, 02 reset, 04 ATR — only 04 is
answered).  ``TCP_NODELAY`` plus ``TCP_QUICKACK`` after each length header avoid ~48 ms of delayed-ACK
latency per APDU (docs/design.md, "The simulated card").
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 35963
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0x00, 0x01, 0x02, 0x04


class VirtualCard(Protocol):
    @property
    def atr(self) -> bytes: ...

    def execute(self, raw: bytes) -> bytes: ...

    def reset(self) -> None: ...


class CardRemoved(Exception):
    """The bridge closed the connection on purpose (``remove_after``)."""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        buf += chunk
    return bytes(buf)


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


# When a card is pulled in the middle of a command and the next one connects at once, pcscd never sees
# the slot empty on one of its 0.4 s polls, never powers the new card up, and reports the reader empty for
# good (measured with pcsc-lite 2.0 and vpcd 0.8).  So a slot stays empty for at least this long after a
# card left it (within one process: tests and the demo).
ABSENT_GAP = 1.0
_last_removed: dict[int, float] = {}
_last_removed_lock = threading.Lock()


class VPCDBridge:
    """Runs one card on one vpcd slot.  ``remove_after`` drops the card after that many APDUs."""

    def __init__(
        self,
        card: VirtualCard,
        *,
        slot: int = 0,
        host: str = "127.0.0.1",
        remove_after: int | None = None,
    ) -> None:
        self.card = card
        self.port = VPCD_BASE_PORT + slot
        self.host = host
        self.remove_after = remove_after
        self.apdus = 0
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self.connected = threading.Event()

    def connect(self, timeout: float = 10.0) -> None:
        """Connect to the driver ("insert the card"); retries until ``timeout``."""
        with _last_removed_lock:
            gap = _last_removed.get(self.port, 0.0) + ABSENT_GAP - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self.connected.set()

    def serve_once(self) -> None:
        """Answer the driver until it disconnects, :meth:`stop` is called, or the card is removed."""
        if self._sock is None:
            self.connect()
        sock = self._sock
        assert sock is not None
        try:
            while not self._stop.is_set():
                header = _recv_exact(sock, 2)
                _quickack(sock)
                payload = _recv_exact(sock, int.from_bytes(header, "big"))
                if len(payload) == 1:
                    code = payload[0]
                    if code == _GET_ATR:
                        self._send(sock, self.card.atr)
                    elif code in (_POWER_OFF, _POWER_ON, _RESET):
                        self.card.reset()
                    continue
                if self.remove_after is not None and self.apdus >= self.remove_after:
                    raise CardRemoved
                self.apdus += 1
                self._send(sock, self.card.execute(payload))
        finally:
            self.close()

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(len(payload).to_bytes(2, "big") + payload)

    def serve_forever(self) -> None:
        """Serve, reconnecting when the driver restarts, until :meth:`stop`."""
        while not self._stop.is_set():
            try:
                self.serve_once()
            except CardRemoved:
                log.info("card removed after %d APDUs", self.apdus)
                return
            except (ConnectionError, OSError):
                if self._stop.is_set():
                    return
                time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        self.close()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self.connected.clear()
        if sock is not None:
            with _last_removed_lock:
                _last_removed[self.port] = time.monotonic()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

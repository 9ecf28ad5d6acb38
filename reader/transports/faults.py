"""Fault-injecting transport wrappers for tests and field drills: card removal, link drops, corruption."""

from __future__ import annotations

from collections.abc import Callable

from reader.errors import CardRemovedError, TransportError
from reader.transports.base import Transport, TransportWrapper


class FaultyTransport(TransportWrapper):
    """Wraps a transport and injects faults.

    ``remove_after``: the card leaves the field after that many APDUs (the next one raises
    :class:`CardRemovedError`).  ``drop_if``: a predicate on the command; a match raises
    :class:`TransportError` once (a link drop).  ``corrupt_if``: flips a bit of the matching response.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        remove_after: int | None = None,
        drop_if: Callable[[bytes], bool] | None = None,
        corrupt_if: Callable[[bytes], bool] | None = None,
    ) -> None:
        super().__init__(inner)
        self.remove_after = remove_after
        self.drop_if = drop_if
        self.corrupt_if = corrupt_if
        self.count = 0
        self.dropped = 0

    def transmit(self, command: bytes) -> bytes:
        if self.remove_after is not None and self.count >= self.remove_after:
            raise CardRemovedError("the card left the reader during the read")
        self.count += 1
        if self.drop_if is not None and self.drop_if(command):
            self.drop_if = None
            self.dropped += 1
            raise TransportError("link dropped")
        response = self.inner.transmit(command)
        if self.corrupt_if is not None and self.corrupt_if(command) and len(response) > 2:
            response = bytes([response[0] ^ 0x01]) + response[1:]
        return response

"""The one-method transceiver every protocol step talks through.

A transport sends a raw command APDU and returns the raw response APDU (data + SW1 SW2).  It raises
:class:`reader.errors.TransportError` (or :class:`~reader.errors.CardRemovedError`) on failure and never
returns empty bytes to signal one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from reader.errors import TransportError


@runtime_checkable
class Transport(Protocol):
    """Sends command APDUs to one card."""

    @property
    def name(self) -> str:
        """Reader name, for reports (never personal data)."""
        ...

    @property
    def supports_extended_length(self) -> bool:
        """Whether the reader can carry extended-length APDUs (ISO/IEC 7816-4 §5.1)."""
        ...

    def transmit(self, command: bytes) -> bytes:
        """Send one command APDU, return the response APDU including the status word."""
        ...

    def close(self) -> None:
        """Release the card; idempotent."""
        ...


class CallableTransport:
    """Wraps any ``execute(command) -> response`` callable, such as a simulated card in the same process."""

    def __init__(
        self, execute: Callable[[bytes], bytes], *, name: str = "in-process", extended_length: bool = True
    ) -> None:
        self._execute = execute
        self._name = name
        self._extended = extended_length
        self._closed = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def supports_extended_length(self) -> bool:
        return self._extended

    def transmit(self, command: bytes) -> bytes:
        if self._closed:
            raise TransportError("transport is closed")
        response = self._execute(command)
        if len(response) < 2:
            raise TransportError("response shorter than a status word")
        return response

    def close(self) -> None:
        self._closed = True


class TransportWrapper:
    """Forwards everything to ``inner``; subclasses override :meth:`transmit` (fault injection, counting)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def supports_extended_length(self) -> bool:
        return self.inner.supports_extended_length

    def transmit(self, command: bytes) -> bytes:
        return self.inner.transmit(command)

    def close(self) -> None:
        self.inner.close()

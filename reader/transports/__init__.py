"""Transport adapters: the only part of :mod:`reader` that performs I/O."""

from reader.transports.base import CallableTransport, Transport

__all__ = ["CallableTransport", "Transport"]

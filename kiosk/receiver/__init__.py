"""The reference receiving server (``cccd receiver``) for demos and tests."""

from __future__ import annotations

from kiosk.receiver.server import KeySource, ReceiverConfig, ReceiverHandler, ReceiverServer
from kiosk.receiver.store import ReceiverStore

__all__ = ["KeySource", "ReceiverConfig", "ReceiverHandler", "ReceiverServer", "ReceiverStore"]

"""The reference receiving server (``cccd receiver``): what an institution's endpoint must check.

A separate deployable (FastAPI on uvicorn) that imports only ``kiosk`` (record verification, webhook
signatures) and the standard library.  Design and checks: docs/receiver.md.
"""

from __future__ import annotations

from kiosk.connectors.fhir import RECORD_JWS_HEADER
from receiver.app import create_app
from receiver.config import ENDPOINTS, KeySource, Limits, ReceiverConfig
from receiver.server import BindError, ReceiverServer, listen
from receiver.store import ReceiverStore, StoreError

__all__ = [
    "ENDPOINTS",
    "RECORD_JWS_HEADER",
    "BindError",
    "KeySource",
    "Limits",
    "ReceiverConfig",
    "ReceiverServer",
    "ReceiverStore",
    "StoreError",
    "create_app",
    "listen",
]

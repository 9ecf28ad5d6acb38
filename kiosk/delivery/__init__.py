"""Delivery of the outbox: the relay, its backoff policy and the single-relay lock."""

from __future__ import annotations

from kiosk.delivery.backoff import BackoffPolicy
from kiosk.delivery.relay import ConnectorRegistry, Relay, RelayBusyError, RelayLock, RelayStats

__all__ = ["BackoffPolicy", "ConnectorRegistry", "Relay", "RelayBusyError", "RelayLock", "RelayStats"]

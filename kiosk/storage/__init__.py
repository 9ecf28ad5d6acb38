"""The kiosk's durable state: SQLite (WAL) with results, consents, the outbox, the audit log and the
hospital queue counters."""

from __future__ import annotations

from kiosk.storage.audit import AuditError, AuditReport, audit_head, verify_audit
from kiosk.storage.db import Database, StorageError
from kiosk.storage.queue import QueueError
from kiosk.storage.retention import DAY, PurgeReport, purge
from kiosk.storage.seal import Sealer, SealError
from kiosk.storage.store import KioskStore, OutboxError, OutboxItem

__all__ = [
    "DAY", "AuditError", "AuditReport", "Database", "KioskStore", "OutboxError", "OutboxItem",
    "PurgeReport", "QueueError", "SealError", "Sealer", "StorageError", "audit_head", "purge", "verify_audit",
]  # fmt: skip

"""The retention purge: remove what the profiles do not keep (integrations.md; Decree 356/2025).

* results past ``purge_after`` (set from the profile's ``results_days``) whose outbox rows are all sent;
* sent outbox rows older than their ``keep_days``;
* consent records past ``purge_after`` that no kept result refers to;
* audit entries older than ``audit_days`` (the chain's base anchor moves past them);
* biometric evidence is never purged while undelivered (it would lose the bank's evidence) and is
  deleted by the relay the moment the bank acknowledges it.

Run it on a schedule (``cccd outbox purge``); it writes one audit entry with the counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kiosk.storage.audit import append_audit, purge_audit_before
from kiosk.storage.db import Database

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class PurgeReport:
    results: int
    outbox: int
    consents: int
    audit: int


def purge(db: Database, key: bytes, now: float, audit_days: int) -> PurgeReport:
    """Apply retention in one transaction (``key``: the audit chain's key)."""
    with db.transaction() as conn:
        outbox = conn.execute("DELETE FROM outbox WHERE state = 'sent' AND sent_at + keep_days * ? < ?",
                              (DAY, now)).rowcount  # fmt: skip
        results = conn.execute(
            "DELETE FROM results WHERE purge_after < ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
            "o.verification_id = results.verification_id) AND NOT EXISTS (SELECT 1 FROM biometric_evidence b "
            "WHERE b.verification_id = results.verification_id)", (now,)).rowcount  # fmt: skip
        consents = conn.execute(
            "DELETE FROM consents WHERE purge_after < ? AND NOT EXISTS (SELECT 1 FROM results r WHERE "
            "r.consent_id = consents.consent_id)", (now,)).rowcount  # fmt: skip
        audit = purge_audit_before(conn, key, now - audit_days * DAY)
        report = PurgeReport(results, outbox, consents, audit)
        append_audit(conn, key, "retention.purged", asdict(report), now)
    return report

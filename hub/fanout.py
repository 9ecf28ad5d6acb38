"""Fan-out: the hub's outbox delivered to the sites' receiving systems (docs/hub.md, "Fan-out").

Any number of workers, in any number of replicas, share the ``outbox`` table.  A worker claims due rows
with ``FOR UPDATE SKIP LOCKED`` in a short transaction that also sets a lease (``lease_until``,
``leased_by``), delivers them through the existing connectors (:mod:`kiosk.connectors`, the same code the
kiosk uses) with the hub's signing key, and records each outcome, guarded by its lease: 2xx → ``sent``;
4xx other than 408/425/429, or too many attempts → ``dead`` (console: retry); anything else → retried
after :class:`kiosk.delivery.backoff.BackoffPolicy`.  A worker killed mid-delivery leaves a lease that
expires, and another worker delivers the row again: at least once, and receivers deduplicate on the
``webhook-id`` (the verification ID), so each record is stored once downstream.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from kiosk.connectors import Connector, DeliveryContext, DeliveryResult, build_connector
from kiosk.delivery.backoff import BackoffPolicy
from kiosk.keys import RecordSigner
from kiosk.profiles import load_profile
from kiosk.record import BiometricImages

log = logging.getLogger("hub.fanout")

_CLAIM = """
UPDATE outbox o SET lease_until = now() + make_interval(secs => %s), leased_by = %s, attempts = o.attempts + 1
  FROM (SELECT id FROM outbox
         WHERE state = 'pending' AND next_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_at LIMIT %s FOR UPDATE SKIP LOCKED) c
 WHERE o.id = c.id
RETURNING o.id, o.connector, o.attempts, o.record_id"""

_LOAD = """
SELECT o.id, r.verification_id, r.record, s.site_id, s.profile, s.deliver_to, s.secret_ref,
       e.live_jpeg, e.chip_image, e.chip_image_type
  FROM outbox o JOIN records r ON r.id = o.record_id JOIN sites s ON s.site_id = o.site_id
  LEFT JOIN record_evidence e ON e.record_id = o.record_id
 WHERE o.id = ANY(%s)"""


@dataclass(frozen=True, slots=True)
class Claimed:
    outbox_id: int
    connector: str
    attempts: int
    verification_id: str
    record: dict[str, Any]
    site_id: str
    profile: str
    deliver_to: str | None
    secret_ref: str
    images: BiometricImages | None = None

    def __repr__(self) -> str:
        return f"Claimed(outbox={self.outbox_id}, id={self.verification_id}, <record hidden>)"


class ConnectorCache:
    """Connectors per (site settings, connector): rebuilt when the site's destination changes."""

    def __init__(self, signer: RecordSigner) -> None:
        self.signer = signer
        self._built: dict[tuple[str, str, str, str | None, str], Connector] = {}
        self._lock = threading.Lock()

    def get(self, c: Claimed) -> Connector:
        key = (c.site_id, c.profile, c.connector, c.deliver_to, c.secret_ref)
        with self._lock:
            if key not in self._built:
                profile = load_profile(c.profile)
                settings = replace(profile.connector(c.connector), webhook_secret=c.secret_ref)
                self._built[key] = build_connector(settings, profile, self.signer, c.deliver_to)
            return self._built[key]

    def close(self) -> None:
        with self._lock:
            for conn in self._built.values():
                conn.close()
            self._built.clear()


class FanoutWorker:
    """One worker: :meth:`run_once` claims, delivers and records one batch."""

    def __init__(
        self,
        pool: ConnectionPool,
        signer: RecordSigner,
        name: str,
        *,
        batch: int = 32,
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        max_attempts: int = 12,
        backoff: BackoffPolicy | None = None,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self.pool, self.name, self.batch = pool, name, batch
        self.lease_seconds, self.max_attempts = lease_seconds, max_attempts
        self.backoff = backoff or BackoffPolicy(base_seconds=2.0, max_seconds=600.0)
        self.connectors = ConnectorCache(signer)
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"fanout-{name}")
        self.on_outcome = on_outcome
        self.rng = random.Random()

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.connectors.close()

    def claim(self) -> list[Claimed]:
        with self.pool.connection() as conn, conn.transaction():
            rows = conn.execute(_CLAIM, (self.lease_seconds, self.name, self.batch)).fetchall()
            if not rows:
                return []
            attempts = {r[0]: (r[1], r[2]) for r in rows}
            loaded = conn.execute(_LOAD, ([r[0] for r in rows],)).fetchall()
        return [
            Claimed(
                oid,
                attempts[oid][0],
                attempts[oid][1],
                vid,
                record,
                site,
                profile,
                to,
                ref,
                BiometricImages(live, chip, ctype) if live is not None else None,
            )
            for oid, vid, record, site, profile, to, ref, live, chip, ctype in loaded
        ]

    def _deliver(self, c: Claimed) -> DeliveryResult:
        try:
            connector = self.connectors.get(c)
            return connector.deliver(DeliveryContext(c.verification_id, c.record, c.images, time.time()))
        except Exception as exc:  # a connector bug or bad configuration must not stop the worker
            log.warning("connector failed", extra={"outbox_id": c.outbox_id, "error": type(exc).__name__})
            return DeliveryResult("retry", None, f"connector error {type(exc).__name__}")

    def record_all(self, done: list[tuple[Claimed, DeliveryResult]]) -> None:
        """Every outcome of a batch in one statement (one commit), each guarded by this worker's lease."""
        ids, states, statuses, errors, delays = [], [], [], [], []
        for c, result in done:
            outcome = result.outcome
            if outcome == "retry" and c.attempts >= self.max_attempts:
                outcome = "dead"
            ids.append(c.outbox_id)
            states.append({"sent": "sent", "dead": "dead"}.get(outcome, "pending"))
            statuses.append(result.status)
            errors.append((result.error or "")[:500] or None)
            delays.append(self.backoff.delay(c.attempts, self.rng) if outcome == "retry" else 0.0)
            log.info(
                "delivery %s",
                outcome,
                extra={
                    "verification_id": c.verification_id,
                    "connector": c.connector,
                    "status": result.status,
                    "attempt": c.attempts,
                },
            )
            if self.on_outcome is not None:
                self.on_outcome(outcome)
        with self.pool.connection() as conn:
            conn.execute(
                """UPDATE outbox o SET state = u.state, lease_until = NULL, last_status = u.status,
                          last_error = u.error,
                          sent_at = CASE WHEN u.state = 'sent' THEN now() END,
                          next_at = CASE WHEN u.state = 'pending' THEN now() + make_interval(secs => u.delay)
                                         ELSE o.next_at END
                     FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::text[], %s::float8[])
                          AS u(id, state, status, error, delay)
                    WHERE o.id = u.id AND o.leased_by = %s""",
                (ids, states, statuses, errors, delays, self.name),
            )
            # the bank's biometric evidence leaves the hub once every destination has acknowledged
            conn.execute(
                "DELETE FROM record_evidence e "
                "WHERE e.record_id IN (SELECT record_id FROM outbox WHERE id = ANY(%s)) "
                "AND NOT EXISTS (SELECT 1 FROM outbox o "
                "WHERE o.record_id = e.record_id AND o.state <> 'sent')",
                (ids,),
            )

    def run_once(self) -> int:
        """Claim one batch, deliver it concurrently, record every outcome; the number of rows handled."""
        claimed = self.claim()
        if not claimed:
            return 0
        results = list(self.executor.map(self._deliver, claimed))
        self.record_all(list(zip(claimed, results, strict=True)))
        return len(claimed)

    def run(self, stop: threading.Event, idle_seconds: float = 0.25) -> None:
        """Loop until ``stop``; a lost database connection is waited out, never fatal."""
        while not stop.is_set():
            try:
                handled = self.run_once()
            except (psycopg.Error, OSError) as exc:
                log.warning("fan-out: database unavailable", extra={"error": type(exc).__name__})
                stop.wait(1.0)
                continue
            if handled == 0:
                stop.wait(idle_seconds)

"""Retention purge and the gauges computed from the database (docs/hub.md, "Operations")."""

from __future__ import annotations

import logging
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import ConnectionPool

from hub.config import HubSettings
from hub.state import HubState

log = logging.getLogger("hub.maintenance")


def purge(pool: ConnectionPool, settings: HubSettings) -> dict[str, int]:
    """Delete what retention allows: records older than ``retention_days`` whose fan-out is finished
    (sent; dead letters stay until a person acts), heartbeats older than ``heartbeat_retention_days``,
    expired sessions, used or expired enrolment tokens after a day, and replay-window request IDs."""
    counts: dict[str, int] = {}
    with pool.connection() as conn, conn.transaction():
        cur = conn.execute(
            "DELETE FROM records r WHERE r.received_at < now() - make_interval(days => %s) "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.id AND o.state <> 'sent')",
            (settings.retention_days,),
        )
        counts["records"] = cur.rowcount
        cur = conn.execute(
            "DELETE FROM heartbeats WHERE at < now() - make_interval(days => %s)",
            (settings.heartbeat_retention_days,),
        )
        counts["heartbeats"] = cur.rowcount
        cur = conn.execute(
            "DELETE FROM seen_requests WHERE seen_at < now() - make_interval(secs => %s)",
            (settings.clock_skew_seconds * 2,),
        )
        counts["seen_requests"] = cur.rowcount
        counts["sessions"] = conn.execute("DELETE FROM sessions WHERE expires_at < now()").rowcount
        counts["enrol_tokens"] = conn.execute(
            "DELETE FROM enrol_tokens WHERE coalesce(used_at, expires_at) < now() - interval '1 day'"
        ).rowcount
    log.info("purge", extra=counts)
    return counts


async def refresh_gauges(conn: AsyncConnection[Any], state: HubState, settings: HubSettings) -> None:
    m = state.metrics
    rows = await (await conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")).fetchall()
    found = {s: n for s, n in rows}
    for s in ("pending", "sent", "dead"):
        m.outbox.labels(s).set(found.get(s, 0))
    row = await (
        await conn.execute(
            "SELECT count(*) FILTER (WHERE revoked_at IS NULL "
            "AND last_seen > now() - make_interval(secs => %s)),"
            " count(*) FILTER (WHERE revoked_at IS NULL AND (last_seen IS NULL OR "
            "last_seen <= now() - make_interval(secs => %s))), "
            "count(*) FILTER (WHERE revoked_at IS NOT NULL) "
            "FROM kiosks",
            (settings.offline_after_seconds, settings.offline_after_seconds),
        )
    ).fetchone()
    if row is not None:
        for label, value in zip(("online", "offline", "revoked"), row, strict=True):
            m.kiosks.labels(label).set(value)

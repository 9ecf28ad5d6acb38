"""Who is calling: the kiosk behind a request (docs/hub.md, "How kiosks authenticate").

Every kiosk request after enrolment carries Standard Webhooks headers (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) computed with the kiosk's own secret, issued once at
enrolment (:mod:`kiosk.connectors.webhooks`); the kiosk's ID is in the path.  Requests other than
ingest (which is idempotent) are refused when their ``webhook-id`` was already seen.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from psycopg import AsyncConnection

from hub.errors import BadRequest, Conflict, Forbidden, Unauthenticated
from hub.state import HubState
from kiosk.connectors import webhooks
from kiosk.profiles import Profile, load_profile

KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SIGNED_HEADERS = {
    "parameters": [
        {"name": n, "in": "header", "required": True, "schema": {"type": "string"}, "description": d}
        for n, d in (
            ("webhook-id", "unique request ID (ingest: the verification ID)"),
            ("webhook-timestamp", "Unix seconds; at most 5 minutes from the hub's clock"),
            ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> with the kiosk's secret"),
        )
    ]
}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@lru_cache(maxsize=64)
def site_profile(name: str) -> Profile:
    return load_profile(name)


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


def parse_json_object(body: bytes) -> dict[str, Any]:
    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        data = json.loads(body, parse_constant=no_constants)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class KioskRow:
    kiosk_id: str
    site_id: str
    profile: str
    jwks: list[dict[str, Any]]


_KIOSK_SQL = """
SELECT k.site_id, k.webhook_secret, k.revoked_at IS NOT NULL, s.profile,
       coalesce(json_agg(kk.jwk ORDER BY kk.added_at) FILTER (WHERE kk.revoked_at IS NULL), '[]')
  FROM kiosks k JOIN sites s ON s.site_id = k.site_id LEFT JOIN kiosk_keys kk ON kk.kiosk_id = k.kiosk_id
 WHERE k.kiosk_id = %s GROUP BY k.kiosk_id, s.site_id"""


async def _kiosk_row(state: HubState, kiosk_id: str, fresh: bool) -> tuple[Any, ...] | None:
    """The kiosk's row, from the replica's short cache unless ``fresh``.

    The cache only saves a round trip: every write a kiosk causes re-checks revocation in the same
    statement (ingest's guard, the heartbeat's ``UPDATE ... WHERE revoked_at IS NULL``), so a revoked
    kiosk or key is refused from the moment the revocation commits.
    """
    now = time.monotonic()
    cached = state.kiosk_cache.get(kiosk_id)
    if cached is not None and not fresh and cached[0] > now:
        return cached[1]
    async with state.pool.connection() as conn:
        row = await (await conn.execute(_KIOSK_SQL, (kiosk_id,))).fetchone()
    if row is not None:
        if len(state.kiosk_cache) > 100_000:
            state.kiosk_cache.clear()
        state.kiosk_cache[kiosk_id] = (now + state.settings.kiosk_cache_seconds, tuple(row))
    else:
        state.kiosk_cache.pop(kiosk_id, None)
    return tuple(row) if row is not None else None


async def authenticate(
    state: HubState, request: Request, kiosk_id: str, body: bytes, fresh: bool = False
) -> KioskRow:
    """The kiosk, once its request's Standard Webhooks signature verifies and it is not revoked."""
    if not KIOSK_ID.match(kiosk_id):
        raise Unauthenticated("unknown kiosk")
    row = await _kiosk_row(state, kiosk_id, fresh)
    if row is None:
        raise Unauthenticated("unknown kiosk")
    site_id, secret, revoked, profile, jwks = row
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        webhooks.verify(
            webhooks.decode_secret(secret), headers, body, state.clock(), state.settings.clock_skew_seconds
        )
    except webhooks.WebhookSignatureError as exc:
        raise Unauthenticated(f"request signature: {exc}") from None
    if revoked:
        raise Forbidden("this kiosk is revoked")
    return KioskRow(kiosk_id, site_id, profile, list(jwks))


def kid_of(token: str) -> str | None:
    """The ``kid`` of a compact JWS header (unverified: only to choose the key set to load)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


async def refuse_replay_in(conn: AsyncConnection[Any], kiosk_id: str, request_id: str) -> None:
    cur = await conn.execute(
        "INSERT INTO seen_requests (kiosk_id, request_id) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (kiosk_id, request_id),
    )
    if await cur.fetchone() is None:
        raise Conflict("replayed request (this webhook-id was already used)")


async def refuse_replay(state: HubState, kiosk_id: str, request_id: str) -> None:
    async with state.pool.connection() as conn:
        await refuse_replay_in(conn, kiosk_id, request_id)

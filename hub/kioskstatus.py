"""Heartbeats, configuration bundles and the hub's public keys (docs/hub.md, "Heartbeats", "Bundles")."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from psycopg.types.json import Jsonb

from hub import bundle
from hub.errors import BadRequest, Forbidden, NotFound
from hub.kioskauth import (
    SIGNED_HEADERS,
    authenticate,
    hub_state,
    json_body,
    parse_json_object,
    refuse_replay,
    refuse_replay_in,
)

router = APIRouter(prefix="/v1", tags=["kiosks"])

_HEARTBEAT_SCHEMA = {
    "type": "object",
    "properties": {
        "version": {"type": "string"},
        "reader": {"type": "object"},
        "camera": {"type": "object"},
        "trust_store": {"type": "object"},
        "outbox_backlog": {"type": "integer", "minimum": 0},
        "last_errors": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "doctor": {"type": ["object", "null"]},
        "bundle_etag": {"type": "string"},
    },
}
_HEARTBEAT_TYPES: dict[str, tuple[type, ...]] = {
    "version": (str,),
    "reader": (dict,),
    "camera": (dict,),
    "trust_store": (dict,),
    "outbox_backlog": (int,),
    "last_errors": (list,),
    "doctor": (dict, type(None)),
    "bundle_etag": (str,),
    "bundle_error": (str,),
}


def check_heartbeat(data: dict[str, Any]) -> dict[str, Any]:
    for key, value in data.items():
        kinds = _HEARTBEAT_TYPES.get(key)
        if kinds is None:
            raise BadRequest(f"heartbeat: unknown field {key!r}")
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise BadRequest(f"heartbeat: {key} has the wrong type")
    backlog = data.get("outbox_backlog", 0)
    errors = data.get("last_errors", [])
    if backlog < 0 or len(errors) > 20 or not all(isinstance(e, str) and len(e) <= 500 for e in errors):
        raise BadRequest("heartbeat: outbox_backlog ≥ 0 and at most 20 last_errors of ≤ 500 characters")
    if len(json.dumps(data)) > 16 * 1024:
        raise BadRequest("heartbeat: at most 16 KiB")
    return data


@router.post(
    "/kiosks/{kiosk_id}/heartbeat",
    summary="Report status (every 60 s; offline after 3 min)",
    openapi_extra=dict(json_body(_HEARTBEAT_SCHEMA), **SIGNED_HEADERS),
)
async def heartbeat(kiosk_id: str, request: Request) -> Response:
    state = hub_state(request)
    body = await request.body()
    kiosk = await authenticate(state, request, kiosk_id, body)
    data = check_heartbeat(parse_json_object(body))
    version = data.get("version")
    async with state.pool.connection() as conn, conn.transaction():
        await refuse_replay_in(conn, kiosk_id, request.headers["webhook-id"])
        cur = await conn.execute(
            "UPDATE kiosks SET last_seen = now(), last_heartbeat = %s, "
            "software_version = coalesce(%s, software_version) WHERE kiosk_id = %s AND revoked_at IS NULL "
            "RETURNING 1",
            (Jsonb(data), version, kiosk_id),
        )
        if await cur.fetchone() is None:
            state.kiosk_cache.pop(kiosk_id, None)
            raise Forbidden("this kiosk is revoked")
        await conn.execute("INSERT INTO heartbeats (kiosk_id, body) VALUES (%s, %s)", (kiosk_id, Jsonb(data)))
        etag = await bundle.current_etag(conn, kiosk.site_id, state.bundle_etags)
    state.metrics.heartbeats.inc()
    return JSONResponse({"ok": True, "next_in": state.settings.heartbeat_seconds, "bundle_etag": etag})


@router.get(
    "/kiosks/{kiosk_id}/bundle",
    summary="The site's configuration bundle, signed by the hub",
    description="Compact JWS (ES256, typ cccd-bundle+jwt). ETag / If-None-Match → 304.",
    openapi_extra=SIGNED_HEADERS,
    response_class=Response,
)
async def get_bundle(kiosk_id: str, request: Request) -> Response:
    state = hub_state(request)
    kiosk = await authenticate(state, request, kiosk_id, b"", fresh=True)
    await refuse_replay(state, kiosk_id, request.headers["webhook-id"])
    async with state.pool.connection() as conn:
        content = await bundle.site_bundle(conn, kiosk.site_id)
    if content is None:
        raise NotFound("the site has no bundle")
    etag = bundle.etag(content)
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag})
    token = bundle.sign(state.keys, content)
    return Response(token, media_type="application/jose", headers={"etag": etag})


@router.get("/jwks", summary="The hub's public keys (records it forwards and bundles are signed with them)")
async def jwks(request: Request) -> dict[str, Any]:
    return hub_state(request).keys.jwks()

"""Enrolment and key rotation (docs/hub.md, "How kiosks authenticate").

A kiosk enrols with a one-time token (kept only as its SHA-256), its public JWKs and a proof signed by
one of them; it later registers a rotated key with a proof signed by a key already registered.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from psycopg.types.json import Jsonb

from hub.errors import BadRequest, Conflict, Forbidden, Unauthenticated
from hub.jwks import keyset, public_jwk, token_hash, verify_proof
from hub.kioskauth import (
    KIOSK_ID,
    SIGNED_HEADERS,
    authenticate,
    hub_state,
    json_body,
    parse_json_object,
    refuse_replay,
)
from kiosk.connectors import webhooks

log = logging.getLogger("hub.api")
router = APIRouter(prefix="/v1", tags=["kiosks"])

_ENROL_SCHEMA = {
    "type": "object",
    "required": ["token", "kiosk_id", "jwks", "proof"],
    "properties": {
        "token": {"type": "string", "description": "one-time enrolment token from the console or CLI"},
        "kiosk_id": {"type": "string", "pattern": KIOSK_ID.pattern},
        "jwks": {"type": "object", "description": "the kiosk's public JWK Set (P-256)"},
        "proof": {
            "type": "string",
            "description": "JWS by one of the keys over {kiosk_id, token_sha256, iat}",
        },
        "software_version": {"type": "string"},
    },
}


@router.post(
    "/enrol",
    status_code=201,
    summary="Enrol a kiosk with a one-time token",
    openapi_extra=json_body(_ENROL_SCHEMA),
)
async def enrol(request: Request) -> dict[str, Any]:
    state = hub_state(request)
    data = parse_json_object(await request.body())
    token, kiosk_id, jwks, proof = (data.get(k) for k in ("token", "kiosk_id", "jwks", "proof"))
    if not isinstance(token, str) or not isinstance(kiosk_id, str) or not isinstance(proof, str):
        raise BadRequest("token, kiosk_id and proof are required strings")
    if not KIOSK_ID.match(kiosk_id):
        raise BadRequest("kiosk_id: letters, digits, '.', '_' or '-', at most 64")
    keys_in = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys_in, list) or not 1 <= len(keys_in) <= 8:
        raise BadRequest("jwks must hold 1 to 8 public keys")
    keys = dict(public_jwk(k) for k in keys_in)
    th = token_hash(token)
    claims = verify_proof(
        proof,
        keyset(list(keys.values())),  # not cached: unauthenticated callers may not fill the shared cache
        state.clock(),
        state.settings.clock_skew_seconds,
    )
    if claims.get("kiosk_id") != kiosk_id or claims.get("token_sha256") != th.hex():
        raise Unauthenticated("proof is for another kiosk or token")
    version = data.get("software_version")
    secret = webhooks.new_webhook_secret()
    async with state.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "UPDATE enrol_tokens SET used_at = now(), used_by = %s WHERE token_sha256 = %s "
            "AND used_at IS NULL AND expires_at > now() RETURNING site_id",
            (kiosk_id, th),
        )
        row = await cur.fetchone()
        if row is None:
            raise Unauthenticated("enrolment token unknown, already used or expired")
        site_id = row[0]
        cur = await conn.execute(
            "INSERT INTO kiosks (kiosk_id, site_id, webhook_secret, software_version) "
            "VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (kiosk_id, site_id, secret, version if isinstance(version, str) else None),
        )
        if await cur.fetchone() is None:
            raise Conflict("a kiosk with this ID is already enrolled (revoked IDs are never reused)")
        for kid, jwk in keys.items():
            await conn.execute(
                "INSERT INTO kiosk_keys (kiosk_id, kid, jwk) VALUES (%s, %s, %s)", (kiosk_id, kid, Jsonb(jwk))
            )
        await conn.execute(
            "INSERT INTO audit (actor, action, site_id, target, detail) VALUES "
            "(%s, 'kiosk.enrolled', %s, %s, %s)",
            (f"kiosk:{kiosk_id}", site_id, kiosk_id, Jsonb({"kids": sorted(keys)})),
        )
    log.info("kiosk enrolled", extra={"kiosk_id": kiosk_id, "site_id": site_id})
    return {
        "kiosk_id": kiosk_id,
        "site_id": site_id,
        "webhook_secret": secret,
        "hub_jwks": state.keys.jwks(),
        "heartbeat_seconds": state.settings.heartbeat_seconds,
    }


_KEY_SCHEMA = {
    "type": "object",
    "required": ["proof"],
    "properties": {
        "proof": {"type": "string", "description": "JWS by a registered key over {kiosk_id, add_jwk, iat}"}
    },
}


@router.post(
    "/kiosks/{kiosk_id}/keys",
    status_code=201,
    summary="Register a rotated signing key",
    openapi_extra=dict(json_body(_KEY_SCHEMA), **SIGNED_HEADERS),
)
async def add_key(kiosk_id: str, request: Request) -> dict[str, Any]:
    state = hub_state(request)
    body = await request.body()
    kiosk = await authenticate(state, request, kiosk_id, body, fresh=True)
    proof = parse_json_object(body).get("proof")
    if not isinstance(proof, str):
        raise BadRequest("proof is required")
    if not kiosk.jwks:
        raise Forbidden("this kiosk has no valid key to sign the rotation")
    claims = verify_proof(
        proof, state.keysets.get(kiosk_id, kiosk.jwks), state.clock(), state.settings.clock_skew_seconds
    )
    if claims.get("kiosk_id") != kiosk_id:
        raise Unauthenticated("proof is for another kiosk")
    await refuse_replay(state, kiosk_id, request.headers["webhook-id"])
    kid, jwk = public_jwk(claims.get("add_jwk"))
    async with state.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "INSERT INTO kiosk_keys (kiosk_id, kid, jwk) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (kiosk_id, kid, Jsonb(jwk)),
        )
        if await cur.fetchone() is None:
            raise Conflict("this key is already registered (or was revoked)")
        await conn.execute(
            "INSERT INTO audit (actor, action, site_id, target, detail) VALUES "
            "(%s, 'kiosk.key_added', %s, %s, %s)",
            (f"kiosk:{kiosk_id}", kiosk.site_id, kiosk_id, Jsonb({"kid": kid})),
        )
    return {"kid": kid}

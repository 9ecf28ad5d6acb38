"""The kiosk-facing API (docs/hub.md, "Kiosk API"): enrolment, record ingest, heartbeats, keys, bundles.

Every kiosk request after enrolment carries Standard Webhooks headers (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) computed with the kiosk's own secret, issued once at
enrolment (:mod:`kiosk.connectors.webhooks`); the kiosk's ID is in the path.  A record additionally
carries the kiosk's ES256 signature (the JWS the kiosk sends to every receiver), verified against the
kiosk's registered, unrevoked keys.  Ingest is idempotent on the verification ID (a UNIQUE constraint,
``INSERT ... ON CONFLICT DO NOTHING``); every other request's ``webhook-id`` is remembered for the
skew window, so a replay is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from hub import bundle
from hub.errors import BadRequest, Conflict, Forbidden, HubError, NotFound, Unauthenticated
from hub.jwks import public_jwk, verify_proof
from hub.state import HubState
from kiosk.connectors import webhooks
from kiosk.keys import RecordVerificationError, verify_record_jws
from kiosk.profiles import Profile, load_profile

log = logging.getLogger("hub.api")
router = APIRouter(prefix="/v1", tags=["kiosks"])
KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_JWT_CLAIMS = ("iss", "sub", "aud", "iat", "exp", "jti", "kid")
_SIGNED_HEADERS = {
    "parameters": [
        {"name": n, "in": "header", "required": True, "schema": {"type": "string"}, "description": d}
        for n, d in (
            ("webhook-id", "unique request ID (ingest: the verification ID)"),
            ("webhook-timestamp", "Unix seconds; at most 5 minutes from the hub's clock"),
            ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> with the kiosk's secret"),
        )
    ]
}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
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


def _kid(token: str) -> str | None:
    """The ``kid`` of a compact JWS header (unverified: only to choose the key set to load)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


async def _refuse_replay(conn: AsyncConnection[Any], kiosk_id: str, request_id: str) -> None:
    cur = await conn.execute(
        "INSERT INTO seen_requests (kiosk_id, request_id) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (kiosk_id, request_id),
    )
    if await cur.fetchone() is None:
        raise Conflict("replayed request (this webhook-id was already used)")


async def refuse_replay(state: HubState, kiosk_id: str, request_id: str) -> None:
    async with state.pool.connection() as conn:
        await _refuse_replay(conn, kiosk_id, request_id)


# --- enrolment ------------------------------------------------------------------------------------------

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


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@router.post(
    "/enrol",
    status_code=201,
    summary="Enrol a kiosk with a one-time token",
    openapi_extra=_json_body(_ENROL_SCHEMA),
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
        state.keysets.get(f"enrol:{kiosk_id}", list(keys.values())),
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


# --- ingest ---------------------------------------------------------------------------------------------

_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["type", "data"],
    "properties": {
        "type": {"type": "string", "example": "cccd.hospital.registration"},
        "timestamp": {"type": "string"},
        "data": {
            "type": "object",
            "required": ["verification_id", "record_jws"],
            "properties": {
                "verification_id": {"type": "string"},
                "record_jws": {
                    "type": "string",
                    "description": "compact JWS (ES256) of the verification record",
                },
            },
        },
    },
}
_INGEST_DOC = dict(_json_body(_ENVELOPE_SCHEMA), **_SIGNED_HEADERS)


_STORED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "stored, or a duplicate of a stored record (idempotent)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["stored", "duplicate"]},
                        "verification_id": {"type": "string"},
                    },
                }
            }
        },
    },
    400: {"description": "malformed"},
    401: {"description": "signature, unknown kiosk, or the JWS"},
    403: {"description": "revoked, or a record of another kiosk or site"},
    409: {"description": "conflict"},
    413: {"description": "body too large"},
    422: {"description": "biometric evidence not the signed images"},
    503: {"description": "database unavailable: retry"},
}


def _record_document(claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in _JWT_CLAIMS}


@router.post(
    "/kiosks/{kiosk_id}/webhooks/{connector}",
    summary="Deliver a signed verification record",
    description="Exactly what a kiosk sends a receiver (kiosk.connectors): point the kiosk's "
    "--deliver-to at /v1/kiosks/{kiosk_id}.",
    openapi_extra=_INGEST_DOC,
    responses=_STORED,
)
async def ingest(kiosk_id: str, connector: str, request: Request) -> Response:
    state = hub_state(request)
    started = time.perf_counter()
    try:
        result = await _ingest(state, request, kiosk_id)
    except Exception:
        state.metrics.ingested.labels("refused").inc()
        raise
    state.metrics.ingested.labels(result["status"]).inc()
    state.metrics.ingest_seconds.observe(time.perf_counter() - started)
    return JSONResponse(result)  # no response model: nothing to validate on the hot path


async def _ingest(state: HubState, request: Request, kiosk_id: str) -> dict[str, Any]:
    body = await request.body()
    kiosk = await authenticate(state, request, kiosk_id, body)
    data = parse_json_object(body).get("data")
    if not isinstance(data, dict) or not isinstance(data.get("record_jws"), str):
        raise BadRequest("no signed record (data.record_jws)")
    evidence = data.get("biometric_evidence")
    return await _store(
        state, request, kiosk, body, data["record_jws"], data.get("verification_id"), evidence
    )


def _evidence(evidence: Any, claims: dict[str, Any]) -> tuple[bytes, bytes, str] | None:
    """Bank biometric evidence: exactly the images whose SHA-256 the signed record carries, or refused."""
    if evidence is None:
        return None
    signed = set((claims.get("biometric") or {}).get("image_sha256") or [])
    try:
        live = base64.b64decode(evidence["live_image"]["data"], validate=True)
        chip = base64.b64decode(evidence["chip_image"]["data"], validate=True)
        chip_type = str(evidence["chip_image"].get("content_type") or "image/jpeg")
    except (KeyError, TypeError, ValueError):
        raise BadRequest("biometric_evidence: live_image and chip_image with base64 data") from None
    if hashlib.sha256(live).hexdigest() not in signed or hashlib.sha256(chip).hexdigest() not in signed:
        raise HubError("biometric evidence does not match the signed record", 422)
    return live, chip, chip_type[:40]


async def _store(
    state: HubState,
    request: Request,
    kiosk: KioskRow,
    body: bytes,
    token: str,
    envelope_id: Any,
    evidence: Any = None,
) -> dict[str, Any]:
    """Verify the kiosk's signed record and store it once with its fan-out rows (see module docstring)."""
    kiosk_id = kiosk.kiosk_id
    webhook_id = request.headers["webhook-id"]
    data = {"record_jws": token, "verification_id": envelope_id}
    if _kid(data["record_jws"]) not in {k.get("kid") for k in kiosk.jwks}:  # a new key: not cached yet
        kiosk = await authenticate(state, request, kiosk_id, body, fresh=True)
    if not kiosk.jwks:
        raise Forbidden("this kiosk has no valid key")
    try:
        claims = verify_record_jws(
            data["record_jws"], state.keysets.get(kiosk_id, kiosk.jwks), None, state.clock()
        )
    except RecordVerificationError as exc:
        raise Unauthenticated(f"signed record: {exc}") from None
    vid = claims["sub"]
    if not isinstance(vid, str) or vid != webhook_id.split(":", 1)[0] or data.get("verification_id") != vid:
        raise BadRequest("webhook-id, envelope and signed record name different verifications")
    idem = request.headers.get("idempotency-key")
    if idem is not None and idem.split(":", 1)[0] != vid:
        raise BadRequest("Idempotency-Key is not the verification ID")
    identity = claims.get("kiosk")
    if not isinstance(identity, dict) or identity.get("device_id") != kiosk_id:
        raise Forbidden("the record was made by another kiosk")
    if identity.get("site_id") != kiosk.site_id:
        raise Forbidden("the record names another site")
    status, reasons = claims.get("status"), claims.get("reasons")
    profile = claims.get("profile")
    if not isinstance(status, str) or not isinstance(profile, str) or not isinstance(reasons, list):
        raise BadRequest("the record lacks profile, status or reasons")
    completed = (claims.get("times") or {}).get("completed")
    images = _evidence(evidence, claims)
    live, chip, chip_type = images if images is not None else (None, None, None)
    connectors = [c.name for c in site_profile(kiosk.profile).connectors]
    async with state.pool.connection() as conn:
        cur = await conn.execute(
            """
            WITH ok AS (
              SELECT 1 FROM kiosks k JOIN kiosk_keys kk ON kk.kiosk_id = k.kiosk_id
               WHERE k.kiosk_id = %s AND kk.kid = %s AND k.revoked_at IS NULL AND kk.revoked_at IS NULL),
            r AS (
              INSERT INTO records (verification_id, kiosk_id, site_id, kid, profile, status, reasons,
                                   completed_at, record_jws, record)
              SELECT %s, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s, %s FROM ok
              ON CONFLICT (verification_id) DO NOTHING RETURNING id),
            o AS (INSERT INTO outbox (record_id, site_id, connector)
                  SELECT r.id, %s, c FROM r, unnest(%s::text[]) AS c),
            e AS (INSERT INTO record_evidence (record_id, live_jpeg, chip_image, chip_image_type)
                  SELECT r.id, %s::bytea, %s::bytea, %s FROM r WHERE %s::bytea IS NOT NULL)
            SELECT (SELECT count(*) FROM ok), (SELECT id FROM r)""",
            (
                kiosk_id,
                claims["kid"],
                vid,
                kiosk_id,
                kiosk.site_id,
                claims["kid"],
                profile,
                status,
                [str(r) for r in reasons],
                completed if isinstance(completed, str) else None,
                data["record_jws"],
                Jsonb(_record_document(claims)),
                kiosk.site_id,
                connectors,
                live,
                chip,
                chip_type,
                live,
            ),
        )
        allowed, stored = await cur.fetchone() or (0, None)
        if not allowed:  # revoked since this replica cached the kiosk
            state.kiosk_cache.pop(kiosk_id, None)
            raise Forbidden("this kiosk or its key is revoked")
        if stored is None:
            owner = await (
                await conn.execute("SELECT kiosk_id FROM records WHERE verification_id = %s", (vid,))
            ).fetchone()
            if owner is None or owner[0] != kiosk_id:
                raise Conflict("this verification ID belongs to another kiosk's record")
    outcome = "stored" if stored is not None else "duplicate"
    log.info("record %s", outcome, extra={"kiosk_id": kiosk_id, "verification_id": vid})
    return {"status": outcome, "verification_id": vid}


# --- the same record through a kiosk's FHIR connector (kiosk/connectors/fhir.py) ------------------------


@router.put(
    "/kiosks/{kiosk_id}/fhir/Patient",
    summary="FHIR conditional update of the Patient (acknowledged)",
    description="The kiosk's FHIR connector sends the Patient first: the hub authenticates it and "
    "answers with a logical id, storing nothing (the signed record follows in the "
    "Provenance).",
    openapi_extra=_SIGNED_HEADERS,
)
async def fhir_patient(kiosk_id: str, request: Request) -> Response:
    state = hub_state(request)
    body = await request.body()
    await authenticate(state, request, kiosk_id, body)
    resource = parse_json_object(body)
    if resource.get("resourceType") != "Patient":
        raise BadRequest("a Patient resource is expected")
    pid = "hub-" + request.headers["webhook-id"].split(":", 1)[0]
    payload = json.dumps({"resourceType": "Patient", "id": pid, "meta": {"versionId": "1"}})
    return Response(
        payload,
        status_code=200,
        media_type="application/fhir+json",
        headers={"location": f"Patient/{pid}/_history/1"},
    )


@router.put(
    "/kiosks/{kiosk_id}/fhir/Provenance/{verification_id}",
    summary="The signed record as a FHIR Provenance (signature.data = the JWS)",
    openapi_extra=_SIGNED_HEADERS,
)
async def fhir_provenance(kiosk_id: str, verification_id: str, request: Request) -> dict[str, Any]:
    state = hub_state(request)
    body = await request.body()
    kiosk = await authenticate(state, request, kiosk_id, body)
    resource = parse_json_object(body)
    try:
        token = base64.b64decode(resource["signature"][0]["data"], validate=True).decode()
    except (KeyError, IndexError, TypeError, ValueError):
        raise BadRequest("Provenance.signature[0].data must hold the base64 JWS") from None
    if resource.get("resourceType") != "Provenance" or resource.get("id") != verification_id:
        raise BadRequest("a Provenance whose id is the path's")
    result = await _store(state, request, kiosk, body, token, verification_id)
    state.metrics.ingested.labels(result["status"]).inc()
    return result


# --- heartbeats, keys, bundle ---------------------------------------------------------------------------

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
    openapi_extra=dict(_json_body(_HEARTBEAT_SCHEMA), **_SIGNED_HEADERS),
)
async def heartbeat(kiosk_id: str, request: Request) -> Response:
    state = hub_state(request)
    body = await request.body()
    kiosk = await authenticate(state, request, kiosk_id, body)
    data = check_heartbeat(parse_json_object(body))
    version = data.get("version")
    async with state.pool.connection() as conn, conn.transaction():
        await _refuse_replay(conn, kiosk_id, request.headers["webhook-id"])
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
        etag = await bundle.current_etag(conn, kiosk.site_id)
    state.metrics.heartbeats.inc()
    return JSONResponse({"ok": True, "next_in": state.settings.heartbeat_seconds, "bundle_etag": etag})


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
    openapi_extra=dict(_json_body(_KEY_SCHEMA), **_SIGNED_HEADERS),
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


@router.get(
    "/kiosks/{kiosk_id}/bundle",
    summary="The site's configuration bundle, signed by the hub",
    description="Compact JWS (ES256, typ cccd-bundle+jwt). ETag / If-None-Match → 304.",
    openapi_extra=_SIGNED_HEADERS,
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

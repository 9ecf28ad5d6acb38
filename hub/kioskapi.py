"""Record ingest (docs/hub.md, "Ingest"): the signed JWS record exactly as kiosks deliver it to receivers.

The record carries the kiosk's ES256 signature, verified against the kiosk's registered, unrevoked keys.
Ingest is idempotent on the verification ID (a UNIQUE constraint, ``INSERT ... ON CONFLICT DO
NOTHING``), in one statement with the record's fan-out rows.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from psycopg.types.json import Jsonb

from hub.errors import BadRequest, Conflict, Forbidden, HubError, Unauthenticated
from hub.kioskauth import (
    SIGNED_HEADERS,
    KioskRow,
    authenticate,
    hub_state,
    json_body,
    kid_of,
    parse_json_object,
    site_profile,
)
from hub.state import HubState
from kiosk.evidence import ImagesMalformed, ImagesNotSigned, record_from_claims, signed_images
from kiosk.keys import RecordVerificationError, verify_record_jws

log = logging.getLogger("hub.api")
router = APIRouter(prefix="/v1", tags=["kiosks"])

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
_INGEST_DOC = dict(json_body(_ENVELOPE_SCHEMA), **SIGNED_HEADERS)


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
    """Bank biometric evidence: exactly the images whose SHA-256 the signed record carries, or refused
    (:func:`kiosk.evidence.signed_images`)."""
    try:
        images = signed_images(evidence, claims)
    except ImagesMalformed:
        raise BadRequest("biometric_evidence: live_image and chip_image with base64 data") from None
    except ImagesNotSigned:
        raise HubError("biometric evidence does not match the signed record", 422) from None
    return None if images is None else (images[0], images[1], images[2][:40])


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
    if kid_of(data["record_jws"]) not in {k.get("kid") for k in kiosk.jwks}:  # a new key: not cached yet
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
                Jsonb(record_from_claims(claims)),
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
    openapi_extra=SIGNED_HEADERS,
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
    openapi_extra=SIGNED_HEADERS,
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


_DERIVED = {"Coverage": "the BHYT card the insurance check found", "Encounter": "the visit registered"}


@router.put(
    "/kiosks/{kiosk_id}/fhir/{resource_type}/{resource_id}",
    summary="FHIR Coverage and Encounter of a hospital record (acknowledged)",
    description="After the Provenance the kiosk's FHIR connector PUTs the Coverage (the BHYT card the "
    "insurance check found) and the Encounter (the visit). Both are derived from the signed record's "
    "service data, which the hub already holds and fans out through the site's own FHIR connector: "
    "the hub authenticates them and answers without storing.",
    openapi_extra=SIGNED_HEADERS,
)
async def fhir_derived(kiosk_id: str, resource_type: str, resource_id: str, request: Request) -> Response:
    state = hub_state(request)
    body = await request.body()
    await authenticate(state, request, kiosk_id, body)
    if resource_type not in _DERIVED:
        raise BadRequest("only Coverage and Encounter follow the Provenance")
    resource = parse_json_object(body)
    if resource.get("resourceType") != resource_type or resource.get("id") != resource_id:
        raise BadRequest(f"a {resource_type} whose id is the path's")
    payload = json.dumps({"resourceType": resource_type, "id": resource_id, "meta": {"versionId": "1"}})
    return Response(payload, status_code=200, media_type="application/fhir+json")

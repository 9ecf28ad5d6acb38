"""The receiver's ASGI application (FastAPI): strict routes, authentication first, bounded work.

Order of checks for a write (docs/receiver.md): the route is one of a fixed table (no catch-all, no
``..``); the Standard Webhooks headers (``webhook-id`` short and plain, timestamp within 5 minutes,
a signature present) before any body byte is read; the declared length against the cap; the body
streamed into the HMAC and dropped at the cap (413) or when it stalls (408); the signature in constant
time; then, on a bounded thread pool, the signed record (ES256 JWS), the envelope against its claims and
the store.  Rejections are counted in :class:`Metrics`, never written to the database.  Reads of
personal data (FHIR search) and of operational figures (``/stats``, ``/metrics``) need the bearer token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.requests import ClientDisconnect

from kiosk.connectors.fhir import RECORD_JWS_HEADER
from kiosk.connectors.webhooks import TOLERANCE_SECONDS
from kiosk.keys import RecordVerificationError, verify_record_jws
from kiosk.subject import subject_fields
from receiver.checks import Rejected, check_envelope, check_evidence, check_evidence_object, check_patient
from receiver.config import ENDPOINTS, ReceiverConfig

log = logging.getLogger("receiver")
FHIR_JSON = "application/fhir+json"

_WEBHOOK_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]{0,127}")
_RESOURCE_ID = re.compile(r"[0-9A-Za-z.-]{1,64}")  # FHIR id (R4 §2.24.0.1)


class Metrics:
    """Counters by (route, outcome) — rejected requests are counted here and nowhere else."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()

    def count(self, route: str, outcome: str) -> None:
        with self._lock:
            self.requests[(route, outcome)] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {f"{route} {outcome}": n for (route, outcome), n in sorted(self.requests.items())}

    def prometheus(self) -> str:
        with self._lock:
            lines = ["# TYPE cccd_receiver_requests_total counter"]
            lines += [f'cccd_receiver_requests_total{{route="{r}",outcome="{o}"}} {n}'
                      for (r, o), n in sorted(self.requests.items())]  # fmt: skip
        return "\n".join(lines) + "\n"


def _error(status: int, reason: str, close: bool = False) -> JSONResponse:
    headers = {"connection": "close"} if close else None
    if status == 401:
        headers = dict(headers or {}, **{"www-authenticate": "Bearer"})
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


def create_app(config: ReceiverConfig) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    metrics = Metrics()
    app.state.metrics = metrics
    limiter: list[anyio.CapacityLimiter] = []

    async def in_worker(func: Callable[[], Any]) -> Any:
        if not limiter:
            limiter.append(anyio.CapacityLimiter(config.limits.workers))
        return await anyio.to_thread.run_sync(func, limiter=limiter[0])

    def guarded(route: str) -> Callable[[Callable[[Request], Awaitable[Response]]],
                                        Callable[[Request], Awaitable[Response]]]:  # fmt: skip
        """Map every failure to a status without a traceback, and count the outcome."""

        def wrap(
            handler: Callable[[Request], Awaitable[Response]],
        ) -> Callable[[Request], Awaitable[Response]]:
            async def run(request: Request) -> Response:
                try:
                    response = await handler(request)
                except Rejected as exc:
                    metrics.count(route, f"rejected {exc.status}")
                    # A write refused before its body was read: close rather than read and discard it.
                    unread = request.method in ("POST", "PUT") and not getattr(
                        request.state, "body_read", False
                    )
                    return _error(exc.status, exc.reason, close=unread or exc.status in (408, 411, 413))
                except ClientDisconnect:
                    metrics.count(route, "client disconnected")
                    return Response(status_code=499)
                except (ValueError, TypeError, KeyError, RecursionError) as exc:
                    metrics.count(route, "rejected 400")
                    return _error(400, f"malformed request ({type(exc).__name__})")
                except Exception as exc:
                    log.error("internal error on %s: %s", route, type(exc).__name__)
                    metrics.count(route, "error 500")
                    return _error(500, "internal error")
                metrics.count(route, str(response.status_code))
                return response

            return run

        return wrap

    def require_token(request: Request) -> None:
        if not config.token_ok(request.headers.get("authorization")):
            raise Rejected(401, "a bearer token is required")

    def signed_headers(request: Request) -> tuple[str, int, list[str]]:
        """The Standard Webhooks headers, checked before the body is read."""
        msg_id = request.headers.get("webhook-id", "")
        ts = request.headers.get("webhook-timestamp", "")
        sigs = request.headers.get("webhook-signature", "")
        if not msg_id or not ts or not sigs:
            raise Rejected(401, "missing webhook-id, webhook-timestamp or webhook-signature")
        if not _WEBHOOK_ID.fullmatch(msg_id):
            raise Rejected(400, "webhook-id is not a short identifier")
        if not ts.isascii() or not ts.isdigit() or len(ts) > 12:
            raise Rejected(401, "webhook-timestamp is not an integer")
        if abs(config.clock() - int(ts)) > TOLERANCE_SECONDS:
            raise Rejected(401, "webhook-timestamp too far from the receiver's clock")
        return msg_id, int(ts), sigs.split(" ")[:8]

    async def authenticated_body(request: Request) -> tuple[str, bytes]:
        """Stream the body into the HMAC, at most ``max_body`` bytes; return (webhook-id, body)."""
        msg_id, ts, candidates = signed_headers(request)
        cap = config.limits.max_body
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            raise Rejected(413, f"body larger than {cap} bytes")
        mac = hmac.new(config.webhook_key, f"{msg_id}.{ts}.".encode(), hashlib.sha256)
        chunks: list[bytes] = []
        size = 0
        stream = request.stream().__aiter__()
        while True:
            with anyio.move_on_after(config.limits.body_timeout_seconds) as scope:
                try:
                    chunk = await stream.__anext__()
                except StopAsyncIteration:
                    break
            if scope.cancelled_caught:
                raise Rejected(408, "the body stalled")
            size += len(chunk)
            if size > cap:
                raise Rejected(413, f"body larger than {cap} bytes")
            mac.update(chunk)
            chunks.append(chunk)
        request.state.body_read = True
        expected = ("v1," + base64.b64encode(mac.digest()).decode()).encode()
        if not any(hmac.compare_digest(c.encode(), expected) for c in candidates):
            raise Rejected(401, "no valid signature")
        return msg_id, b"".join(chunks)

    def signed_record(token: Any, webhook_id: str) -> dict[str, Any]:
        if not isinstance(token, str):
            raise Rejected(400, "no signed record")
        try:
            claims = verify_record_jws(token, config.keys.keys(), None, config.clock())
        except RecordVerificationError as exc:
            raise Rejected(401, f"signed record: {exc}") from None
        if config.audiences is not None and claims.get("aud") not in config.audiences:
            raise Rejected(401, "signed record: audience not accepted")
        if claims.get("sub") != webhook_id:
            raise Rejected(400, "signed record is for another verification")
        return claims

    # --- reads --------------------------------------------------------------------------------------

    @app.get("/healthz")
    @guarded("/healthz")
    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @app.get("/stats")
    @guarded("/stats")
    async def stats(request: Request) -> Response:
        require_token(request)
        figures = await in_worker(config.store.stats)
        return JSONResponse(dict(figures, requests=metrics.snapshot()))

    @app.get("/metrics")
    @guarded("/metrics")
    async def prometheus(request: Request) -> Response:
        require_token(request)
        return PlainTextResponse(metrics.prometheus())

    @app.get("/fhir/Patient")
    @guarded("GET /fhir/Patient")
    async def search_patient(request: Request) -> Response:
        require_token(request)
        system, _, value = request.query_params.get("identifier", "").partition("|")
        found = await in_worker(lambda: config.store.find_patients(system, value))
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                  "entry": [{"resource": r} for r in found]}  # fmt: skip
        return JSONResponse(bundle, media_type=FHIR_JSON)

    # --- writes -------------------------------------------------------------------------------------

    @app.post("/webhooks/{name}")
    @guarded("POST /webhooks")
    async def webhook(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ENDPOINTS:
            raise Rejected(404, "not found")
        webhook_id, body = await authenticated_body(request)
        endpoint = f"/webhooks/{name}"

        def work() -> Response:
            envelope = json.loads(body)
            if not isinstance(envelope, dict):
                raise Rejected(400, "the body is not an object")
            data = envelope.get("data")
            if not isinstance(data, dict):
                raise Rejected(400, "data is not an object")
            claims = signed_record(data.get("record_jws"), webhook_id)
            check_envelope(data, claims)
            check_evidence(data.get("biometric_evidence"), claims)
            if "evidence_jws" in data:  # the bank evidence object (docs/evidence.md) against its record
                check_evidence_object(data["evidence_jws"], claims, config.keys.keys())
            new = config.store.store_delivery(endpoint, claims["sub"], body, config.clock())
            return JSONResponse(
                {"status": "stored" if new else "duplicate", "verification_id": claims["sub"]}
            )

        response: Response = await in_worker(work)
        return response

    @app.put("/fhir/Patient")
    @guarded("PUT /fhir/Patient")
    async def put_patient(request: Request) -> Response:
        identifiers = parse_qs(request.url.query).get("identifier", [])
        if len(identifiers) != 1 or "|" not in identifiers[0]:
            raise Rejected(400, "conditional update needs one identifier=system|value")
        system, _, value = identifiers[0].partition("|")
        webhook_id, body = await authenticated_body(request)
        token = request.headers.get(RECORD_JWS_HEADER)

        def work() -> Response:
            claims = signed_record(token, webhook_id)
            resource = json.loads(body)
            check_patient(resource, system, value, claims)
            status, stored = config.store.put_patient(system, value, resource)
            if status == 412:
                raise Rejected(412, "multiple patients match the identifier")
            loc = f"/fhir/Patient/{stored['id']}/_history/{stored['meta']['versionId']}"
            return JSONResponse(stored, status_code=status, media_type=FHIR_JSON, headers={"location": loc})

        response: Response = await in_worker(work)
        return response

    @app.put("/fhir/Coverage/{rid}")
    @guarded("PUT /fhir/Coverage")
    async def put_coverage(request: Request) -> Response:
        return await put_derived("Coverage", request)

    @app.put("/fhir/Encounter/{rid}")
    @guarded("PUT /fhir/Encounter")
    async def put_encounter(request: Request) -> Response:
        return await put_derived("Encounter", request)

    async def put_derived(type_: str, request: Request) -> Response:
        """A hospital record's Coverage or Encounter (kiosk.insurance.mapping) for a patient the receiver
        holds, after its Provenance: signed like every write, the resource's id the path's."""
        rid = request.path_params["rid"]
        if not _RESOURCE_ID.fullmatch(rid):
            raise Rejected(404, "not found")
        _, body = await authenticated_body(request)

        def work() -> Response:
            resource = json.loads(body)
            if not isinstance(resource, dict) or resource.get("resourceType") != type_ \
                    or resource.get("id") != rid:  # fmt: skip
                raise Rejected(400, f"a {type_} whose id is the path's")
            ref = (resource.get("beneficiary") or resource.get("subject") or {}).get("identifier") or {}
            found = isinstance(ref, dict) and config.store.find_patients(str(ref.get("system")),
                                                                        str(ref.get("value")))  # fmt: skip
            if not found:
                raise Rejected(422, f"the {type_}'s patient does not exist")
            status, stored = config.store.put_resource(type_, rid, resource)
            return JSONResponse(stored, status_code=status, media_type=FHIR_JSON,
                                headers={"location": f"/fhir/{type_}/{rid}"})  # fmt: skip

        response: Response = await in_worker(work)
        return response

    @app.put("/fhir/Provenance/{pid}")
    @guarded("PUT /fhir/Provenance")
    async def put_provenance(request: Request) -> Response:
        pid = request.path_params["pid"]
        if not _RESOURCE_ID.fullmatch(pid):
            raise Rejected(404, "not found")
        webhook_id, body = await authenticated_body(request)

        def work() -> Response:
            resource = json.loads(body)
            if not isinstance(resource, dict) or resource.get("resourceType") != "Provenance" \
                    or resource.get("id") != pid:  # fmt: skip
                raise Rejected(400, "a Provenance whose id is the path's")
            try:
                token = base64.b64decode(resource["signature"][0]["data"], validate=True).decode()
                target = resource["target"][0]["reference"]
            except (binascii.Error, UnicodeDecodeError, IndexError, KeyError, TypeError):
                raise Rejected(400, "Provenance.signature.data is not a JWS") from None
            claims = signed_record(token, webhook_id)
            if claims["sub"] != pid:
                raise Rejected(400, "the signature is for another verification")
            if not isinstance(target, str) or not target.startswith("Patient/"):
                raise Rejected(400, "the target is not a Patient")
            identifier = config.store.patient_identifier(target.removeprefix("Patient/"))
            if identifier is None:
                raise Rejected(422, "the target Patient does not exist")
            if identifier[1] != subject_fields(claims).get("id_number"):
                raise Rejected(400, "the target Patient is not the signed record's person")
            status, stored = config.store.put_provenance(pid, target, resource)
            return JSONResponse(stored, status_code=status, media_type=FHIR_JSON,
                                headers={"location": f"/fhir/Provenance/{pid}"})  # fmt: skip

        response: Response = await in_worker(work)
        return response

    return app

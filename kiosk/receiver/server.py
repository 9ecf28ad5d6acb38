"""The reference receiving server (``cccd receiver``): what an institution's endpoint must check.

For every request: the Standard Webhooks signature over the raw body, in constant time, with at most
5 minutes of clock skew (:mod:`kiosk.connectors.webhooks`); then the signed record (ES256 JWS against the
kiosk's JWKS, :func:`kiosk.keys.verify_record_jws`) whose ``sub`` must be the ``webhook-id``.  Webhooks are
stored once per (endpoint, webhook-id) — a repeated delivery is answered 200 and not stored again.  FHIR:
``PUT /fhir/Patient?identifier=system|value`` (conditional update), ``PUT /fhir/Provenance/<id>``,
``PUT /fhir/Coverage/<id>`` and ``PUT /fhir/Encounter/<id>`` (for a patient it holds),
``GET /fhir/Patient?identifier=...``.  A bank delivery's evidence object (``evidence_jws``) must verify
against the record it travels with (:func:`kiosk.evidence.verify_evidence`), or the delivery is refused.
Loopback only by default; logs carry no query strings (the FHIR query holds the national ID).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc.jwk import KeySet

from kiosk.connectors import webhooks
from kiosk.evidence import verify_evidence
from kiosk.keys import KeyStore, RecordVerificationError, load_jwks, verify_record_jws
from kiosk.receiver.store import ReceiverStore

log = logging.getLogger("kiosk.receiver")
MAX_BODY = 16 * 1024 * 1024
FHIR_JSON = "application/fhir+json"


class KeySource:
    """The kiosk's public keys: a JWKS file, or a key store directory re-read when it rotates."""

    def __init__(self, jwks_file: Path | None = None, key_store: Path | None = None) -> None:
        if (jwks_file is None) == (key_store is None):
            raise ValueError("give exactly one of a JWKS file or a key store directory")
        self.jwks_file, self.key_store = jwks_file, key_store
        self._cache: tuple[float, KeySet] | None = None

    def keys(self) -> KeySet:
        path = self.jwks_file or (Path(self.key_store or ".") / "signing.json")
        mtime = path.stat().st_mtime
        if self._cache is None or self._cache[0] != mtime:
            if self.jwks_file:
                ks = load_jwks(path)
            else:
                ks = KeyStore.open(Path(self.key_store or "."), create=False).public_keyset()
            self._cache = (mtime, ks)
        return self._cache[1]


@dataclass(frozen=True)
class ReceiverConfig:
    store: ReceiverStore
    webhook_key: bytes
    keys: KeySource
    audiences: frozenset[str] | None  # None: any audience (the reference server serves every profile)
    clock: Callable[[], float] = time.time


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class ReceiverHandler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK (~40 ms on Linux) on every keep-alive request.  TCP_NODELAY removes that stall.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.command, urlsplit(self.path).path)

    # --- plumbing -----------------------------------------------------------------------------------------

    def _reply(self, status: int, payload: Any, content_type: str = "application/json",
               headers: dict[str, str] | None = None) -> None:  # fmt: skip
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("content-length", ""))
        except ValueError:
            raise Rejected(411, "content-length required") from None
        if length < 0 or length > MAX_BODY:
            raise Rejected(413, "body too large")
        return self.rfile.read(length)

    def _authenticated(self, body: bytes) -> str:
        """The webhook-id, once the Standard Webhooks signature verifies."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        cfg = self.server.config
        try:
            return webhooks.verify(cfg.webhook_key, headers, body, cfg.clock())
        except webhooks.WebhookSignatureError as exc:
            raise Rejected(401, str(exc)) from None

    def _record(self, token: Any, webhook_id: str) -> dict[str, Any]:
        cfg = self.server.config
        if not isinstance(token, str):
            raise Rejected(400, "no signed record")
        try:
            claims = verify_record_jws(token, cfg.keys.keys(), None, cfg.clock())
        except RecordVerificationError as exc:
            raise Rejected(401, f"signed record: {exc}") from None
        if cfg.audiences is not None and claims.get("aud") not in cfg.audiences:
            raise Rejected(401, "signed record: audience not accepted")
        if claims["sub"] != webhook_id.split(":", 1)[0]:
            raise Rejected(400, "signed record is for another verification")
        return claims

    def _handle(self, route: Callable[[], None]) -> None:
        try:
            route()
        except Rejected as exc:
            if exc.status in (411, 413):  # the body was not read: the connection cannot be reused
                self.close_connection = True
            self.server.config.store.attempt(urlsplit(self.path).path, self.headers.get("webhook-id"),
                                             f"rejected {exc.status}", self.server.config.clock())
            self._reply(exc.status, {"error": exc.reason})
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, {"error": f"malformed request ({type(exc).__name__})"})

    # --- routes ---------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        store = self.server.config.store
        if url.path == "/healthz":
            self._reply(200, {"ok": True})
        elif url.path == "/stats":
            self._reply(200, store.stats())
        elif url.path == "/fhir/Patient":
            system, _, value = parse_qs(url.query).get("identifier", [""])[0].partition("|")
            found = store.find_patients(system, value)
            bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                      "entry": [{"resource": r} for r in found]}  # fmt: skip
            self._reply(200, bundle, FHIR_JSON)
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        self._handle(self._webhook)

    def do_PUT(self) -> None:
        self._handle(self._fhir_put)

    def _webhook(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if not url.path.startswith("/webhooks/"):
            raise Rejected(404, "not found")
        webhook_id = self._authenticated(body)
        data = json.loads(body)["data"]
        claims = self._record(data.get("record_jws"), webhook_id)
        if data.get("verification_id") != claims["sub"]:
            raise Rejected(400, "envelope and signed record disagree")
        _check_evidence(data.get("biometric_evidence"), claims)
        cfg = self.server.config
        if "evidence_jws" in data:  # the bank evidence object (docs/evidence.md), checked against the record
            _check_evidence_object(data["evidence_jws"], data["record_jws"], cfg.keys.keys())
        new = cfg.store.store_delivery(url.path, webhook_id, claims["sub"], body, cfg.clock())
        self._reply(200, {"status": "stored" if new else "duplicate", "verification_id": claims["sub"]})

    def _fhir_put(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        webhook_id = self._authenticated(body)
        resource = json.loads(body)
        store, now = self.server.config.store, self.server.config.clock()
        if url.path == "/fhir/Patient":
            system, sep, value = parse_qs(url.query).get("identifier", [""])[0].partition("|")
            if not sep or resource.get("resourceType") != "Patient":
                raise Rejected(400, "conditional update needs identifier=system|value and a Patient")
            pairs = [(i.get("system"), i.get("value")) for i in resource.get("identifier", [])]
            if (system, value) not in pairs:
                raise Rejected(400, "the Patient does not carry the identifier of the condition")
            status, stored = store.put_patient(system, value, resource)
            if status == 412:
                raise Rejected(412, "multiple patients match the identifier")
            loc = f"/fhir/Patient/{stored['id']}/_history/{stored['meta']['versionId']}"
            store.attempt(url.path, webhook_id, f"patient {status}", now)
            self._reply(status, stored, FHIR_JSON, {"location": loc})
        elif url.path.startswith("/fhir/Provenance/"):
            pid = url.path.rsplit("/", 1)[1]
            if resource.get("resourceType") != "Provenance" or resource.get("id") != pid:
                raise Rejected(400, "a Provenance whose id is the path's")
            try:
                token = base64.b64decode(resource["signature"][0]["data"], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError, IndexError):
                raise Rejected(400, "Provenance.signature.data is not a JWS") from None
            claims = self._record(token, webhook_id)
            if claims["sub"] != pid:
                raise Rejected(400, "the signature is for another verification")
            target = resource["target"][0]["reference"]
            if not store.patient_exists(target.removeprefix("Patient/")):
                raise Rejected(422, "the target Patient does not exist")
            status, stored = store.put_provenance(pid, target, resource)
            store.attempt(url.path, webhook_id, f"provenance {status}", now)
            self._reply(status, stored, FHIR_JSON, {"location": f"/fhir/Provenance/{pid}"})
        elif url.path.startswith(("/fhir/Coverage/", "/fhir/Encounter/")):
            type_, rid = url.path.split("/")[2:4]
            if resource.get("resourceType") != type_ or resource.get("id") != rid:
                raise Rejected(400, f"a {type_} whose id is the path's")
            ref = (resource.get("beneficiary") or resource.get("subject") or {}).get("identifier") or {}
            if not store.find_patients(str(ref.get("system")), str(ref.get("value"))):
                raise Rejected(422, f"the {type_}'s patient does not exist")
            status, stored = store.put_resource(type_, rid, resource)
            store.attempt(url.path, webhook_id, f"{type_.lower()} {status}", now)
            self._reply(status, stored, FHIR_JSON, {"location": f"/fhir/{type_}/{rid}"})
        else:
            raise Rejected(404, "not found")


def _check_evidence(evidence: Any, claims: dict[str, Any]) -> None:
    """Biometric evidence must be exactly the images whose hashes the signed record carries."""
    if evidence is None:
        return
    signed = set((claims.get("biometric") or {}).get("image_sha256") or [])
    for part in ("live_image", "chip_image"):
        data = base64.b64decode(evidence[part]["data"], validate=True)
        if hashlib.sha256(data).hexdigest() not in signed:
            raise Rejected(422, "biometric evidence does not match the signed record")


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], config: ReceiverConfig) -> None:
        self.config = config
        super().__init__(address, ReceiverHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        return f"http://{host!s}:{port}"


def _check_evidence_object(evidence_jws: Any, record_jws: str, keys: KeySet) -> None:
    """Refuse a bank delivery whose evidence object does not verify against the record it comes with."""
    if not isinstance(evidence_jws, str):
        raise Rejected(400, "evidence_jws is not a compact JWS")
    result = verify_evidence(evidence_jws, keys, record_jws=record_jws)
    if not result["valid"]:
        raise Rejected(400, f"evidence object: {result['problems'][0]}")

"""What every connector shares: the delivery context and result, secrets, and the HTTP boundary.

HTTP goes through httpx with explicit connect/read timeouts and optional mutual TLS (an
``ssl.SSLContext`` with the kiosk's client certificate and the receiver's CA).  httpx's exceptions never
leave this module: they become a :class:`DeliveryResult` the relay classifies (2xx sent; 408, 425 and 429
retried; other 4xx dead-lettered; 5xx, timeouts and connection failures retried).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from kiosk.connectors.webhooks import decode_secret, signed_headers
from kiosk.httplog import redact_httpx_logs
from kiosk.keys import RecordSigner
from kiosk.profiles import ConnectorSettings, Profile, TLSSettings
from kiosk.record import BiometricImages
from kiosk.secretref import SecretRefError, read_secret

_RETRY_4XX = frozenset({408, 425, 429})


class ConnectorConfigError(Exception):
    """A connector cannot run as configured (secret missing, TLS files unreadable): a person must act."""


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    verification_id: str
    record: Mapping[str, Any]
    images: BiometricImages | None
    now: float  # Unix seconds: webhook-timestamp and JWS iat

    def __repr__(self) -> str:
        return f"DeliveryContext(id={self.verification_id}, <record hidden>)"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: str  # "sent" | "retry" | "dead"
    status: int | None = None
    error: str | None = None


def classify_status(status: int, what: str = "") -> DeliveryResult:
    if 200 <= status < 300:
        return DeliveryResult("sent", status)
    where = f"{what}: " if what else ""
    if status in _RETRY_4XX or status >= 500:
        return DeliveryResult("retry", status, f"{where}HTTP {status}")
    return DeliveryResult("dead", status, f"{where}HTTP {status}")


class Connector(Protocol):
    name: str

    def deliver(self, ctx: DeliveryContext) -> DeliveryResult: ...

    def close(self) -> None: ...


def resolve_secret(ref: str) -> bytes:
    """``env:NAME`` or ``file:/path`` (kiosk.secretref) → the webhook key (``whsec_<base64>``)."""
    try:
        return decode_secret(read_secret(ref))
    except SecretRefError as exc:
        raise ConnectorConfigError(f"webhook secret {exc}") from None
    except ValueError as exc:
        raise ConnectorConfigError(f"webhook secret malformed: {exc}") from None


def _ssl_context(tls: TLSSettings | None) -> ssl.SSLContext | bool:
    if tls is None:
        return True
    try:
        ctx = ssl.create_default_context(cafile=str(tls.ca_bundle) if tls.ca_bundle else None)
        if tls.client_cert and tls.client_key:
            ctx.load_cert_chain(str(tls.client_cert), str(tls.client_key))
    except (OSError, ssl.SSLError) as exc:
        raise ConnectorConfigError(f"TLS files not usable ({type(exc).__name__})") from None
    return ctx


def http_client(tls: TLSSettings | None, timeout: httpx.Timeout | float) -> httpx.Client:
    """An httpx client as a delivery endpoint is spoken to: ``tls`` (CA bundle, client certificate) or
    the default trust, no redirects, nothing from the environment (``trust_env=False``: no proxy or CA
    variables) — for the connectors and ``cccd doctor``'s endpoint check (kiosk.health).
    :class:`ConnectorConfigError` when the TLS files are not usable."""
    return httpx.Client(timeout=timeout, verify=_ssl_context(tls), follow_redirects=False, trust_env=False)


class HttpConnector:
    """A connector that speaks HTTP: signing, headers, timeouts, mTLS and error translation."""

    content_type = "application/json"

    def __init__(self, settings: ConnectorSettings, profile: Profile, signer: RecordSigner,
                 url: str | None = None) -> None:  # fmt: skip
        self.name = settings.name
        self.settings, self.profile, self.signer = settings, profile, signer
        self.url = (url or settings.url).rstrip("/")
        self._client: httpx.Client | None = None
        self._key: bytes | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            redact_httpx_logs()  # FHIR conditional updates carry the national ID in the query string
            s = self.settings
            timeout = httpx.Timeout(s.timeout_seconds, connect=s.connect_timeout_seconds)
            self._client = http_client(s.tls, timeout)
        return self._client

    def sign_record(self, ctx: DeliveryContext) -> str:
        return self.signer.sign(dict(ctx.record), self.settings.audience, ctx.now)

    def send(self, method: str, url: str, payload: Mapping[str, Any], msg_id: str, idem_key: str,
             now: float, what: str = "", extra_headers: Mapping[str, str] | None = None,
             ) -> tuple[DeliveryResult, httpx.Response | None]:  # fmt: skip
        """Send one signed JSON request; never raises for network or HTTP failures."""
        try:
            if self._key is None:
                self._key = resolve_secret(self.settings.webhook_secret)
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            headers = signed_headers(self._key, msg_id, int(now), body)
            headers.update({"content-type": self.content_type, "idempotency-key": idem_key})
            headers.update(extra_headers or {})
            response = self._http().request(method, url, content=body, headers=headers)
        except ConnectorConfigError as exc:
            return DeliveryResult("dead", None, f"{what}: {exc}" if what else str(exc)), None
        except httpx.TimeoutException:
            return DeliveryResult("retry", None, f"{what} timeout".strip()), None
        except httpx.HTTPError as exc:
            return DeliveryResult("retry", None, f"{what} {type(exc).__name__}".strip()), None
        except OSError as exc:  # a socket error httpx did not wrap: still an outage, never a dead letter
            return DeliveryResult("retry", None, f"{what} {type(exc).__name__}".strip()), None
        return classify_status(response.status_code, what), response

    def envelope(self, ctx: DeliveryContext, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Standard Webhooks payload shape: ``type``, ``timestamp``, ``data`` (+ the signed record)."""
        record = ctx.record
        body = {"verification_id": ctx.verification_id, "profile": record["profile"],
                "status": record["status"], "reasons": record["reasons"], "record_jws": self.sign_record(ctx)}
        body.update(data)
        return {"type": event, "timestamp": record["times"]["completed"], "data": body}

    def post_envelope(self, ctx: DeliveryContext, event: str, data: Mapping[str, Any]) -> DeliveryResult:
        result, _ = self.send("POST", self.url, self.envelope(ctx, event, data), ctx.verification_id,
                              ctx.verification_id, ctx.now)  # fmt: skip
        return result

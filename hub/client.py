"""The kiosk's side of the hub protocol (docs/hub.md, "Kiosk API"): enrol, heartbeat, keys, bundle.

Records do not go through this module: the kiosk's own connectors deliver them, with ``--deliver-to``
pointing at :attr:`HubClient.deliver_to` and the webhook secret from the enrolment.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import KeySet
from ulid import ULID

from hub import bundle as bundles
from hub.jwks import sign_proof, token_hash
from hub.kioskbundle import KioskBundle, read_bundle
from kiosk.connectors import webhooks
from kiosk.keys import KeyStore, write_private


class HubClientError(Exception):
    """The hub refused a request (``status`` and its ``error`` message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"hub answered {status}: {message}")
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Enrolment:
    hub_url: str
    kiosk_id: str
    site_id: str
    webhook_secret: str
    hub_jwks: dict[str, Any]

    def __repr__(self) -> str:
        return f"Enrolment(kiosk={self.kiosk_id}, site={self.site_id}, <secret hidden>)"

    def save(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self)).encode())

    @classmethod
    def load(cls, path: Path) -> Enrolment:
        return cls(**json.loads(path.read_text()))


def _raise_for(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            message = str(response.json().get("error"))
        except ValueError:
            message = response.text[:200]
        raise HubClientError(response.status_code, message)


def enrol(
    hub_url: str,
    token: str,
    kiosk_id: str,
    keys: KeyStore,
    software_version: str = "",
    http: httpx.Client | None = None,
) -> Enrolment:
    """Register the key store's public keys with a one-time token; proof of possession by the active key."""
    active = keys.active()
    proof = sign_proof(
        active.key,
        active.kid,
        {
            "kiosk_id": kiosk_id,
            "iat": int(time.time()),
            "token_sha256": token_hash(token).hex(),
        },
    )
    payload = {
        "token": token,
        "kiosk_id": kiosk_id,
        "jwks": keys.jwks(),
        "proof": proof,
        "software_version": software_version,
    }
    client = http or httpx.Client(timeout=10, trust_env=False)
    try:
        response = client.post(f"{hub_url.rstrip('/')}/v1/enrol", json=payload)
    finally:
        if http is None:
            client.close()
    _raise_for(response)
    data = response.json()
    return Enrolment(
        hub_url.rstrip("/"), data["kiosk_id"], data["site_id"], data["webhook_secret"], data["hub_jwks"]
    )


class HubClient:
    """Signed requests of one enrolled kiosk."""

    def __init__(self, enrolment: Enrolment, http: httpx.Client | None = None) -> None:
        self.enrolment = enrolment
        self._key = webhooks.decode_secret(enrolment.webhook_secret)
        self.http = http or httpx.Client(timeout=10, trust_env=False)

    @property
    def deliver_to(self) -> str:
        """The base URL for the kiosk's connectors (``--deliver-to``)."""
        return f"{self.enrolment.hub_url}/v1/kiosks/{self.enrolment.kiosk_id}"

    def close(self) -> None:
        self.http.close()

    def request(
        self, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        signed = webhooks.signed_headers(self._key, str(ULID()), int(time.time()), body)
        signed.update(headers or {})
        if payload is not None:
            signed["content-type"] = "application/json"
        return self.http.request(method, f"{self.deliver_to}{path}", content=body, headers=signed)

    def heartbeat(self, status: dict[str, Any]) -> dict[str, Any]:
        response = self.request("POST", "/heartbeat", status)
        _raise_for(response)
        result: dict[str, Any] = response.json()
        return result

    def add_key(self, keys: KeyStore) -> str:
        """Rotate the key store and register the new key, proved by the key it replaces."""
        old = keys.active()
        new = keys.rotate()
        proof = sign_proof(
            old.key,
            old.kid,
            {"kiosk_id": self.enrolment.kiosk_id, "iat": int(time.time()), "add_jwk": new.public_jwk()},
        )
        response = self.request("POST", "/keys", {"proof": proof})
        _raise_for(response)
        return str(response.json()["kid"])

    def bundle(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """``(content, etag)``, ``(None, etag)`` when unchanged (304); BundleError if it does not verify."""
        response = self.request("GET", "/bundle", headers={"if-none-match": etag} if etag else None)
        if response.status_code == 304:
            return None, etag
        _raise_for(response)
        content = bundles.verify(response.content, KeySet.import_key_set(self.enrolment.hub_jwks))  # type: ignore[arg-type]
        return content, response.headers.get("etag")


class BundleCache:
    """The kiosk's last good configuration bundle, kept in ``directory`` (docs/hub.md, "Configuration
    bundles").

    :meth:`refresh` fetches the site's bundle (``If-None-Match``), and keeps it only when its signature
    verifies against the hub's keys from the enrolment, it is for this kiosk's site, its version does not go
    back, and its profile, trust store and settings are usable here (:func:`hub.kioskbundle.read_bundle`);
    otherwise the last good bundle stays and :attr:`last_error` says why (the kiosk reports it in its next
    heartbeat as ``bundle_error``).  Written atomically, mode 0600.
    """

    FILE = "bundle.json"
    ERROR_FILE = "last_error"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.last_error: str | None = None
        self.taken: KioskBundle | None = None  # the bundle the last refresh took, as the kiosk reads it

    def current(self) -> tuple[dict[str, Any] | None, str | None]:
        """``(content, etag)`` of the last good bundle, or ``(None, None)``."""
        try:
            data = json.loads((self.directory / self.FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, None
        return data.get("content"), data.get("etag")

    def refresh(self, client: HubClient) -> bool:
        """True when a new bundle was taken; False when unchanged or refused (see :attr:`last_error`)."""
        old, etag = self.current()
        try:
            content, new_etag = client.bundle(etag if old is not None else None)
            if content is None:
                self.last_error = None
                (self.directory / self.ERROR_FILE).unlink(missing_ok=True)
                return False
            taken = self._check(content, new_etag, old, client.enrolment.site_id)
        except (bundles.BundleError, HubClientError) as exc:
            self.last_error = str(exc)[:500]
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.directory / self.ERROR_FILE).write_text(self.last_error, encoding="utf-8")
            return False
        self._save({"content": content, "etag": new_etag})
        self.taken, self.last_error = taken, None
        (self.directory / self.ERROR_FILE).unlink(missing_ok=True)
        return True

    def reported_error(self) -> str | None:
        """The last refusal, kept on disk for the next heartbeat (``bundle_error``)."""
        try:
            return (self.directory / self.ERROR_FILE).read_text(encoding="utf-8")[:500] or None
        except OSError:
            return None

    @staticmethod
    def _check(content: dict[str, Any], etag: str | None, old: dict[str, Any] | None,
               site_id: str) -> KioskBundle:  # fmt: skip
        if content.get("site_id") != site_id:
            raise bundles.BundleError("the bundle is for another site")
        version = content.get("version")
        if not isinstance(version, int) or (old is not None and version < int(old.get("version", 0))):
            raise bundles.BundleError("the bundle's version goes back")
        return read_bundle(content, etag)  # its profile, trust store and settings are usable by this kiosk

    def _save(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(self.directory / self.FILE, json.dumps(data, ensure_ascii=False).encode())

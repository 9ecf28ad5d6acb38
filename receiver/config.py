"""What the receiver is configured with: the kiosk's public keys, the webhook key, the read token, limits."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from joserfc.jwk import KeySet

from kiosk.keys import KeyStore, load_jwks
from receiver.store import ReceiverStore

#: Webhook endpoints ``POST /webhooks/<name>``: the URLs of firmware_configs/profiles/*.toml and the
#: connector names that ``--deliver-to`` maps to (kiosk.connectors.deliver_to_url).  Nothing else matches.
ENDPOINTS = frozenset({"bank", "his", "lodging", "public_service", "pms", "forms"})
MAX_BODY = 2 * 1024 * 1024  # a bank delivery with two face JPEGs is a few hundred kB


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
class Limits:
    """Resource bounds (docs/receiver.md): body cap, worker threads, connections, timeouts, backlog."""

    max_body: int = MAX_BODY
    workers: int = 8  # threads for signature checks and SQLite
    max_connections: int = 64  # uvicorn limit_concurrency: above it, 503
    keep_alive_seconds: float = 5.0  # idle keep-alive connections are closed after this
    body_timeout_seconds: float = 10.0  # a body that stalls this long between chunks: 408
    backlog: int = 1024
    max_header_bytes: int = 16 * 1024  # h11's limit on an incomplete request head


@dataclass(frozen=True)
class ReceiverConfig:
    store: ReceiverStore
    webhook_key: bytes
    keys: KeySource
    audiences: frozenset[str] | None  # None: any audience (the reference server serves every profile)
    read_token: str = field(repr=False, default="")  # bearer token for /stats, /metrics, FHIR search
    limits: Limits = Limits()
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if len(self.read_token) < 16:
            raise ValueError("the read token must have at least 16 characters")

    def token_ok(self, authorization: str | None) -> bool:
        """``Authorization: Bearer <token>``, compared in constant time."""
        scheme, _, token = (authorization or "").partition(" ")
        ok = hmac.compare_digest(token.strip().encode(), self.read_token.encode())
        return scheme.lower() == "bearer" and ok

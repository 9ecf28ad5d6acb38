"""Standard Webhooks signatures (standardwebhooks.com specification, "Signature scheme").

``webhook-signature: v1,<base64 HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{raw body}")>``;
the secret is written ``whsec_<base64>``.  Receivers verify over the raw bytes in constant time, accept
any of several space-separated signatures (secret rotation), and reject more than 5 minutes of skew.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class WebhookSignatureError(Exception):
    """The request's signature, timestamp or headers do not verify."""


def new_webhook_secret() -> str:
    """A fresh ``whsec_`` secret (32 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def decode_secret(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret is written whsec_<base64>")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is written whsec_<base64>") from None
    if len(key) < 24:
        raise ValueError("a webhook secret needs at least 24 random bytes")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body)}  # fmt: skip


def verify(key: bytes, headers: Mapping[str, str], body: bytes, now: float,
           tolerance: int = TOLERANCE_SECONDS) -> str:  # fmt: skip
    """Check the headers (lower-case names) against the raw body; return the ``webhook-id``."""
    msg_id, ts, sigs = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not ts or not sigs:
        raise WebhookSignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(ts)
    except ValueError:
        raise WebhookSignatureError("webhook-timestamp is not an integer") from None
    if abs(now - timestamp) > tolerance:
        raise WebhookSignatureError("webhook-timestamp too far from the receiver's clock")
    expected = sign(key, msg_id, timestamp, body).encode()
    for candidate in sigs.split(" "):
        if hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise WebhookSignatureError("no valid signature")

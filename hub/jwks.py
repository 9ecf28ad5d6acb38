"""Kiosk public keys (RFC 7517 JWKs, P-256 for ES256) and proofs signed with them.

A kiosk registers public keys only; ``kid`` is always recomputed as the RFC 7638 thumbprint so a kiosk
cannot name its key after another's.  :class:`KeySetCache` keeps imported key sets per kiosk, keyed by the
exact list of kids the database returned, so a revocation takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from hub.errors import BadRequest, Unauthenticated

PROOF_TYP = "cccd-hub-proof+jwt"


def public_jwk(raw: Any) -> tuple[str, dict[str, Any]]:
    """Validate one public P-256 JWK; return ``(kid, jwk)`` with the thumbprint as ``kid``."""
    if not isinstance(raw, Mapping) or raw.get("kty") != "EC" or raw.get("crv") != "P-256":
        raise BadRequest("keys must be EC P-256 public JWKs (ES256)")
    if "d" in raw:
        raise BadRequest("a private key was sent: send the public JWK only")
    try:
        key = ECKey.import_key({k: raw[k] for k in ("kty", "crv", "x", "y")})
    except (JoseError, KeyError, TypeError, ValueError):
        raise BadRequest("a key is not a valid P-256 public JWK") from None
    kid = key.thumbprint()
    jwk = dict(key.as_dict(private=False))
    jwk.update(kid=kid, use="sig", alg="ES256")
    return kid, jwk


def token_hash(token: str) -> bytes:
    """SHA-256 of a bearer token (enrolment token, console session): what the hub stores, and what an
    enrolment proof names (as hex)."""
    return hashlib.sha256(token.encode()).digest()


def keyset(jwks: Sequence[Mapping[str, Any]]) -> KeySet:
    return KeySet.import_key_set({"keys": [dict(k) for k in jwks]})


class KeySetCache:
    """Imported key sets per ``(kiosk, kids)`` (bounded)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._sets: dict[tuple[str, tuple[str, ...]], KeySet] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, kiosk_id: str, jwks: Sequence[Mapping[str, Any]]) -> KeySet:
        cache_key = (kiosk_id, tuple(str(k.get("kid")) for k in jwks))
        with self._lock:
            found = self._sets.get(cache_key)
        if found is None:
            found = keyset(jwks)
            with self._lock:
                if len(self._sets) >= self._limit:
                    self._sets.clear()
                self._sets[cache_key] = found
        return found


def verify_proof(token: str, keys: KeySet, now: float, skew: int) -> dict[str, Any]:
    """A compact JWS (ES256, ``typ`` :data:`PROOF_TYP`) whose payload has ``iat`` within ``skew``."""
    try:
        obj = jws.deserialize_compact(token, keys, algorithms=["ES256"])
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError, KeyError):
        raise Unauthenticated("proof signature not valid") from None
    if obj.headers().get("typ") != PROOF_TYP or not isinstance(claims, dict):
        raise Unauthenticated("proof is not a hub proof")
    iat = claims.get("iat")
    if not isinstance(iat, int) or abs(now - iat) > skew:
        raise Unauthenticated("proof too old or from the future")
    return claims


def sign_proof(key: ECKey, kid: str, claims: Mapping[str, Any]) -> str:
    """The kiosk side of :func:`verify_proof` (used by :mod:`hub.client`)."""
    header = {"alg": "ES256", "kid": kid, "typ": PROOF_TYP}
    payload = json.dumps(dict(claims), separators=(",", ":"), sort_keys=True).encode()
    return jws.serialize_compact(header, payload, key, algorithms=["ES256"])

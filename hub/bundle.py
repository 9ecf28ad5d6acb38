"""Configuration bundles (docs/hub.md, "Configuration bundles").

A site's bundle is its profile (the TOML text of the kiosk profile the site runs), its trust store
(CSCA certificates, master lists, CRLs as base64 DER) and its settings, with a version number that grows on
every change.  The hub signs it as a compact JWS (ES256, ``typ`` :data:`BUNDLE_TYP`) with its own key;
the ETag is the SHA-256 of the canonical JSON content, so an unchanged bundle is answered 304.  A kiosk
verifies the JWS against the hub's JWKS it received at enrolment, keeps the last good bundle, and refuses
(and reports in its heartbeat) a bundle that does not verify — :func:`verify`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from psycopg import AsyncConnection

from kiosk.keys import KeyStore
from kiosk.profiles import PROFILE_DIR

BUNDLE_TYP = "cccd-bundle+jwt"


class BundleError(Exception):
    """A bundle that does not verify: keep the last good one and report this."""


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def etag(content: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(canonical(content)).hexdigest()[:32] + '"'


def profile_text(name: str) -> str:
    return (PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8")


async def site_bundle(conn: AsyncConnection[Any], site_id: str) -> dict[str, Any] | None:
    row = await (
        await conn.execute(
            "SELECT profile, settings, trust_store, bundle_version FROM sites WHERE site_id = %s", (site_id,)
        )
    ).fetchone()
    if row is None:
        return None
    profile, settings, trust_store, version = row
    return {
        "site_id": site_id,
        "version": version,
        "profile": {"name": profile, "toml": profile_text(profile)},
        "trust_store": trust_store,
        "settings": settings,
    }


#: ETags a replica computed, per site: ``site_id → (bundle_version, profile, etag)``.
EtagCache = dict[str, tuple[int, str, str]]


async def current_etag(
    conn: AsyncConnection[Any], site_id: str, cache: EtagCache | None = None
) -> str | None:
    """The ETag of the site's bundle.  With ``cache``: rebuilt (trust store read, profile read, hashed) only
    when the site's ``bundle_version`` or profile differs from the cached one — every change of the bundle
    makes the version grow (:func:`hub.admin.update_site_bundle`)."""
    if cache is not None:
        row = await (
            await conn.execute("SELECT bundle_version, profile FROM sites WHERE site_id = %s", (site_id,))
        ).fetchone()
        if row is None:
            return None
        cached = cache.get(site_id)
        if cached is not None and cached[:2] == (row[0], row[1]):
            return cached[2]
    content = await site_bundle(conn, site_id)
    if content is None:
        return None
    tag = etag(content)
    if cache is not None:
        cache[site_id] = (content["version"], content["profile"]["name"], tag)
    return tag


def sign(keys: KeyStore, content: dict[str, Any]) -> str:
    key = keys.active()
    header = {"alg": "ES256", "kid": key.kid, "typ": BUNDLE_TYP}
    return jws.serialize_compact(header, canonical(content), key.key, algorithms=["ES256"])


def verify(token: str | bytes, hub_keys: KeySet) -> dict[str, Any]:
    """The kiosk side: the bundle's content, once its signature verifies against the hub's keys."""
    try:
        obj = jws.deserialize_compact(token, hub_keys, algorithms=["ES256"])
        content = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise BundleError(f"bundle signature not valid ({type(exc).__name__})") from None
    if obj.headers().get("typ") != BUNDLE_TYP or not isinstance(content, dict):
        raise BundleError("not a configuration bundle")
    for key in ("site_id", "version", "profile", "trust_store", "settings"):
        if key not in content:
            raise BundleError(f"bundle lacks {key}")
    return content

"""Fleet administration: sites, enrolment tokens, revocation, dead-letter retry, operators.

Shared by the CLI (actor ``cli``) and the operator console (actor: the signed-in operator); every change
writes an ``audit`` row in the same transaction.  Functions take a connection from a sync pool.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
from argon2 import PasswordHasher
from psycopg.types.json import Jsonb

from hub.jwks import token_hash
from kiosk.profiles import ProfileError, load_profile

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
ROLES = ("fleet_admin", "site_operator", "auditor")
_hasher = PasswordHasher()


class AdminError(Exception):
    """The request cannot be done (unknown site, bad value): the message says why."""


def audit(
    conn: psycopg.Connection[Any],
    actor: str,
    action: str,
    site_id: str | None,
    target: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit (actor, action, site_id, target, detail) VALUES (%s, %s, %s, %s, %s)",
        (actor, action, site_id, target, Jsonb(detail or {})),
    )


def add_site(
    conn: psycopg.Connection[Any],
    actor: str,
    site_id: str,
    name: str,
    profile: str,
    deliver_to: str | None = None,
    secret_ref: str = "env:CCCD_WEBHOOK_SECRET",  # noqa: S107 (a reference, not a secret)
    settings: dict[str, Any] | None = None,
) -> None:
    if not SITE_ID.match(site_id):
        raise AdminError("site ID: lower-case letters, digits, '_' or '-', at most 48")
    try:
        load_profile(profile)
    except ProfileError as exc:
        raise AdminError(f"profile {profile!r}: {exc}") from None
    if deliver_to is not None and not re.match(r"^https?://", deliver_to):
        raise AdminError("deliver_to must be an http(s) URL")
    if not re.match(r"^(env|file):.+", secret_ref):
        raise AdminError("secret_ref must be env:NAME or file:/path")
    with conn.transaction():
        cur = conn.execute(
            "INSERT INTO sites (site_id, name, profile, deliver_to, secret_ref, settings) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
            (site_id, name, profile, deliver_to, secret_ref, Jsonb(settings or {})),
        )
        if cur.fetchone() is None:
            raise AdminError(f"site {site_id} exists")
        audit(conn, actor, "site.added", site_id, site_id, {"profile": profile})


def update_site_bundle(
    conn: psycopg.Connection[Any],
    actor: str,
    site_id: str,
    settings: dict[str, Any] | None = None,
    trust_store: list[dict[str, Any]] | None = None,
) -> int:
    """Change the site's settings and/or trust store; the bundle's version grows (new ETag)."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE sites SET settings = coalesce(%s, settings), trust_store = coalesce(%s, trust_store), "
            "bundle_version = bundle_version + 1 WHERE site_id = %s RETURNING bundle_version",
            (
                Jsonb(settings) if settings is not None else None,
                Jsonb(trust_store) if trust_store is not None else None,
                site_id,
            ),
        ).fetchone()
        if row is None:
            raise AdminError(f"unknown site {site_id}")
        audit(conn, actor, "site.bundle_changed", site_id, site_id, {"version": row[0]})
        return int(row[0])


def issue_enrol_token(conn: psycopg.Connection[Any], actor: str, site_id: str, hours: int = 24) -> str:
    """A one-time token (shown once; only its SHA-256 is stored)."""
    token = "cccd-enrol-" + secrets.token_urlsafe(24)
    with conn.transaction():
        if conn.execute("SELECT 1 FROM sites WHERE site_id = %s", (site_id,)).fetchone() is None:
            raise AdminError(f"unknown site {site_id}")
        conn.execute(
            "INSERT INTO enrol_tokens (token_sha256, site_id, created_by, expires_at) "
            "VALUES (%s, %s, %s, now() + make_interval(hours => %s))",
            (token_hash(token), site_id, actor, hours),
        )
        audit(conn, actor, "enrol_token.issued", site_id, None, {"hours": hours})
    return token


def revoke_kiosk(
    conn: psycopg.Connection[Any], actor: str, kiosk_id: str, site_id: str | None = None
) -> None:
    """Revoke a kiosk (its records and requests are refused from now on); ``site_id`` limits the scope."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE kiosks SET revoked_at = now() WHERE kiosk_id = %s AND revoked_at IS NULL "
            "AND (%s::text IS NULL OR site_id = %s) RETURNING site_id",
            (kiosk_id, site_id, site_id),
        ).fetchone()
        if row is None:
            raise AdminError(f"no active kiosk {kiosk_id}")
        audit(conn, actor, "kiosk.revoked", row[0], kiosk_id)


def revoke_key(conn: psycopg.Connection[Any], actor: str, kiosk_id: str, kid: str) -> None:
    with conn.transaction():
        row = conn.execute(
            "UPDATE kiosk_keys kk SET revoked_at = now() FROM kiosks k WHERE k.kiosk_id = kk.kiosk_id"
            " AND kk.kiosk_id = %s AND kk.kid = %s AND kk.revoked_at IS NULL RETURNING k.site_id",
            (kiosk_id, kid),
        ).fetchone()
        if row is None:
            raise AdminError(f"no active key {kid} for kiosk {kiosk_id}")
        audit(conn, actor, "kiosk.key_revoked", row[0], kiosk_id, {"kid": kid})


def retry_dead(conn: psycopg.Connection[Any], actor: str, outbox_id: int, site_id: str | None = None) -> None:
    with conn.transaction():
        row = conn.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_at = now(), lease_until = NULL"
            " WHERE id = %s AND state = 'dead' AND (%s::text IS NULL OR site_id = %s) "
            "RETURNING site_id",
            (outbox_id, site_id, site_id),
        ).fetchone()
        if row is None:
            raise AdminError(f"no dead letter {outbox_id}")
        audit(conn, actor, "dead_letter.retried", row[0], str(outbox_id))


@dataclass(frozen=True, slots=True)
class Operator:
    username: str
    role: str
    site_id: str | None
    language: str

    def sees(self, site_id: str | None) -> bool:
        return self.site_id is None or self.site_id == site_id


def add_operator(
    conn: psycopg.Connection[Any],
    actor: str,
    username: str,
    password: str,
    role: str,
    site_id: str | None,
    language: str = "vi",
) -> None:
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    if role == "site_operator" and site_id is None:
        raise AdminError("a site operator needs a site")
    if len(password) < 10:
        raise AdminError("passwords need at least 10 characters")
    if not re.match(r"^[a-z0-9._-]{2,32}$", username):
        raise AdminError("user name: 2-32 lower-case letters, digits, '.', '_' or '-'")
    with conn.transaction():
        try:
            conn.execute(
                "INSERT INTO operators (username, password_hash, role, site_id, language) "
                "VALUES (%s, %s, %s, %s, %s)",
                (username, _hasher.hash(password), role, site_id, language),
            )
        except psycopg.errors.UniqueViolation:
            raise AdminError(f"operator {username} exists") from None
        except psycopg.errors.ForeignKeyViolation:
            raise AdminError(f"unknown site {site_id}") from None
        audit(conn, actor, "operator.added", site_id, username, {"role": role})


def check_password(conn: psycopg.Connection[Any], username: str, password: str) -> Operator | None:
    """The operator when the password verifies (argon2id; a dummy hash is checked for unknown users too)."""
    row = conn.execute(
        "SELECT password_hash, role, site_id, language FROM operators WHERE username = %s", (username,)
    ).fetchone()
    stored = row[0] if row else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except Exception:
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        conn.execute(
            "UPDATE operators SET password_hash = %s WHERE username = %s", (_hasher.hash(password), username)
        )
    return Operator(username, row[1], row[2], row[3])


@cache
def _dummy_hash() -> str:
    """The hash verified for unknown users, so they take as long as known ones; made on first use, not at
    import (argon2id costs ~0.2 s, which every ``cccd`` command would otherwise pay at start-up)."""
    return _hasher.hash("not a password of anyone")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)

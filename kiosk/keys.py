"""The kiosk's device keys: ES256 signing keys with rotation, and local symmetric secrets.

On disk (a directory of mode 0700; every file mode 0600, refused if readable by others, like ssh does):

* ``signing.json`` — ``{"active": kid, "keys": [{"kid", "created_at", "jwk"}]}`` with private JWKs
  (RFC 7517) of P-256 keys; ``kid`` is the RFC 7638 thumbprint.  Rotation adds a key and makes it active;
  old keys stay so that records they signed still verify (:meth:`KeyStore.jwks`).
* ``<name>.key`` — 32 random bytes per local secret (the audit chain's HMAC key, the storage sealing key).

Writes are atomic (temporary file, fsync, rename, fsync of the directory) under an exclusive lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from ulid import ULID

SIGNING_FILE = "signing.json"
_SECRET_NAMES = frozenset({"audit", "storage"})


class KeyStoreError(Exception):
    """The key store is missing, unreadable, corrupt or too widely readable."""


@dataclass(frozen=True, slots=True)
class DeviceKey:
    kid: str
    created_at: str
    key: ECKey

    def __repr__(self) -> str:
        return f"DeviceKey(kid={self.kid!r}, created_at={self.created_at!r}, <private key hidden>)"

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "ES256"})
        return jwk


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably, mode 0600 (a temporary file beside it,
    fsynced, renamed over it, then the folder fsynced): a crash leaves the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _read_private(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyStoreError(f"{path.name}: missing") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyStoreError(f"{path.name}: readable by others (mode {stat.S_IMODE(mode):o}); chmod 600")
    return path.read_bytes()


class KeyStore:
    """Device keys in ``directory`` (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def open(cls, directory: Path, create: bool = True) -> KeyStore:
        """Open the store; with ``create``, make the directory and a first signing key if absent."""
        store = cls(directory)
        if not (store.directory / SIGNING_FILE).exists():
            if not create:
                raise KeyStoreError(f"no key store at {directory}")
            store.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            with store._lock():
                if not (store.directory / SIGNING_FILE).exists():
                    store._save({"active": None, "keys": []})
                    store._add_key()
        return store

    @contextmanager
    def _lock(self) -> Iterator[None]:
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(_read_private(self.directory / SIGNING_FILE))
        except json.JSONDecodeError:
            raise KeyStoreError(f"{SIGNING_FILE}: corrupt") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise KeyStoreError(f"{SIGNING_FILE}: corrupt")
        return data

    def _save(self, data: dict[str, Any]) -> None:
        write_private(self.directory / SIGNING_FILE, json.dumps(data, indent=1).encode())

    def _add_key(self) -> DeviceKey:
        data = self._load()
        key = ECKey.generate_key("P-256", private=True)
        kid = key.thumbprint()
        created = datetime.now(UTC).isoformat(timespec="seconds")
        data["keys"].append({"kid": kid, "created_at": created, "jwk": key.as_dict(private=True)})
        data["active"] = kid
        self._save(data)
        return DeviceKey(kid, created, key)

    def keys(self) -> tuple[DeviceKey, ...]:
        """Every key, oldest first."""
        out = []
        for entry in self._load()["keys"]:
            try:
                key = ECKey.import_key(entry["jwk"])
                out.append(DeviceKey(str(entry["kid"]), str(entry["created_at"]), key))
            except (KeyError, TypeError, ValueError):
                raise KeyStoreError(f"{SIGNING_FILE}: a key entry is corrupt") from None
        return tuple(out)

    def active(self) -> DeviceKey:
        """The key that signs new records."""
        active = self._load().get("active")
        for key in self.keys():
            if key.kid == active:
                return key
        raise KeyStoreError(f"{SIGNING_FILE}: the active key is missing")

    def rotate(self) -> DeviceKey:
        """Add a new signing key and make it active; older keys remain for verification."""
        with self._lock():
            return self._add_key()

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set (RFC 7517 §5), active key first."""
        keys = list(self.keys())
        active = self.active().kid
        keys.sort(key=lambda k: k.kid != active)
        return {"keys": [k.public_jwk() for k in keys]}

    def public_keyset(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())  # type: ignore[arg-type]

    def secret(self, name: str) -> bytes:
        """A 32-byte local secret (``audit`` or ``storage``), created on first use."""
        if name not in _SECRET_NAMES:
            raise KeyStoreError(f"unknown secret {name!r}")
        path = self.directory / f"{name}.key"
        if not path.exists():
            with self._lock():
                if not path.exists():
                    write_private(path, secrets.token_bytes(32))
        value = _read_private(path)
        if len(value) != 32:
            raise KeyStoreError(f"{path.name}: corrupt")
        return value


def load_jwks(path: Path) -> KeySet:
    """A public JWK Set from a file (``cccd keys show > jwks.json``)."""
    try:
        data = json.loads(path.read_text())
        return KeySet.import_key_set(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise KeyStoreError(f"{path.name}: not a readable JWK Set ({type(exc).__name__})") from None


# --- signing the verification record: compact JWS, ES256 (RFC 7515, RFC 7518 §3.4, RFC 7519 claims) ---

RECORD_TYP = "cccd-verification+jwt"


class RecordVerificationError(Exception):
    """A signed record failed verification (signature, algorithm, key, audience or time)."""


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """The one canonical JSON of what is signed or hashed (the record, its JWT claims, the evidence
    object): sorted keys, no spaces, UTF-8."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def read_jws(token: str | bytes, keys: KeySet) -> tuple[dict[str, Any], Any]:
    """The protected header and the JSON payload of a compact JWS whose ES256 signature a key of ``keys``
    verifies; anything else is a :class:`RecordVerificationError` ("signature not valid (…)")."""
    try:
        obj = jws.deserialize_compact(token, keys, algorithms=["ES256"])
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise RecordVerificationError(f"signature not valid ({type(exc).__name__})") from None
    return dict(obj.headers()), payload


class RecordSigner:
    """Signs verification records with the store's active key (reloaded when the key file changes)."""

    def __init__(self, store: KeyStore, issuer: str, lifetime_seconds: int = 300) -> None:
        self.store, self.issuer, self.lifetime = store, issuer, lifetime_seconds
        self._cached: tuple[tuple[int, int, int], DeviceKey] | None = None

    def key(self) -> DeviceKey:
        """The store's active key, read again only when the key file changed (the record and the bank's
        evidence object are signed with this one key)."""
        # The file's identity, not only its mtime: two writes within the file system's timestamp granularity
        # (a rotation right after signing) must not leave the old key cached.
        st = (self.store.directory / SIGNING_FILE).stat()
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, self.store.active())
        return self._cached[1]

    def sign(self, record: dict[str, Any], audience: str, now: float) -> str:
        """``record`` plus ``iss``, ``sub`` (verification ID), ``aud``, ``iat``, short ``exp``, ``jti``."""
        key = self.key()
        claims = dict(record)
        claims.update(iss=self.issuer, sub=record["verification_id"], aud=audience, iat=int(now),
                      exp=int(now) + self.lifetime, jti=str(ULID()), kid=key.kid)  # fmt: skip
        header = {"alg": "ES256", "kid": key.kid, "typ": RECORD_TYP}
        return jws.serialize_compact(header, canonical_json(claims), key.key, algorithms=["ES256"])


def verify_record_jws(
    token: str | bytes, keys: KeySet, audience: str | None, now: float, leeway: int = 60, *,
    check_time: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Verify a signed record: ES256 only, a known ``kid``, ``aud`` (when given), ``iat``/``exp`` (unless
    ``check_time`` is false: an offline re-check long after delivery, kiosk.evidence)."""
    headers, claims = read_jws(token, keys)
    if not isinstance(claims, dict) or headers.get("kid") != claims.get("kid"):
        raise RecordVerificationError("malformed claims")
    if audience is not None and claims.get("aud") != audience:
        raise RecordVerificationError("wrong audience")
    if check_time:
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise RecordVerificationError("iat and exp are required")
        if exp < now - leeway or iat > now + leeway:
            raise RecordVerificationError("expired or not yet valid")
    if claims.get("sub") != claims.get("verification_id"):
        raise RecordVerificationError("sub is not the verification ID")
    return claims

"""``cccd receiver`` (also ``python -m receiver``): the reference receiving server on loopback.

Exit codes: 0 stopped by SIGINT/SIGTERM; 2 a bad argument, secret, key source, token, database or
address (the message says which).  Reads (``/stats``, ``/metrics``, FHIR search) need the bearer token
from ``$CCCD_RECEIVER_TOKEN`` or the token file (made, 0600, with a random token when missing).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import stat
import sys
from pathlib import Path
from typing import Any

from kiosk.connectors.webhooks import decode_secret
from kiosk.keys import KeyStoreError
from kiosk.logsafe import configure_logging
from kiosk.storage.paths import data_dir, default_keys, default_receiver_db
from receiver.config import MAX_BODY, KeySource, Limits, ReceiverConfig
from receiver.server import BindError, ReceiverServer
from receiver.store import ReceiverStore, StoreError

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_ENV = "CCCD_RECEIVER_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def default_token_file() -> Path:
    return data_dir() / "receiver.token"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a port is a number 0-65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535; 0 picks a free one)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a positive whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a positive whole number")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("receiver", help="reference receiving server (verifies, deduplicates, stores)")
    add_arguments(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1, ::1)")
    p.add_argument("--port", type=_port, default=8787, help="port (0: any free port)")
    p.add_argument("--db", type=Path, default=None, help="receiver database (SQLite, created 0600)")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--jwks", type=Path, help="the kiosk's public JWK Set (cccd keys show > FILE)")
    keys.add_argument("--keys", type=Path, help="the kiosk's key store directory (default)")
    p.add_argument("--secret-env", default="CCCD_WEBHOOK_SECRET", help="env variable with the whsec_ secret")
    p.add_argument("--secret-file", type=Path, help="file with the whsec_ secret")
    p.add_argument("--token-file", type=Path, default=None,
                   help=f"bearer token for reads (default ${TOKEN_ENV}, else DATA_DIR/receiver.token, "
                        "made when missing)")  # fmt: skip
    p.add_argument("--audience", action="append", help="accepted record audience (repeatable; default any)")
    p.add_argument("--max-body", type=_positive, default=MAX_BODY, help="largest request body in bytes")
    p.add_argument("--workers", type=_positive, default=8, help="threads for checks and the database")
    p.add_argument("--max-connections", type=_positive, default=64, help="concurrent connections (then 503)")
    p.add_argument("--config", type=Path, help="TOML file with any of these options (names with _)")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests (never paths or bodies)")
    p.set_defaults(func=run)


#: Options a ``--config`` TOML file may set, with their types (command-line flags win over the file).
CONFIG_KEYS: dict[str, type] = {
    "host": str, "port": int, "db": Path, "jwks": Path, "keys": Path, "secret_file": Path,
    "token_file": Path, "audience": list, "max_body": int, "workers": int, "max_connections": int,
}  # fmt: skip


def apply_config(args: argparse.Namespace, defaults: dict[str, Any]) -> None:
    """Fill options still at their default from ``args.config`` (:class:`ValueError` on a bad file)."""
    import tomllib

    try:
        data = tomllib.loads(args.config.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{args.config}: not a readable TOML file ({exc})") from None
    for key, value in data.items():
        kind = CONFIG_KEYS.get(key)
        if kind is None:
            raise ValueError(f"{args.config}: unknown option {key!r} (known: {', '.join(CONFIG_KEYS)})")
        if kind is Path and isinstance(value, str):
            value = Path(value)
        elif kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
            pass
        elif not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{args.config}: {key} must be a {kind.__name__}")
        if getattr(args, key) == defaults.get(key):
            setattr(args, key, value)
    if not 0 <= args.port <= 65535:
        raise ValueError(f"{args.config}: port {args.port} is not a TCP port")


def _secret(args: argparse.Namespace) -> bytes:
    if args.secret_file:
        value = args.secret_file.read_text().strip()
    else:
        value = os.environ.get(args.secret_env, "")
        if not value:
            raise ValueError(f"no webhook secret: set {args.secret_env} or give --secret-file")
    return decode_secret(value)


def read_token(path: Path | None) -> str:
    """The read token: ``$CCCD_RECEIVER_TOKEN``, else the token file (created 0600 when missing)."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env and path is None:
        return env
    path = path or default_token_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ValueError(f"{path}: the token file is readable by others (chmod 600 it)")
    token = path.read_text().strip()
    if len(token) < 16:
        raise ValueError(f"{path}: the token must have at least 16 characters")
    return token


def run(args: argparse.Namespace) -> int:
    if args.config is not None:
        defaults = {
            "host": "127.0.0.1",
            "port": 8787,
            "max_body": MAX_BODY,
            "workers": 8,
            "max_connections": 64,
        }
        try:
            apply_config(args, defaults)
        except ValueError as exc:
            print(f"receiver: {exc}", file=sys.stderr)
            return 2
    if args.host not in _LOOPBACK:
        print("receiver: the reference receiver listens on loopback only (127.0.0.1 or ::1)", file=sys.stderr)
        return 2
    configure_logging(logging.INFO if args.verbose else logging.WARNING)
    try:
        key = _secret(args)
        source = (
            KeySource(jwks_file=args.jwks) if args.jwks else KeySource(key_store=args.keys or default_keys())
        )
        source.keys()
        token = read_token(args.token_file)
    except (ValueError, OSError, KeyStoreError) as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    db = args.db or default_receiver_db()
    try:
        db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = ReceiverStore(db)
    except (OSError, StoreError) as exc:
        print(f"receiver: {exc}" if isinstance(exc, StoreError) else f"receiver: {db}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    audiences = frozenset(args.audience) if args.audience else None
    limits = Limits(max_body=args.max_body, workers=args.workers, max_connections=args.max_connections)
    try:
        config = ReceiverConfig(store, key, source, audiences, token, limits)
        server = ReceiverServer(args.host, args.port, config)
    except (BindError, ValueError) as exc:
        store.close()
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: setattr(server.uvicorn, "should_exit", True))
    print(f"receiver listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m receiver", description="CCCD reference receiving server")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))

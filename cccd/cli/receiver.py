"""``cccd receiver``: the reference receiving server on loopback (for demos and tests)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from kiosk.connectors.webhooks import decode_secret
from kiosk.keys import KeyStoreError
from kiosk.receiver import KeySource, ReceiverConfig, ReceiverServer, ReceiverStore
from kiosk.storage.paths import default_keys, default_receiver_db

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("receiver", help="reference receiving server (verifies, deduplicates, stores)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    p.add_argument("--port", type=int, default=8787, help="port (0: any free port)")
    p.add_argument("--db", type=Path, default=None, help="receiver database (SQLite)")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--jwks", type=Path, help="the kiosk's public JWK Set (cccd keys show > FILE)")
    keys.add_argument("--keys", type=Path, help="the kiosk's key store directory (default)")
    p.add_argument("--secret-env", default="CCCD_WEBHOOK_SECRET", help="env variable with the whsec_ secret")
    p.add_argument("--secret-file", type=Path, help="file with the whsec_ secret")
    p.add_argument("--audience", action="append", help="accepted record audience (repeatable; default any)")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests (paths only)")
    p.set_defaults(func=_run)


def _secret(args: argparse.Namespace) -> bytes:
    if args.secret_file:
        value = args.secret_file.read_text().strip()
    else:
        value = os.environ.get(args.secret_env, "")
        if not value:
            raise ValueError(f"no webhook secret: set {args.secret_env} or give --secret-file")
    return decode_secret(value)


def _run(args: argparse.Namespace) -> int:
    if args.host not in _LOOPBACK:
        print("receiver: the reference receiver listens on loopback only", file=sys.stderr)
        return 2
    if args.verbose:  # the request log (paths only) is the receiver logger's DEBUG; cccd.logs did the rest
        logging.getLogger("kiosk.receiver").setLevel(logging.DEBUG)
    try:
        key = _secret(args)
        if args.jwks:
            source = KeySource(jwks_file=args.jwks)
        else:
            source = KeySource(key_store=args.keys or default_keys())
        source.keys()
    except (ValueError, OSError, KeyStoreError) as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    db = args.db or default_receiver_db()
    db.parent.mkdir(parents=True, exist_ok=True)
    store = ReceiverStore(db)
    audiences = frozenset(args.audience) if args.audience else None
    server = ReceiverServer((args.host, args.port), ReceiverConfig(store, key, source, audiences))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"receiver listening on {server.url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0

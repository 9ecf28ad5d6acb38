"""``cccd keys show|rotate``: the kiosk's device signing keys (JWKS, rotation keeping old keys)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cccd.config import state_paths
from kiosk.config import ConfigError
from kiosk.keys import KeyStore, KeyStoreError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="device signing keys: show the JWKS, rotate")
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the public JWK Set (JSON)")
    rotate = sub.add_parser("rotate", help="add a new signing key; old keys stay for verification")
    for p in (show, rotate):
        p.add_argument("--keys", type=Path, default=None, help="key store directory")
    show.set_defaults(func=_show)
    rotate.set_defaults(func=_rotate)


def _store(args: argparse.Namespace) -> KeyStore:
    return KeyStore.open(state_paths(args)[1])


def _show(args: argparse.Namespace) -> int:
    try:
        print(json.dumps(_store(args).jwks(), indent=2))
    except (KeyStoreError, ConfigError) as exc:
        print(f"keys: {exc}", file=sys.stderr)
        return 1
    return 0


def _rotate(args: argparse.Namespace) -> int:
    try:
        key = _store(args).rotate()
    except (KeyStoreError, ConfigError) as exc:
        print(f"keys: {exc}", file=sys.stderr)
        return 1
    print(f"new active key {key.kid}")
    return 0

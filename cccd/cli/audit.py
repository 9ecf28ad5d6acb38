"""``cccd audit verify``: check the hash chain of the audit log (edits, insertions, deletions)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cccd.config import state_paths
from kiosk.config import ConfigError
from kiosk.keys import KeyStore, KeyStoreError
from kiosk.storage import KioskStore, StorageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit log")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="verify the audit chain; exit 1 when it was tampered with")
    verify.add_argument("--db", type=Path, default=None, help="kiosk database")
    verify.add_argument("--keys", type=Path, default=None, help="key store directory")
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    try:
        db, key_dir = state_paths(args)
        keys = KeyStore.open(key_dir, create=False)
        store = KioskStore(db, keys)
    except (KeyStoreError, StorageError, ConfigError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    try:
        report = store.verify_audit()
    finally:
        store.close()
    if report.ok:
        print(f"audit log intact: {report.entries} entries (seq {report.first_seq}..{report.last_seq})")
        return 0
    print(f"AUDIT LOG TAMPERED: {report.problem} (at seq {report.at_seq}; {report.entries} entries "
          "verified before it)")  # fmt: skip
    return 1

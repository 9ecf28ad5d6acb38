"""``cccd outbox list|retry|run|purge``: the delivery queue, its dead letters, the relay, retention."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cccd.config import from_args, state_paths
from cccd.config import profile as configured_profile
from cccd.metrics import MetricsError, MetricsExport, add_arguments
from kiosk.config import ConfigError
from kiosk.delivery import ConnectorRegistry, Relay, RelayBusyError, RelayLock
from kiosk.keys import KeyStore, KeyStoreError, RecordSigner
from kiosk.profiles import ProfileError, load_profiles
from kiosk.storage import KioskStore, OutboxError, StorageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("outbox", help="delivery queue: list, retry dead letters, run the relay")
    sub = parser.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="list outbox rows (dead letters by default)")
    ls.add_argument("--state", choices=("pending", "sent", "dead", "all"), default="dead")
    ls.add_argument("--json", action="store_true")
    retry = sub.add_parser("retry", help="put dead-lettered rows back in the queue")
    retry.add_argument("ids", nargs="*", type=int, help="outbox ids (default: every dead letter)")
    run = sub.add_parser("run", help="run the relay")
    run.add_argument("--profiles", type=Path, default=None,
                     help="profile directory (default: the configured profile, its endpoints applied)")
    run.add_argument("--deliver-to", help="send every connector to this base URL (demo / tests)")
    run.add_argument("--until-idle", action="store_true", help="exit when nothing is pending")
    run.add_argument("--workers", type=int, default=8)
    run.add_argument("--batch", type=int, default=64)
    run.add_argument("--lock-wait", type=float, default=10.0, metavar="S",
                     help="seconds to wait for the relay lock (a kiosk round ending)")  # fmt: skip
    run.add_argument("--issuer", default=None,
                     help="JWS iss (default urn:cccd:kiosk:<device_id>, or <hostname> without a file)")
    add_arguments(run)
    purge = sub.add_parser("purge", help="apply the retention periods")
    purge.add_argument("--audit-days", type=int, default=365)
    for p in (ls, retry, run, purge):
        p.add_argument("--db", type=Path, default=None, help="kiosk database")
        p.add_argument("--keys", type=Path, default=None, help="key store directory")
    ls.set_defaults(func=_list)
    retry.set_defaults(func=_retry)
    run.set_defaults(func=_run)
    purge.set_defaults(func=_purge)


def _open(args: argparse.Namespace, must_exist: bool = True) -> tuple[KeyStore, KioskStore]:
    """The key store and database; ``must_exist``: a missing database is an error, never made empty
    (``outbox list --db /wrong/path`` must not create a file and report an empty queue)."""
    db, key_dir = state_paths(args)
    if must_exist and not db.is_file():
        raise OutboxError(f"{db}: no kiosk database there (check --db)")
    keys = KeyStore.open(key_dir)
    return keys, KioskStore(db, keys)


def _guard(fn: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except (KeyStoreError, StorageError, OutboxError, ProfileError, RelayBusyError, MetricsError,
                ConfigError) as exc:
            print(f"outbox: {exc}", file=sys.stderr)
            return 2

    return wrapped


@_guard
def _list(args: argparse.Namespace) -> int:
    _, store = _open(args)
    items = store.list_outbox(None if args.state == "all" else args.state, limit=1000)
    if args.json:
        print(json.dumps([dataclasses.asdict(i) for i in items], indent=2))
    else:
        for i in items:
            print(f"{i.id:>6} {i.state:<7} {i.profile}/{i.connector:<10} {i.verification_id} "
                  f"attempts={i.attempts} status={i.last_status} {i.last_error or ''}")  # fmt: skip
        counts = store.counts()
        print(f"pending {counts['pending']}, sent {counts['sent']}, dead {counts['dead']}")
    store.close()
    return 0


@_guard
def _retry(args: argparse.Namespace) -> int:
    _, store = _open(args)
    n = store.retry_dead(args.ids or None, time.time())
    store.close()
    print(f"{n} dead letter(s) queued again")
    return 0


@_guard
def _run(args: argparse.Namespace) -> int:
    keys, store = _open(args, must_exist=False)  # the relay may start before the first transaction
    db = state_paths(args)[0]
    loaded = from_args(args)
    device = loaded.settings.device_id if loaded.path is not None else socket.gethostname()
    signer = RecordSigner(keys, args.issuer or f"urn:cccd:kiosk:{device}")
    if args.profiles is not None or loaded.path is None:
        profiles = load_profiles(args.profiles) if args.profiles is not None else load_profiles()
    else:  # the configured kiosk's profile, with its [[delivery]] endpoints
        prof = configured_profile(loaded)
        profiles = {prof.name: prof}
    registry = ConnectorRegistry(profiles, signer, args.deliver_to)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with MetricsExport.from_args(args), RelayLock(db, wait=max(0.0, args.lock_wait)):
        relay = Relay(store, registry, batch=args.batch, workers=args.workers)
        print("relay running", flush=True)
        try:
            stats = relay.run(stop, until_idle=args.until_idle)
        except KeyboardInterrupt:
            stats = relay.stats
        finally:
            relay.close()
            store.close()
    print(f"relay stopped: sent {stats.sent}, retried {stats.retried}, dead {stats.dead}", flush=True)
    return 0


@_guard
def _purge(args: argparse.Namespace) -> int:
    _, store = _open(args)
    report = store.purge(time.time(), args.audit_days)
    store.close()
    print(f"purged: results {report.results}, outbox {report.outbox}, consents {report.consents}, "
          f"audit {report.audit}")  # fmt: skip
    return 0

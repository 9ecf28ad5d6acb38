"""``cccd lodging sync|list|export|declared|checkout|departed``: the clerk's declaration register
(docs/lodging.md).

``sync`` takes every verified record of the lodging profile from the kiosk database into the register;
``list`` shows each guest's deadline, most urgent first (``--check``: exit 1 when a deadline has passed or is
within ``--warn-hours``, for a monitor); ``export FILE`` writes the guests still to declare in the bulk-upload
layout (a best guess, or ``--layout FILE``) and marks them exported; ``declared`` records the clerk's
confirmation that the upload went through; ``checkout`` records a departure; ``departed`` that departures
were reported.  Times are the kiosk's clock, Vietnam time.  Exit codes: 0 done, 1 ``--check`` found
something, 2 bad arguments or a guest not in the right state.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.connectors.lodging import sync_register
from kiosk.connectors.lodging_asm import DEFAULT_LAYOUT, LayoutError, export_csv, export_xlsx, load_layout
from kiosk.keys import KeyStore, KeyStoreError
from kiosk.profiles import load_profiles
from kiosk.storage import KioskStore
from kiosk.storage.db import Database, StorageError
from kiosk.storage.lodging_register import LodgingRegister, RegisterError
from kiosk.storage.paths import default_db, default_keys
from kiosk.timezone import VIETNAM


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("lodging", help="guest declaration register: deadlines, export, check-out")
    parser.add_argument("--db", type=Path, help="kiosk database (default: $CCCD_DATA_DIR/kiosk.db)")
    parser.add_argument("--keys", type=Path, help="key store directory")
    parser.add_argument("--json", action="store_true")
    sub = parser.add_subparsers(dest="lodging_command", metavar="ACTION", required=True)
    s = sub.add_parser("sync", help="take verified lodging records into the register")
    s.add_argument("--profile", default="lodging")
    s.set_defaults(func=_sync)
    ls = sub.add_parser("list", help="guests with their deadlines, most urgent first")
    ls.add_argument("--all", action="store_true", help="include guests already declared and reported")
    ls.add_argument("--warn-hours", type=float, default=2.0)
    ls.add_argument("--check", action="store_true", help="exit 1 when a deadline passed or is near")
    ls.set_defaults(func=_list)
    ex = sub.add_parser(
        "export", help="write the guests still to declare for bulk upload; mark them exported"
    )
    ex.add_argument("file", type=Path)
    ex.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from the file name")
    ex.add_argument("--layout", type=Path, help="TOML column layout (default: the built-in best guess)")
    ex.set_defaults(func=_export)
    dc = sub.add_parser("declared", help="the upload went through: mark guests declared")
    dc.add_argument("ids", nargs="*", metavar="VERIFICATION_ID")
    dc.add_argument("--exported", action="store_true", help="every guest exported and not yet confirmed")
    dc.set_defaults(func=_declared)
    co = sub.add_parser("checkout", help="record a check-out")
    group = co.add_mutually_exclusive_group(required=True)
    group.add_argument("--guest", metavar="VERIFICATION_ID")
    group.add_argument("--room")
    co.set_defaults(func=_checkout)
    dp = sub.add_parser("departed", help="mark the departures of these guests reported")
    dp.add_argument("ids", nargs="+", metavar="VERIFICATION_ID")
    dp.set_defaults(func=_departed)


def _now() -> datetime:
    return datetime.now(VIETNAM)


def _open(args: argparse.Namespace) -> tuple[Database, KeyStore, LodgingRegister]:
    keys = KeyStore.open(args.keys or default_keys())
    db = Database(args.db or default_db())
    return db, keys, LodgingRegister(db, keys)


def _run(args: argparse.Namespace, body: Any) -> int:
    try:
        db, keys, reg = _open(args)
    except (KeyStoreError, StorageError, OSError) as exc:
        print(f"lodging: {exc}", file=sys.stderr)
        return 2
    try:
        return int(body(args, db, keys, reg))
    except (RegisterError, LayoutError) as exc:
        print(f"lodging: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _sync(args: argparse.Namespace) -> int:
    return _run(args, _do_sync)


def _do_sync(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:

    profile = load_profiles().get(args.profile)
    if profile is None:
        raise RegisterError(f"no profile {args.profile!r}")
    store = KioskStore(db.path, keys)
    try:
        added = sync_register(reg, store, profile, _now())
    finally:
        store.close()
    print(json.dumps({"added": added}) if args.json else f"{added} guest(s) added to the register")
    return 0


def _list(args: argparse.Namespace) -> int:
    return _run(args, _do_list)


def _do_list(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:
    now, warn = _now(), timedelta(hours=args.warn_hours)
    entries = reg.entries(now, warn_before=warn, open_only=not args.all, with_declarations=not args.json)
    counts = reg.warnings(now, warn)
    if args.json:
        body = {
            "at": now.isoformat(timespec="minutes"),
            "warnings": counts,
            "guests": [e.to_dict() for e in entries],
        }
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        label = {"overdue": "QUÁ HẠN", "due_soon": "SẮP ĐẾN HẠN", "open": "", "done": "xong"}
        for e in entries:
            name = e.declaration.full_name if e.declaration else ""
            out = " đã trả phòng" if e.checked_out_at else ""
            print(f"{e.due_at:%d/%m %H:%M}  {label[e.urgency]:<11} {e.state:<9} phòng {e.room or '-':<5} "
                  f"{e.id_masked}  {name}{out}")  # fmt: skip
        print(f"{counts['overdue']} quá hạn, {counts['due_soon']} sắp đến hạn, "
              f"{counts['departures']} trả phòng chưa báo")  # fmt: skip
    return 1 if args.check and (counts["overdue"] or counts["due_soon"]) else 0


def _export(args: argparse.Namespace) -> int:
    return _run(args, _do_export)


def _do_export(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:
    layout = load_layout(args.layout) if args.layout else DEFAULT_LAYOUT
    fmt = args.format or ("csv" if args.file.suffix.lower() == ".csv" else "xlsx")
    now = _now()
    pending = reg.declarations(state="pending", now=now)
    count = (export_csv if fmt == "csv" else export_xlsx)(pending, args.file, layout)
    args.file.chmod(0o600)
    reg.mark_exported([d.verification_id for d in pending], now)
    if args.json:
        print(json.dumps({"file": str(args.file), "guests": count, "layout": layout.name}))
    else:
        print(f"{count} guest(s) written to {args.file} (layout {layout.name}); upload it, then "
              "`cccd lodging declared --exported`")  # fmt: skip
    return 0


def _declared(args: argparse.Namespace) -> int:
    return _run(args, _do_declared)


def _do_declared(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:
    now = _now()
    ids = list(args.ids)
    if args.exported:
        ids += [e.verification_id for e in reg.entries(now) if e.state == "exported"]
    if not ids:
        raise RegisterError("give verification IDs or --exported")
    reg.mark_declared(ids, now)
    print(json.dumps({"declared": ids}) if args.json else f"{len(ids)} guest(s) marked declared")
    return 0


def _checkout(args: argparse.Namespace) -> int:
    return _run(args, _do_checkout)


def _do_checkout(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:
    out = reg.check_out(_now(), verification_id=args.guest, room=args.room)
    print(json.dumps({"checked_out": out}) if args.json else f"{len(out)} guest(s) checked out")
    return 0


def _departed(args: argparse.Namespace) -> int:
    return _run(args, _do_departed)


def _do_departed(args: argparse.Namespace, db: Database, keys: KeyStore, reg: LodgingRegister) -> int:
    reg.mark_departures_reported(list(args.ids), _now())
    print(json.dumps({"reported": args.ids}) if args.json else f"{len(args.ids)} departure(s) reported")
    return 0

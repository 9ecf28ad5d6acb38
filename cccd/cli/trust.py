"""``cccd trust import|list|status|remove``: the managed CSCA trust store (docs/trust.md).

The store folder (default ``$CCCD_DATA_DIR/trust``) is what ``cccd read --trust DIR`` and
``cccd ui --trust-dir DIR`` take.  Settings may come from a TOML file (``--config``)::

    [trust]
    dir = "/var/lib/cccd-kiosk/trust"
    signer_ca = ["/etc/cccd-kiosk/pins/de-csca.pem"]   # pinned master-list signer CAs
    expiring_days = 180

Command-line options win over the file.  Exit codes: 0 done (``status``: nothing needs attention), 1 the
file was refused (signature, signer, validity) or ``status`` found something to act on, 2 bad arguments or
an unreadable / malformed file.  Each action logs one structured line (JSON) on stderr with ``--log-json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.storage.paths import data_dir
from reader.pki.errors import PKIError
from reader.pki.store import (
    ManagedTrustStore,
    TrustImportError,
    TrustStoreStateError,
    country_of,
    key_type,
    load_signer_cas,
    status,
)

log = logging.getLogger("kiosk.trust")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trust", help="CSCA trust store: import master lists/CSCAs/CRLs, list, status"
    )
    parser.add_argument("--dir", type=Path, help="trust-store folder (default: $CCCD_DATA_DIR/trust)")
    parser.add_argument("--config", type=Path, help="TOML file with a [trust] table (dir, signer_ca, ...)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--log-json", action="store_true", help="structured log lines (JSON) on stderr")
    sub = parser.add_subparsers(dest="trust_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="import .ml master lists, PEM/DER CSCA certificates, CRLs")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE")
    imp.add_argument("--signer-ca", type=Path, action="append", default=[], metavar="PEM",
                     help="pinned CA that must have issued the master-list signer (repeatable)")  # fmt: skip
    imp.add_argument("--fingerprint", metavar="SHA256",
                     help="a lone CSCA's SHA-256 fingerprint, obtained out of band")  # fmt: skip
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.set_defaults(func=_import)

    lst = sub.add_parser("list", help="the trusted CSCAs (and CRLs)")
    lst.add_argument("--country", metavar="CC", help="ISO 3166 alpha-2 code, e.g. VN")
    lst.add_argument("--validity", choices=("valid", "expired", "not_yet_valid"))
    lst.add_argument(
        "--key-type", metavar="TEXT", help="substring of the key type, e.g. brainpoolP512r1, RSA"
    )
    lst.add_argument("--crls", action="store_true", help="list CRLs instead of CSCAs")
    lst.set_defaults(func=_list)

    st = sub.add_parser(
        "status", help="expired/expiring CSCAs, stale CRLs; exit 1 when something needs action"
    )
    st.add_argument("--expiring-days", type=int, default=None, metavar="N")
    st.set_defaults(func=_status)

    rm = sub.add_parser("remove", help="remove CSCAs/CRLs by fingerprint prefix, or a whole country")
    rm.add_argument("selectors", nargs="*", metavar="FINGERPRINT")
    rm.add_argument("--country", metavar="CC")
    rm.set_defaults(func=_remove)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    conf: dict[str, Any] = {}
    if args.config is not None:
        try:
            conf = dict(tomllib.loads(args.config.read_text("utf-8")).get("trust", {}))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise _BadArgs(f"config {args.config}: {type(exc).__name__}: {exc}") from None
    return conf


class _BadArgs(Exception):
    pass


def _store(args: argparse.Namespace, conf: dict[str, Any]) -> ManagedTrustStore:
    root = args.dir or (Path(conf["dir"]) if conf.get("dir") else data_dir() / "trust")
    return ManagedTrustStore(root)


def _setup_logging(args: argparse.Namespace) -> None:
    """``--log-json``: each action's line at INFO, whatever ``-v`` says; the lines themselves are the
    command's structured log lines (cccd.logs: JSON with ``event`` and the fields)."""
    if args.log_json:
        log.setLevel(logging.INFO)


def _event(event: str, **fields: Any) -> None:
    log.info(event, extra={"event": event, **fields})


def _run(args: argparse.Namespace, body: Any) -> int:
    _setup_logging(args)
    try:
        conf = _settings(args)
        return int(body(args, conf, _store(args, conf)))
    except _BadArgs as exc:
        print(f"trust: {exc}", file=sys.stderr)
        return 2
    except TrustImportError as exc:
        print(f"trust: {exc}", file=sys.stderr)
        _event("trust.refused", reason=str(exc))
        return 2 if exc.malformed else 1
    except (TrustStoreStateError, PKIError, OSError) as exc:
        print(f"trust: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def _import(args: argparse.Namespace) -> int:
    return _run(args, _do_import)


def _do_import(args: argparse.Namespace, conf: dict[str, Any], store: ManagedTrustStore) -> int:
    pins = args.signer_ca or [Path(p) for p in conf.get("signer_ca", [])]
    signer_cas = load_signer_cas(pins)
    reports = []
    for file in args.files:
        report = store.import_file(file, signer_cas=signer_cas, fingerprint=args.fingerprint,
                                   dry_run=args.dry_run)  # fmt: skip
        reports.append(report.to_dict() | {"dry_run": args.dry_run})
        _event("trust.imported" if not args.dry_run else "trust.checked", file=report.file,
               kind=report.kind, added=len(report.added), skipped=len(report.skipped))  # fmt: skip
        if not args.json:
            verb = "would add" if args.dry_run else "added"
            counts = f"already present {len(report.already_present)}, skipped {len(report.skipped)}"
            print(f"{report.file}: {report.kind}, {verb} {len(report.added)}, {counts}")
            if report.master_list:
                print(f"  signed by {report.master_list['signer']} (pinned signer CA verified)")
            for s in report.skipped:
                print(f"  skipped {s['fingerprint'][:16]} {s['subject']}: {s['reason']}")
            for w in report.warnings:
                print(f"  warning: {w}")
    if args.json:
        print(json.dumps({"imports": reports, "store": str(store.root)}, indent=2, ensure_ascii=False))
    return 0


def _list(args: argparse.Namespace) -> int:
    return _run(args, _do_list)


def _do_list(args: argparse.Namespace, conf: dict[str, Any], store: ManagedTrustStore) -> int:
    now = datetime.now(UTC)
    if args.crls:
        rows = [c.to_dict(now) for c in store.crls()]
        if args.json:
            print(json.dumps({"crls": rows}, indent=2, ensure_ascii=False))
        else:
            for r in rows:
                stale = " STALE" if r["stale"] else ""
                head = f"{r['sha256'][:16]}  next {r['next_update']}{stale}"
                print(f"{head}  revoked {r['revoked']}  {r['issuer']}")
        return 0
    entries = store.cscas()
    if args.country:
        entries = [e for e in entries if country_of(e.cert) == args.country.upper()]
    if args.key_type:
        entries = [e for e in entries if args.key_type.lower() in key_type(e.cert).lower()]
    rows = [e.to_dict(now) for e in entries]
    if args.validity:
        rows = [r for r in rows if r["validity"] == args.validity]
    if args.json:
        print(json.dumps({"cscas": rows}, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['country']}  {r['fingerprint'][:16]}  {r['not_after'][:10]}  {r['validity']:<13} "
                  f"{r['key_type']:<40} {r['subject']}")  # fmt: skip
        print(f"{len(rows)} CSCA certificate(s)")
    return 0


def _status(args: argparse.Namespace) -> int:
    return _run(args, _do_status)


def _do_status(args: argparse.Namespace, conf: dict[str, Any], store: ManagedTrustStore) -> int:
    days = args.expiring_days if args.expiring_days is not None else int(conf.get("expiring_days", 180))
    if days < 0:
        raise _BadArgs("--expiring-days must be >= 0")
    result = status(store, datetime.now(UTC), expiring_days=days)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(f"{result['cscas']} CSCA(s), {result['crls']} CRL(s), countries: {len(result['countries'])}")
        vn = result["vietnam"]
        print(f"Vietnam: {vn['valid']} valid CSCA(s), {vn['crls']} CRL(s)"
              + ("" if vn["valid"] else " — Vietnamese cards will be CSCA_UNKNOWN"))  # fmt: skip
        for key, label in (("expired", "expired"), ("expiring", f"expiring within {days} days")):
            for r in result[key]:
                print(
                    f"  {label}: {r['country']} {r['fingerprint'][:16]} {r['not_after'][:10]} {r['subject']}"
                )
        for r in result["stale_crls"]:
            print(f"  stale CRL (nextUpdate {r['next_update']}): {r['issuer']}")
        for r in result["crls_without_csca"]:
            print(f"  CRL without its CSCA: {r['issuer']}")
        print("ok" if result["ok"] else "needs attention")
    _event("trust.status", ok=result["ok"], cscas=result["cscas"], crls=result["crls"])
    return 0 if result["ok"] else 1


def _remove(args: argparse.Namespace) -> int:
    return _run(args, _do_remove)


def _do_remove(args: argparse.Namespace, conf: dict[str, Any], store: ManagedTrustStore) -> int:
    if not args.selectors and not args.country:
        raise _BadArgs("give fingerprints (a prefix of at least 8 hex digits) or --country")
    removed = store.remove(args.selectors, country=args.country)
    _event("trust.removed", entries=removed)
    if args.json:
        print(json.dumps({"removed": removed}, indent=2))
    else:
        for r in removed:
            print(f"removed {r}")
    return 0

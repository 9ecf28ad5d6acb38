"""``cccd hub``: run and administer the fleet hub (docs/hub.md, "Running it").

Sub-commands: ``serve``, ``migrate``, ``site add``, ``enrol-token``, ``revoke``, ``revoke-key``,
``operator add``, ``dead list|retry``, ``kiosks``, ``purge``, ``pg start|stop|dsn`` (a private cluster),
and the kiosk side ``enrol``.  Settings come from ``--config FILE`` (TOML, ``[hub]`` table), then
``CCCD_HUB_DSN``, then ``--dsn``.  Bad arguments exit 2 with a message, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

import psycopg

from hub import admin, db, logs, maintenance
from hub.app import create_app
from hub.client import BundleCache, Enrolment, HubClient, HubClientError, enrol
from hub.config import HubConfigError, HubSettings, load_settings
from hub.demo import DemoError, run
from hub.pgcluster import ClusterError, PgCluster, create_database
from kiosk.keys import KeyStore, KeyStoreError


class _Usage(Exception):
    """A bad argument or setting: printed, exit code 2."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "hub",
        help="the fleet hub (ASGI service on PostgreSQL) and its administration",
        description="The fleet hub: enrolment, ingest, fan-out, heartbeats, bundles, "
        "operator console (docs/hub.md).",
    )
    p.add_argument("--config", type=Path, help="hub settings (TOML with a [hub] table)")
    p.add_argument("--dsn", help="PostgreSQL DSN (default: config file or CCCD_HUB_DSN)")
    sub = p.add_subparsers(dest="hub_command", metavar="HUB_COMMAND")
    p.set_defaults(func=lambda a: _help(p))

    s = sub.add_parser("serve", help="run one hub replica under uvicorn")
    s.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (0: any free port; default 8790)")
    s.add_argument("--workers", type=int, help="fan-out worker threads in this replica")
    s.add_argument("--keys", help="the hub's signing key directory")
    s.add_argument("--replica-id", help="name of this replica in leases and logs")
    s.set_defaults(func=_wrap(_serve))

    sub.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=_wrap(_migrate))

    site = sub.add_parser("site", help="sites").add_subparsers(dest="site_command", metavar="SITE_COMMAND")
    sa = site.add_parser("add", help="add a site")
    sa.add_argument("site_id")
    sa.add_argument("--name", required=True)
    sa.add_argument("--profile", required=True, help="hospital | bank | lodging | public_service")
    sa.add_argument("--deliver-to", help="base URL of the site's receiving systems")
    sa.add_argument(
        "--secret-ref", default="env:CCCD_WEBHOOK_SECRET", help="fan-out webhook secret (env:/file:)"
    )
    sa.set_defaults(func=_wrap(_site_add))

    t = sub.add_parser("enrol-token", help="issue a one-time enrolment token for a site (shown once)")
    t.add_argument("site_id")
    t.add_argument("--hours", type=int, default=24)
    t.set_defaults(func=_wrap(_enrol_token))

    r = sub.add_parser("revoke", help="revoke a kiosk: its records and requests are refused")
    r.add_argument("kiosk_id")
    r.set_defaults(func=_wrap(_revoke))
    rk = sub.add_parser("revoke-key", help="revoke one signing key of a kiosk")
    rk.add_argument("kiosk_id")
    rk.add_argument("kid")
    rk.set_defaults(func=_wrap(_revoke_key))

    op = sub.add_parser("operator", help="console operators").add_subparsers(dest="op_command", metavar="OP")
    oa = op.add_parser("add", help="add an operator (password from --password-env or a prompt)")
    oa.add_argument("username")
    oa.add_argument("--role", required=True, choices=admin.ROLES)
    oa.add_argument("--site", help="the operator's site (site operators; auditors optionally)")
    oa.add_argument("--language", default="vi", choices=("vi", "en"))
    oa.add_argument("--password-env", help="environment variable holding the password")
    oa.set_defaults(func=_wrap(_operator_add))

    d = sub.add_parser("dead", help="dead letters").add_subparsers(
        dest="dead_command", metavar="DEAD_COMMAND"
    )
    d.add_parser("list", help="list dead letters").set_defaults(func=_wrap(_dead_list))
    dr = d.add_parser("retry", help="deliver a dead letter again")
    dr.add_argument("outbox_id", type=int)
    dr.set_defaults(func=_wrap(_dead_retry))

    sub.add_parser("kiosks", help="the fleet table (JSON lines)").set_defaults(func=_wrap(_kiosks))
    sub.add_parser("purge", help="apply retention now").set_defaults(func=_wrap(_purge))

    pg = sub.add_parser("pg", help="a private PostgreSQL cluster in a build folder (tests, demo)")
    pg.add_argument("action", choices=("start", "stop", "dsn"))
    pg.add_argument("--dir", type=Path, default=Path("build/pg"))
    pg.add_argument("--database", default="cccd_hub")
    pg.set_defaults(func=_wrap(_pg))

    dm = sub.add_parser("demo", help="the fleet demo: PostgreSQL, hub, receiver, three headless kiosks")
    dm.add_argument("--dir", type=Path, default=Path("build/hub-demo"), help="demo state (fresh every run)")
    dm.add_argument("--exit", action="store_true", help="stop everything after the summary")
    dm.add_argument("--scenario", default="all", help="the kiosks' headless scenario (default: every one)")
    dm.set_defaults(func=_wrap(_demo))

    pl = sub.add_parser("pull", help="(kiosk side) fetch the site's bundle; keep it only if it verifies")
    pl.add_argument("--enrolment", type=Path, required=True, help="the file written by cccd hub enrol")
    pl.add_argument("--dir", type=Path, required=True, help="where the last good bundle is kept")
    pl.set_defaults(func=_wrap(_pull))

    hb = sub.add_parser("heartbeat", help="(kiosk side) report status once (run every 60 s)")
    hb.add_argument("--enrolment", type=Path, required=True, help="the file written by cccd hub enrol")
    hb.add_argument("--dir", type=Path, help="the bundle folder of cccd hub pull (reports its ETag/error)")
    hb.add_argument("--version", default="cccd-kiosk/0.1", help="software version to report")
    hb.add_argument("--backlog", type=int, default=0, help="records waiting in the kiosk's outbox")
    hb.set_defaults(func=_wrap(_heartbeat))

    e = sub.add_parser("enrol", help="(kiosk side) enrol this kiosk's keys with a hub")
    e.add_argument("--hub", required=True, help="hub base URL")
    e.add_argument("--token", required=True)
    e.add_argument("--kiosk-id", required=True)
    e.add_argument("--keys", type=Path, required=True, help="the kiosk's key store directory")
    e.add_argument("--out", type=Path, required=True, help="where to keep the enrolment (0600)")
    e.set_defaults(func=_wrap(_enrol))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _wrap(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except (_Usage, HubConfigError, admin.AdminError, ClusterError) as exc:
            print(f"hub: {exc}", file=sys.stderr)
            return 2
        except psycopg.OperationalError as exc:
            print(f"hub: cannot reach PostgreSQL ({str(exc).splitlines()[0][:200]})", file=sys.stderr)
            return 1

    return run


def _settings(args: argparse.Namespace) -> HubSettings:
    settings = load_settings(args.config)
    if args.dsn:
        settings = settings.with_overrides(dsn=args.dsn)
    if not settings.dsn:
        raise _Usage("no database: give --dsn, set CCCD_HUB_DSN, or dsn in the config file")
    return settings


def _connect(args: argparse.Namespace) -> psycopg.Connection[Any]:
    return psycopg.connect(_settings(args).dsn, autocommit=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn


    settings = _settings(args).with_overrides(
        host=args.host, port=args.port, workers=args.workers, keys_dir=args.keys, replica_id=args.replica_id
    )
    logs.configure(settings.log_level)
    db.migrate(settings.dsn)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    applied = db.migrate(_settings(args).dsn)
    print("\n".join(f"applied {name}" for name in applied) or "schema up to date")
    return 0


def _site_add(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        admin.add_site(conn, "cli", args.site_id, args.name, args.profile, args.deliver_to, args.secret_ref)
    print(f"site {args.site_id} added")
    return 0


def _enrol_token(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        print(admin.issue_enrol_token(conn, "cli", args.site_id, args.hours))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        admin.revoke_kiosk(conn, "cli", args.kiosk_id)
    print(f"kiosk {args.kiosk_id} revoked")
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        admin.revoke_key(conn, "cli", args.kiosk_id, args.kid)
    print(f"key {args.kid} revoked")
    return 0


def _operator_add(args: argparse.Namespace) -> int:
    if args.password_env:
        password = os.environ.get(args.password_env, "")
        if not password:
            raise _Usage(f"{args.password_env} is empty")
    else:
        password = getpass.getpass("password: ")
    with _connect(args) as conn:
        admin.add_operator(conn, "cli", args.username, password, args.role, args.site, args.language)
    print(f"operator {args.username} added")
    return 0


def _dead_list(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        rows = conn.execute(
            "SELECT o.id, o.site_id, o.connector, r.verification_id, o.attempts, o.last_status, "
            "o.last_error FROM outbox o JOIN records r ON r.id = o.record_id "
            "WHERE o.state = 'dead' ORDER BY o.id"
        ).fetchall()
    for row in rows:
        keys = (
            "outbox_id",
            "site_id",
            "connector",
            "verification_id",
            "attempts",
            "last_status",
            "last_error",
        )
        print(json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False))
    return 0


def _dead_retry(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        admin.retry_dead(conn, "cli", args.outbox_id)
    print(f"dead letter {args.outbox_id} queued again")
    return 0


def _kiosks(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _connect(args) as conn:
        rows = conn.execute(
            "SELECT kiosk_id, site_id, software_version, revoked_at IS NOT NULL, last_seen, "
            "last_seen > now() - make_interval(secs => %s) FROM kiosks ORDER BY site_id, kiosk_id",
            (settings.offline_after_seconds,),
        ).fetchall()
    for kid, site, version, revoked, seen, online in rows:
        state = "revoked" if revoked else "online" if online else "offline"
        print(
            json.dumps(
                {
                    "kiosk_id": kid,
                    "site_id": site,
                    "version": version,
                    "state": state,
                    "last_seen": seen.isoformat() if seen else None,
                }
            )
        )
    return 0


def _purge(args: argparse.Namespace) -> int:
    settings = _settings(args)
    pool = db.sync_pool(settings.dsn, 1)
    try:
        print(json.dumps(maintenance.purge(pool, settings)))
    finally:
        pool.close()
    return 0


def _pg(args: argparse.Namespace) -> int:
    cluster = PgCluster(args.dir)
    if args.action == "start":
        print(create_database(cluster.start(), args.database))
    elif args.action == "stop":
        cluster.stop()
    else:
        print(cluster.dsn(args.database))
    return 0


def _demo(args: argparse.Namespace) -> int:

    try:
        return run(args.dir, wait=not args.exit, scenario=args.scenario)
    except DemoError as exc:
        print(f"hub demo: {exc}", file=sys.stderr)
        return 1


def _client(args: argparse.Namespace) -> Any:

    try:
        return HubClient(Enrolment.load(args.enrolment))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise _Usage(f"{args.enrolment}: not an enrolment file ({type(exc).__name__})") from None


def _pull(args: argparse.Namespace) -> int:

    client, cache = _client(args), BundleCache(args.dir)
    try:
        changed = cache.refresh(client)
    finally:
        client.close()
    content, etag = cache.current()
    if cache.last_error:
        print(f"hub: bundle refused, keeping the last good one ({cache.last_error})", file=sys.stderr)
        return 1
    version = content.get("version") if content else None
    print(f"bundle {'updated' if changed else 'unchanged'}: version {version}, ETag {etag}")
    return 0


def _heartbeat(args: argparse.Namespace) -> int:

    if args.backlog < 0:
        raise _Usage("--backlog must be ≥ 0")
    status: dict[str, Any] = {"version": args.version, "outbox_backlog": args.backlog}
    if args.dir:
        cache = BundleCache(args.dir)
        etag, error = cache.current()[1], cache.reported_error()
        if etag:
            status["bundle_etag"] = etag
        if error:
            status["bundle_error"] = error
    client = _client(args)
    try:
        answer = client.heartbeat(status)
    except HubClientError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    stale = args.dir and answer.get("bundle_etag") != status.get("bundle_etag")
    print(json.dumps(dict(answer, bundle_outdated=bool(stale))))
    return 0


def _enrol(args: argparse.Namespace) -> int:

    try:
        enrolment = enrol(args.hub, args.token, args.kiosk_id, KeyStore.open(args.keys))
    except KeyStoreError as exc:
        raise _Usage(str(exc)) from None
    except HubClientError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1
    enrolment.save(args.out)
    print(
        f"enrolled {enrolment.kiosk_id} at site {enrolment.site_id}; deliver to "
        f"{enrolment.hub_url}/v1/kiosks/{enrolment.kiosk_id}"
    )
    return 0

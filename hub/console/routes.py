"""The operator console's pages (docs/hub.md, "Operator console").

Server-rendered (Jinja2, autoescaped), no scripts, no CDN.  Sign-in with argon2id password hashes; a
session is a random cookie (HttpOnly, SameSite=Strict) whose SHA-256 is stored with an expiry and a CSRF
token that every form posts back (compared in constant time); the sign-in form itself uses a
double-submit cookie.  Roles: ``fleet_admin`` (everything), ``site_operator`` (its site: retry dead
letters, issue enrolment tokens, revoke kiosks), ``auditor`` (read only; its site when it has one).  Every
query is scoped to the operator's site, so another site's kiosk or dead letter is "not found".  Every
change and every sign-in is written to ``audit``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from psycopg_pool import ConnectionPool

from hub import admin
from hub.console import plots
from hub.console.i18n import LANGUAGES, ROLE_NAMES, translator
from hub.jwks import token_hash
from hub.state import HubState

HERE = Path(__file__).resolve().parent
SESSION_COOKIE, PRELOGIN_COOKIE, LANG_COOKIE = "hub_session", "hub_prelogin", "hub_lang"
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
router = APIRouter(prefix="/console", include_in_schema=False)
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
MAY_ACT = frozenset({"fleet_admin", "site_operator"})
LOCKOUT_FAILURES, LOCKOUT_MINUTES = 5, 15


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")


@dataclass(frozen=True, slots=True)
class Session:
    operator: admin.Operator
    csrf: str


def _pool(request: Request) -> ConnectionPool:
    pool: ConnectionPool = request.app.state.sync_pool
    return pool


def _state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


def _session(request: Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with _pool(request).connection() as conn:
        row = conn.execute(
            "SELECT o.username, o.role, o.site_id, o.language, s.csrf_token FROM sessions s "
            "JOIN operators o ON o.username = s.username "
            "WHERE s.session_sha256 = %s AND s.expires_at > now()",
            (token_hash(token),),
        ).fetchone()
    if row is None:
        return None
    return Session(admin.Operator(row[0], row[1], row[2], row[3]), row[4])


def _language(request: Request, session: Session | None) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return str(lang)
    return session.operator.language if session else "vi"


def _render(
    request: Request, name: str, session: Session | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    lang = _language(request, session)
    html = templates.get_template(name).render(
        t=translator(lang), lang=lang, session=session, roles=ROLE_NAMES, path=request.url.path, **ctx
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(
        {
            "content-security-policy": CSP,
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "cache-control": "no-store",
        }
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True)
    return response


def _to_login() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _check_csrf(session: Session, form: dict[str, str]) -> bool:
    return hmac.compare_digest(form.get("csrf", "").encode(), session.csrf.encode())


def _scope(session: Session) -> str | None:
    return session.operator.site_id


# --- sign-in ----------------------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = _render(request, "login.html", None, prelogin=nonce)
    response.set_cookie(PRELOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=900)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    cookie = request.cookies.get(PRELOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(form.get("prelogin", "").encode(), cookie.encode()):
        return Response("sign-in form expired; reload the page", status_code=403)
    username = form.get("username", "")[:64]
    settings = _state(request).settings
    with _pool(request).connection() as conn:
        failures = conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'console.sign_in_failed' AND actor = %s "
            "AND at > now() - make_interval(mins => %s)",
            (f"anonymous:{username}", LOCKOUT_MINUTES),
        ).fetchone()
        if failures is not None and failures[0] >= LOCKOUT_FAILURES:  # a password-guessing brake per name
            admin.audit(conn, f"anonymous:{username}", "console.sign_in_locked", None, None)
            return _render(
                request,
                "message.html",
                None,
                status=429,
                message=translator(_language(request, None))["locked"],
            )
        operator = admin.check_password(conn, username, form.get("password", ""))
        with conn.transaction():
            if operator is None:
                admin.audit(conn, f"anonymous:{username}", "console.sign_in_failed", None, None)
            else:
                admin.audit(conn, operator.username, "console.signed_in", operator.site_id, None)
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                conn.execute(
                    "INSERT INTO sessions (session_sha256, username, csrf_token, expires_at) "
                    "VALUES (%s, %s, %s, now() + make_interval(hours => %s))",
                    (token_hash(token), operator.username, csrf, settings.session_hours),
                )
    if operator is None:
        nonce = secrets.token_urlsafe(24)
        failed = _render(request, "login.html", None, status=401, prelogin=nonce, error=True)
        failed.set_cookie(PRELOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=900)
        return failed
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = _session(request)
    if session is not None and _check_csrf(session, await _form(request)):
        with _pool(request).connection() as conn, conn.transaction():
            conn.execute(
                "DELETE FROM sessions WHERE session_sha256 = %s",
                (token_hash(request.cookies[SESSION_COOKIE]),),
            )
            admin.audit(conn, session.operator.username, "console.signed_out", session.operator.site_id, None)
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- fleet ------------------------------------------------------------------------------------------------

_FLEET = """
SELECT k.kiosk_id, k.site_id, k.software_version, k.revoked_at IS NOT NULL, k.last_seen,
       coalesce(k.last_seen > now() - make_interval(secs => %(offline)s), false),
       coalesce((k.last_heartbeat->>'outbox_backlog')::int, 0),
       count(r.id), count(r.id) FILTER (WHERE r.status = 'referred')
  FROM kiosks k LEFT JOIN records r ON r.kiosk_id = k.kiosk_id AND r.received_at > now() - interval '24 hours'
 WHERE (%(site)s::text IS NULL OR k.site_id = %(site)s)
   AND (%(kiosk)s::text IS NULL OR k.kiosk_id = %(kiosk)s)
 GROUP BY k.kiosk_id ORDER BY k.site_id, k.kiosk_id"""


def _fleet_rows(conn: psycopg.Connection[Any], site: str | None, offline: int,
                kiosk: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The fleet table's rows (the operator's site, or every site), or only ``kiosk``'s."""
    rows = conn.execute(_FLEET, {"site": site, "offline": offline, "kiosk": kiosk}).fetchall()
    out = []
    for kid, site_id, version, revoked, seen, online, backlog, n, referred in rows:
        state = "revoked" if revoked else "online" if online else "offline"
        out.append(
            {
                "kiosk_id": kid,
                "site_id": site_id,
                "version": version or "—",
                "state": state,
                "last_seen": _when(seen),
                "backlog": backlog,
                "records": n,
                "error_rate": f"{100 * referred / n:.0f} %" if n else "—",
            }
        )
    return out


def _when(t: datetime | None) -> str | None:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else None


def _plots(conn: psycopg.Connection[Any], site: str | None, t: dict[str, str]) -> list[Any]:
    p = {"site": site}
    scope = "(%(site)s::text IS NULL OR site_id = %(site)s) AND received_at > now() - interval '24 hours'"
    hourly = conn.execute(
        f"SELECT site_id, to_char(date_trunc('hour', received_at), 'HH24') || 'h', count(*) FROM records "  # noqa: S608
        f"WHERE {scope} GROUP BY 1, 2",
        p,
    ).fetchall()
    now_hours = conn.execute(
        "SELECT to_char(h, 'HH24') || 'h' FROM generate_series("
        "date_trunc('hour', now()) - interval '23 hours', "
        "date_trunc('hour', now()), interval '1 hour') AS h"
    ).fetchall()
    hours = [h for (h,) in now_hours]
    series: dict[str, list[int]] = {}
    for site_id, hour, n in hourly:
        series.setdefault(site_id, [0] * len(hours))
        if hour in hours:
            series[site_id][hours.index(hour)] += n
    outcomes = conn.execute(
        f"SELECT status, count(*) FROM records WHERE {scope} GROUP BY 1 ORDER BY 1",  # noqa: S608
        p,
    ).fetchall()
    fallbacks = conn.execute(
        "SELECT coalesce(record->'kiosk'->>'reader_model', '?'), count(*) FILTER (WHERE "  # noqa: S608
        f"(record->'document'->'access_control'->>'downgraded')::boolean) FROM records WHERE {scope} "
        "GROUP BY 1 ORDER BY 1",
        p,
    ).fetchall()
    scores = conn.execute(
        f"SELECT (record->'biometric'->>'score')::float FROM records WHERE {scope} "  # noqa: S608
        "AND jsonb_typeof(record->'biometric'->'score') = 'number' LIMIT 10000",
        p,
    ).fetchall()
    return [
        (t["per_hour"], plots.stacked_hours(hours, series, t["per_hour"])),
        (t["outcomes"], plots.bars([(t.get(s, s), float(n)) for s, n in outcomes], t["outcomes"], t["none"])),
        (t["fallbacks"], plots.bars([(m, float(n)) for m, n in fallbacks], t["fallbacks"], t["none"])),
        (t["face_scores"], plots.histogram([s for (s,) in scores], t["face_scores"])),
    ]


@router.get("/")
def fleet(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    t = translator(_language(request, session))
    with _pool(request).connection() as conn:
        rows = _fleet_rows(conn, _scope(session), _state(request).settings.offline_after_seconds)
        charts = _plots(conn, _scope(session), t)
    return _render(request, "fleet.html", session, rows=rows, charts=charts)


@router.get("/kiosks/{kiosk_id}")
def kiosk_detail(kiosk_id: str, request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    site = _scope(session)
    with _pool(request).connection() as conn:
        rows = _fleet_rows(conn, site, _state(request).settings.offline_after_seconds, kiosk_id)
        if not rows:
            return _render(request, "message.html", session, status=404, message="404")
        beats = conn.execute(
            "SELECT at, body FROM heartbeats WHERE kiosk_id = %s ORDER BY at DESC LIMIT 20", (kiosk_id,)
        ).fetchall()
        records = conn.execute(
            "SELECT verification_id, status, reasons, received_at FROM records WHERE kiosk_id = %s "
            "ORDER BY received_at DESC LIMIT 20",
            (kiosk_id,),
        ).fetchall()
        keys = conn.execute(
            "SELECT kid, added_at, revoked_at FROM kiosk_keys WHERE kiosk_id = %s ORDER BY added_at",
            (kiosk_id,),
        ).fetchall()
    return _render(
        request,
        "kiosk.html",
        session,
        kiosk=rows[0],
        beats=[{"at": _when(a), **b} for a, b in beats],
        records=[{"id": v, "status": s, "reasons": ", ".join(r), "at": _when(a)} for v, s, r, a in records],
        keys=[{"kid": k, "added": _when(a), "revoked": _when(r)} for k, a, r in keys],
    )


@router.post("/kiosks/{kiosk_id}/revoke")
async def kiosk_revoke(kiosk_id: str, request: Request) -> Response:
    return await _act(
        request,
        lambda conn, s: admin.revoke_kiosk(conn, s.operator.username, kiosk_id, _scope(s)),
        f"/console/kiosks/{kiosk_id}",
    )


async def _act(request: Request, action: Any, back: str) -> Response:
    """A change: session, CSRF, role, then the action (scoped to the operator's site)."""
    session = _session(request)
    if session is None:
        return _to_login()
    form = await _form(request)
    if not _check_csrf(session, form):
        return _render(request, "message.html", session, status=403, message="CSRF")
    if session.operator.role not in MAY_ACT:
        return _render(
            request,
            "message.html",
            session,
            status=403,
            message=translator(_language(request, session))["forbidden"],
        )
    try:
        with _pool(request).connection() as conn:
            action(conn, session)
    except admin.AdminError:
        return _render(request, "message.html", session, status=404, message="404")
    return RedirectResponse(back, status_code=303)


# --- dead letters, tokens, audit --------------------------------------------------------------------------


@router.get("/dead")
def dead_letters(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    with _pool(request).connection() as conn:
        rows = conn.execute(
            "SELECT o.id, o.site_id, o.connector, r.verification_id, r.kiosk_id, o.attempts, o.last_status, "
            "o.last_error FROM outbox o JOIN records r ON r.id = o.record_id WHERE o.state = 'dead' "
            "AND (%(site)s::text IS NULL OR o.site_id = %(site)s) ORDER BY o.id LIMIT 500",
            {"site": _scope(session)},
        ).fetchall()
    keys = (
        "id",
        "site_id",
        "connector",
        "verification_id",
        "kiosk_id",
        "attempts",
        "last_status",
        "last_error",
    )
    return _render(request, "dead.html", session, rows=[dict(zip(keys, r, strict=True)) for r in rows])


@router.post("/dead/{outbox_id}/retry")
async def dead_retry(outbox_id: int, request: Request) -> Response:
    return await _act(
        request,
        lambda conn, s: admin.retry_dead(conn, s.operator.username, outbox_id, _scope(s)),
        "/console/dead",
    )


@router.get("/tokens")
def tokens_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    with _pool(request).connection() as conn:
        sites = [
            s
            for (s,) in conn.execute(
                "SELECT site_id FROM sites WHERE (%(site)s::text IS NULL OR site_id = %(site)s) ORDER BY 1",
                {"site": _scope(session)},
            )
        ]
        issued = conn.execute(
            "SELECT site_id, created_by, created_at, expires_at, used_at, used_by FROM enrol_tokens WHERE "
            "(%(site)s::text IS NULL OR site_id = %(site)s) ORDER BY created_at DESC LIMIT 50",
            {"site": _scope(session)},
        ).fetchall()
    keys = ("site_id", "created_by", "created_at", "expires_at", "used_at", "used_by")
    rows = [
        {k: _when(v) if isinstance(v, datetime) else v for k, v in zip(keys, r, strict=True)} for r in issued
    ]
    return _render(request, "tokens.html", session, sites=sites, rows=rows, token=None)


@router.post("/tokens")
async def tokens_issue(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    form = await _form(request)
    if not _check_csrf(session, form) or session.operator.role not in MAY_ACT:
        return _render(request, "message.html", session, status=403, message="403")
    site = form.get("site_id", "")
    if not session.operator.sees(site):
        return _render(request, "message.html", session, status=404, message="404")
    try:
        with _pool(request).connection() as conn:
            token = admin.issue_enrol_token(
                conn, session.operator.username, site, _state(request).settings.enrol_token_hours
            )
    except admin.AdminError:
        return _render(request, "message.html", session, status=404, message="404")
    return _render(request, "tokens.html", session, sites=[site], rows=[], token=token)


@router.get("/audit")
def audit_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login()
    with _pool(request).connection() as conn:
        rows = conn.execute(
            "SELECT at, actor, action, site_id, target FROM audit WHERE (%(site)s::text IS NULL OR site_id = "
            "%(site)s) ORDER BY id DESC LIMIT 200",
            {"site": _scope(session)},
        ).fetchall()
    keys = ("at", "actor", "action", "site_id", "target")
    return _render(
        request,
        "audit.html",
        session,
        rows=[dict(zip(keys, (_when(r[0]), *r[1:]), strict=True)) for r in rows],
    )

"""The operator console over HTTP: sessions, CSRF, roles and site isolation, audit (real PostgreSQL)."""

from __future__ import annotations

import re

import httpx
import psycopg

from hub import admin
from tests.hub.helpers import RunningHub
from tests.hub.seed import PASSWORD


def sign_in(hub: RunningHub, user: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=hub.url, trust_env=False)
    page = c.get("/console/login").text
    nonce = re.search(r'name="prelogin" value="([^"]+)"', page)
    assert nonce
    r = c.post("/console/login", data={"prelogin": nonce.group(1), "username": user, "password": password})
    if r.status_code != 303:
        return c, ""
    fleet = c.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', fleet.text)
    assert csrf
    return c, csrf.group(1)


def test_pages_need_a_session(console_fleet: tuple[RunningHub, str]) -> None:
    hub, _ = console_fleet
    for path in ("/console/", "/console/dead", "/console/tokens", "/console/audit", "/console/kiosks/x"):
        r = httpx.get(hub.url + path, trust_env=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
    r = httpx.post(hub.url + "/console/dead/1/retry", data={"csrf": "x"}, trust_env=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_sign_in_failures_and_audit(console_fleet: tuple[RunningHub, str]) -> None:
    hub, dsn = console_fleet
    _, csrf = sign_in(hub, "admin", "wrong password!")
    assert csrf == ""
    r = httpx.post(
        hub.url + "/console/login", data={"username": "admin", "password": PASSWORD}, trust_env=False
    )
    assert r.status_code == 403  # no sign-in form (double-submit cookie) → refused
    with psycopg.connect(dsn) as conn:
        assert (
            conn.execute("SELECT count(*) FROM audit WHERE action = 'console.sign_in_failed'").fetchone()[0]
            >= 1
        )


def test_fleet_admin_sees_every_site(console_fleet: tuple[RunningHub, str]) -> None:
    hub, _ = console_fleet
    c, _ = sign_in(hub, "admin")
    page = c.get("/console/").text
    for site in ("bv-bach-mai", "nh-chi-nhanh-1", "ks-hoan-kiem"):
        assert site in page
    assert "<svg" in page and "Mất kết nối" in page  # Vietnamese by default; one kiosk offline
    assert "Offline" in c.get("/console/?lang=en").text
    r = c.get("/console/")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_site_operator_is_isolated(console_fleet: tuple[RunningHub, str]) -> None:
    hub, dsn = console_fleet
    c, csrf = sign_in(hub, "bachmai")
    page = c.get("/console/").text
    assert "bv-bach-mai-k1" in page and "nh-chi-nhanh-1" not in page
    assert c.get("/console/kiosks/nh-chi-nhanh-1-k1").status_code == 404  # another site's kiosk
    with psycopg.connect(dsn) as conn:
        other = conn.execute(
            "SELECT id FROM outbox WHERE state = 'dead' AND site_id <> 'bv-bach-mai'"
        ).fetchone()
        mine = conn.execute(
            "SELECT id FROM outbox WHERE state = 'dead' AND site_id = 'bv-bach-mai'"
        ).fetchone()
    assert other and mine
    assert c.post(f"/console/dead/{other[0]}/retry", data={"csrf": csrf}).status_code == 404
    assert c.post(f"/console/dead/{mine[0]}/retry", data={"csrf": "forged"}).status_code == 403
    assert c.post(f"/console/dead/{mine[0]}/retry", data={"csrf": csrf}).status_code == 303
    assert c.post("/console/tokens", data={"csrf": csrf, "site_id": "nh-chi-nhanh-1"}).status_code == 404
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT state FROM outbox WHERE id = %s", (other[0],)).fetchone() == ("dead",)
        assert conn.execute("SELECT state FROM outbox WHERE id = %s", (mine[0],)).fetchone() == ("pending",)
        row = conn.execute("SELECT actor, site_id FROM audit WHERE action = 'dead_letter.retried'").fetchone()
    assert row == ("bachmai", "bv-bach-mai")


def test_auditor_reads_but_cannot_act(console_fleet: tuple[RunningHub, str]) -> None:
    hub, dsn = console_fleet
    c, csrf = sign_in(hub, "auditor")
    assert "Audit" in c.get("/console/audit").text
    assert c.post("/console/tokens", data={"csrf": csrf, "site_id": "bv-bach-mai"}).status_code == 403
    assert c.post("/console/kiosks/bv-bach-mai-k1/revoke", data={"csrf": csrf}).status_code == 403
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT revoked_at FROM kiosks WHERE kiosk_id = 'bv-bach-mai-k1'").fetchone() == (
            None,
        )


def test_sign_out_ends_the_session(console_fleet: tuple[RunningHub, str]) -> None:
    hub, _ = console_fleet
    c, csrf = sign_in(hub, "admin")
    token = c.cookies["hub_session"]
    assert c.post("/console/logout", data={"csrf": csrf}).status_code == 303
    r = httpx.get(hub.url + "/console/", cookies={"hub_session": token}, trust_env=False)
    assert r.status_code == 303  # the old cookie no longer opens anything


def test_repeated_failed_sign_ins_lock_the_name(console_fleet: tuple[RunningHub, str]) -> None:
    hub, dsn = console_fleet
    with psycopg.connect(dsn, autocommit=True) as conn:
        admin.add_operator(conn, "test", "guessed", PASSWORD, "auditor", None)
    for _ in range(5):
        assert sign_in(hub, "guessed", "not-the-password")[1] == ""
    c = httpx.Client(base_url=hub.url, trust_env=False)
    nonce = re.search(r'name="prelogin" value="([^"]+)"', c.get("/console/login").text)
    assert nonce
    r = c.post(
        "/console/login", data={"prelogin": nonce.group(1), "username": "guessed", "password": PASSWORD}
    )
    assert r.status_code == 429  # even the right password waits
    assert sign_in(hub, "admin")[1]  # other names are not affected

"""The hub as an ASGI application (FastAPI under uvicorn; docs/hub.md, "Service").

:func:`create_app` composes one replica: the PostgreSQL pools, the kiosk API, the operator console,
``/health`` and ``/metrics``, the body-size cap, JSON error answers, and — in the lifespan — the fan-out
worker threads and the retention purge.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import console, db, enrolment, kioskapi, kioskstatus, maintenance
from hub.config import HubSettings
from hub.errors import HubError, TooLarge
from hub.fanout import FanoutWorker
from hub.state import HubState

log = logging.getLogger("hub.app")


class BodyLimit:
    """Refuse bodies above ``limit`` bytes (413) before reading them, whatever the Content-Length says."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.limit:
                    await _send_json(
                        send,
                        413 if declared > self.limit else 400,
                        "body too large" if declared > self.limit else "bad Content-Length",
                    )
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge("body too large")
            return message

        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except Exception:
            if seen <= self.limit or started:
                raise
            await _send_json(send, 413, "body too large")


class Observe:
    """Request metrics and a log line for every refused request (route templates, never query strings)."""

    def __init__(self, app: ASGIApp, state: HubState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.state.metrics.requests.labels(path, str(status)).inc()
            if status >= 400:
                ms = round((time.perf_counter() - started) * 1000, 1)
                log.info(
                    "request", extra={"method": scope["method"], "route": path, "status": status, "ms": ms}
                )


async def _send_json(send: Send, status: int, error: str) -> None:
    body = ('{"error":"' + error + '"}').encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _replica_id(settings: HubSettings) -> str:
    return settings.replica_id or f"{socket.gethostname()}:{os.getpid()}"


class Background:
    """The replica's worker threads: fan-out and the periodic retention purge."""

    def __init__(self, settings: HubSettings, state: HubState) -> None:
        self.settings, self.state = settings, state
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.workers: list[FanoutWorker] = []
        self.pool = db.sync_pool(settings.dsn, max(2, settings.workers * 2 + 1))

    def start(self) -> None:
        replica = _replica_id(self.settings)
        for i in range(self.settings.workers):
            w = FanoutWorker(
                self.pool,
                self.state.signer,
                f"{replica}/{i}",
                batch=self.settings.worker_batch,
                concurrency=self.settings.worker_concurrency,
                lease_seconds=self.settings.lease_seconds,
                max_attempts=self.settings.max_attempts,
                on_outcome=lambda o: self.state.metrics.deliveries.labels(o).inc(),
            )
            self.workers.append(w)
            self.threads.append(
                threading.Thread(target=w.run, args=(self.stop,), name=f"fanout-{i}", daemon=True)
            )
        self.threads.append(threading.Thread(target=self._purge_loop, name="purge", daemon=True))
        for t in self.threads:
            t.start()

    def _purge_loop(self) -> None:
        while not self.stop.wait(600.0):
            try:
                maintenance.purge(self.pool, self.settings)
            except psycopg.Error as exc:
                log.warning("purge failed", extra={"error": type(exc).__name__})

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        for w in self.workers:
            w.close()
        self.pool.close()


def create_app(
    settings: HubSettings, clock: Callable[[], float] = time.time, background: bool = True
) -> FastAPI:
    """One hub replica.  ``background=False``: no fan-out workers nor purge (tests drive them)."""
    pool = db.async_pool(settings.dsn, settings.pool_size)
    state = HubState.create(settings, pool, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=30)
        bg = Background(settings, state) if background else None
        if bg is not None:
            bg.start()
        app.state.sync_pool = bg.pool if bg is not None else db.sync_pool(settings.dsn, 4)
        log.info("hub replica started", extra={"replica": _replica_id(settings), "workers": settings.workers})
        try:
            yield
        finally:
            if bg is not None:
                bg.close()
            else:
                app.state.sync_pool.close()
            await pool.close()

    app = FastAPI(
        title="CCCD fleet hub",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's Swagger and ReDoc pages load scripts from a CDN: only /openapi.json
        redoc_url=None,
        description="Kiosk enrolment, signed-record ingest, heartbeats, configuration bundles, "
        "fan-out to receiving systems, and the operator console (docs/hub.md).",
    )
    app.state.hub = state
    app.include_router(enrolment.router)
    app.include_router(kioskapi.router)
    app.include_router(kioskstatus.router)
    console.install(app)

    @app.exception_handler(HubError)
    async def hub_error(request: Request, exc: HubError) -> Response:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(psycopg.OperationalError)
    async def db_down(request: Request, exc: psycopg.OperationalError) -> Response:
        log.warning("database unavailable", extra={"path": request.url.path})
        return JSONResponse(
            {"error": "database unavailable, retry later"}, status_code=503, headers={"retry-after": "5"}
        )

    @app.exception_handler(psycopg.DataError)
    async def bad_value(request: Request, exc: psycopg.DataError) -> Response:
        return JSONResponse({"error": "a value cannot be stored (e.g. a NUL character)"}, status_code=400)

    @app.get("/health", tags=["operations"], summary="Liveness and database reachability")
    async def health() -> Response:
        try:
            async with pool.connection(timeout=2.0) as conn:
                row = await (
                    await conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
                ).fetchone()
        except (psycopg.Error, Exception) as exc:
            return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True, "schema_version": row[0] if row else 0})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        try:
            async with pool.connection(timeout=2.0) as conn:
                await maintenance.refresh_gauges(conn, state, settings)
        except psycopg.Error:
            pass
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Observe, state=state)
    return app

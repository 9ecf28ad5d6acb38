"""The ceiling for hub ingest (benchmarks/hub_load.py): a minimal ASGI app doing only what ingest cannot
avoid — check the Standard Webhooks HMAC, verify one ES256 JWS, one durable INSERT — under the same
server (uvicorn) and the same pool (psycopg_pool, same size).

    python -m benchmarks._hub_ceiling --dsn DSN --kiosks FILE --port PORT [--pool-size 10]

``FILE``: ``{kiosk_id: {"secret": "whsec_...", "jwks": {...}}}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.jwks import keyset
from kiosk.connectors import webhooks
from kiosk.keys import verify_record_jws


def create_app(dsn: str, kiosks: dict[str, Any], pool_size: int) -> Starlette:
    pool = AsyncConnectionPool(dsn, min_size=2, max_size=pool_size, open=False, kwargs={"autocommit": True})
    secrets = {k: webhooks.decode_secret(v["secret"]) for k, v in kiosks.items()}
    keys = {k: keyset(v["jwks"]["keys"]) for k, v in kiosks.items()}

    async def ingest(request: Request) -> JSONResponse:
        kiosk_id = request.path_params["kiosk_id"]
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            webhooks.verify(secrets[kiosk_id], headers, body, time.time())
            data = json.loads(body)["data"]
            claims = verify_record_jws(data["record_jws"], keys[kiosk_id], None, time.time())
        except Exception as exc:
            return JSONResponse({"error": type(exc).__name__}, status_code=401)
        async with pool.connection() as conn:
            await conn.execute(
                "INSERT INTO ceiling_records (verification_id, kiosk_id, record_jws, record) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (claims["sub"], kiosk_id, data["record_jws"], Jsonb(claims)),
            )
        return JSONResponse({"status": "stored"})

    async def heartbeat(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True)
        async with pool.connection() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS ceiling_records (verification_id text PRIMARY KEY, "
                "kiosk_id text NOT NULL, record_jws text NOT NULL, record jsonb NOT NULL)"
            )
        yield
        await pool.close()

    return Starlette(
        routes=[
            Route("/v1/kiosks/{kiosk_id}/webhooks/{connector}", ingest, methods=["POST"]),
            Route("/v1/kiosks/{kiosk_id}/heartbeat", heartbeat, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--kiosks", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args()
    app = create_app(args.dsn, json.loads(args.kiosks.read_text()), args.pool_size)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The Starlette application: /graphql (Ariadne), /healthz, /readyz.

The lifespan opens the connection pool (and, under `rustok up`, the projector
worker) and closes them on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from rustok.config import Settings
from rustok.db import APP_ROLE

log = logging.getLogger(__name__)


async def _configure_app_connection(conn) -> None:
    # The API runs as the application role: no DDL, no RLS bypass.
    await conn.execute(f"set role {APP_ROLE}")
    await conn.commit()


def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        configure=_configure_app_connection,
        kwargs={"autocommit": False},
        name="rustok-app",
    )


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    from rustok import migrate

    state = request.app.state
    try:
        async with state.pool.connection(timeout=2) as conn:
            await conn.execute("select 1")
    except Exception as exc:  # any failure means "not ready"; report it, never raise
        log.warning("readiness: database unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "unreachable", "error": str(exc)}, status_code=503)
    try:
        pending = await asyncio.to_thread(migrate.pending, state.url)
    except Exception as exc:
        log.warning("readiness: cannot read migration state: %s", exc)
        return JSONResponse({"status": "unavailable", "migrations": "unknown", "error": str(exc)}, status_code=503)
    if pending:
        return JSONResponse({"status": "unavailable", "migrations": "pending", "pending": pending}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "migrations": "current"})


def create_app(url: str, *, settings: Settings | None = None, run_worker: bool = False) -> Starlette:
    from rustok.graphql import create_graphql_app

    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.url = url
        app.state.settings = settings
        app.state.pool = create_pool(url)
        await app.state.pool.open(wait=True, timeout=30)
        background: list[asyncio.Task] = []
        stop = asyncio.Event()
        if run_worker:
            from rustok.worker_runtime import start_background_workers

            background = await start_background_workers(url, settings, stop)
        try:
            yield
        finally:
            stop.set()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.pool.close()

    graphql_app = create_graphql_app()
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # An ASGI app as endpoint: served at /graphql exactly (a Mount would redirect to /graphql/).
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
        lifespan=lifespan,
    )

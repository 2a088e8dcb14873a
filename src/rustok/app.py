"""The Starlette application: /graphql (Ariadne), /healthz, /readyz.

The lifespan opens the database gate (the pool behind a circuit breaker) and, under `rustok up`,
the projector worker, and closes them on shutdown. Every request passes the request-log middleware
(X-Request-Id, one access line).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import psycopg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from rustok.config import Settings
from rustok.replicas import DatabaseRouter
from rustok.errors import DatabaseUnavailable
from rustok.logs import RequestLogMiddleware

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and migrations are current. States only, never error text
    (the log has the details)."""
    from rustok import migrate

    state = request.app.state
    unavailable = {"Retry-After": str(state.settings.retry_after)}
    try:
        async with state.db.connection() as conn:
            await conn.execute("select 1")
    except DatabaseUnavailable:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503, headers=unavailable)
    except psycopg.Error as exc:
        log.warning("readiness: the database refused `select 1`: %s [SQLSTATE %s]", exc, exc.sqlstate)
        return JSONResponse({"status": "unavailable", "database": "error"}, 503, headers=unavailable)
    try:
        pending = await asyncio.to_thread(migrate.pending, state.url)
    except Exception as exc:  # any failure means "not ready": log it, report a state
        log.warning("readiness: cannot read migration state: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "ok", "migrations": "unknown"}, 503,
                            headers=unavailable)
    if pending:
        return JSONResponse({"status": "unavailable", "database": "ok", "migrations": "pending", "pending": pending},
                            status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "migrations": "current"})


def create_app(url: str, *, settings: Settings | None = None, run_worker: bool = False) -> Starlette:
    from rustok.admin import routes as admin_routes
    from rustok.media import routes as media_routes
    from rustok.graphql import create_graphql_app
    from rustok.storefront import create_storefront

    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.url = url
        app.state.settings = settings
        # The primary's gate is app.state.db (readiness, subscriptions, writes); GraphQL requests get a
        # view of the router, which sends queries to read replicas when DATABASE_REPLICA_URLS lists any.
        app.state.router = DatabaseRouter(url, settings)
        app.state.db = app.state.router.primary
        app.state.pool = app.state.db.pool
        await app.state.router.open(timeout=30)
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
            await app.state.router.close()

    graphql_app = create_graphql_app(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # An ASGI app as endpoint: served at /graphql exactly (a Mount would redirect to /graphql/).
            # Every method reaches it, so that a refused one still gets a GraphQL error body.
            Route("/graphql", graphql_app),
            WebSocketRoute("/graphql", graphql_app),
            *admin_routes(),
            *media_routes(),
            # The storefront (rustok.storefront): /t/<slug>/... and, by host name, every path not answered above.
            Mount("", app=create_storefront()),
        ],
        middleware=[Middleware(RequestLogMiddleware, access=settings.access_log,
                               slow_ms=settings.access_log_slow_ms, summary_s=settings.access_log_summary_s)],
        lifespan=lifespan,
    )
    app.state.graphql = graphql_app
    return app


def app_from_env() -> Starlette:
    """The app of one process of `rustok serve --workers N`: uvicorn imports this factory in each worker
    process, which reads its settings from the environment (as the parent did) and opens its own pools."""
    from rustok import db
    from rustok.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(logging.DEBUG if os.environ.get("RUSTOK_VERBOSE") else logging.INFO, settings.log_format)
    return create_app(db.database_url(settings), settings=settings)

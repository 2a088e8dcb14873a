"""Database connection: resolve the URL (embedded or DATABASE_URL), check the server, open connections;
the API's pool behind a circuit breaker (DatabaseGate)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import time
from typing import AsyncIterator

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from rustok.config import Settings
from rustok.embedded import EmbeddedCluster
from rustok.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

MIN_SERVER_VERSION = 160000
APP_ROLE = "rustok_app"
TENANT_SETTING = "rustok.tenant_id"
USER_SETTING = "rustok.user_id"  # the acting user (content revisions record it)


def cluster_for(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.data_dir, settings.db_port)


def database_url(settings: Settings, *, start: bool = False) -> str:
    """The libpq URL of our database. With no DATABASE_URL, the embedded cluster's
    (started first when `start` is true, otherwise it must already run)."""
    if settings.database_url:
        return settings.database_url
    cluster = cluster_for(settings)
    if start:
        cluster.start()
    elif not cluster.running():
        raise DatabaseUnavailable(
            f"the embedded database in {cluster.data_dir} is not running; start it with `rustok db start` "
            "(or set DATABASE_URL)"
        )
    return cluster.url()


def connect(url: str, **kwargs) -> psycopg.Connection:
    """Connect, turning connection failures into one clear line."""
    kwargs.setdefault("connect_timeout", 10)
    try:
        conn = psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DatabaseUnavailable(f"cannot connect to the database: {first}") from None
    check_server_version(conn)
    return conn


def check_server_version(conn: psycopg.Connection) -> None:
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        conn.close()
        raise DatabaseUnavailable(
            f"PostgreSQL {version // 10000} is too old: RusToK needs PostgreSQL 16 or newer"
        )


# ---------------------------------------------------------------- the API's pool and its circuit breaker

_OUTAGE_SQLSTATES = frozenset({
    "57P01",  # admin_shutdown (pg_ctl stop -m fast, pg_terminate_backend)
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up or shutting down)
    "53300",  # too_many_connections
})


def is_connection_failure(exc: BaseException) -> bool:
    """True when `exc` means the server or our connection to it is gone, not that a statement failed
    (a cancelled statement or a lock timeout is also an OperationalError, and is not an outage)."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    if state is None:  # raised by the client: refused, reset, "server closed the connection unexpectedly"
        return True
    return state.startswith("08") or state in _OUTAGE_SQLSTATES


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def closed_by_server(conn: psycopg.AsyncConnection) -> bool:
    """An idle pooled connection has nothing to read; if its socket is readable, the server closed it
    (shutdown, restart, pg_terminate_backend) and sent its goodbye. One poll(2), no round trip."""
    if conn.closed:
        return True
    try:
        fd = conn.pgconn.socket
    except psycopg.OperationalError:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


async def _configure_app_connection(conn: psycopg.AsyncConnection) -> None:
    # The API runs as the application role: no DDL, no RLS bypass.
    await conn.execute(f"set role {APP_ROLE}")
    await conn.commit()


class DatabaseGate:
    """The API's way to PostgreSQL: a psycopg pool behind a circuit breaker.

    Closed (normal): `connection()` hands out pooled connections, waiting at most `acquire_timeout`.
    An error meaning the server is gone (is_connection_failure) opens the circuit at once; a pool
    timeout or a connection the server closed while idle starts a probe that opens it if the server
    does not answer. Open: `connection()` raises DatabaseUnavailable immediately (the API answers
    UNAVAILABLE, HTTP 503 with Retry-After) while a probe connects directly every `probe_interval`.
    When a probe gets through, the pool drops the connections the server closed (`pool.check()`)
    and the circuit closes: service resumes within about one probe interval of the server's return.

    The pool gives up a failing reconnection after `reconnect_timeout` (psycopg_pool's default is 5
    minutes with a doubling backoff, which would delay recovery by up to the backoff's step); a slot
    given up is regrown on demand once the circuit is closed again. Broken connections returned to
    the pool are discarded by psycopg_pool itself. Dead idle ones are found before use by
    `closed_by_server` rather than by the pool's `check` callback: that costs no round trip, and the
    pool's check loop sleeps about a second after the second failed check, so a pool full of
    connections killed by a restart would be handed out one by one; here one dead connection
    triggers `pool.check()` of them all.
    """

    def __init__(self, url: str, *, pool_size: int = 10, acquire_timeout: float = 1.0, probe_interval: float = 0.25,
                 reconnect_timeout: float = 1.0, label: str = "database", pool_name: str = "rustok-app",
                 prepare_threshold: int | None = 5):
        self.url = url
        self.label = label  # in log lines: "database", or "replica 127.0.0.1:54330/rustok" (never credentials)
        self.acquire_timeout = acquire_timeout
        self.probe_interval = probe_interval
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            configure=_configure_app_connection,
            kwargs={"autocommit": False, "connect_timeout": 2, "application_name": pool_name,
                    "prepare_threshold": prepare_threshold},
            name=pool_name,
            timeout=acquire_timeout,
            reconnect_timeout=reconnect_timeout,
            reconnect_failed=self._reconnect_failed,
        )
        self.down_since: float | None = None  # monotonic time the circuit opened, None while closed
        self.outages = 0
        self.last_outage_seconds: float | None = None
        self._probe: asyncio.Task | None = None

    @classmethod
    def from_settings(cls, url: str, settings) -> "DatabaseGate":
        return cls(url, pool_size=settings.db_pool_size, acquire_timeout=settings.db_acquire_timeout,
                   probe_interval=settings.db_probe_interval, reconnect_timeout=settings.db_reconnect_timeout,
                   prepare_threshold=settings.db_prepare_threshold)

    @property
    def down(self) -> bool:
        return self.down_since is not None

    async def open(self, timeout: float = 30.0, wait: bool = True) -> None:
        await self.pool.open(wait=wait, timeout=timeout)

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self.pool.close()

    def unavailable(self) -> DatabaseUnavailable:
        return DatabaseUnavailable("the database is unavailable right now; retry shortly")

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection, like pool.connection(); DatabaseUnavailable when the database is not there."""
        if self.down_since is not None:
            raise self.unavailable()
        conn = await self._acquire()
        try:
            async with conn:
                yield conn
        except psycopg.Error as exc:
            if is_connection_failure(exc):
                self.trip(exc)
                raise self.unavailable() from exc
            raise
        finally:
            await self.pool.putconn(conn)

    async def _acquire(self) -> psycopg.AsyncConnection:
        for _ in range(2):
            try:
                conn = await self.pool.getconn(timeout=self.acquire_timeout)
            except PoolTimeout as exc:
                log.warning("no database connection within %.1fs; checking the database", self.acquire_timeout)
                self.suspect()
                raise self.unavailable() from exc
            except PoolClosed as exc:
                raise self.unavailable() from exc
            if not closed_by_server(conn):
                return conn
            # The server closed it while idle (a restart we did not see): drop it, and check the others
            # now rather than handing them out one by one.
            log.info("a pooled connection was closed by the server while idle; checking the pool")
            await conn.close()
            await self.pool.putconn(conn)
            self.suspect()
            await self.pool.check()
        raise self.unavailable()

    # -- the breaker --------------------------------------------------------------------------

    def trip(self, reason: BaseException | str) -> None:
        """Open the circuit (the database is gone) and probe for its return."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            text = reason if isinstance(reason, str) else _first_line(reason)
            log.error("%s unreachable (%s): answering UNAVAILABLE, probing every %.2fs", self.label, text,
                      self.probe_interval)
        self._start_probe()

    def suspect(self) -> None:
        """Something looked wrong: probe once now; the circuit opens only if the probe fails."""
        self._start_probe()

    async def _reconnect_failed(self, pool) -> None:
        self.trip(f"the pool could not reconnect within {pool.reconnect_timeout:.1f}s")

    def _start_probe(self) -> None:
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_loop(), name="rustok-db-probe")

    async def _probe_loop(self) -> None:
        while True:
            error = await self._reach()
            if error is None:
                try:
                    await self.pool.check()  # drop connections the server closed while it was away
                except Exception:  # the circuit must close even if the sweep failed; log why
                    log.exception("database back, but checking the pool failed")
                if self.down_since is not None:
                    self.last_outage_seconds = time.monotonic() - self.down_since
                    self.down_since = None
                    log.warning("%s reachable again after %.2fs; serving", self.label, self.last_outage_seconds)
                return
            self.trip(error)
            await asyncio.sleep(self.probe_interval)

    async def _reach(self) -> str | None:
        """None when a fresh connection answers `select 1`, else why not."""
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=2,
                                                         application_name="rustok-probe")
            async with conn:
                await conn.execute("select 1")
        except psycopg.Error as exc:
            log.debug("database probe failed: %s", _first_line(exc))
            return _first_line(exc)
        return None

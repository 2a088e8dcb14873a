"""Read replicas: GraphQL queries go to a streaming replica, mutations and subscriptions to the primary.

`DatabaseRouter` owns the primary's gate (rustok.db.DatabaseGate) and one gate per replica
(DATABASE_REPLICA_URLS), and a monitor task that checks every replica each `check_interval`:

- it samples the primary's WAL position (`pg_current_wal_lsn()`) and each replica's replayed position
  (`pg_last_wal_replay_lsn()`); a replica's lag is the time since the primary first had WAL the replica
  has not replayed yet (0 when it has replayed everything the primary had at the last sample);
- a replica is in rotation while it answers, is a standby, and lags at most `max_lag` seconds; a replica
  that fails a request leaves the rotation at once, and the monitor puts it back when it is healthy.

Each request gets a `RoutedDatabase` (the `db` of the GraphQL context), which has the gate's
`connection()`:

- a mutation (or a subscription, or anything that is not a plain query) uses the primary;
- a query uses a replica in rotation (round robin), or the primary when none is;
- a query that carries a position (header `X-Read-After`, or `indexCaughtUp(position:)`) is answered by a
  replica only once that replica has replayed past the commit LSN recorded in the position: the
  replica's `pg_last_wal_replay_lsn()` is read on the very connection that will serve the request,
  polled for up to `wait` seconds, and the primary serves it when no replica gets there in time;
- a read that fails on a replica (the replica went away, or replay cancelled the statement) marks the
  view `replica_failed`; the HTTP handler then runs the query again on the primary, so a replica going
  down costs a retry, not a failed request.

Positions: mutations return `core.event_position()` (a ULID-layout uuid: 48 bits of time, then zeros);
`stamp_position` puts the transaction's commit LSN into its low 64 bits after the commit. Ordering
against event ids is unchanged (the time part decides), and old positions (LSN 0) need no replica wait.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import AsyncIterator
from urllib.parse import urlsplit
from uuid import UUID

import psycopg

from rustok.db import DatabaseGate, is_connection_failure
from rustok.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

_LOW64 = (1 << 64) - 1
# Replay cancelled a statement on the standby ("canceling statement due to conflict with recovery"),
# the standby's database went away, or a query tried to write (25006: a query that writes is a bug to fix,
# logged as such, but the reader still gets an answer): the same read on the primary will do.
_REPLICA_RETRY_SQLSTATES = frozenset({"40001", "57P04", "25006"})


def lsn_to_int(text: str) -> int:
    """'16/B374D848' -> integer (pg_lsn's two 32-bit hex halves)."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def int_to_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def stamp_position(position: UUID, lsn: str | int) -> UUID:
    """The position with the commit LSN in its low 64 bits (which core.event_position() leaves zero)."""
    value = lsn if isinstance(lsn, int) else lsn_to_int(lsn)
    return UUID(int=(position.int & ~_LOW64) | (value & _LOW64))


def position_lsn(position: UUID | None) -> int:
    """The commit LSN a position carries (0: none, e.g. a position made before replicas were configured)."""
    return 0 if position is None else position.int & _LOW64


def describe(url: str) -> str:
    """host:port/database of a URL, for logs (no user, no password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


@dataclass
class Replica:
    url: str
    gate: DatabaseGate
    name: str
    in_rotation: bool = False
    reason: str = "not checked yet"       # why it is out of rotation
    replay_lsn: int | None = None
    lag_seconds: float | None = None
    checked_at: float | None = None
    monitor_conn: psycopg.AsyncConnection | None = None
    served: int = 0                       # connections handed out (tests and figures)

    def usable(self) -> bool:
        return self.in_rotation and not self.gate.down

    def state(self) -> dict:
        return {"replica": self.name, "in_rotation": self.usable(), "reason": None if self.usable() else self.reason,
                "lag_seconds": self.lag_seconds, "served": self.served}


@dataclass
class RouterStats:
    primary_reads: int = 0            # queries served by the primary although replicas are configured
    replica_reads: int = 0
    # seconds reads with a position waited for a replica (the latest 10,000)
    position_waits: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))
    position_fallbacks: int = 0       # reads with a position that no replica could serve in time
    retried_on_primary: int = 0       # reads that failed on a replica and were run again on the primary


class DatabaseRouter:
    """The API's way to the primary and its read replicas (see the module docstring)."""

    def __init__(self, url: str, settings, replica_urls: tuple[str, ...] | None = None):
        self.settings = settings
        self.primary = DatabaseGate.from_settings(url, settings)
        urls = settings.replica_urls if replica_urls is None else replica_urls
        self.replicas = [
            Replica(u, DatabaseGate(u, pool_size=settings.db_pool_size, acquire_timeout=settings.db_acquire_timeout,
                                    probe_interval=settings.db_probe_interval,
                                    reconnect_timeout=settings.db_reconnect_timeout,
                                    label=f"replica {describe(u)}", pool_name=f"rustok-replica-{n}",
                                    prepare_threshold=settings.db_prepare_threshold),
                    name=describe(u))
            for n, u in enumerate(urls, 1)
        ]
        self.max_lag = settings.replica_max_lag
        self.wait = settings.replica_wait
        self.check_interval = settings.replica_check_interval
        self.stats = RouterStats()
        self._turn = itertools.count()
        self._history: collections.deque[tuple[float, int]] = collections.deque()
        self._monitor: asyncio.Task | None = None
        self._checked = asyncio.Event()

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self, timeout: float = 30.0) -> None:
        await self.primary.open(timeout=timeout)
        for replica in self.replicas:
            # Not waiting: a replica that is down at start-up stays out of rotation until the monitor sees it.
            await replica.gate.open(wait=False)
        if self.replicas:
            self._monitor = asyncio.get_running_loop().create_task(self._monitor_loop(), name="rustok-replica-monitor")

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for replica in self.replicas:
            if replica.monitor_conn is not None:
                await replica.monitor_conn.close()
            await replica.gate.close()
        await self.primary.close()

    async def wait_checked(self, timeout: float = 10.0) -> None:
        """Until the monitor has checked every replica once (tests; start-up)."""
        await asyncio.wait_for(self._checked.wait(), timeout)

    def view(self, *, read_only: bool, position: UUID | None = None, force_primary: bool = False) -> "RoutedDatabase":
        return RoutedDatabase(self, read_only=read_only and not force_primary, min_lsn=position_lsn(position))

    def state(self) -> list[dict]:
        return [r.state() for r in self.replicas]

    # -- choosing -----------------------------------------------------------------------------

    def candidates(self) -> list[Replica]:
        """Replicas in rotation, starting with the next one in turn."""
        usable = [r for r in self.replicas if r.usable()]
        if len(usable) > 1:
            shift = next(self._turn) % len(usable)
            usable = usable[shift:] + usable[:shift]
        return usable

    def take_out(self, replica: Replica, reason: str) -> None:
        if replica.in_rotation:
            log.warning("replica %s out of rotation: %s", replica.name, reason)
        replica.in_rotation = False
        replica.reason = reason

    def _put_back(self, replica: Replica) -> None:
        if not replica.in_rotation:
            log.warning("replica %s in rotation (lag %.2fs)", replica.name, replica.lag_seconds or 0.0)
        replica.in_rotation = True
        replica.reason = ""

    # -- the monitor ----------------------------------------------------------------------------

    async def _monitor_loop(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception:  # the monitor must keep running; say why this round failed
                log.exception("replica monitor: a check failed")
            self._checked.set()
            await asyncio.sleep(self.check_interval)

    async def check_once(self) -> None:
        now = time.monotonic()
        primary_lsn = await self._primary_lsn()
        if primary_lsn is not None:
            self._history.append((now, primary_lsn))
        horizon = now - max(self.max_lag * 2, 10.0)
        while len(self._history) > 2 and self._history[0][0] < horizon:
            self._history.popleft()
        await asyncio.gather(*(self._check(r, now) for r in self.replicas))

    async def _primary_lsn(self) -> int | None:
        if self.primary.down:
            return None
        try:
            async with self.primary.connection() as conn:
                cur = await conn.execute("select pg_current_wal_lsn()::text")
                return lsn_to_int((await cur.fetchone())[0])
        except (DatabaseUnavailable, psycopg.Error) as exc:
            log.debug("replica monitor: cannot read the primary's position: %s", exc)
            return None

    def _lag(self, replay: int, now: float) -> float | None:
        if not self._history:
            return None
        for sampled_at, lsn in self._history:
            if lsn > replay:
                return max(0.0, now - sampled_at)
        return 0.0

    async def _check(self, replica: Replica, now: float) -> None:
        try:
            if replica.monitor_conn is None or replica.monitor_conn.closed:
                replica.monitor_conn = await psycopg.AsyncConnection.connect(
                    replica.url, autocommit=True, connect_timeout=2, application_name="rustok-replica-monitor")
            cur = await replica.monitor_conn.execute(
                "select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
            standby, replay = await cur.fetchone()
        except psycopg.Error as exc:
            if replica.monitor_conn is not None:
                await replica.monitor_conn.close()
                replica.monitor_conn = None
            replica.lag_seconds = None
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.take_out(replica, f"unreachable ({text})")
            return
        replica.checked_at = now
        if not standby or replay is None:
            self.take_out(replica, "not a standby (promoted, or not replicating): it cannot show replay progress")
            return
        replica.replay_lsn = lsn_to_int(replay)
        lag = self._lag(replica.replay_lsn, now)
        if lag is None:  # the primary did not answer: keep the replica as it was, lag unknown
            return
        replica.lag_seconds = lag
        if lag > self.max_lag:
            self.take_out(replica, f"lagging {lag:.1f}s behind the primary (bound {self.max_lag:g}s)")
        elif replica.gate.down:
            replica.reason = "its pool is reconnecting"
        else:
            self._put_back(replica)


class RoutedDatabase:
    """One request's way to the database: `connection()` like DatabaseGate's, routed (module docstring)."""

    def __init__(self, router: DatabaseRouter, *, read_only: bool, min_lsn: int = 0):
        self.router = router
        self.read_only = read_only and bool(router.replicas)
        self.min_lsn = min_lsn
        self.replica_failed = False
        self.used_replica: Replica | None = None
        self._verified: dict[str, int] = {}  # replica -> LSN it was seen past during this request

    @property
    def primary(self) -> DatabaseGate:
        return self.router.primary

    def read_after(self, position: UUID | None) -> None:
        """Reads from here on must see everything committed up to the position."""
        self.min_lsn = max(self.min_lsn, position_lsn(position))

    @property
    def on_replica(self) -> bool:
        return self.used_replica is not None

    def primary_connection(self):
        return self.router.primary.connection()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        if self.read_only:
            for replica in self.router.candidates():
                handed = False
                try:
                    async with self._replica_connection(replica) as conn:
                        if conn is None:
                            continue
                        handed = True
                        yield conn
                        return
                except DatabaseUnavailable as exc:
                    self._failed(replica, "a connection failed")
                    if handed:
                        raise  # the request's work failed midway: the handler runs it again on the primary
                    log.debug("replica %s failed before use: %s", replica.name, exc)
                    continue
                except psycopg.Error as exc:
                    if exc.sqlstate == "25006":
                        log.error("a query tried to write on replica %s (%s): queries must be read-only; "
                                  "running it on the primary", replica.name, exc.diag.message_primary)
                    if exc.sqlstate in _REPLICA_RETRY_SQLSTATES or is_connection_failure(exc):
                        self._failed(replica, f"SQLSTATE {exc.sqlstate}", leave_rotation=is_connection_failure(exc))
                        if not handed:
                            continue
                    raise
            if self.min_lsn:
                # No replica got there in time: this request reads from the primary from now on (no second wait).
                self.router.stats.position_fallbacks += 1
                self.read_only = False
            self.router.stats.primary_reads += 1
        async with self.router.primary.connection() as conn:
            yield conn

    def _failed(self, replica: Replica, reason: str, leave_rotation: bool = True) -> None:
        self.replica_failed = True
        if leave_rotation:
            self.router.take_out(replica, reason)

    @contextlib.asynccontextmanager
    async def _replica_connection(self, replica: Replica):
        """A pooled connection of the replica, or None when it has not replayed past min_lsn within the wait."""
        started = time.monotonic()
        async with replica.gate.connection() as conn:
            if self.min_lsn > self._verified.get(replica.name, 0):
                delay = 0.002
                while True:
                    cur = await conn.execute("select pg_last_wal_replay_lsn()::text")
                    replay = (await cur.fetchone())[0]
                    if replay is not None and lsn_to_int(replay) >= self.min_lsn:
                        break
                    if time.monotonic() - started >= self.router.wait:
                        await conn.rollback()
                        yield None
                        return
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.02)
                await conn.rollback()  # end the check's implicit transaction: the request starts its own
                self._verified[replica.name] = self.min_lsn
                self.router.stats.position_waits.append(time.monotonic() - started)
            self.used_replica = replica
            replica.served += 1
            self.router.stats.replica_reads += 1
            yield conn

"""The outbox worker: wakes on the NOTIFY doorbell (or a short poll) and runs outbox.process_batch.

All the queue logic lives in PostgreSQL (sql/migrations/0032_outbox_consumers.sql); this module only
decides *when* to call it:

- one dedicated LISTEN connection per process (never from a pool, never inside a transaction);
  every notification, every (re)connect and every poll timeout wakes the work slots;
- N work slots, each with its own connection, loop over the enabled consumers:
  `outbox.claim` (committed lease) then `outbox.process_batch` (one transaction); when a round finds
  nothing they set the doorbell's idle flag, look once more, then sleep until the bell or the poll;
- connections lost (database restart) are reopened with exponential backoff capped at
  `reconnect_max` (1 s), so the worker is back within about a second of the database's return;
- on stop (SIGINT/SIGTERM) a slot finishes its current batch; after `shutdown_timeout` the batch is
  cancelled (rolled back) and its leases released;
- periodic jobs (partition upkeep; the index module adds its scheduled full reindex) run from the
  same process, each due run claimed in outbox.periodic_jobs so several processes run it once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import psycopg

log = logging.getLogger("rustok.outbox.worker")

CHANNEL = "rustok_outbox"

SQL_CONSUMERS = "select name, batch_size from outbox.consumers where enabled order by name"
SQL_CLAIM = "select outbox.claim(%s, %s, %s)"
SQL_PROCESS = "select claimed, succeeded, failed, dead from outbox.process_batch(%s, %s, %s)"
SQL_RELEASE = "select outbox.release(%s, %s)"
SQL_SET_IDLE = "select outbox.set_idle()"
SQL_CLAIM_JOB = "select outbox.claim_periodic_job(%s, %s, %s)"
SQL_FINISH_JOB = "select outbox.finish_periodic_job(%s, %s)"
# A daily job first seen now starts counting from now: its first run is at the next scheduled time,
# not at once (a fresh install should not begin with a full reindex at an arbitrary hour).
SQL_SEED_DAILY_JOB = ("insert into outbox.periodic_jobs (name, last_started_at, last_started_by) "
                      "values (%s, now(), 'first start (not run)') on conflict (name) do nothing")


# ---------------------------------------------------------------- periodic jobs

JobFunc = Callable[[psycopg.AsyncConnection], Awaitable[object]]


@dataclass
class PeriodicJob:
    """A job the worker runs periodically: every `every` seconds, or daily at `daily_at` ("HH:MM", local time).

    `run` gets an autocommit connection as the migration owner. Each due run is claimed in
    outbox.periodic_jobs, so with several worker processes it runs once.
    """

    name: str
    run: JobFunc
    every: float | None = None
    daily_at: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"periodic job {self.name}: give exactly one of every= or daily_at=")
        if self.daily_at is not None:
            parse_hhmm(self.daily_at)

    def due_after(self, now: dt.datetime) -> dt.datetime:
        """The start of the current period: the job is due when no run started after this moment."""
        if self.every is not None:
            return now - dt.timedelta(seconds=self.every)
        hour, minute = parse_hhmm(self.daily_at or "")
        today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if today <= now:
            return today
        # Not yet time today: due only if no run started since yesterday's slot -- but it is not time
        # yet, so report a moment in the future (never due).
        return now + dt.timedelta(days=1)


def parse_hhmm(value: str) -> tuple[int, int]:
    try:
        hour_s, minute_s = value.split(":")
        hour, minute = int(hour_s), int(minute_s)
    except ValueError:
        raise ValueError(f"expected HH:MM, got {value!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return hour, minute


async def _maintain_partitions(conn: psycopg.AsyncConnection) -> object:
    cur = await conn.execute("select partition, action, detail from outbox.maintain()")
    rows = await cur.fetchall()
    for partition, action, detail in rows:
        log.info("outbox partitions: %s %s (%s)", action, partition, detail)
    return rows


async def _publish_due_content(conn: psycopg.AsyncConnection) -> object:
    """Scheduled pages and posts whose moment has come get published (content.publish_due)."""
    cur = await conn.execute("select tenant_id, kind, slug from content.publish_due()")
    rows = await cur.fetchall()
    for tenant_id, kind, slug in rows:
        log.info("content: published scheduled %s %s (tenant %s)", kind, slug, tenant_id)
    return rows


#: Jobs every worker process runs. Modules append theirs with register_periodic_job().
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("outbox.maintain", _maintain_partitions, every=3600),
    PeriodicJob("content.publish_due", _publish_due_content, every=30),
]


def register_periodic_job(job: PeriodicJob) -> None:
    """Add (or replace, by name) a periodic job run by every outbox worker started afterwards."""
    PERIODIC_JOBS[:] = [j for j in PERIODIC_JOBS if j.name != job.name] + [job]


# ---------------------------------------------------------------- configuration

def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        from rustok.errors import ConfigError

        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None


@dataclass
class WorkerConfig:
    workers: int = 4                      # work slots (connections) in this process
    batch_size: int = 100                 # cap per batch (a consumer's own batch_size may be lower)
    poll_interval: float = 1.0            # fallback poll when no NOTIFY arrives
    consumers: tuple[str, ...] | None = None  # only these consumers (default: every enabled one)
    listen: bool = True                   # LISTEN for the doorbell (False: poll only)
    once: bool = False                    # drain what is available, then return
    periodic: bool = True                 # run periodic jobs
    shutdown_timeout: float = 30.0        # then cancel the running batch and release its leases
    # Cap of the reconnect backoff (0.5 s doubling). Kept short so the worker is back within about a
    # second of the database's return; a refused connection costs the server nothing.
    reconnect_max: float = 1.0
    error_backoff: float = 5.0            # pause of a consumer after its batch raised
    idle_check_interval: float = 30.0     # how often periodic jobs are checked

    @classmethod
    def from_settings(cls, settings, **overrides) -> "WorkerConfig":
        cfg = cls(
            workers=settings.index_workers,
            batch_size=settings.index_batch_size,
            poll_interval=_float_env("RUSTOK_OUTBOX_POLL_INTERVAL", 1.0),
            shutdown_timeout=_float_env("RUSTOK_OUTBOX_SHUTDOWN_TIMEOUT", 30.0),
            reconnect_max=_float_env("RUSTOK_OUTBOX_RECONNECT_MAX", 1.0),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        if cfg.workers < 0 or cfg.batch_size < 1 or cfg.poll_interval <= 0:
            from rustok.errors import ConfigError

            raise ConfigError("worker settings: workers >= 0, batch size >= 1 and poll interval > 0 are required")
        return cfg


@dataclass
class Stats:
    batches: int = 0
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    wakeups: int = 0
    errors: int = 0


# ---------------------------------------------------------------- the worker

class OutboxWorker:
    def __init__(self, url: str, config: WorkerConfig | None = None, *,
                 periodic_jobs: list[PeriodicJob] | None = None) -> None:
        self.url = url
        self.config = config or WorkerConfig()
        self.jobs = list(PERIODIC_JOBS if periodic_jobs is None else periodic_jobs)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stats = Stats()
        self._bell = asyncio.Event()
        self._busy: dict[int, psycopg.AsyncConnection] = {}
        self._paused: dict[str, float] = {}  # consumer -> loop time until which it is skipped
        self.listening = asyncio.Event()     # set while the LISTEN connection is up (tests, health)

    # -- connections -------------------------------------------------------

    async def _connect(self, role: str) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=10, application_name=f"rustok-outbox-{role}")
        # A killed worker's backend notices the lost client within a second and rolls back its batch.
        await conn.execute("set client_connection_check_interval = '1s'")
        return conn

    def ring(self) -> None:
        """Wake every sleeping slot."""
        self._bell.set()
        self._bell = asyncio.Event()

    async def _sleep(self, seconds: float, stop: asyncio.Event, bell: asyncio.Event | None = None) -> None:
        waits = [asyncio.ensure_future(stop.wait())]
        if bell is not None:
            waits.append(asyncio.ensure_future(bell.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    # -- the listener ------------------------------------------------------

    async def _listener(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                async with await self._connect("listener") as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    backoff = 0.5
                    self.listening.set()
                    log.info("outbox %s: listening on %s", self.worker_id, CHANNEL)
                    self.ring()  # notifications may have been missed while we were away: look now
                    while not stop.is_set():
                        async for _ in conn.notifies(timeout=self.config.poll_interval, stop_after=1):
                            self.stats.wakeups += 1
                            self.ring()
            except psycopg.OperationalError as exc:
                self.listening.clear()
                if stop.is_set():
                    return
                log.warning("outbox %s: listener connection lost (%s); reconnecting in %.1fs",
                            self.worker_id, _first_line(exc), backoff)
                self.ring()  # the slots' poll covers the gap; nudge them now
                await self._sleep(backoff, stop)
                backoff = min(backoff * 2, self.config.reconnect_max)
            finally:
                self.listening.clear()

    # -- work slots --------------------------------------------------------

    async def _slot(self, slot: int, stop: asyncio.Event) -> None:
        name = f"{self.worker_id}/{slot}"
        backoff = 0.5
        while not stop.is_set():
            try:
                async with await self._connect(f"worker-{slot}") as conn:
                    if backoff > 0.5:
                        log.info("outbox %s: reconnected", name)
                    backoff = 0.5
                    await self._work(conn, slot, name, stop)
                return
            except psycopg.OperationalError as exc:
                if stop.is_set():
                    return
                log.warning("outbox %s: database connection lost (%s); reconnecting in %.1fs",
                            name, _first_line(exc), backoff)
                await self._sleep(backoff, stop)
                backoff = min(backoff * 2, self.config.reconnect_max)

    async def _work(self, conn: psycopg.AsyncConnection, slot: int, name: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            bell = self._bell
            if await self._round(conn, slot, name, stop):
                continue
            if self.config.once:
                return
            # Going idle: ask writers to ring, then look once more (a write may have slipped in between).
            await conn.execute(SQL_SET_IDLE)
            if await self._round(conn, slot, name, stop):
                continue
            await self._sleep(self.config.poll_interval, stop, bell)

    async def _round(self, conn: psycopg.AsyncConnection, slot: int, name: str, stop: asyncio.Event) -> bool:
        """One batch per enabled consumer; True when any work was found."""
        cur = await conn.execute(SQL_CONSUMERS)
        consumers = await cur.fetchall()
        found = False
        now = asyncio.get_running_loop().time()
        for consumer, consumer_batch in consumers:
            if stop.is_set():
                break
            if self.config.consumers is not None and consumer not in self.config.consumers:
                continue
            if self._paused.get(consumer, 0) > now:
                continue
            limit = min(consumer_batch, self.config.batch_size)
            if await self._batch(conn, slot, name, consumer, limit):
                found = True
        return found

    async def _batch(self, conn: psycopg.AsyncConnection, slot: int, name: str, consumer: str, limit: int) -> bool:
        try:
            async with conn.transaction():
                await conn.execute("set local synchronous_commit = off")
                cur = await conn.execute(SQL_CLAIM, (consumer, name, limit))
                (leased,) = await cur.fetchone()
            if not leased:
                return False
            self._busy[slot] = conn
            try:
                async with conn.transaction():
                    # Projection work is rebuildable: do not wait for the WAL flush.
                    await conn.execute("set local synchronous_commit = off")
                    cur = await conn.execute(SQL_PROCESS, (consumer, limit, name))
                    claimed, succeeded, failed, dead = await cur.fetchone()
            finally:
                self._busy.pop(slot, None)
        except psycopg.errors.QueryCanceled as exc:  # (a subclass of OperationalError: test it first)
            log.warning("outbox %s: batch of %s cancelled (%s); releasing its leases", name, consumer, _first_line(exc))
            await self._release(conn, name, consumer)
            return False
        except psycopg.OperationalError:
            raise  # connection-level: the slot reconnects; the lease returns the batch to the queue
        except psycopg.Error as exc:
            self.stats.errors += 1
            log.error("outbox %s: batch of consumer %s failed: %s [SQLSTATE %s]; pausing it %.0fs",
                      name, consumer, _first_line(exc), exc.sqlstate, self.config.error_backoff)
            await self._release(conn, name, consumer)
            self._paused[consumer] = asyncio.get_running_loop().time() + self.config.error_backoff
            return False
        self.stats.batches += 1
        self.stats.claimed += claimed
        self.stats.succeeded += succeeded
        self.stats.failed += failed
        self.stats.dead += dead
        if failed:
            log.warning("outbox %s: consumer %s: %d of %d events failed (%d now dead); see outbox.backlog",
                        name, consumer, failed, claimed, dead)
        else:
            log.debug("outbox %s: consumer %s: %d events processed", name, consumer, succeeded)
        return claimed > 0

    async def _release(self, conn: psycopg.AsyncConnection, name: str, consumer: str) -> None:
        try:
            cur = await conn.execute(SQL_RELEASE, (consumer, name))
            (released,) = await cur.fetchone()
            if released:
                log.info("outbox %s: released %d leased deliveries of %s", name, released, consumer)
        except psycopg.Error as exc:
            log.warning("outbox %s: could not release leases of %s (%s); they return when the lease expires",
                        name, consumer, _first_line(exc))

    # -- periodic jobs -----------------------------------------------------

    async def _periodic(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                async with await self._connect("jobs") as conn:
                    backoff = 0.5
                    while not stop.is_set():
                        for job in self.jobs:
                            if stop.is_set():
                                break
                            await self._run_job(conn, job)
                        await self._sleep(self.config.idle_check_interval, stop)
                return
            except psycopg.OperationalError as exc:
                if stop.is_set():
                    return
                log.warning("outbox %s: jobs connection lost (%s); reconnecting in %.1fs",
                            self.worker_id, _first_line(exc), backoff)
                await self._sleep(backoff, stop)
                backoff = min(backoff * 2, self.config.reconnect_max)

    async def _run_job(self, conn: psycopg.AsyncConnection, job: PeriodicJob) -> None:
        if job.daily_at is not None:
            await conn.execute(SQL_SEED_DAILY_JOB, (job.name,))
        due_after = job.due_after(dt.datetime.now().astimezone())
        cur = await conn.execute(SQL_CLAIM_JOB, (job.name, due_after, self.worker_id))
        (mine,) = await cur.fetchone()
        if not mine:
            return
        log.info("outbox %s: running periodic job %s", self.worker_id, job.name)
        error = None
        try:
            await job.run(conn)
        except psycopg.OperationalError:
            raise
        except Exception as exc:  # a job's failure is recorded and logged; the worker goes on
            error = f"{type(exc).__name__}: {_first_line(exc)}"
            log.exception("outbox %s: periodic job %s failed", self.worker_id, job.name)
        await conn.execute(SQL_FINISH_JOB, (job.name, error))

    # -- lifecycle ---------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> Stats:
        """Run until `stop` is set (or, with config.once, until nothing is available)."""
        stop = stop or asyncio.Event()
        cfg = self.config
        log.info("outbox worker %s: %d slot(s), batch <= %d, poll %.1fs%s", self.worker_id, cfg.workers,
                 cfg.batch_size, cfg.poll_interval, " (drain once)" if cfg.once else "")
        slots = [asyncio.create_task(self._slot(i, stop), name=f"outbox-slot-{i}") for i in range(cfg.workers)]
        helpers: list[asyncio.Task] = []
        if cfg.listen and not cfg.once and cfg.workers:
            helpers.append(asyncio.create_task(self._listener(stop), name="outbox-listener"))
        if cfg.periodic and not cfg.once and self.jobs:
            helpers.append(asyncio.create_task(self._periodic(stop), name="outbox-jobs"))
        stopper = asyncio.create_task(stop.wait())
        failure: BaseException | None = None
        try:
            watched = set(slots) | set(helpers) | {stopper}
            while not stop.is_set():
                done, watched = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                crashed = [t for t in done if t is not stopper and not t.cancelled() and t.exception()]
                if crashed:
                    failure = crashed[0].exception()
                    log.error("outbox worker %s: %s crashed: %r; stopping", self.worker_id,
                              crashed[0].get_name(), failure)
                    stop.set()
                elif cfg.once and all(t.done() for t in slots):
                    stop.set()
        finally:
            stop.set()
            await self._shutdown(slots, helpers)
            stopper.cancel()
        if failure is not None:
            raise failure
        log.info("outbox worker %s stopped: %s", self.worker_id, self.stats)
        return self.stats

    async def _shutdown(self, slots: list[asyncio.Task], helpers: list[asyncio.Task]) -> None:
        pending = [t for t in slots if not t.done()]
        if pending:
            _, pending_set = await asyncio.wait(pending, timeout=self.config.shutdown_timeout)
            if pending_set:
                log.warning("outbox %s: %d batch(es) still running after %.1fs; cancelling them",
                            self.worker_id, len(pending_set), self.config.shutdown_timeout)
                for conn in list(self._busy.values()):
                    try:
                        await conn.cancel_safe()
                    except psycopg.Error as exc:
                        log.warning("outbox %s: cancel request failed: %s", self.worker_id, _first_line(exc))
                _, pending_set = await asyncio.wait(pending_set, timeout=10)
                for task in pending_set:
                    task.cancel()
        for task in helpers:
            task.cancel()
        results = await asyncio.gather(*slots, *helpers, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("outbox %s: task ended with %r", self.worker_id, result)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def drain_once(url: str, *, consumers: tuple[str, ...] | None = None, workers: int = 1,
                     batch_size: int = 100) -> Stats:
    """Process everything currently available, then return (what `rustok worker --once` does)."""
    cfg = WorkerConfig(workers=workers, batch_size=batch_size, consumers=consumers, once=True,
                       listen=False, periodic=False)
    return await OutboxWorker(url, cfg).run()

"""The outbox worker: wakes on the NOTIFY doorbell (or a short poll) and runs outbox.process_batch.

All the queue logic lives in PostgreSQL (sql/code/outbox/queue.sql); this module only decides *when*
to call it:

- one dedicated LISTEN connection per process (never from a pool, never inside a transaction);
  a notification wakes one sleeping slot, and a slot whose batch found work wakes the next (a chain: a
  backlog gets every slot, one event does not wake them all); a (re)connect wakes every slot, and each
  slot also looks again after `poll_interval` asleep;
- N work slots, each with its own connection, loop over the enabled consumers that have deliveries available:
  `call outbox.run_batch` (one round trip: the lease committed, then the batch in a transaction of its own; the
  `mail` consumer: `outbox.claim`, the mails sent, then `outbox.process_batch`); when a round finds
  nothing they set the doorbell's idle flag, look once more, then sleep until the bell or the poll;
- every connection (listener, slots, scheduler) is reopened after a loss by the one reconnect loop in
  rustok.outbox.reconnect (exponential backoff capped at `reconnect_max`, 1 s), so the worker is back
  within about a second of the database's return;
- on stop (SIGINT/SIGTERM) a slot finishes its current batch; after `shutdown_timeout` the batch is
  cancelled (rolled back) and its leases released;
- the periodic jobs it is given (rustok.outbox.periodic.Scheduler) run from the same process, each due
  run claimed in outbox.periodic_jobs so several processes run it once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

import psycopg

from rustok.config import default_index_workers
from rustok.outbox.periodic import PeriodicJob, Scheduler
from rustok.outbox.reconnect import first_line, sleep_until, with_reconnect

log = logging.getLogger("rustok.outbox.worker")

CHANNEL = "rustok_outbox"

# The enabled consumers and whether each has a delivery due: a round claims only from those (a claim is a
# transaction and a look at the queue).
SQL_CONSUMERS = "select name, batch_size, available from outbox.ready_consumers()"
SQL_CLAIM = "select outbox.claim(%s, %s, %s)"
SQL_PROCESS = "select claimed, succeeded, failed, dead from outbox.process_batch(%s, %s, %s)"
# claim, commit, process, commit: one round trip (sql/code/outbox/queue.sql)
SQL_RUN = "call outbox.run_batch(%s, %s, %s)"
SQL_RELEASE = "select outbox.release(%s, %s)"
SQL_SET_IDLE = "select outbox.set_idle()"
MAIL_CONSUMER = "mail"   # its events are sent by rustok.mail before the SQL handler acknowledges them


# ---------------------------------------------------------------- configuration

def _int_env_max(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        from rustok.errors import ConfigError

        raise ConfigError(f"{name} must be a whole number of events (got {raw!r})") from None


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
    workers: int = field(default_factory=default_index_workers)   # work slots (connections): one per CPU, 1-4
    batch_size: int = 100                 # cap per batch (a consumer's own batch_size may be lower)
    # Adaptive batches: after a full batch the next one of that consumer and slot is twice as big, up to
    # this; a batch that is not full (the backlog is gone) goes back to batch_size. Big batches spread the
    # per-batch costs (claim, planning, commit) over more events when there is a backlog; small ones keep
    # the commit-to-index lag short when there is none.
    batch_size_max: int = 2000
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
            batch_size_max=_int_env_max("RUSTOK_INDEX_BATCH_SIZE_MAX", 2000),
            poll_interval=_float_env("RUSTOK_OUTBOX_POLL_INTERVAL", 1.0),
            shutdown_timeout=_float_env("RUSTOK_OUTBOX_SHUTDOWN_TIMEOUT", 30.0),
            reconnect_max=_float_env("RUSTOK_OUTBOX_RECONNECT_MAX", 1.0),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        if cfg.workers < 0 or cfg.batch_size < 1 or cfg.poll_interval <= 0 or cfg.batch_size_max < 1:
            from rustok.errors import ConfigError

            raise ConfigError("worker settings: workers >= 0, batch size >= 1, batch size max >= 1 and poll "
                              "interval > 0 are required")
        return cfg


@dataclass
class Stats:
    batches: int = 0
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    wakeups: int = 0
    rounds: int = 0      # looks at the queue (one `outbox.ready_consumers()` each)
    errors: int = 0


# ---------------------------------------------------------------- the worker

class OutboxWorker:
    """Processes the outbox queues; with `periodic_jobs`, also runs those jobs (none unless given)."""

    def __init__(self, url: str, config: WorkerConfig | None = None, *,
                 periodic_jobs: list[PeriodicJob] | None = None, mailer=None) -> None:
        self.url = url
        # the `mail` consumer's sender (rustok.mail): its events need I/O before their SQL handler acknowledges them
        self.mailer = mailer
        self.config = config or WorkerConfig()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scheduler = Scheduler(url, periodic_jobs or [], worker_id=self.worker_id,
                                   check_interval=self.config.idle_check_interval,
                                   reconnect_max=self.config.reconnect_max)
        self.stats = Stats()
        self._sleeping: list[asyncio.Event] = []   # the bells of the slots asleep, in the order they fell asleep
        self._missed_ring = False                  # a ring came while no slot slept: the next one looks again
        self._busy: dict[int, psycopg.AsyncConnection] = {}
        self._paused: dict[str, float] = {}  # consumer -> loop time until which it is skipped
        self._limits: dict[tuple[int, str], int] = {}  # (slot, consumer) -> size of its next batch
        self.listening = asyncio.Event()     # set while the LISTEN connection is up (tests, health)

    @property
    def jobs(self) -> list[PeriodicJob]:
        return self.scheduler.jobs

    def ring(self, everyone: bool = False) -> None:
        """Wake one sleeping slot (every one with `everyone`).

        One, not all: a doorbell used to wake every slot, and each woken slot spends a round (two statements)
        even when another has already taken the event. A slot whose batch found work wakes the next one
        (`_round`), so a backlog still gets every slot, one after the other (bench/README.md, "Lag").
        """
        if not self._sleeping:
            self._missed_ring = True
            return
        if everyone:
            bells, self._sleeping = self._sleeping, []
            for bell in bells:
                bell.set()
        else:
            self._sleeping.pop().set()   # the one that fell asleep last

    # -- the listener ------------------------------------------------------

    async def _listener(self, stop: asyncio.Event) -> None:
        async def listen(conn: psycopg.AsyncConnection) -> None:
            try:
                await conn.execute(f"listen {CHANNEL}")
                self.listening.set()
                log.info("outbox %s: listening on %s", self.worker_id, CHANNEL)
                self.ring(everyone=True)  # notifications may have been missed while we were away: look now
                while not stop.is_set():
                    async for _ in conn.notifies(timeout=self.config.poll_interval, stop_after=1):
                        self.stats.wakeups += 1
                        self.ring()
            finally:
                self.listening.clear()

        # While the listener is away the slots' poll covers the gap; on a loss, nudge them at once.
        await with_reconnect(self.url, "listener", listen, what=f"outbox {self.worker_id} listener", stop=stop,
                             max_backoff=self.config.reconnect_max,
                             on_lost=lambda: self.ring(everyone=True))

    # -- work slots --------------------------------------------------------

    async def _slot(self, slot: int, stop: asyncio.Event) -> None:
        name = f"{self.worker_id}/{slot}"

        async def work(conn: psycopg.AsyncConnection) -> None:
            await self._work(conn, slot, name, stop)

        await with_reconnect(self.url, f"worker-{slot}", work, what=f"outbox {name}", stop=stop,
                             max_backoff=self.config.reconnect_max)

    async def _work(self, conn: psycopg.AsyncConnection, slot: int, name: str, stop: asyncio.Event) -> None:
        # Projection work is rebuildable: do not wait for the WAL flush (every transaction of this connection is
        # the worker's own: leases, batches, idle flag).
        await conn.execute("set synchronous_commit = off")
        while not stop.is_set():
            if await self._round(conn, slot, name, stop):
                continue
            if self.config.once:
                return
            # Going idle: ask writers to ring, then look once more (a write may have slipped in between).
            await conn.execute(SQL_SET_IDLE)
            if await self._round(conn, slot, name, stop):
                continue
            if self._missed_ring:   # rung while every slot was busy: that work may not have been seen yet
                self._missed_ring = False
                continue
            bell = asyncio.Event()
            self._sleeping.append(bell)
            try:
                await sleep_until(stop, self.config.poll_interval, bell)
            finally:
                if bell in self._sleeping:
                    self._sleeping.remove(bell)

    async def _round(self, conn: psycopg.AsyncConnection, slot: int, name: str, stop: asyncio.Event) -> bool:
        """One batch per enabled consumer; True when any work was found."""
        self.stats.rounds += 1
        cur = await conn.execute(SQL_CONSUMERS)
        consumers = await cur.fetchall()
        found = False
        now = asyncio.get_running_loop().time()
        for consumer, consumer_batch, available in consumers:
            if stop.is_set():
                break
            if self.config.consumers is not None and consumer not in self.config.consumers:
                continue
            if not available:
                self._limits.pop((slot, consumer), None)
                continue
            if self._paused.get(consumer, 0) > now:
                continue
            base = min(consumer_batch, self.config.batch_size)
            limit = self._limits.get((slot, consumer), base)
            claimed = await self._batch(conn, slot, name, consumer, limit)
            if claimed:
                found = True
                # there may be more: wake one sleeping slot to take the next batch while this one goes on
                # (a chain, not a herd: it wakes the next only if it finds work too)
                self.ring()
            # a full batch: there is a backlog, take twice as much next time; otherwise back to the base size
            self._limits[(slot, consumer)] = (min(max(limit * 2, base), max(self.config.batch_size_max, base))
                                              if claimed >= limit else base)
        return found

    async def _batch(self, conn: psycopg.AsyncConnection, slot: int, name: str, consumer: str, limit: int) -> int:
        """One batch of at most `limit` events; the number claimed (0: nothing to do or the batch failed)."""
        try:
            if consumer == MAIL_CONSUMER:
                cur = await conn.execute(SQL_CLAIM, (consumer, name, limit))   # committed lease (autocommit)
                (leased,) = await cur.fetchone()
                if not leased:
                    return 0
                # send the leased events' mails first; the batch below then takes exactly those leases
                await self._mailer().deliver_leased(conn, name)
                sql, limit = SQL_PROCESS, leased
            else:
                # the same two transactions (lease committed, then the batch) in one call
                sql = SQL_RUN
            self._busy[slot] = conn
            try:
                cur = await conn.execute(sql, (consumer, limit, name))
                claimed, succeeded, failed, dead = await cur.fetchone()
            finally:
                self._busy.pop(slot, None)
            if not claimed:
                return 0
        except psycopg.errors.QueryCanceled as exc:  # (a subclass of OperationalError: test it first)
            log.warning("outbox %s: batch of %s cancelled (%s); releasing its leases", name, consumer, first_line(exc))
            await self._release(conn, name, consumer)
            return 0
        except psycopg.OperationalError:
            raise  # connection-level: the slot reconnects; the lease returns the batch to the queue
        except psycopg.Error as exc:
            self.stats.errors += 1
            log.error("outbox %s: batch of consumer %s failed: %s [SQLSTATE %s]; pausing it %.0fs",
                      name, consumer, first_line(exc), exc.sqlstate, self.config.error_backoff)
            await self._release(conn, name, consumer)
            self._paused[consumer] = asyncio.get_running_loop().time() + self.config.error_backoff
            return 0
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
        return claimed

    def _mailer(self):
        if self.mailer is None:
            from rustok.config import Settings
            from rustok.mail import Mailer, MailSettings

            self.mailer = Mailer(MailSettings.from_settings(Settings.from_env()))
        return self.mailer

    async def _release(self, conn: psycopg.AsyncConnection, name: str, consumer: str) -> None:
        try:
            cur = await conn.execute(SQL_RELEASE, (consumer, name))
            (released,) = await cur.fetchone()
            if released:
                log.info("outbox %s: released %d leased deliveries of %s", name, released, consumer)
        except psycopg.Error as exc:
            log.warning("outbox %s: could not release leases of %s (%s); they return when the lease expires",
                        name, consumer, first_line(exc))

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
            helpers.append(asyncio.create_task(self.scheduler.run(stop), name="outbox-jobs"))
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
                        log.warning("outbox %s: cancel request failed: %s", self.worker_id, first_line(exc))
                _, pending_set = await asyncio.wait(pending_set, timeout=10)
                for task in pending_set:
                    task.cancel()
        for task in helpers:
            task.cancel()
        results = await asyncio.gather(*slots, *helpers, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("outbox %s: task ended with %r", self.worker_id, result)


async def drain_once(url: str, *, consumers: tuple[str, ...] | None = None, workers: int = 1,
                     batch_size: int = 100) -> Stats:
    """Process everything currently available, then return (what `rustok worker --once` does)."""
    cfg = WorkerConfig(workers=workers, batch_size=batch_size, consumers=consumers, once=True,
                       listen=False, periodic=False)
    return await OutboxWorker(url, cfg).run()

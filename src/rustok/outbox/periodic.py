"""Periodic jobs run by the outbox worker process (partition upkeep, publishing due content, the nightly
full reindex, ...).

The scheduler knows nothing about which jobs exist: whoever starts a worker builds the list and passes
it in (`rustok.worker_runtime.periodic_jobs(settings)` for `rustok worker` and `rustok up`). Each due
run is claimed in outbox.periodic_jobs (sql/code/outbox/periodic_jobs.sql), so with several worker
processes a job runs once per period.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

import psycopg

from rustok.outbox.reconnect import first_line, sleep_until, with_reconnect

log = logging.getLogger("rustok.outbox.worker")

SQL_CLAIM_JOB = "select outbox.claim_periodic_job(%s, %s, %s)"
SQL_FINISH_JOB = "select outbox.finish_periodic_job(%s, %s)"
# A daily job first seen now starts counting from now: its first run is at the next scheduled time,
# not at once (a fresh install should not begin with a full reindex at an arbitrary hour).
SQL_SEED_DAILY_JOB = ("insert into outbox.periodic_jobs (name, last_started_at, last_started_by) "
                      "values (%s, now(), 'first start (not run)') on conflict (name) do nothing")

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
        # Before today's time the current period began at yesterday's slot: due only if no run started
        # since then. (A moment in the future here made the job due at every check between midnight and
        # its time: a full reindex at every worker start in the small hours.)
        return today if today <= now else today - dt.timedelta(days=1)


def parse_hhmm(value: str) -> tuple[int, int]:
    try:
        hour_s, minute_s = value.split(":")
        hour, minute = int(hour_s), int(minute_s)
    except ValueError:
        raise ValueError(f"expected HH:MM, got {value!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return hour, minute


class Scheduler:
    """Runs the given jobs on one connection of its own (`rustok-outbox-jobs`), checking every
    `check_interval` seconds which are due; reconnects through rustok.outbox.reconnect."""

    def __init__(self, url: str, jobs: list[PeriodicJob], *, worker_id: str, check_interval: float = 30.0,
                 reconnect_max: float = 10.0) -> None:
        names = [j.name for j in jobs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"periodic jobs listed twice: {', '.join(duplicates)}")
        self.url = url
        self.jobs = list(jobs)
        self.worker_id = worker_id
        self.check_interval = check_interval
        self.reconnect_max = reconnect_max

    async def run(self, stop: asyncio.Event) -> None:
        """Run due jobs until `stop` is set."""

        async def loop(conn: psycopg.AsyncConnection) -> None:
            while not stop.is_set():
                for job in self.jobs:
                    if stop.is_set():
                        break
                    await self.run_job(conn, job)
                await sleep_until(stop, self.check_interval)

        await with_reconnect(self.url, "jobs", loop, what=f"outbox {self.worker_id} jobs", stop=stop,
                             max_backoff=self.reconnect_max)

    async def run_job(self, conn: psycopg.AsyncConnection, job: PeriodicJob) -> None:
        """Run `job` on `conn` when it is due and this process claims the run; record how it ended."""
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
            raise  # the connection is gone: the scheduler reconnects; the claim's period still counts
        except Exception as exc:  # a job's failure is recorded and logged; the worker goes on
            error = f"{type(exc).__name__}: {first_line(exc)}"
            log.exception("outbox %s: periodic job %s failed", self.worker_id, job.name)
        await conn.execute(SQL_FINISH_JOB, (job.name, error))

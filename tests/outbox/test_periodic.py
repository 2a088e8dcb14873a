"""Periodic jobs: the scheduler's claim per period, the jobs the worker runtime builds from settings, and
the one reconnect loop every worker connection uses."""

from __future__ import annotations

import asyncio
import logging

import psycopg
import pytest

from rustok.config import Settings
from rustok.outbox.periodic import PeriodicJob, Scheduler
from rustok.outbox.reconnect import with_reconnect
from rustok.worker_runtime import periodic_jobs

from .helpers import scalar, wait_for


def _job_named(jobs, name):
    return next(j for j in jobs if j.name == name)


async def test_daily_job_waits_for_its_first_scheduled_time(fresh_db):
    """A daily job seen for the first time does not run at once; it runs when its next slot has passed."""
    runs = []

    async def job_body(conn):
        runs.append(1)

    job = PeriodicJob("test.daily", job_body, daily_at="00:00")  # today's slot has always passed
    scheduler = Scheduler(fresh_db, [job], worker_id="test")
    async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as conn:
        await scheduler.run_job(conn, job)
        assert runs == []  # first start: seeded, not run
        await scheduler.run_job(conn, job)
        assert runs == []  # still the same period
        await conn.execute("update outbox.periodic_jobs set last_started_at = now() - interval '1 day' "
                           "where name = 'test.daily'")
        await scheduler.run_job(conn, job)
        assert runs == [1]  # the next slot came: it runs
        await scheduler.run_job(conn, job)
        assert runs == [1]  # once per day


def test_a_daily_job_before_its_time_today_belongs_to_yesterdays_period():
    """Between midnight and the job's time the current period started at yesterday's slot. (It used to be a
    moment in the future, which made the job due at every check: a full reindex at each worker start in the
    small hours, found by a test run at 00:11.)"""
    import datetime as dt

    job = PeriodicJob("test.daily", lambda conn: None, daily_at="03:00")
    tz = dt.timezone.utc
    assert job.due_after(dt.datetime(2026, 12, 2, 0, 11, tzinfo=tz)) == dt.datetime(2026, 12, 1, 3, 0, tzinfo=tz)
    assert job.due_after(dt.datetime(2026, 12, 2, 3, 0, tzinfo=tz)) == dt.datetime(2026, 12, 2, 3, 0, tzinfo=tz)
    assert job.due_after(dt.datetime(2026, 12, 2, 23, 59, tzinfo=tz)) == dt.datetime(2026, 12, 2, 3, 0, tzinfo=tz)


async def test_a_daily_job_does_not_run_before_its_time(fresh_db):
    """Seeded yesterday evening, checked before today's slot: not due (ran only once its time passes)."""
    import datetime as dt

    runs = []

    async def job_body(conn):
        runs.append(1)

    later = (dt.datetime.now().astimezone() + dt.timedelta(hours=1)).strftime("%H:%M")
    if later < dt.datetime.now().astimezone().strftime("%H:%M"):
        pytest.skip("within an hour of midnight: 'an hour from now' is tomorrow")
    job = PeriodicJob("test.later", job_body, daily_at=later)
    scheduler = Scheduler(fresh_db, [job], worker_id="test")
    async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as conn:
        await scheduler.run_job(conn, job)          # first start: seeded now
        await conn.execute("update outbox.periodic_jobs set last_started_at = now() - interval '2 hours' "
                           "where name = 'test.later'")  # last run after yesterday's slot
        await scheduler.run_job(conn, job)
        assert runs == []


async def test_worker_publishes_scheduled_content_when_due(fresh_db):
    job = _job_named(periodic_jobs(Settings()), "ops.maintain")
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        tenant = conn.execute("insert into core.tenants (name, slug) values ('S', 'sched') returning id").fetchone()[0]
        node = conn.execute("insert into content.nodes (tenant_id, kind, title) values (%s, 'post', 'Soon') returning id",
                            (tenant,)).fetchone()[0]
        conn.execute("select content.schedule_nodes(array[%s]::uuid[], now() + interval '2 seconds')", (node,))
        scheduler = Scheduler(fresh_db, [job], worker_id="test")
        async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as aconn:
            await scheduler.run_job(aconn, job)
            assert conn.execute("select status from content.nodes where id = %s", (node,)).fetchone()[0] == "scheduled"
            await asyncio.sleep(2.2)  # the moment comes
            conn.execute("update outbox.periodic_jobs set last_started_at = now() - interval '1 hour' "
                         "where name = 'ops.maintain'")
            await scheduler.run_job(aconn, job)
        assert conn.execute("select status from content.nodes where id = %s", (node,)).fetchone()[0] == "published"


def test_periodic_jobs_come_from_settings_not_from_imports_or_the_cli_parser(monkeypatch, capsys):
    from rustok.cli import build_parser
    from rustok.index import schedule

    jobs = periodic_jobs(Settings(index_full_reindex_at="02:30"))
    assert [j.name for j in jobs] == ["ops.maintain", schedule.JOB_NAME]
    assert _job_named(jobs, "ops.maintain").every == 30
    reindex = _job_named(jobs, schedule.JOB_NAME)
    assert reindex.daily_at == "02:30" and reindex.run is schedule.full_reindex
    assert [j.name for j in periodic_jobs(Settings(index_full_reindex_at="off"))] == ["ops.maintain"]
    # Building a CLI parser neither adds nor removes jobs, whatever the environment says.
    monkeypatch.setenv("RUSTOK_INDEX_FULL_REINDEX_AT", "off")
    build_parser()
    assert capsys.readouterr().err == ""
    assert [j.name for j in periodic_jobs(Settings(index_full_reindex_at="02:30"))][-1] == schedule.JOB_NAME


def test_a_job_listed_twice_is_refused():
    async def body(conn):
        return None

    with pytest.raises(ValueError, match="listed twice: x"):
        Scheduler("postgresql://unused", [PeriodicJob("x", body, every=1), PeriodicJob("x", body, every=2)],
                  worker_id="test")


async def test_reconnect_retries_with_capped_backoff_and_logs_each_attempt(caplog):
    """Nothing listens on the port: every attempt fails, is logged, and the waits grow up to the cap."""
    stop = asyncio.Event()
    lost = []

    async def body(conn):
        raise AssertionError("never connected")

    caplog.set_level(logging.INFO, logger="rustok.outbox.worker")
    task = asyncio.create_task(with_reconnect(
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", "test", body, what="outbox test", stop=stop,
        max_backoff=1.0, on_lost=lambda: lost.append(1)))
    await asyncio.sleep(2.8)  # attempts at about 0, 0.5, 1.5, 2.5 s (0.5 doubling, capped at 1)
    stop.set()
    await asyncio.wait_for(task, 5)
    waits = [r.getMessage() for r in caplog.records if "outbox test: connection lost" in r.getMessage()]
    assert len(waits) == len(lost) >= 3
    backoffs = [w.rsplit(" ", 1)[1] for w in waits]
    assert backoffs[0] == "0.5s" and set(backoffs[1:]) == {"1.0s"}


async def test_reconnect_runs_the_body_again_on_a_fresh_connection(fresh_db, caplog):
    stop = asyncio.Event()
    pids = []

    async def body(conn):
        cur = await conn.execute("select pg_backend_pid()")
        pids.append((await cur.fetchone())[0])
        if len(pids) == 1:
            await conn.execute("select pg_terminate_backend(pg_backend_pid())")
        stop.set()

    caplog.set_level(logging.INFO, logger="rustok.outbox.worker")
    await asyncio.wait_for(with_reconnect(fresh_db, "test", body, what="outbox test", stop=stop), 10)
    assert len(pids) == 2 and pids[0] != pids[1]
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("outbox test: connection lost") for m in messages)
    assert "outbox test: reconnected" in messages


async def test_scheduler_reconnects_after_its_connection_is_killed(fresh_db):
    runs = []

    async def body(conn):
        runs.append(1)

    job = PeriodicJob("test.often", body, every=0.01)
    scheduler = Scheduler(fresh_db, [job], worker_id="test", check_interval=0.05, reconnect_max=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        await asyncio.to_thread(wait_for, lambda: runs, 10, 0.05, "first run")
        killed = await asyncio.to_thread(scalar, fresh_db, "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                                           "where application_name = 'rustok-outbox-jobs'")
        assert killed == 1
        before = len(runs)
        await asyncio.to_thread(wait_for, lambda: len(runs) > before + 1, 10, 0.05, "runs after reconnect")
        assert await asyncio.to_thread(scalar, fresh_db, "select count(*) from pg_stat_activity "
                                                         "where application_name = 'rustok-outbox-jobs'") == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)

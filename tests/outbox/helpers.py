"""Helpers for the outbox tests: a test handler schema, consumers, workers in threads and subprocesses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from rustok.outbox.worker import OutboxWorker, WorkerConfig

ROOT = Path(__file__).resolve().parents[2]

# A recording handler: upserts one row per event (count of committed effects), sleeps knobs.sleep
# seconds per batch, raises for events whose payload email matches knobs.fail_like, and records an
# overlap whenever another transaction holds the same event at the same time.
HANDLERS_SQL = """
create schema if not exists outbox_test;
create table if not exists outbox_test.knobs (id boolean primary key default true, sleep float8 not null default 0,
                                              fail_like text);
insert into outbox_test.knobs default values on conflict do nothing;
create table if not exists outbox_test.effects (
    consumer text not null, event_id uuid not null, aggregate_id uuid not null, event_type text not null,
    n int not null default 1, backend int not null, primary key (consumer, event_id));
create table if not exists outbox_test.overlaps (event_id uuid, backend int, at timestamptz default clock_timestamp());

create or replace function outbox_test._record(p_consumer text, p_events outbox.events[]) returns void
language plpgsql as $$
declare
    v_knobs outbox_test.knobs;
begin
    select * into v_knobs from outbox_test.knobs;
    if v_knobs.fail_like is not null and exists (
        select 1 from unnest(p_events) e where e.payload->>'email' like v_knobs.fail_like) then
        raise exception 'test handler: refusing %', (select string_agg(e.payload->>'email', ',') from unnest(p_events) e
                                                     where e.payload->>'email' like v_knobs.fail_like)
            using errcode = 'check_violation';
    end if;
    insert into outbox_test.overlaps (event_id, backend)
    select e.id, pg_backend_pid() from unnest(p_events) e
    where not pg_try_advisory_xact_lock(hashtextextended('evt/' || e.id, 0));
    if v_knobs.sleep > 0 then
        perform pg_sleep(v_knobs.sleep);
    end if;
    insert into outbox_test.effects as f (consumer, event_id, aggregate_id, event_type, backend)
    select p_consumer, e.id, e.aggregate_id, e.event_type, pg_backend_pid() from unnest(p_events) e
    on conflict (consumer, event_id) do update set n = f.n + 1;
end $$;

create or replace function outbox_test.record_a(p_events outbox.events[]) returns void
language sql as $$ select outbox_test._record('a', p_events) $$;
create or replace function outbox_test.record_b(p_events outbox.events[]) returns void
language sql as $$ select outbox_test._record('b', p_events) $$;
"""


def install_handlers(conn: psycopg.Connection) -> None:
    conn.execute(HANDLERS_SQL)


def add_consumer(conn: psycopg.Connection, name: str = "a", *, handler: str | None = None, **opts) -> None:
    handler = handler or f"outbox_test.record_{name}(outbox.events[])"
    conn.execute(
        "select outbox.register_consumer(%s, %s::regprocedure, p_event_types => %s, p_batch_size => %s,"
        " p_max_attempts => %s, p_lease => %s::interval)",
        (name, handler, opts.get("event_types"), opts.get("batch_size", 100), opts.get("max_attempts", 10),
         opts.get("lease", "5 minutes")),
    )
    if "backoff" in opts:
        conn.execute("update outbox.consumers set backoff_base = %s::interval where name = %s", (opts["backoff"], name))


def make_tenant(conn: psycopg.Connection) -> str:
    import uuid

    return conn.execute(
        "insert into core.tenants (name, slug) values ('T', %s) returning id", (f"t-{uuid.uuid4().hex[:10]}",)
    ).fetchone()[0]


def add_users(conn: psycopg.Connection, tenant_id, emails: list[str]) -> list:
    rows = conn.execute(
        "insert into core.users (tenant_id, email, password_hash) select %s, e, 'x' from unnest(%s::text[]) e returning id",
        (tenant_id, emails),
    ).fetchall()
    return [r[0] for r in rows]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def scalar(url: str, sql: str, params=None):
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(sql, params).fetchone()[0]


class WorkerThread:
    """An OutboxWorker running in its own thread and event loop (own connections)."""

    def __init__(self, url: str, **config) -> None:
        config.setdefault("periodic", False)
        self.worker = OutboxWorker(url, WorkerConfig(**config))
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main():
            self.stop_event = asyncio.Event()
            await self.worker.run(self.stop_event)

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def start(self) -> "WorkerThread":
        self.thread.start()
        wait_for(lambda: self.stop_event is not None, what="worker loop")
        return self

    def wait_listening(self, timeout: float = 10.0) -> None:
        wait_for(lambda: self.worker.listening.is_set(), timeout, what="worker LISTEN")

    def stop(self, timeout: float = 20.0) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
            self.thread.join(timeout)
        assert not self.thread.is_alive(), "worker did not stop"
        if self.error is not None:
            raise self.error


def spawn_cli_worker(url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "rustok.cli", "worker", *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )

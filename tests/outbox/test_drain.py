"""outbox.drain from psql on any backlog (issue 11): one batch's locks at a time, busy aggregates left for later."""

from __future__ import annotations

import psycopg

from .helpers import add_consumer, add_users, install_handlers, make_tenant


def test_drain_of_a_backlog_larger_than_the_lock_table(fresh_db):
    # One advisory lock per aggregate for the whole transaction ran out of shared memory (64 locks per
    # transaction x max_connections = ~13k slots here) on a 50,800-event backlog.
    n = 15000
    with psycopg.connect(fresh_db, autocommit=True) as c:
        slots = c.execute("select current_setting('max_locks_per_transaction')::int * "
                          "(current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)"
                          ).fetchone()[0]
        assert n > slots
        t = c.execute("insert into core.tenants (name, slug) values ('D', 'drain') returning id").fetchone()[0]
        c.execute("insert into commerce.products (tenant_id, title, handle) "
                  "select %s, 'P ' || g, 'p-' || g from generate_series(1, %s) g", (t, n))
        backlog = c.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0]
        assert backlog >= n
        batches, claimed, succeeded, failed, dead = c.execute("select * from outbox.drain('index')").fetchone()
        assert (claimed, succeeded, failed, dead) == (backlog, backlog, 0, 0)
        assert c.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0] == 0
        assert c.execute("select count(*) from index.products where tenant_id = %s", (t,)).fetchone()[0] == n
        # no session lock left behind
        assert c.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()").fetchone()[0] == 0


def test_drain_leaves_an_aggregate_being_rebuilt_to_its_holder(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c, psycopg.connect(fresh_db, autocommit=True) as holder:
        install_handlers(c)
        add_consumer(c, "a")
        t = make_tenant(c)
        busy, free = add_users(c, t, ["busy@example.com", "free@example.com"])
        # another batch is rebuilding user `busy` right now (it holds the aggregate's lock)
        holder.execute("select pg_advisory_lock(hashtextextended('a/user/' || %s, 0))", (str(busy),))
        batches, claimed, succeeded, failed, dead = c.execute("select * from outbox.drain('a')").fetchone()
        assert (succeeded, failed, dead) == (1, 0, 0)
        left = c.execute("select d.attempts, d.locked_by, e.aggregate_id from outbox.deliveries d "
                         "join outbox.events e on e.id = d.event_id where d.consumer = 'a'").fetchall()
        assert left == [(0, None, busy)]  # handed back, the attempt not counted
        holder.execute("select pg_advisory_unlock_all()")
        c.execute("update outbox.deliveries set available_at = now() where consumer = 'a'")
        assert c.execute("select succeeded from outbox.drain('a')").fetchone()[0] == 1
        assert c.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()").fetchone()[0] == 0


def test_a_batch_cancelled_while_waiting_for_an_aggregate_keeps_no_lock(fresh_db):
    """Per-aggregate locks are session-level: a batch interrupted while it waits (a worker's shutdown cancel, a
    statement timeout) must release the ones it already holds, or that aggregate would stay blocked."""
    with psycopg.connect(fresh_db, autocommit=True) as c, psycopg.connect(fresh_db, autocommit=True) as holder, \
            psycopg.connect(fresh_db, autocommit=True) as w:
        install_handlers(c)
        add_consumer(c, "a")
        t = make_tenant(c)
        ids = add_users(c, t, [f"u{i}@example.com" for i in range(6)])
        keys = sorted(c.execute("select hashtextextended('a/user/' || x, 0) from unnest(%s::uuid[]) x", (ids,)).fetchall())
        # another batch holds the aggregate whose key sorts last: ours takes the others, then waits for it
        holder.execute("select pg_advisory_lock(%s)", (keys[-1][0],))
        w.execute("set statement_timeout = '500ms'")
        try:
            w.execute("select * from outbox.process_batch('a')")
            raise AssertionError("the batch should have waited and been cancelled")
        except psycopg.errors.QueryCanceled:
            pass
        held = c.execute("select count(*) from pg_locks where locktype = 'advisory' and granted and pid = %s",
                         (w.info.backend_pid,)).fetchone()[0]
        assert held == 0
        holder.execute("select pg_advisory_unlock_all()")
        w.execute("set statement_timeout = 0")
        assert w.execute("select succeeded from outbox.process_batch('a')").fetchone()[0] == 6

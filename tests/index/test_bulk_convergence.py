"""A bulk UPDATE from psql reaches the read model in seconds with the worker running (issue 10.1).

The worker is a real `rustok worker` process with default settings (lease 5 minutes): before the
stranded-lease fix, half of the read rows stayed stale for the whole lease."""

from __future__ import annotations

import time

import psycopg

from tests.outbox.helpers import spawn_cli_worker, wait_for

N = 2000


def test_bulk_update_converges_in_seconds(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c:
        t = c.execute("insert into core.tenants (name, slug) values ('Bulk', 'bulk') returning id").fetchone()[0]
        c.execute("insert into commerce.products (tenant_id, title, handle, status) "
                  "select %s, 'Product ' || g, 'p-' || g, 'published' from generate_series(1, %s) g", (t, N))
        c.execute("select * from outbox.drain('index', 100000)")
        worker = spawn_cli_worker(fresh_db)
        try:
            wait_for(lambda: c.execute("select count(*) from pg_stat_activity where application_name like 'rustok-outbox%%'"
                                       ).fetchone()[0] > 0, timeout=30, what="worker connected")
            start = time.monotonic()
            c.execute("update commerce.products set title = title || ' v2' where tenant_id = %s", (t,))
            wait_for(lambda: c.execute("select count(*) from index.products where tenant_id = %s and title like '%% v2'",
                                       (t,)).fetchone()[0] == N, timeout=60, interval=0.1, what=f"{N} read rows current")
            took = time.monotonic() - start
            assert c.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0] == 0
            # far below the 5-minute lease that stranded deliveries used to wait for
            assert took < 60
        finally:
            worker.terminate()
            worker.wait(30)

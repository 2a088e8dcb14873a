"""The outbox's claim path on a few thousand queued deliveries: its plans, and the WAL one event costs.

Written for migration 0150 (the outbox keyed by tenant_id, issue 16.4) to compare before and after: starts a
throwaway embedded PostgreSQL 18, migrates it, registers a no-op consumer next to `index`, and over 8 tenants
- writes 2,000 events one per commit and reports WAL bytes per commit, by record type (pg_walinspect);
- the same with both queues processed every 50 events (everything one event costs: row, deliveries, lease, delete);
- 5,000 events in one statement;
then, with 7,000 deliveries queued, prints the plans (auto_explain, nested statements, analyze) of outbox.claim,
outbox.process_batch (own leases, fresh), outbox.release, outbox.caught_up and outbox.events_since, and counts
the sequential scans of outbox tables that ran. Figures: docs/scaling.md, "The outbox by tenant".

Usage: .venv/bin/python bench/outbox_claim_plans.py OUTFILE
       (PYTHONPATH=<an older checkout>/src to measure that code instead)
"""
from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from rustok import migrate
from rustok.embedded import EmbeddedCluster, free_port

out = open(sys.argv[1], "w")


def p(*a):
    print(*a, file=out)
    out.flush()


tmp = Path(tempfile.mkdtemp(prefix="probe-"))
cl = EmbeddedCluster(tmp, free_port())
cl.start()
try:
    migrate.apply(cl.url())
    admin = psycopg.connect(cl.url("postgres", "rustok"), autocommit=True)
    own = psycopg.connect(cl.url(), autocommit=True)
    own.execute("""
        create schema probe;
        create function probe.noop(p_events outbox.events[]) returns void language sql as $$ select $$;
        select outbox.register_consumer('probe', 'probe.noop(outbox.events[])');
    """)
    tenants = [own.execute("insert into core.tenants (name, slug) values (%s, %s) returning id",
                           (f"T{i}", f"t{i}")).fetchone()[0] for i in range(8)]
    # ---- WAL per event: 2000 single-row event inserts, each its own commit (fan-out to index+probe consumers)
    consumers = own.execute("select array_agg(name order by name) from outbox.consumers").fetchone()[0]
    p("consumers:", consumers)
    for label, sql in [
        ("one event per commit (fan-out to matching consumers)",
         "insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) values (%s, 'ProductUpdated', 'product', core.new_id())"),
    ]:
        n = 2000
        lsn0 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
        t0 = time.perf_counter()
        for i in range(n):
            own.execute(sql, (tenants[i % len(tenants)],))
        dt = time.perf_counter() - t0
        lsn1 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
        wal = own.execute("select pg_wal_lsn_diff(%s, %s)", (lsn1, lsn0)).fetchone()[0]
        p(f"WAL {label}: {float(wal) / n:.0f} bytes/commit; {n / dt:.0f} commits/s")
        admin.execute("create extension if not exists pg_walinspect")
        admin.execute("checkpoint")
        for r in admin.execute("""select "resource_manager/record_type", count, record_size, fpi_size, combined_size
                                  from pg_get_wal_stats(%s, %s, true) where count > 0 order by combined_size desc limit 12""",
                               (lsn0, lsn1)):
            p(f"   {r[0]:<28} n/commit={r[1] / n:6.2f} rec bytes/commit={float(r[2]) / n:7.1f} fpi/commit={float(r[3]) / n:7.1f}")
    # steady state: the queues drained as they fill (every 50 commits both consumers are processed), so the
    # figure is everything one event costs: its row, its deliveries, their lease, their delete
    own.execute("select outbox.drain('probe'), outbox.drain('index')")
    own.execute("vacuum outbox.deliveries")
    n = 2000
    lsn0 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
    for i in range(n):
        own.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) "
                    "values (%s, 'ProductUpdated', 'product', core.new_id())", (tenants[i % len(tenants)],))
        if i % 50 == 49:
            own.execute("select outbox.process_batch('probe', 100, 'w'), outbox.process_batch('index', 100, 'w')")
    lsn1 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
    wal = own.execute("select pg_wal_lsn_diff(%s, %s)", (lsn1, lsn0)).fetchone()[0]
    p(f"WAL steady state (queues drained every 50 events): {float(wal) / n:.0f} bytes/event, all included")
    admin.execute("checkpoint")
    for r in admin.execute("""select "resource_manager/record_type", count, record_size, fpi_size
                              from pg_get_wal_stats(%s, %s, true) where count > 0 order by combined_size desc limit 12""",
                           (lsn0, lsn1)):
        p(f"   {r[0]:<28} n/event={r[1] / n:6.2f} rec bytes/event={float(r[2]) / n:7.1f} fpi/event={float(r[3]) / n:7.1f}")
    # bulk: 5000 events in one statement
    lsn0 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
    own.execute("""insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id)
                   select (%s::uuid[])[1 + g %% 8], 'ProductUpdated', 'product', core.new_id() from generate_series(1, 5000) g""",
                (tenants,))
    lsn1 = own.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
    wal = own.execute("select pg_wal_lsn_diff(%s, %s)", (lsn1, lsn0)).fetchone()[0]
    p(f"WAL 5000 events in one statement: {float(wal) / 5000:.0f} bytes/event")
    own.execute("vacuum analyze outbox.deliveries")
    own.execute("analyze outbox.events")
    p("queued for probe:", own.execute("select count(*) from outbox.deliveries where consumer = 'probe'").fetchone()[0])
    p("index sizes:", own.execute("""select string_agg(c.relname || '=' || pg_relation_size(c.oid), ' ' order by c.relname)
                                     from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                     where n.nspname = 'outbox' and c.relkind = 'i'
                                       and (c.relname like 'deliveries%%' or c.relname like 'events_p%%' or c.relname like 'events_default%%')""").fetchone()[0])

    # ---- plans, through auto_explain at NOTICE level (nested statements of the plpgsql functions)
    notices = []
    admin.add_notice_handler(lambda d: notices.append(d.message_primary))
    admin.execute("load 'auto_explain'")
    admin.execute("set auto_explain.log_min_duration = 0")
    admin.execute("set auto_explain.log_analyze = on")
    admin.execute("set auto_explain.log_buffers = on")
    admin.execute("set auto_explain.log_nested_statements = on")
    admin.execute("set auto_explain.log_level = notice")
    admin.execute("set auto_explain.log_format = text")

    def show(title, sql, args=()):
        notices.clear()
        admin.execute(sql, args)
        p(f"\n==================== {title}\n-- {sql}")
        for n in notices:
            text = n
            if "pg_advisory" in text or "pg_namespace" in text or "from outbox.consumers c where" in text:
                continue
            p("\n".join(l if not l.startswith("Query Parameters:") else l[:200] + " ..." for l in text.splitlines()))
        seq = [l for n in notices for l in n.splitlines()
               if re.search(r"Seq Scan on (deliveries|events_)", l) and "never executed" not in l]
        p(f"-- executed seq scans on deliveries/events: {len(seq)} {seq}")

    admin.execute("set role rustok_owner")
    show("claim 100 (outbox.claim)", "select outbox.claim('probe', 'w1', 100)")
    show("process_batch 100 (own leases first)", "select * from outbox.process_batch('probe', 100, 'w1')")
    show("process_batch 100 (fresh)", "select * from outbox.process_batch('probe', 100, 'w2')")
    show("release", "select outbox.release('probe', 'w1')")
    pos = own.execute("select event_id from outbox.deliveries order by event_id desc limit 1").fetchone()[0]
    admin.execute("select core.set_tenant(%s)", (tenants[0],))
    show("caught_up", "select outbox.caught_up('probe', %s)", (pos,))
    show("events_since", "select count(*) from outbox.events_since(now() - interval '1 hour', 100)")
    admin.execute("reset role")
finally:
    cl.stop()
    shutil.rmtree(tmp, ignore_errors=True)

"""`event-path` and `bulk-update`: what writing domain events costs a write, events on vs. off in the same run.

event-path: pgbench, 8 clients, one single-row UPDATE of a random product per transaction (a new subtitle:
the row changes, so ProductUpdated is written to outbox.events and fanned out to the index queue), as
rustok_app with the tenant set. Reference: the same script with `session_replication_role = replica` for the
pgbench sessions (PGOPTIONS; every trigger off, so also timestamps and foreign-key checks), or, without a
superuser login, with the products' event triggers disabled. Goal: ratio >= 0.8.

bulk-update: one connection, UPDATE of 1,000 prices per statement (autocommit), statements/s, as rustok_app
with the tenant set; the prices trigger writes one ProductUpdated per affected product. Reference: the same
with `session_replication_role = replica`. Goal: ratio >= 0.9.

Rounds alternate which mode goes first. The queue they fill is discarded afterwards (not measured here:
that is the projector scenario).
"""

from __future__ import annotations

import time

from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench, loadavg, median, percentile

EVENT_PATH_SCRIPT = """\\set n random(1, {products})
update commerce.products set subtitle = 'Edition ' || :n || '-' || (random() * 1000000)::int
where tenant_id = core.current_tenant_id() and handle = 'p-' || :n;
"""

EVENT_TRIGGERS = ("_900_events_upd",)


def _toggle_triggers(bench: Bench, table: str, enable: bool) -> None:
    with bench.owner() as conn:
        for trigger in EVENT_TRIGGERS:
            conn.execute(f"alter table {table} {'enable' if enable else 'disable'} trigger {trigger}")


def run_event_path(bench: Bench, clients: int = 8) -> Result:
    bench.discard_queue()   # what earlier scenarios left (untimed)
    before = loadavg()
    replica = bench.admin_url is not None
    method = ("session_replication_role = replica via PGOPTIONS (superuser login, role rustok_app)" if replica
              else "products' event trigger _900_events_upd disabled")
    script = EVENT_PATH_SCRIPT.format(products=bench.size.products)
    rounds, lat_on, lat_off = [], [], []
    try:
        for r in range(bench.rounds):
            row = {"round": r + 1}
            for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
                bench.checkpoint()
                if not replica:
                    _toggle_triggers(bench, "commerce.products", mode == "on")
                run = bench.pgbench(f"event-path-{mode}", script, clients=clients,
                                    replica=replica and mode == "off", login_admin=replica)
                row[mode] = round(run.tps, 1)
                row[f"{mode}_p50_ms"] = round(percentile(run.latencies_ms, 50), 3)
                row[f"{mode}_p99_ms"] = round(percentile(run.latencies_ms, 99), 3)
                row[f"{mode}_failed"] = run.failed
                (lat_on if mode == "on" else lat_off).extend(run.latencies_ms)
                bench.log(f"  event-path round {r + 1} events {mode:3s}: {run.tps:,.0f} commits/s")
            rounds.append(row)
    finally:
        if not replica:
            _toggle_triggers(bench, "commerce.products", True)
    discarded = bench.discard_queue()
    on, off = median([x["on"] for x in rounds]), median([x["off"] for x in rounds])
    return Result(
        scenario="event-path",
        figure=Figure("single-row commits/s, event path on (median of rounds)", round(on, 1), "commits/s"),
        reference=Figure("same, event triggers off", round(off, 1), "commits/s"),
        goal="ratio >= 0.8", goal_value=0.8, goal_on="ratio",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"clients": clients, "threads": min(2, clients), "seconds_per_run": bench.seconds,
                  "protocol": "prepared", "role": "rustok_app, tenant set (session)", "reference_method": method,
                  "statement": "update commerce.products set subtitle = ... where handle = random product"},
        extra={"p50_on_ms": round(percentile(lat_on, 50), 3), "p99_on_ms": round(percentile(lat_on, 99), 3),
               "p50_off_ms": round(percentile(lat_off, 50), 3), "p99_off_ms": round(percentile(lat_off, 99), 3),
               "deliveries_discarded_after": discarded},
        charts=[{"kind": "rounds", "title": "commits/s per round", "ylabel": "commits/s",
                 "series": {"events on": [x["on"] for x in rounds], "events off": [x["off"] for x in rounds]}},
                {"kind": "latency", "title": "transaction latency", "series": {"events on": lat_on, "events off": lat_off}}],
    )


BULK_SQL = "update commerce.prices set amount = amount + 1 where tenant_id = core.current_tenant_id() and id = any(%s)"


def run_bulk_update(bench: Bench, per_statement: int = 1000) -> Result:
    bench.discard_queue()   # what earlier scenarios left (untimed)
    before = loadavg()
    replica = bench.admin_url is not None
    method = ("session_replication_role = replica (superuser login, role rustok_app)" if replica
              else "prices' event trigger _900_events_upd disabled")
    with bench.owner() as conn:
        ids = [r[0] for r in conn.execute("select id from commerce.prices where tenant_id = %s order by id",
                                          (bench.tenant_id,)).fetchall()]
    chunks = [ids[i:i + per_statement] for i in range(0, len(ids), per_statement)]
    chunks = [c for c in chunks if len(c) == per_statement] or [ids]
    rounds, lat = [], {"on": [], "off": []}
    position = 0
    try:
        for r in range(bench.rounds):
            row = {"round": r + 1}
            for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
                bench.checkpoint()
                if not replica:
                    _toggle_triggers(bench, "commerce.prices", mode == "on")
                with bench.app(replica=replica and mode == "off", login_admin=replica) as conn:
                    done, start = 0, time.monotonic()
                    while time.monotonic() - start < bench.seconds:
                        t0 = time.monotonic()
                        conn.execute(BULK_SQL, (chunks[position % len(chunks)],))
                        lat[mode].append((time.monotonic() - t0) * 1000)
                        position += 1
                        done += 1
                    took = time.monotonic() - start
                row[mode] = round(done / took, 2)
                row[f"{mode}_statements"] = done
                bench.log(f"  bulk-update round {r + 1} events {mode:3s}: {done / took:,.2f} statements/s")
            rounds.append(row)
    finally:
        if not replica:
            _toggle_triggers(bench, "commerce.prices", True)
    discarded = bench.discard_queue()
    on, off = median([x["on"] for x in rounds]), median([x["off"] for x in rounds])
    return Result(
        scenario="bulk-update",
        figure=Figure(f"UPDATE of {per_statement:,} prices per statement, events on (median)", round(on, 2), "statements/s"),
        reference=Figure("same, session_replication_role = replica" if replica else "same, event trigger off",
                         round(off, 2), "statements/s"),
        goal="ratio >= 0.9", goal_value=0.9, goal_on="ratio",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"rows_per_statement": per_statement, "connections": 1, "seconds_per_run": bench.seconds,
                  "role": "rustok_app, tenant set", "reference_method": method,
                  "statement": BULK_SQL.replace("%s", "<1,000 price ids>")},
        extra={"rows_per_s_on": round(on * per_statement), "rows_per_s_off": round(off * per_statement),
               "p50_on_ms": round(percentile(lat["on"], 50), 1), "p50_off_ms": round(percentile(lat["off"], 50), 1),
               "deliveries_discarded_after": discarded},
        charts=[{"kind": "rounds", "title": "statements/s per round", "ylabel": "statements/s",
                 "series": {"events on": [x["on"] for x in rounds], "events off": [x["off"] for x in rounds]}},
                {"kind": "latency", "title": "statement latency", "series": {"events on": lat["on"], "events off": lat["off"]}}],
    )

"""`projector` and `reindex`: how fast the read model is built.

projector: events/s drained from the backlog the generator left in the index queue, two ways per round:
`select * from outbox.drain('index', 5)` in a loop (each call one transaction of up to 5 batches), and the real
`rustok worker --consumer index --no-periodic` process (default slots and batch size; its rate is the drop of
the queue length over the measured window). Reference, interleaved: pgbench single-row inserts/s, 8 clients,
into a plain table with a uuid primary key and one index (bench.ref_rows), as rustok_app. The figure is the
drain loop's rate; goal: ratio >= 1.0. Both run as the migration owner, like the worker. After the rounds the
generator's backlog is discarded and the drain loop is timed once more per round over a fresh backlog of up to
20,000 ProductUpdated events (extra figure `drain_fresh_backlog_events_per_s`): the claim query's cost grows
with the queue, so the two figures tell the queue's size from the work per event.

reindex: a full reindex of the tenant's products (rustok.index.reindex, the code behind `rustok reindex`:
index.reindex_chunk per 2,000 ids on as many connections as cores (at most 4), one transaction each, then
index.refresh_words_if_stale and an analyze of stale statistics), products/s. Goal >= 10,000/s.

Both also report the server's CPU time per event / product (the backends' user + system time from /proc, when the
server runs on this machine): on a shared machine the wall-clock rate moves with the load, the CPU cost much less;
`cpu_bound_products_per_s` is what the reindex would do with every core to itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench, backend_cpu_ms, loadavg, median, percentile
from rustok.index import reindex

REF_INSERT_SCRIPT = """\\set k random(1, 1000000)
insert into bench.ref_rows (k) values (:k);
"""


def _drain_loop(bench: Bench) -> tuple[float, int, list[float], float | None]:
    """Drain for bench.seconds; returns (events/s, events, per-call events/s, server CPU ms per event or None)."""
    done, calls = 0, []
    with bench.owner() as conn:
        cpu0 = backend_cpu_ms(conn)
        start = time.monotonic()
        while time.monotonic() - start < bench.seconds:
            t0 = time.monotonic()
            row = conn.execute("select succeeded, claimed from outbox.drain('index', 5)").fetchone()
            took = time.monotonic() - t0
            done += row[0]
            calls.append(row[0] / took if took else 0)
            if row[1] == 0:
                break
        took = time.monotonic() - start
        cpu1 = backend_cpu_ms(conn)
    cpu = (cpu1 - cpu0) / done if done and cpu0 is not None and cpu1 is not None else None
    return done / took if took else 0.0, done, calls, cpu


def _worker(bench: Bench) -> tuple[float, int]:
    """Run the real worker for bench.seconds; events/s = the queue's drop over the window."""
    env = dict(os.environ, DATABASE_URL=bench.url, RUSTOK_INDEX_FULL_REINDEX_AT="off")
    proc = subprocess.Popen([sys.executable, "-m", "rustok.cli", "worker", "--consumer", "index", "--no-periodic"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # let it start (imports, connections) and take its first batches, then measure
        q_start, deadline = bench.queued(), time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            if bench.queued() < q_start:
                break
        if proc.poll() is not None:
            raise RuntimeError(f"rustok worker exited early with {proc.returncode}")
        q0, t0 = bench.queued(), time.monotonic()
        time.sleep(bench.seconds)
        q1, t1 = bench.queued(), time.monotonic()
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return max(q0 - q1, 0) / (t1 - t0), max(q0 - q1, 0)


# events in the index queue under which a round first queues a backlog of its own (a round of 10 s drains ~100k)
TOP_UP_BELOW = 200_000

FRESH_BACKLOG = """
update commerce.products set metadata = metadata || jsonb_build_object('bench_round', %(r)s::integer)
where tenant_id = %(t)s and handle = any(%(handles)s)
"""


def _fresh_backlog_rate(bench: Bench, r: int, count: int) -> tuple[float, int]:
    """Queue `count` ProductUpdated events on an otherwise empty queue and drain them all: events/s."""
    with bench.owner() as conn:
        conn.execute(FRESH_BACKLOG, {"r": r, "t": bench.tenant_id,
                                     "handles": [f"p-{n}" for n in range(1, count + 1)]})
    done, start = 0, time.monotonic()
    with bench.owner() as conn:
        while time.monotonic() - start < max(60.0, 6 * bench.seconds):
            row = conn.execute("select succeeded, claimed from outbox.drain('index', 5)").fetchone()
            done += row[0]
            if row[1] == 0:
                break
    took = time.monotonic() - start
    return done / took if took else 0.0, done


def run_projector(bench: Bench, clients: int = 8) -> Result:
    before = loadavg()
    backlog = bench.queued()
    with bench.owner() as conn:
        mix = dict(conn.execute(
            "select e.aggregate_type, count(*) from outbox.deliveries d join outbox.events e "
            "on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id "
            "where d.consumer = 'index' group by 1").fetchall())
    rounds, calls, ref_lat, topped_up = [], [], [], 0
    for r in range(bench.rounds):
        passes = 0
        while bench.queued() < TOP_UP_BELOW and passes < 3:
            # no generator's backlog (--url to a database already drained, or a round ate it): queue one
            # ProductUpdated per product, so the round measures a backlog instead of reporting 0 events/s
            with bench.owner() as conn:
                conn.execute(FRESH_BACKLOG, {"r": 1000 + 10 * r + passes, "t": bench.tenant_id,
                                             "handles": [f"p-{n}" for n in range(1, bench.size.products + 1)]})
            passes += 1
        if passes:
            topped_up += 1
            bench.log(f"  projector round {r + 1}: the queue was (nearly) empty: queued {bench.queued():,} "
                      "ProductUpdated events")
        bench.checkpoint()
        drain_rate, drained, per_call, cpu_per_event = _drain_loop(bench)
        calls.extend(per_call)
        worker_rate, worker_done = _worker(bench)
        bench.checkpoint()
        ref = bench.pgbench("projector-ref", REF_INSERT_SCRIPT, clients=clients)
        ref_lat.extend(ref.latencies_ms)
        rounds.append({"round": r + 1, "drain": round(drain_rate, 1), "drained": drained,
                       "drain_cpu_us_per_event": round(cpu_per_event * 1000) if cpu_per_event is not None else None,
                       "worker": round(worker_rate, 1), "worker_events": worker_done,
                       "reference_inserts": round(ref.tps, 1)})
        bench.log(f"  projector round {r + 1}: drain {drain_rate:,.0f} events/s, worker {worker_rate:,.0f} events/s, "
                  f"reference inserts {ref.tps:,.0f}/s")
    # The same drain loop over a small fresh backlog (the generator's is discarded first): how much of the
    # figure is the size of the queue rather than the work per event.
    left = bench.queued()
    bench.discard_queue()
    fresh_count = min(20_000, bench.size.products)
    for r, row in enumerate(rounds):
        rate, done = _fresh_backlog_rate(bench, r + 1, fresh_count)
        row["drain_fresh_backlog"] = round(rate, 1)
        row["fresh_backlog_events"] = done
        bench.log(f"  projector round {r + 1}: drain over a fresh backlog of {done:,} events: {rate:,.0f} events/s")
    drain = median([x["drain"] for x in rounds])
    fresh = median([x["drain_fresh_backlog"] for x in rounds])
    worker = median([x["worker"] for x in rounds])
    ref = median([x["reference_inserts"] for x in rounds])
    return Result(
        scenario="projector",
        figure=Figure("events/s drained by outbox.drain('index') in a loop (median)", round(drain, 1), "events/s"),
        reference=Figure("single-row inserts/s, 8 clients, plain table (uuid PK + 1 index)", round(ref, 1), "inserts/s"),
        goal="ratio >= 1.0", goal_value=1.0, goal_on="ratio",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"drain_call": "select * from outbox.drain('index', 5)", "seconds_per_run": bench.seconds,
                  "worker": "rustok worker --consumer index --no-periodic (default slots and batch size)",
                  "reference_clients": clients, "role": "migration owner (drain, worker); rustok_app (reference)"},
        extra={"worker_events_per_s": round(worker, 1), "worker_ratio": round(worker / ref, 3) if ref else None,
               "backlog_at_start": backlog, "backlog_by_aggregate": mix, "backlog_left_discarded": left,
               "rounds_with_a_backlog_queued_by_the_scenario": topped_up,
               "drain_fresh_backlog_events_per_s": round(fresh, 1),
               "drain_cpu_us_per_event": median([x["drain_cpu_us_per_event"] for x in rounds
                                                 if x.get("drain_cpu_us_per_event") is not None]) or None,
               "fresh_backlog_ratio": round(fresh / ref, 3) if ref else None,
               "reference_p50_ms": round(percentile(ref_lat, 50), 3)},
        notes=["The backlog is the generator's: in queue order, products' events first (ProductCreated, VariantCreated, "
               "ProductUpdated from each child table...), then content, then orders. A round that finds fewer than "
               f"{TOP_UP_BELOW:,} events queued (a database drained before, --url) first queues one ProductUpdated per "
               "product, up to three times (rounds_with_a_backlog_queued_by_the_scenario counts those rounds).",
               f"drain_fresh_backlog: the same drain loop over {fresh_count:,} ProductUpdated events queued on an empty "
               "queue after the generator's backlog was discarded (one per round, after the main rounds)."],
        charts=[{"kind": "rounds", "title": "events/s vs. reference inserts/s per round", "ylabel": "per second",
                 "series": {"drain loop events/s": [x["drain"] for x in rounds],
                            "drain loop, fresh small backlog": [x["drain_fresh_backlog"] for x in rounds],
                            "worker events/s": [x["worker"] for x in rounds],
                            "reference inserts/s": [x["reference_inserts"] for x in rounds]}},
                {"kind": "timeline", "title": "drain rate per outbox.drain call", "xlabel": "call",
                 "ylabel": "events/s", "x": list(range(1, len(calls) + 1)), "y": calls}],
    )


def run_reindex(bench: Bench) -> Result:
    before = loadavg()
    chunk, jobs = reindex.DEFAULT_CHUNK_SIZE, min(os.cpu_count() or 1, 4)   # `rustok reindex` defaults
    rounds, rates = [], []
    extra_cpu: list[float] = []     # CPU ms of the extra connections of a round, read when they close

    def connect():
        c = bench.owner()
        close = c.close

        def close_and_count() -> None:
            used = backend_cpu_ms(c)
            if used is not None:
                extra_cpu.append(used)
            close()
        c.close = close_and_count
        return c

    with bench.owner() as conn:
        for r in range(bench.rounds):
            bench.checkpoint()
            chunk_rates: list[float] = []
            last = [time.monotonic()]

            def on_chunk() -> None:
                now = time.monotonic()
                chunk_rates.append(chunk / (now - last[0]) if now > last[0] else 0)
                last[0] = now

            extra_cpu.clear()
            cpu0 = backend_cpu_ms(conn)
            stats = reindex.reindex(conn, [(bench.tenant_id, "bench")], types=("product",), chunk_size=chunk,
                                    progress_stream=None, on_chunk=on_chunk, jobs=jobs, connect=connect)
            cpu1 = backend_cpu_ms(conn)
            rate = stats.total / stats.seconds if stats.seconds else 0.0
            cpu_us = ((cpu1 - cpu0 + sum(extra_cpu)) * 1000 / stats.total
                      if cpu0 is not None and cpu1 is not None and stats.total and len(extra_cpu) == jobs - 1 else None)
            rounds.append({"round": r + 1, "products": stats.total, "seconds": stats.seconds,
                           "products_per_s": round(rate, 1), "failed": stats.failed,
                           "rebuild_seconds": stats.rebuild_seconds, "words_seconds": stats.words_seconds,
                           "analyze_seconds": stats.analyze_seconds,
                           "cpu_us_per_product": round(cpu_us) if cpu_us is not None else None})
            rates.extend(chunk_rates)
            bench.log(f"  reindex round {r + 1}: {stats.total:,} products in {stats.seconds:.1f} s = {rate:,.0f}/s "
                      f"(rebuild {stats.rebuild_seconds:.1f} s, words {stats.words_seconds:.1f} s, analyze "
                      f"{stats.analyze_seconds:.1f} s; server CPU {cpu_us or 0:.0f} us/product)")
    figure = median([x["products_per_s"] for x in rounds])
    cpu_rounds = [x["cpu_us_per_product"] for x in rounds if x["cpu_us_per_product"]]
    cpu_us = median(cpu_rounds) if cpu_rounds else None
    return Result(
        scenario="reindex",
        figure=Figure("full reindex of the tenant's products (median)", round(figure, 1), "products/s"),
        reference=None,
        goal=">= 10,000 products/s", goal_value=10000, goal_on="figure",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"code": f"rustok.index.reindex.reindex (as `rustok reindex --type product`), chunks of {chunk}, "
                          f"{jobs} connection(s)",
                  "role": "migration owner"},
        extra={"p50_chunk_products_per_s": round(percentile(rates, 50), 1),
               "cpu_us_per_product": cpu_us,
               "cpu_bound_products_per_s": round(min(jobs, os.cpu_count() or 1) * 1e6 / cpu_us) if cpu_us else None},
        notes=["cpu_us_per_product: the server processes' CPU time (user + system, all connections) per product; "
               "cpu_bound_products_per_s: cores used (jobs, at most the machine's cores) / that, the rate with every "
               "core to itself (this machine is shared)."],
        charts=[{"kind": "rounds", "title": "products/s per round", "ylabel": "products/s",
                 "series": {"reindex": [x["products_per_s"] for x in rounds]}},
                {"kind": "timeline", "title": f"products/s per chunk of {chunk} (chunks in completion order)", "xlabel": "chunk", "ylabel": "products/s",
                 "x": list(range(1, len(rates) + 1)), "y": rates}],
    )

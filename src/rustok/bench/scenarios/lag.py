"""`lag`: commit-to-index lag at ~1,000 writes/s with the real worker running (goal p50 <= 5 ms, p99 <= 50 ms).

A `rustok worker` process (default settings, as the migration owner; the daily full reindex off) runs for the
whole scenario. Four writer threads, each its own connection as rustok_app with the tenant set, update the
titles of distinct products, paced to 1,000 writes/s in total, for bench.seconds per round. After a round, once
the index queue is empty, the lag of every written product is computed in the database: the commit time of
the index.products row version minus the commit time of the commerce.products row version
(pg_xact_commit_timestamp of both xmins; the bench cluster runs with track_commit_timestamp = on). Without
track_commit_timestamp (--url to a server without it) it falls back to indexed_at - updated_at, which misses
the projector's commit and the writer's statement time (said in the JSON). The reference is the write rate
achieved vs. the target.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from rustok.bench import generate
from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench, loadavg, median, percentile

TARGET = 1000
WRITERS = 4

WRITE = "update commerce.products set title = %s where tenant_id = core.current_tenant_id() and id = %s"

LAG_COMMIT_TS = """
select extract(epoch from pg_xact_commit_timestamp(p.xmin))::float8,
       (extract(epoch from pg_xact_commit_timestamp(i.xmin) - pg_xact_commit_timestamp(p.xmin)) * 1000)::float8,
       i.title is not distinct from p.title
from commerce.products p
left join index.products i on i.tenant_id = p.tenant_id and i.product_id = p.id
where p.tenant_id = %s and p.id = any(%s)
"""

LAG_INDEXED_AT = """
select extract(epoch from p.updated_at)::float8, (extract(epoch from i.indexed_at - p.updated_at) * 1000)::float8,
       i.title is not distinct from p.title
from commerce.products p
left join index.products i on i.tenant_id = p.tenant_id and i.product_id = p.id
where p.tenant_id = %s and p.id = any(%s)
"""


def _write_round(bench: Bench, products: list, tag: str) -> tuple[int, float, list]:
    """Write the products' titles at TARGET/s over WRITERS connections; returns (writes, seconds, ids written)."""
    per_writer = [products[i::WRITERS] for i in range(WRITERS)]
    interval = WRITERS / TARGET
    counts = [0] * WRITERS
    written: list[list] = [[] for _ in range(WRITERS)]
    errors: list[BaseException] = []
    start = time.monotonic() + 0.2
    end = start + bench.seconds

    def writer(i: int) -> None:
        try:
            with bench.app() as conn:
                j = 0
                while True:
                    due = start + (j + i / WRITERS) * interval
                    if due >= end or j >= len(per_writer[i]):
                        break
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    pid = per_writer[i][j]
                    conn.execute(WRITE, (f"Lag {tag} {i}-{j}", pid))
                    written[i].append(pid)
                    counts[i] += 1
                    j += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    took = max(time.monotonic() - start, 1e-9)
    return sum(counts), min(took, bench.seconds) if sum(counts) else took, [p for w in written for p in w]


def run(bench: Bench) -> Result:
    before = loadavg()
    bench.discard_queue()
    with bench.owner() as conn:
        commit_ts = conn.execute("show track_commit_timestamp").fetchone()[0] == "on"
    query = LAG_COMMIT_TS if commit_ts else LAG_INDEXED_AT
    published = [n for n in range(1, bench.size.products + 1) if n % 20 != 0]
    env = dict(os.environ, DATABASE_URL=bench.url, RUSTOK_INDEX_FULL_REINDEX_AT="off")
    worker = subprocess.Popen([sys.executable, "-m", "rustok.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rounds, lags, timeline_x, timeline_y = [], [], [], []
    offset, first_commit = 0.0, None
    try:
        time.sleep(2.0)
        if worker.poll() is not None:
            raise RuntimeError(f"rustok worker exited early with {worker.returncode}")
        cursor = 0
        for r in range(bench.rounds):
            count = int(TARGET * bench.seconds) + 1
            chosen = [published[(cursor + k) % len(published)] for k in range(count)]
            cursor += count
            ids = [generate.bench_id(generate.PRODUCT, n) for n in chosen]
            # the tag is new in every run: a title written again unchanged (a second run on the same database,
            # --url) would leave the read row as it was, and its "lag" would be negative
            writes, took, written = _write_round(bench, ids, f"r{r + 1}-{time.time_ns():x}")
            deadline = time.monotonic() + max(60.0, 10 * bench.seconds)
            while bench.queued() and time.monotonic() < deadline:
                time.sleep(0.05)
            with bench.owner() as conn:
                rows = conn.execute(query, (bench.tenant_id, list(dict.fromkeys(written)))).fetchall()
            current = [(c, lag) for c, lag, ok in rows if ok and lag is not None]
            round_lags = [lag for _, lag in current]
            lags.extend(round_lags)
            if current:
                base = min(c for c, _ in current)
                first_commit = first_commit if first_commit is not None else base
                for c, lag in sorted(current):
                    timeline_x.append(offset + c - base)
                    timeline_y.append(max(lag, 0.001))
                offset = timeline_x[-1] + 1.0
            rate = writes / took if took else 0.0
            rounds.append({"round": r + 1, "writes": writes, "writes_per_s": round(rate, 1), "target_per_s": TARGET,
                           "p50_ms": round(percentile(round_lags, 50), 2), "p99_ms": round(percentile(round_lags, 99), 2),
                           "max_ms": round(max(round_lags), 2) if round_lags else None,
                           "not_current": len(rows) - len(current)})
            bench.log(f"  lag round {r + 1}: {rate:,.0f} writes/s (target {TARGET}), p50 {percentile(round_lags, 50):.1f} ms, "
                      f"p99 {percentile(round_lags, 99):.1f} ms")
    finally:
        worker.terminate()
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    bench.discard_queue()
    p50, p99 = percentile(lags, 50), percentile(lags, 99)
    achieved = median([x["writes_per_s"] for x in rounds])
    result = Result(
        scenario="lag",
        figure=Figure("commit-to-index lag p50 (all rounds)", round(p50, 2), "ms"),
        reference=Figure("write commits/s achieved (target 1,000/s; ratio = achieved / target)", round(achieved, 1),
                         "commits/s"),
        goal="p50 <= 5 ms and p99 <= 50 ms", goal_value=5.0, goal_on="figure_max",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"target_writes_per_s": TARGET, "writer_connections": WRITERS, "seconds_per_round": bench.seconds,
                  "worker": "rustok worker (default settings, full reindex off), as the migration owner",
                  "writer_role": "rustok_app, tenant set", "write": WRITE,
                  "lag_method": ("pg_xact_commit_timestamp(index row xmin) - pg_xact_commit_timestamp(product row xmin)"
                                 if commit_ts else "index.products.indexed_at - commerce.products.updated_at "
                                                   "(track_commit_timestamp off; understates)")},
        extra={"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "max_ms": round(max(lags), 2) if lags else None,
               "achieved_vs_target": round(achieved / TARGET, 3), "samples": len(lags)},
        charts=[{"kind": "timeline", "title": "lag per write over time (rounds back to back)", "xlabel": "s",
                 "ylabel": "lag, ms (log)", "x": timeline_x, "y": timeline_y, "scatter": True, "log": True},
                {"kind": "latency", "title": "lag distribution", "xlabel": "lag, ms (log)", "ylabel": "writes",
                 "series": {"commit-to-index lag": lags}},
                {"kind": "rounds", "title": "writes/s achieved per round", "ylabel": "writes/s",
                 "series": {"achieved": [x["writes_per_s"] for x in rounds],
                            "target": [TARGET for _ in rounds]}}],
    )
    result.ratio_override = round(achieved / TARGET, 4)   # the reference: achieved vs. target rate
    result.also_met = p99 <= 50.0                            # the goal holds both percentiles
    return result

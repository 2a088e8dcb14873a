"""Backend CPU per event of the index projector for fresh title changes (issue 11 item 6, branch gin).

Updates N products' titles (one statement per 1,000, as rustok_app with the tenant set: one ProductUpdated each),
then drains them with `select * from outbox.drain('index', 5)` in a loop on one owner connection and reads that
backend's utime + stime from /proc/<pid>/stat before and after (the server runs on this machine). Also times
one-event `call outbox.run_batch('index', 1, ...)` batches (wall, median) over `--single` fresh updates.
Usage: python bench/drain_cpu.py OWNER_URL ADMIN_URL [--n 10000] [--single 200] [--tag x]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid: int) -> float:
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("owner")
    ap.add_argument("admin")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--start", type=int, default=1)
    ap.add_argument("--single", type=int, default=0)
    ap.add_argument("--tag", default=str(int(time.time())))
    a = ap.parse_args()
    with psycopg.connect(a.admin, autocommit=True) as s:
        s.execute("delete from outbox.deliveries")
        s.execute("vacuum outbox.deliveries")
        tenant = s.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
        size0 = s.execute("select pg_total_relation_size('index.products'), pg_relation_size('index.products'), "
                          "pg_total_relation_size('index.product_search')").fetchone()
        hot0 = s.execute("select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'index.products'::regclass").fetchone()
    app = f"{a.owner}?options=-c%20role%3Drustok_app%20-c%20rustok.tenant_id%3D{tenant}"
    with psycopg.connect(app, autocommit=True) as w:
        ids = [r[0] for r in w.execute(
            "select id from commerce.products where tenant_id = %s order by id offset %s limit %s",
            (tenant, a.start, a.n + a.single)).fetchall()]
        for i in range(0, a.n, 1000):
            w.execute("update commerce.products set title = title || ' ' || %s where tenant_id = %s and id = any (%s)",
                      (a.tag, tenant, ids[i:i + 1000]))
    with psycopg.connect(a.owner, autocommit=True) as d:
        pid = d.execute("select pg_backend_pid()").fetchone()[0]
        c0, t0 = cpu(pid), time.monotonic()
        done = 0
        while True:
            r = d.execute("select succeeded, claimed from outbox.drain('index', 5)").fetchone()
            done += r[0] or 0
            if not r[1]:
                break
        c1, t1 = cpu(pid), time.monotonic()
        singles = []
        if a.single:
            d.execute("set synchronous_commit = off")
            with psycopg.connect(app, autocommit=True) as w:
                for pid_ in ids[a.n:]:
                    w.execute("update commerce.products set title = title || ' ' || %s where tenant_id = %s and id = %s",
                              (a.tag, tenant, pid_))
                    s0 = time.perf_counter()
                    d.execute("call outbox.run_batch('index', 1, 'gin-bench')")
                    singles.append((time.perf_counter() - s0) * 1000)
            c2 = cpu(pid)
    with psycopg.connect(a.admin, autocommit=True) as s:
        size1 = s.execute("select pg_total_relation_size('index.products'), pg_relation_size('index.products'), "
                          "pg_total_relation_size('index.product_search')").fetchone()
        hot1 = s.execute("select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'index.products'::regclass").fetchone()
    la = open("/proc/loadavg").read().split()[:3]
    out = (f"{time.strftime('%H:%M:%S', time.gmtime())} load {' '.join(la)} drained {done} in {t1 - t0:.2f} s "
           f"({done / (t1 - t0):.0f}/s), backend CPU {c1 - c0:.2f} s = {(c1 - c0) / max(done, 1) * 1e6:.0f} us/event; "
           f"index.products upd {hot1[0] - hot0[0]} hot {hot1[1] - hot0[1]}; "
           f"sizes total/heap/search MB {size0[0] >> 20}/{size0[1] >> 20}/{size0[2] >> 20} -> {size1[0] >> 20}/{size1[1] >> 20}/{size1[2] >> 20}")
    if singles:
        out += (f"; one-event run_batch wall median {statistics.median(singles):.2f} ms p90 "
                f"{sorted(singles)[int(len(singles) * .9)]:.2f} ms, CPU {(c2 - c1) / len(singles) * 1000:.2f} ms/batch")
    print(out, flush=True)


if __name__ == "__main__":
    main()

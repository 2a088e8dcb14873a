"""How long the read model takes to catch up after one bulk UPDATE from psql, with the worker running.

Issue 10 (the stranded-lease bug): one `update commerce.products set title = ...` over N products left
half of the read rows stale for the whole lease (~5 min). The goal: every read row current within 10 s
for N = 10,000.

Starts a throwaway embedded PostgreSQL 18, migrates it, loads N published products (one variant, a
price and stock each) set-based, drains the resulting events, starts `rustok worker` (a real process,
default settings), then runs one UPDATE of every product's title as the migration owner (as an
operator in psql would) and polls index.products until every row carries the new title and the
index consumer's queue is empty. Prints the figures and appends nothing by itself: record them in
bench/RESULTS-reliability.md.

Usage: .venv/bin/python bench/bulk_update_convergence.py [--products 10000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from rustok import migrate
from rustok.embedded import EmbeddedCluster, free_port

ROOT = Path(__file__).resolve().parent.parent

LOAD = """
insert into core.tenants (name, slug) values ('Bulk', 'bulk') returning id;
"""


def load(conn: psycopg.Connection, tenant, n: int) -> None:
    conn.execute("""
        insert into commerce.products (tenant_id, title, handle, status)
        select %(t)s, 'Product ' || g, 'p-' || g, 'published' from generate_series(1, %(n)s) g""", {"t": tenant, "n": n})
    conn.execute("""
        insert into commerce.variants (tenant_id, product_id, title, sku)
        select p.tenant_id, p.id, 'Default', 'SKU-' || p.handle from commerce.products p where p.tenant_id = %(t)s""",
                 {"t": tenant})
    conn.execute("""
        insert into commerce.prices (tenant_id, variant_id, amount, currency_code)
        select v.tenant_id, v.id, 1000 + (random() * 9000)::int, 'EUR' from commerce.variants v where v.tenant_id = %(t)s""",
                 {"t": tenant})


def converged(conn: psycopg.Connection, tenant, marker: str, n: int) -> bool:
    done = conn.execute("select count(*) from index.products where tenant_id = %s and title like %s",
                        (tenant, f"% {marker}")).fetchone()[0]
    queued = conn.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0]
    return done == n and queued == 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rustok-bench-"))
    cluster = EmbeddedCluster(tmp, free_port())
    cluster.start()
    worker = None
    try:
        url = cluster.url()
        migrate.apply(url)
        with psycopg.connect(url, autocommit=True) as conn:
            tenant = conn.execute(LOAD).fetchone()[0]
            t0 = time.monotonic()
            load(conn, tenant, args.products)
            conn.execute("select * from outbox.drain('index', 100000)")
            print(f"loaded and indexed {args.products} products in {time.monotonic() - t0:.1f} s")
            env = dict(os.environ, DATABASE_URL=url, RUSTOK_INDEX_FULL_REINDEX_AT="off")
            worker = subprocess.Popen([sys.executable, "-m", "rustok.cli", "worker"], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
            print(f"{'round':>5} {'UPDATE s':>9} {'converged s':>12} {'rows/s':>8}  load average")
            for r in range(1, args.rounds + 1):
                marker = f"v{r}"
                start = time.monotonic()
                conn.execute("update commerce.products set title = regexp_replace(title, ' v[0-9]+$', '') || ' ' || %s "
                             "where tenant_id = %s", (marker, tenant))
                updated = time.monotonic() - start
                while not converged(conn, tenant, marker, args.products):
                    if time.monotonic() - start > args.timeout:
                        print(f"round {r}: not converged after {args.timeout} s")
                        return 1
                    time.sleep(0.05)
                took = time.monotonic() - start
                print(f"{r:>5} {updated:>9.2f} {took:>12.2f} {args.products / took:>8.0f}  "
                      f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0
    finally:
        if worker:
            worker.terminate()
            worker.wait(30)
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Storefront catalog page server time at 100k products (issue 15: p50 under 30 ms with search and facets).

    .venv/bin/python bench/storefront.py [--products 100000] [--requests 40] [--url OWNER_URL] [--misses | --cold]

Loads products with the `rustok bench` generator (src/rustok/bench/generate.py: every row through the write
model, triggers on; only a few content nodes and one order, since the catalog does not read them), reindexes the
tenant (`rustok reindex`'s code), then serves the app under uvicorn on a loopback port and times GET requests of
catalog pages of tenant `bench` (/t/bench/...): search with facets, prefix while typing, a typo, category and
price filters, sort by price, the next page. Each figure is the time from sending the request to the last byte
of the response over loopback (an upper bound of the server time), measured one request at a time after one
untimed warm-up per page (which fills index.search_cache for the listings that cost something). With --misses,
index.search_cache is emptied before every timed request, so the figures are those of the first visitor of a search
after the catalog changed in a way that concerns it (index.search_tallies, which writes update by deltas, are kept).
With --cold, index.search_tallies is emptied as well: the first search since a bulk change (a reindex, an import
of more than 200 rows per statement) or ever. Results go to stdout as a Markdown table (recorded in bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rustok import migrate  # noqa: E402
from rustok.bench.generate import SIZES, generate  # noqa: E402
from rustok.embedded import EmbeddedCluster, free_port  # noqa: E402

PAGES = [
    ("browse, newest, facets", "/t/bench/"),
    ("search 'shirt' + facets", "/t/bench/?q=shirt"),
    ("prefix while typing 'sh'", "/t/bench/?q=sh"),
    ("typo 'shrit'", "/t/bench/?q=shrit"),
    ("search + category + in stock", "/t/bench/?q=shirt&category={category}&in_stock=1"),
    ("price bucket, price ascending", "/t/bench/?price=1000-2500&sort=price_asc"),
    ("search-as-you-type JSON", "/t/bench/search.json?q=shi"),
    ("product page", "/t/bench/products/{handle}"),
]


def load(url: str, products: int) -> None:
    size = replace(SIZES["default"], name="storefront", products=products, nodes=100, comments=100, orders=1,
                   users=100, node_chunk=100, order_chunk=1)
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("select count(*) from commerce.products p join core.tenants t on t.id = p.tenant_id "
                        "where t.slug = 'bench'").fetchone()[0] >= products:
            print("tenant bench already has the products: not generated", file=sys.stderr)
            return
        t0 = time.perf_counter()
        generate(conn, size)
        print(f"generated in {time.perf_counter() - t0:.0f}s; reindexing", file=sys.stderr)
        from rustok.index.reindex import reindex

        tenant = conn.execute("select core.tenant_id_by_slug('bench')").fetchone()[0]
        t0 = time.perf_counter()
        reindex(conn, [(tenant, "bench")], jobs=2, connect=lambda: psycopg.connect(url, autocommit=True))
        conn.execute("select count(*) from outbox.deliveries where consumer = 'index'")
        conn.execute("delete from outbox.deliveries where consumer = 'index'")   # the generator's backlog is in the index now
        conn.execute("vacuum analyze")
        print(f"reindexed in {time.perf_counter() - t0:.0f}s", file=sys.stderr)


def serve(url: str):
    import uvicorn

    from rustok.app import create_app
    from rustok.httpserver import http_protocol

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on", http=http_protocol()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def measure(base: str, requests: int, category: str, handle: str, empty_cache=None) -> list[tuple[str, float, float, int]]:
    rows = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for name, path in PAGES:
            path = path.format(category=category, handle=handle)
            first = http.get(path)
            assert first.status_code == 200, (path, first.status_code, first.text[:300])
            times, api, page = [], [], []
            for _ in range(requests):
                if empty_cache:
                    empty_cache()
                t0 = time.perf_counter()
                answer = http.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200
                timing = dict(part.strip().split(";dur=") for part in answer.headers["server-timing"].split(","))
                api.append(float(timing["api"]))
                page.append(float(timing["page"]))
            times.sort()
            rows.append((name, statistics.median(times), times[int(len(times) * 0.9) - 1], statistics.median(page),
                         statistics.median(api), len(first.content)))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--url", help="the migration owner's URL of a dedicated database (default: a throwaway cluster)")
    ap.add_argument("--misses", action="store_true", help="empty index.search_cache before every timed request")
    ap.add_argument("--cold", action="store_true",
                    help="empty index.search_cache and index.search_tallies before every timed request")
    args = ap.parse_args()
    tmp = cluster = None
    if args.url:
        url = args.url
        migrate.apply(url)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="rustok-bench-storefront-"))
        cluster = EmbeddedCluster(tmp, free_port())
        cluster.start()
        url = cluster.url()
        migrate.apply(url)
    try:
        load(url, args.products)
        with psycopg.connect(url) as conn:
            category = conn.execute("select c.handle from commerce.categories c join core.tenants t on t.id = c.tenant_id "
                                    "where t.slug = 'bench' order by c.handle limit 1").fetchone()[0]
            handle = conn.execute("select p.handle from commerce.products p join core.tenants t on t.id = p.tenant_id "
                                  "where t.slug = 'bench' and p.status = 'published' order by p.id "
                                  "offset %s limit 1", (args.products // 2,)).fetchone()[0]
        server, thread, base = serve(url)
        owner = psycopg.connect(url, autocommit=True)
        try:
            before = os.getloadavg()
            rows = measure(base, args.requests, category, handle,
                           (lambda: owner.execute("delete from index.search_tallies; delete from index.search_cache"))
                           if args.cold else
                           (lambda: owner.execute("delete from index.search_cache")) if args.misses else None)
            after = os.getloadavg()
        finally:
            server.should_exit = True
            thread.join(30)
            owner.close()
        print(f"# storefront catalog pages, {args.products:,} products, {args.requests} requests each"
              f"{' (index.search_cache and index.search_tallies emptied before each)' if args.cold else ''}"
              f"{' (index.search_cache emptied before each)' if args.misses and not args.cold else ''}, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {before[0]:.1f} -> {after[0]:.1f}")
        print("| page | p50 ms (client) | p90 ms (client) | p50 ms server (Server-Timing page) | of which GraphQL (api) | bytes |")
        print("|---|---|---|---|---|---|")
        for name, p50, p90, server, api, size in rows:
            print(f"| {name} | {p50:.1f} | {p90:.1f} | {server:.1f} | {api:.1f} | {size:,} |")
        return 0
    finally:
        if cluster:
            cluster.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

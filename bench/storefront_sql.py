"""Database CPU time of the storefront catalog's listing statements (index.read_products_page) at 100k products.

    .venv/bin/python bench/storefront_sql.py --url OWNER_URL [--requests 10] [--misses | --cold | --writes] [PAGE ...]

The statements bench/storefront.py's pages send (tenant `bench`, as generated there), run as the application role
(rustok_app, one autocommit statement each, as the compiled GraphQL path sends them). For each: the wall time
(p50) and the backend's CPU time (user + system from /proc/<backend pid>/stat, mean per statement; the server
must run on this machine) — CPU time moves much less with the load of a shared machine than wall time. With
--misses, index.search_cache is emptied (as the owner) before each statement (the first visitor after a write
that concerns the search: the kept tallies, which writes update by deltas, stay); with --cold, index.search_tallies
too (the first search since a bulk change, or ever). With --writes, before each statement one product that matches
'shirt' changes in the read model as the projector's rebuild changes it (has_stock flipped in index.products and
index.product_search, one transaction, as the owner): the triggers drop the cached listings it concerns and update
the kept tallies by deltas; the table then also gives that write's wall time. PAGE: any of the names below.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import psycopg
from psycopg.types.json import Jsonb

BUCKETS = [0, 1000, 2500, 5000, 10000]   # the storefront's (src/rustok/storefront/routes.py PRICE_BUCKETS)
PAGES = {
    "shirt": ("shirt", {"priceBuckets": BUCKETS}, "relevance", 12, True),
    "sh": ("sh", {"priceBuckets": BUCKETS}, "relevance", 12, True),
    "shrit": ("shrit", {"priceBuckets": BUCKETS}, "relevance", 12, True),
    "shirt+category+stock": ("shirt", {"priceBuckets": BUCKETS, "categoryHandles": ["{category}"], "inStock": True},
                             "relevance", 12, True),
    "price bucket by price": (None, {"priceBuckets": BUCKETS, "priceMin": 1000, "priceMax": 2499}, "price_asc", 12, True),
    "browse": (None, {"priceBuckets": BUCKETS}, "newest", 12, True),
    "suggestions 'shi'": ("shi", {}, "relevance", 6, False),
}
SQL = ("select count(*) from index.read_products_page('bench', %s, %s, %s, 'EUR', null, null, %s, false, %s, %s)")


def cpu_ms(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the migration owner's URL of the bench database")
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--misses", action="store_true", help="empty index.search_cache before each statement")
    ap.add_argument("--cold", action="store_true", help="empty index.search_cache and index.search_tallies before each")
    ap.add_argument("--writes", action="store_true",
                    help="before each statement, change one product matching 'shirt' in the read model (and time it)")
    ap.add_argument("pages", nargs="*", default=[], help=f"some of: {', '.join(PAGES)}")
    args = ap.parse_args()
    owner = psycopg.connect(args.url, autocommit=True)
    category = owner.execute("select c.handle from commerce.categories c join core.tenants t on t.id = c.tenant_id "
                             "where t.slug = 'bench' order by c.handle limit 1").fetchone()[0]
    app = psycopg.connect(args.url, autocommit=True, options="-c role=rustok_app")
    pid = app.info.backend_pid
    tenant, product = owner.execute(
        "select ps.tenant_id, ps.product_id from index.product_search ps join core.tenants t on t.id = ps.tenant_id "
        "where t.slug = 'bench' and ps.status = 'published' and ps.search_vector @@ 'shirt'::tsquery "
        "order by ps.product_id limit 1").fetchone()
    flips = 0

    def write() -> float:
        nonlocal flips
        t0 = time.perf_counter()
        with owner.transaction():
            for table in ("index.products", "index.product_search"):
                owner.execute(f"update {table} set has_stock = not has_stock where tenant_id = %s and product_id = %s",
                              (tenant, product))
        flips += 1
        return (time.perf_counter() - t0) * 1000

    print(f"# index.read_products_page as rustok_app, {args.requests} statements each"
          f"{' (index.search_cache and index.search_tallies emptied before each)' if args.cold else ''}"
          f"{' (index.search_cache emptied before each)' if args.misses and not args.cold else ''}"
          f"{' (one product matching shirt changed before each)' if args.writes else ''}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}")
    print("| page | total | p50 ms (wall) | CPU ms per statement (backend) |" + (" write p50 ms |" if args.writes else ""))
    print("|---|---|---|---|" + ("---|" if args.writes else ""))
    for name in args.pages or PAGES:
        text, filters, sort, limit, facets = PAGES[name]
        filters = json.loads(json.dumps(filters).replace("{category}", category))
        params = (text, Jsonb(filters), sort, limit, facets, facets)
        app.execute(SQL, params)   # warm-up (fills the cache unless --misses)
        walls, cpus, writes = [], [], []
        for _ in range(args.requests):
            if args.cold:
                owner.execute("delete from index.search_tallies")
            if args.misses or args.cold:
                owner.execute("delete from index.search_cache")
            if args.writes:
                writes.append(write())
            c0, t0 = cpu_ms(pid), time.perf_counter()
            app.execute(SQL, params).fetchone()
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append(cpu_ms(pid) - c0)
        total = app.execute(SQL.replace("count(*)", "max(total)"), params).fetchone()[0]
        print(f"| {name} | {total if total is not None else '—'} | {statistics.median(walls):.1f} | {statistics.mean(cpus):.1f} |"
              + (f" {statistics.median(writes):.1f} |" if args.writes else ""))
    if flips % 2:
        write()   # the product as it was
    return 0


if __name__ == "__main__":
    sys.exit(main())

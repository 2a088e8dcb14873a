"""Storefront search at 100k products: load index.products set-based, time the storefront pages and
check (with auto_explain, nested statements) that they use the GIN / btree indexes.

    .venv/bin/python bench/index_search.py [--products 100000] [--url postgresql://postgres@host/db]

Without --url an embedded PostgreSQL 18 is started in a temporary directory and migrated. The URL
must be a superuser (auto_explain is loaded per session). Exits 1 when an expected index is not used.
Results are recorded in bench/RESULTS-index.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rustok import migrate  # noqa: E402
from rustok.embedded import EmbeddedCluster, free_port  # noqa: E402

LOAD = """
with t as (select %(t)s::uuid as tenant_id),
words as (
    select array['linen', 'cotton', 'wool', 'silk', 'denim', 'leather', 'canvas', 'velvet', 'suede', 'bamboo'] as mat,
           array['shirt', 'jacket', 'trousers', 'scarf', 'hat', 'boots', 'dress', 'skirt', 'sweater', 'coat',
                 'socks', 'gloves', 'belt', 'bag', 'shorts', 'hoodie', 'blazer', 'vest', 'tunic', 'poncho'] as noun,
           array['red', 'blue', 'green', 'black', 'white', 'grey', 'navy', 'olive', 'amber', 'teal'] as colour
),
g as (
    select n, core.new_id() as id,
           w.colour[1 + n %% 10] || ' ' || w.mat[1 + (n / 10) %% 10] || ' ' || w.noun[1 + (n / 100) %% 20]
               || case when n %% 5000 = 1 then ' zanzibar' else '' end || ' ' || n as title,
           'A ' || w.colour[1 + (n / 7) %% 10] || ' piece made of ' || w.mat[1 + (n / 3) %% 10]
               || ', good with a ' || w.noun[1 + (n / 11) %% 20] || '. Item number ' || n || ', model '
               || chr(97 + n %% 26) || chr(97 + (n / 26) %% 26) || chr(97 + (n / 676) %% 26) || 'x.' as description,
           (1 + (n * 7919) %% 500) * 100 as amount,
           (n * 31) %% 7 as stock
    from generate_series(1, %(n)s) n, words w
)
insert into index.products (tenant_id, product_id, title, subtitle, handle, description, status, currencies, prices,
    total_stock, has_stock, variant_count, variants, category_ids, category_handles, categories, tags, tag_slugs,
    search_vector, created_at, updated_at)
select t.tenant_id, g.id, g.title, null, 'product-' || g.n, g.description,
       case when g.n %% 20 = 0 then 'draft' else 'published' end,
       array['EUR'], jsonb_build_object('EUR', jsonb_build_object('min', g.amount, 'max', g.amount + 500)),
       g.stock, g.stock > 0, 1, '[]',
       array[c.id], array[c.handle], jsonb_build_array(jsonb_build_object('id', c.id, 'handle', c.handle, 'name', c.name)),
       array['Tag ' || (g.n %% 30)], array['tag-' || (g.n %% 30)],
       index._tsv('english', g.title, 'A') || index._tsv('english', c.name || ' Tag ' || (g.n %% 30), 'B')
           || index._tsv('english', g.description, 'C'),
       now() - make_interval(secs => g.n), now()
from g, t
cross join lateral (select ('00000000-0000-0000-0000-' || lpad(to_hex(1 + g.n %% 20), 12, '0'))::uuid as id,
                           'category-' || (1 + g.n %% 20) as handle, 'Category ' || (1 + g.n %% 20) as name) c
"""

CATEGORIES = """
insert into commerce.categories (tenant_id, id, name, handle)
select %(t)s, ('00000000-0000-0000-0000-' || lpad(to_hex(k), 12, '0'))::uuid, 'Category ' || k, 'category-' || k
from generate_series(1, 20) k
"""

PRICES = """
insert into index.product_prices (tenant_id, product_id, currency_code, min_amount, max_amount)
select tenant_id, product_id, 'EUR', (prices->'EUR'->>'min')::bigint, (prices->'EUR'->>'max')::bigint
from index.products where tenant_id = %(t)s
"""

SEARCH_ROWS = """
insert into index.product_search (tenant_id, product_id, status, created_at, has_stock, category_ids, tag_slugs,
                                  min_prices, search_vector)
select tenant_id, product_id, status, created_at, has_stock, category_ids, tag_slugs, index._min_prices(prices),
       search_vector
from index.products where tenant_id = %(t)s
"""

SEARCH = "select index.search_products(%s, %s, %s, %s, 20, 0, 'EUR', false)"

CASES = [
    # name, query, filters, sort, indexes that must appear in the nested plans
    ("rare term", "zanzibar", {}, None, ["product_search_text_idx"]),
    ("mid-frequency term (1 in 20)", "scarf", {}, None, ["product_search_text_idx"]),
    ("two terms", "linen shirt", {}, None, ["product_search_text_idx"]),
    ("frequent term (1 in 10), price sort", "linen", {}, "price_asc", ["product_search_text_idx"]),
    ("prefix while typing", "zanzi", {}, None, ["words_prefix_idx", "product_search_text_idx"]),
    ("typo", "zanzibra", {}, None, ["words_trgm_idx", "product_search_text_idx"]),
    ("category filter, newest", None, {"categoryHandles": ["category-7"]}, "newest", ["product_search_category_idx"]),
    ("tag filter + term", "wool", {"tags": ["tag-3"]}, None, ["product_search_text_idx|product_search_tag_idx"]),
    ("browse all, newest (facets cached, index.facet_cache)", None, {}, "newest", ["products_created_idx|products_newest_idx"]),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--url", help="superuser URL of a migrated database (default: embedded, migrated here)")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--plans", action="store_true", help="print the nested plans (EXPLAIN ANALYZE) of every page")
    args = ap.parse_args()

    tmp = None
    cluster = None
    if args.url:
        url = args.url
    else:
        tmp = Path(tempfile.mkdtemp(prefix="rustok-bench-"))
        cluster = EmbeddedCluster(tmp, free_port())
        cluster.start()
        migrate.apply(cluster.url())
        url = cluster.url("postgres")
    try:
        return run(url, args)
    finally:
        if cluster:
            cluster.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, args) -> int:
    ok = True
    with psycopg.connect(url, autocommit=True) as c:
        version = c.execute("show server_version").fetchone()[0]
        tenant = c.execute("insert into core.tenants (name, slug) values ('Bench', 'bench-' || md5(random()::text)::varchar(8)) "
                           "returning id").fetchone()[0]
        other = c.execute("insert into core.tenants (name, slug) values ('Other', 'other-' || md5(random()::text)::varchar(8)) "
                          "returning id").fetchone()[0]
        t0 = time.perf_counter()
        c.execute(LOAD, {"t": tenant, "n": args.products})
        c.execute(LOAD, {"t": other, "n": args.products // 5})
        c.execute(CATEGORIES, {"t": tenant})
        c.execute(PRICES, {"t": tenant})
        c.execute(PRICES, {"t": other})
        c.execute(SEARCH_ROWS, {"t": tenant})   # as the rebuild writes them with the read rows
        c.execute(SEARCH_ROWS, {"t": other})
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.execute("select * from index.refresh_words(%s)", (tenant,))
        words_s = time.perf_counter() - t0
        c.execute("vacuum analyze index.products, index.product_search, index.product_prices, index.words")
        print(f"loaded {args.products} + {args.products // 5} products in {load_s:.1f}s; words {words_s:.1f}s", file=sys.stderr)

        rows = []
        for name, query, filters, sort, expected in CASES:
            params = (tenant, query, Jsonb(filters), sort)
            timings = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = c.execute(SEARCH, params).fetchone()[0]
                timings.append((time.perf_counter() - t0) * 1000)
            plans = explain(c, params)
            if args.plans:
                print(f"==== {name}\n{plans}", file=sys.stderr)
            missing = [ix for ix in expected if not any(alt in plans for alt in ix.split("|"))]
            ok = ok and not missing
            rows.append((name, query, result["total"], statistics.median(timings), max(timings), expected, missing))
        # the browse page without a cached row (first call after a change: counts and fills) and for staff
        extra = [
            ("browse all, newest, cache miss (counts and fills)", "delete from index.facet_cache", SEARCH, False),
            ("browse all, newest, staff (include_unpublished), cached", None,
             "select index.search_products(%s, %s, %s, %s, 20, 0, 'EUR', true)", True),
        ]
        for name, before, sql, staff_index in extra:
            params = (tenant, None, Jsonb({}), "newest")
            timings = []
            for _ in range(args.repeat):
                if before:
                    c.execute(before)
                t0 = time.perf_counter()
                result = c.execute(sql, params).fetchone()[0]
                timings.append((time.perf_counter() - t0) * 1000)
            expected = ["products_newest_idx" if staff_index else "products_created_idx|products_newest_idx"]
            plans = explain_sql(c, sql, params)
            missing = [ix for ix in expected if not any(alt in plans for alt in ix.split("|"))]
            ok = ok and not missing
            rows.append((name, None, result["total"], statistics.median(timings), max(timings), expected, missing))
        # the detail page
        timings = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            c.execute("select index.get_product(%s, %s)", (tenant, f"product-{1 + i * 997}")).fetchone()
            timings.append((time.perf_counter() - t0) * 1000)
        plans = explain_sql(c, "select index.get_product(%s, %s)", (tenant, "product-4242"))
        missing = [] if "products_handle_idx" in plans else ["products_handle_idx"]
        ok = ok and not missing
        rows.append(("product page by handle", "-", 1, statistics.median(timings), max(timings), ["products_handle_idx"], missing))

    print(f"# index search bench: {args.products} products in one tenant (+{args.products // 5} in another)")
    print(f"PostgreSQL {version}; {platform.machine()}, {platform.processor() or 'cpu'}; {time.strftime('%Y-%m-%d')}")
    print()
    print("| page | query | total | median ms | max ms | indexes expected | missing |")
    print("|---|---|---|---|---|---|---|")
    for name, query, total, med, mx, expected, missing in rows:
        print(f"| {name} | {query or ''} | {total} | {med:.1f} | {mx:.1f} | {', '.join(expected) or '-'} | "
              f"{', '.join(missing) or '-'} |")
    print()
    print("all expected indexes used" if ok else "SOME EXPECTED INDEXES WERE NOT USED")
    return 0 if ok else 1


def explain(c: psycopg.Connection, params) -> str:
    return explain_sql(c, SEARCH, params)


def explain_sql(c: psycopg.Connection, sql: str, params) -> str:
    """The plans of every statement the call runs (auto_explain with nested statements), as text."""
    notices: list[str] = []
    handler = lambda d: notices.append(d.message_primary or "")  # noqa: E731
    c.add_notice_handler(handler)
    try:
        c.execute("load 'auto_explain'")
        c.execute("set auto_explain.log_min_duration = 0")
        c.execute("set auto_explain.log_nested_statements = on")
        c.execute("set auto_explain.log_analyze = on")
        c.execute("set client_min_messages = log")
        c.execute(sql, params).fetchone()
    finally:
        c.execute("set client_min_messages = notice")
        c.execute("set auto_explain.log_min_duration = -1")
        c.remove_notice_handler(handler)
    return "\n".join(notices)


if __name__ == "__main__":
    sys.exit(main())

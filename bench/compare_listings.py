"""Outputs of the product listing functions for a grid of texts, filters, sorts and audiences (issue 11 item 6,
branch gin): run once on one code tree and once on another over the same data, then compare the two files.
Usage: python bench/compare_listings.py ADMIN_URL STAFF_USER_ID OUT.json
"""
from __future__ import annotations

import json
import sys
import time

import psycopg
from psycopg.types.json import Jsonb

url, staff_user, out = sys.argv[1:4]
TEXTS = [None, "linen", "zanzibar", "linen shirt", "zanzi", "zanzibra", "wool", "qqqxyz"]
SORTS = [None, "relevance", "newest", "title_asc", "title_desc", "price_asc", "price_desc"]


def main() -> None:
    results = {}
    t0 = time.monotonic()
    with psycopg.connect(url, autocommit=True) as c:
        tenant = c.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
        cats = [r[0] for r in c.execute("select id::text, handle from commerce.categories where tenant_id = %s "
                                        "order by handle limit 8", (tenant,)).fetchall()]
        handles = [r[0] for r in c.execute("select handle from commerce.categories where tenant_id = %s "
                                           "order by handle limit 8", (tenant,)).fetchall()]
        FILTERS = [{}, {"categoryHandles": [handles[3]]}, {"tags": ["tag-3"]}, {"inStock": True},
                   {"priceMin": 1000, "priceMax": 5000}, {"categoryIds": [cats[1], cats[5]]},
                   {"tags": ["tag-3", "tag-7"], "inStock": False}, {"categoryHandles": [handles[2]], "priceMax": 3000},
                   {"status": ["draft"]}, {"tags": None}]
        c.execute("truncate index.search_cache, index.facet_cache")
        c.execute("select set_config('rustok.tenant_id', %s, false)", (str(tenant),))
        c.execute("select set_config('rustok.actor', 'api', false)")

        def q(key, sql, params):
            try:
                rows = c.execute(sql, params).fetchall()
                results[key] = json.loads(json.dumps(rows, default=str))
            except psycopg.Error as e:
                results[key] = f"error {e.sqlstate}: {e.diag.message_primary}"

        for staff in (False, True):
            c.execute("select set_config('rustok.user_id', %s, false)", (staff_user if staff else "",))
            for text in TEXTS:
                for fi, filters in enumerate(FILTERS):
                    if "status" in filters and not staff:
                        continue
                    base = f"{staff}|{text}|{fi}"
                    q(base + "|query", "select q::text, corrected_query from index.product_query(%s, %s, %s, 'EUR', %s)",
                      (tenant, text, Jsonb(filters), staff))
                    q(base + "|count", "select * from index.count_products(%s, (select q from index.product_query(%s, %s, %s, 'EUR', %s)), %s, 'EUR', %s)",
                      (tenant, tenant, text, Jsonb(filters), staff, Jsonb(filters), staff))
                    for sort in SORTS if (not staff or fi in (0, 1, 8)) else (None, "title_asc"):
                        key = f"{base}|{sort}"
                        page = ("select product_id, cursor, rank from index.page_products(%s, (select q from index.product_query(%s, %s, %s, 'EUR', %s)), "
                                "%s, %s, 'EUR', %s, %s, %s, 20, %s)")
                        q(key + "|page", page, (tenant, tenant, text, Jsonb(filters), staff, Jsonb(filters), sort, staff, None, None, False))
                        rows = results.get(key + "|page")
                        if isinstance(rows, list) and len(rows) > 20:
                            cur = Jsonb(json.loads(json.dumps(rows[19][1]))) if isinstance(rows[19][1], dict) else Jsonb(rows[19][1])
                            q(key + "|page2", page, (tenant, tenant, text, Jsonb(filters), staff, Jsonb(filters), sort, staff, cur, None, False))
                            q(key + "|back", page, (tenant, tenant, text, Jsonb(filters), staff, Jsonb(filters), sort, staff, None, cur, True))
                        q(key + "|search", "select index.search_products(%s, %s, %s, %s, 20, 0, 'EUR', %s)",
                          (tenant, text, Jsonb(filters), sort, staff))
                        q(key + "|search40", "select index.search_products(%s, %s, %s, %s, 20, 40, 'EUR', %s)",
                          (tenant, text, Jsonb(filters), sort, staff))
                        if not staff:
                            q(key + "|read", "select * from index.read_products_page('bench', %s, %s, %s, 'EUR', null, null, 20, false, true, true)",
                              (text, Jsonb(filters), sort))
                if text:
                    q(f"{staff}|{text}|correction", "select index.search_correction(%s, %s, %s)", (tenant, text, staff))
                    q(f"{staff}|{text}|unified", "select * from index.page_search(%s, %s, %s, null, null, 20)", (tenant, text, staff))
    json.dump(results, open(out, "w"), sort_keys=True)
    print(f"{len(results)} results in {time.monotonic() - t0:.1f} s; errors: "
          f"{sum(1 for v in results.values() if isinstance(v, str))}")


if __name__ == "__main__":
    main()

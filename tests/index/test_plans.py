"""At catalog scale the storefront calls use the indexes (auto_explain of the nested statements).

bench/index_search.py does the same at 100k products and records timings in bench/RESULTS-index.md;
this test uses 20k products so the suite stays fast.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

_spec = importlib.util.spec_from_file_location("index_bench", Path(__file__).parents[2] / "bench" / "index_search.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _big_catalog(conn, slug: str, other_slug: str):
    """20,000 products (with categories and the word list) in tenant `slug`, 4,000 in another; analyzed."""
    tenant = conn.execute("insert into core.tenants (name, slug) values ('Big', %s) returning id", (slug,)).fetchone()["id"]
    other = conn.execute("insert into core.tenants (name, slug) values ('Other', %s) returning id",
                         (other_slug,)).fetchone()["id"]
    conn.execute(bench.LOAD, {"t": tenant, "n": 20000})
    conn.execute(bench.LOAD, {"t": other, "n": 4000})
    conn.execute(bench.SEARCH_ROWS, {"t": tenant})   # the narrow search rows, as the rebuild writes them
    conn.execute(bench.SEARCH_ROWS, {"t": other})
    conn.execute(bench.CATEGORIES, {"t": tenant})
    conn.execute("select * from index.refresh_words(%s)", (tenant,))
    conn.execute("analyze index.products")
    conn.execute("analyze index.product_search")
    conn.execute("analyze index.words")
    return tenant, other


def test_storefront_calls_use_the_indexes(pg, fresh_db):
    # auto_explain is loaded per session, which needs a superuser: the harness's admin role on the clone
    dbname = fresh_db.rsplit("/", 1)[1]
    with psycopg.connect(pg.url(dbname, owner=False), autocommit=True, row_factory=dict_row) as conn:
        tenant, other = _big_catalog(conn, "big-catalog", "other-catalog")
        for name, query, filters, sort, expected in bench.CASES:
            if "frequen" in name:
                # 1 match in 10-20 is not selective at 20k rows (the planner rightly scans); the 100k bench checks these
                expected = []
            params = (tenant, query, Jsonb(filters), sort)
            plans = bench.explain_sql(conn, bench.SEARCH, params)
            for ix in expected:
                assert any(alt in plans for alt in ix.split("|")), (name, ix, plans)
            result = conn.execute(bench.SEARCH, params).fetchone()["search_products"]
            assert result["total"] > 0 and len(result["items"]) == min(20, result["total"]), name
        plans = bench.explain_sql(conn, "select index.get_product(%s, %s)", (tenant, "product-4242"))
        assert "products_handle_idx" in plans


def _explain_as_app(conn: psycopg.Connection, tenant, sql: str, params) -> str:
    """The nested plans of one call made as the application role with the tenant set, as the API makes it.
    auto_explain is loaded and configured by the superuser first (its settings are superuser-only)."""
    notices: list[str] = []
    handler = lambda d: notices.append(d.message_primary or "")  # noqa: E731
    conn.execute("load 'auto_explain'")
    conn.execute("set auto_explain.log_min_duration = 0")
    conn.execute("set auto_explain.log_nested_statements = on")
    conn.execute("set auto_explain.log_analyze = on")
    conn.execute("set role rustok_app")
    conn.execute("select set_config('rustok.tenant_id', %s, false)", (str(tenant),))
    assert conn.execute("select current_user").fetchone()["current_user"] == "rustok_app"
    conn.add_notice_handler(handler)
    try:
        conn.execute("set client_min_messages = log")
        conn.execute(sql, params).fetchall()
    finally:
        conn.execute("set client_min_messages = notice")
        conn.remove_notice_handler(handler)
        conn.execute("reset role")
        conn.execute("set auto_explain.log_min_duration = -1")
        conn.execute("select set_config('rustok.tenant_id', '', false)")
    return "\n".join(notices)


def test_storefront_reads_use_the_indexes_as_the_application_role(pg, fresh_db):
    """Issue 13 item 1: under row-level security `@@` is not leakproof, so a query of the application role
    cannot use the text index on a table with a policy. The storefront's read functions are security definer
    and apply the tenant rule themselves (index._visible_tenant): the plans of the API's own statements, run
    as rustok_app, use the indexes and never scan the tenant's rows sequentially."""
    from rustok.graphql.storefront import _PRODUCT_PAGE

    dbname = fresh_db.rsplit("/", 1)[1]
    with psycopg.connect(pg.url(dbname, owner=False), autocommit=True, row_factory=dict_row) as conn:
        tenant, other = _big_catalog(conn, "big-app", "other-app")
        selective = [c for c in bench.CASES if "frequen" not in c[0]]
        for name, query, filters, sort, expected in selective:
            # the GraphQL products connection's statement (index.product_query + page_products), as the API runs it
            params = {"t": tenant, "search": query, "filters": Jsonb(filters), "currency": "EUR", "staff": False,
                      "sort": sort, "after": None, "before": None, "limit": 20, "from_end": False}
            plans = _explain_as_app(conn, tenant, _PRODUCT_PAGE, params)
            # no scan of the tenant's display rows nor of its search rows
            assert "Seq Scan on product" not in plans, (name, plans)
            if query or filters.keys() & {"categoryIds", "categoryHandles", "tags"}:
                # a GIN index of the narrow search rows serves the text (or, with a rare tag, the tag index),
                # the categories or the tags: the display rows carry none (migration 0280)
                gin = [ix for ix in expected if "product_search_" in ix] or ["product_search_text_idx"]
                if not query:   # a frequent category by newest may walk the search rows' newest order to the page
                    gin = [ix + "|product_search_newest_idx" for ix in gin]
                for ix in gin:
                    assert any(alt in plans for alt in ix.split("|")), (name, ix, plans)
            # (a filter without text may rightly walk the newest index and filter: 21 rows of a few hundred)
            # index.search_products (the JSON listing with facets), as the application role; the unfiltered
            # browse page counts the tenant's rows once into index.facet_cache, then reads the cache
            if "browse" in name:
                _explain_as_app(conn, tenant, bench.SEARCH, (tenant, query, Jsonb(filters), sort))
            plans = _explain_as_app(conn, tenant, bench.SEARCH, (tenant, query, Jsonb(filters), sort))
            assert "Seq Scan on product" not in plans, (name, plans)
            for ix in expected:
                assert any(alt in plans for alt in ix.split("|")), (name, ix, plans)
            # the total (count_products) uses the text index too
            if query:
                plans = _explain_as_app(conn, tenant,
                                        "select * from index.count_products(%s, index._query(%s, index._tsconfig(%s), %s), "
                                        "'{}', 'EUR', false)", (tenant, tenant, tenant, query))
                assert "product_search_text_idx" in plans and "Seq Scan on product" not in plans, (name, plans)
                assert "Bitmap Heap Scan on products " not in plans, (name, plans)

        # the staff path (every status, a status filter, title sorts) reads the narrow search rows through their GIN
        # indexes too, and each match's display row by key only for a title sort
        staff = conn.execute("insert into core.users (tenant_id, email, password_hash, role) "
                             "values (%s, 'staff@big.example', 'x', 'admin') returning id", (tenant,)).fetchone()["id"]
        conn.execute("select set_config('rustok.user_id', %s, false)", (str(staff),))
        try:
            for query, filters, sort, index in (("zanzibar", {}, "title_asc", "product_search_text_idx"),
                                                ("linen shirt", {"status": ["draft", "published"]}, None,
                                                 "product_search_text_idx"),
                                                (None, {"tags": ["tag-3"]}, "title_desc", "product_search_tag_idx")):
                params = {"t": tenant, "search": query, "filters": Jsonb(filters), "currency": "EUR", "staff": True,
                          "sort": sort, "after": None, "before": None, "limit": 20, "from_end": False}
                plans = _explain_as_app(conn, tenant, _PRODUCT_PAGE, params)
                assert index in plans and "Seq Scan on product" not in plans, (query, filters, sort, plans)
                plans = _explain_as_app(conn, tenant, "select index.search_products(%s, %s, %s, %s, 20, 0, 'EUR', true)",
                                        (tenant, query, Jsonb(filters), sort))
                assert index in plans and "Seq Scan on product" not in plans, (query, filters, sort, plans)
        finally:
            conn.execute("select set_config('rustok.user_id', '', false)")

        # the compiled path's one-pass search with facets (security definer, tenant by slug) uses the text index of
        # the narrow search rows (index.product_search), and reads no display row but the page's (by key)
        for query in ("zanzibar", "linen shirt"):
            plans = _explain_as_app(conn, tenant, "select * from index.read_products_page('big-app', %s, '{}', null, "
                                    "'EUR', null, null, 20, false, true, true)", (query,))
            assert "product_search_text_idx" in plans, (query, plans)
            assert "Seq Scan on product" not in plans and "Bitmap Heap Scan on products " not in plans, (query, plans)

        # the tenant rule still holds: as the application role with the other tenant set, nothing of this one
        conn.execute("set role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, false)", (str(other),))
        try:
            page = conn.execute(_PRODUCT_PAGE, {"t": tenant, "search": "zanzibar", "filters": Jsonb({}), "currency": "EUR",
                                                "staff": False, "sort": None, "after": None, "before": None, "limit": 20,
                                                "from_end": False}).fetchall()
            assert [r for r in page if r["product_id"] is not None] == []
            total = conn.execute("select * from index.count_products(%s, to_tsquery('zanzibar'), '{}', null, false)",
                                 (tenant,)).fetchone()
            assert total["total"] == 0
            assert conn.execute(bench.SEARCH, (tenant, "zanzibar", Jsonb({}), None)).fetchone()["search_products"]["total"] == 0
        finally:
            conn.execute("reset role")

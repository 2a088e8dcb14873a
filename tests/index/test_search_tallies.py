"""Kept listing tallies (0240_index_search_tallies): the one-pass search of index.read_products_page keeps, per
listing, the exact total, the full facet counts and the first matches in order, and the trigger on
index.product_search keeps them exact by deltas. With index.search_cache emptied (the first visitor after a write),
a listing answers from its tally exactly what the uncached statement answers."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from tests.conftest import act_as_app, make_tenant
from tests.index.conftest import Shop
from tests.index.test_search_cache import BUCKETS, WRITES, coat_catalog, read, uncached

COLUMNS = "total, categories, tags, price_buckets, in_stock, out_of_stock"


def miss(shop, **kw):
    """The listing as the first visitor after a write sees it: index.search_cache empty, the tallies kept."""
    shop.conn.execute("delete from index.search_cache where tenant_id = %s", (shop.t,))
    return read(shop, **kw)


def tallies(shop, tenant=None):
    return shop.conn.execute("select * from index.search_tallies where tenant_id = %s order by filled_at, key",
                             (tenant or shop.t,)).fetchall()


def assert_exact(shop):
    """Every kept tally's counts equal a fresh count, and its kept matches are the start of the fresh order."""
    for t in tallies(shop):
        fresh = shop.one("select index._search_tally_compute(%s, %s::tsquery, %s, %s, %s, %s, 101) as r",
                         (shop.t, t["q"], Jsonb(t["filters"]), t["currency_code"], t["bounds"], t["sort"]))["r"]
        for col in COLUMNS.split(", "):
            assert t[col] == fresh[col], (t["inputs"], col)
        assert [str(i) for i in t["top_ids"]] == fresh["top_ids"][:len(t["top_ids"])], t["inputs"]
        if t["complete"]:
            assert len(t["top_ids"]) == t["total"]


@pytest.fixture
def catalog(shop):
    shop.conn.execute("select set_config('rustok.search_cache_min_ms', '0', true)")   # keep whatever it costs
    shop.conn.execute("select set_config('rustok.search_tally_keep', '3', true)")     # a short kept start
    return coat_catalog(shop)


LISTINGS = {
    "search, relevance": dict(search="coat", filters={"priceBuckets": BUCKETS}, limit=2),
    "search, newest": dict(search="coat", sort="newest", filters={"priceBuckets": BUCKETS}, limit=2),
    "prefix": dict(search="velvet co", limit=1),
    "typo": dict(search="velvte", limit=2),
    "search + category + in stock": dict(search="coat", filters={"categoryHandles": ["cat-1"], "inStock": True}),
    "search + tag, no currency": dict(search="coat", filters={"tags": ["sale"]}, currency=None, limit=2),
    "price range by price": dict(filters={"priceMin": 1000, "priceMax": 3999, "priceBuckets": BUCKETS},
                                 sort="price_asc", limit=2),
    "price range, newest": dict(filters={"priceMin": 1000, "priceBuckets": BUCKETS}, limit=2),
    "suggestions (no total, no facets)": dict(search="coa", limit=2, want_total=False, want_facets=False),
}


@pytest.mark.parametrize("name", LISTINGS)
def test_a_listing_from_its_tally_is_identical_to_uncached(catalog, name):
    kw = LISTINGS[name]
    reference = uncached(catalog, **kw)
    assert tallies(catalog) == []
    assert read(catalog, **kw) == reference     # counts, keeps the tally
    assert tallies(catalog), "no tally was kept"
    assert miss(catalog, **kw) == reference     # from the tally
    assert reference[0]["total"] is None or reference[0]["total"] > 0
    assert_exact(catalog)


def test_the_tally_is_really_read(catalog):
    read(catalog, search="coat", limit=2)
    catalog.conn.execute("update index.search_tallies set total = 4242, tags = '{\"sale\": 77}' where tenant_id = %s",
                         (catalog.t,))
    rows = miss(catalog, search="coat", limit=2)
    assert rows[0]["total"] == 4242 and [t["count"] for t in rows[0]["facets"]["tags"]] == [77]
    assert uncached(catalog, search="coat", limit=2)[0]["total"] == 8


@pytest.mark.parametrize("sort", ["relevance", "newest", "price_asc"])
def test_pages_past_the_kept_start_are_counted_by_the_pass(catalog, sort):
    kw = dict(search="coat", sort=sort) if sort != "price_asc" else dict(filters={"priceMin": 0}, sort=sort)
    read(catalog, limit=2, **kw)
    (t,) = tallies(catalog)
    assert len(t["top_ids"]) == 3 and not t["complete"]
    after, seen = None, []
    total = uncached(catalog, limit=2, **kw)[0]["total"]
    while True:
        rows = miss(catalog, limit=2, after=after, **kw)
        assert rows == uncached(catalog, limit=2, after=after, **kw)
        seen += [r["product_id"] for r in rows[1:3]]
        if len(rows) < 4:
            break
        after = rows[2]["cursor"]
    assert len(seen) == len(set(seen)) == total > 4
    assert [x["filled_at"] for x in tallies(catalog)] == [t["filled_at"]]   # the same tally throughout


SEARCHES = [
    dict(search="coat", filters={"priceBuckets": BUCKETS}, limit=2),
    dict(search="coat", filters={"priceBuckets": BUCKETS}, limit=8),
    dict(search="coat", sort="newest", limit=2),
    dict(search="coat", filters={"categoryHandles": ["cat-0"], "inStock": True, "priceBuckets": BUCKETS}),
    dict(search="coat", filters={"tags": ["sale"]}, limit=2),
    dict(filters={"priceMin": 0, "priceMax": 100000, "priceBuckets": BUCKETS}, sort="price_asc", limit=2),
    dict(filters={"priceMin": 1200, "priceBuckets": BUCKETS}, limit=2),
]


@pytest.mark.parametrize("write", WRITES)
def test_kept_counts_stay_exact_through_writes(catalog, write):
    before = [read(catalog, **kw) for kw in SEARCHES]
    kept = {t["key"]: t["filled_at"] for t in tallies(catalog)}
    assert len(kept) == len(SEARCHES) - 1     # limit 2 and 8 of one search share a tally
    WRITES[write](catalog)
    catalog.drain()
    assert_exact(catalog)                     # by deltas: no tally was counted again
    assert {t["key"]: t["filled_at"] for t in tallies(catalog)} == kept
    after = [miss(catalog, **kw) for kw in SEARCHES]
    assert after == [uncached(catalog, **kw) for kw in SEARCHES]
    assert after != before, "the write changed none of the listings: the test would prove nothing"
    assert_exact(catalog)


def test_kept_counts_through_many_small_writes(catalog):
    for kw in SEARCHES:
        read(catalog, **kw)
    for i, write in enumerate(WRITES.values()):
        write(catalog)
        if i % 3 == 0:
            catalog.drain()
    catalog.full_product("Tweed coat", amount=2600, stocked=0)
    catalog.conn.execute("update commerce.products set title = 'Plain mug' where id = %s", (catalog.products[7][0]["id"],))
    catalog.drain()
    assert_exact(catalog)
    assert [miss(catalog, **kw) for kw in SEARCHES] == [uncached(catalog, **kw) for kw in SEARCHES]


def test_a_first_page_the_kept_start_no_longer_fills_is_counted_again(catalog):
    read(catalog, search="coat", limit=2)
    (t,) = tallies(catalog)
    for pid in t["top_ids"][:2]:   # two of the three kept matches leave the search
        catalog.conn.execute("update commerce.products set title = 'Plain mug' where id = %s", (pid,))
    catalog.drain()
    (t2,) = tallies(catalog)
    assert len(t2["top_ids"]) == 1 and t2["filled_at"] == t["filled_at"] and t2["total"] == 6
    assert miss(catalog, search="coat", limit=2) == uncached(catalog, search="coat", limit=2)
    (t3,) = tallies(catalog)
    assert len(t3["top_ids"]) == 3 and t3["filled_at"] > t["filled_at"]
    assert_exact(catalog)


def test_a_change_that_moves_nothing_in_a_tally_leaves_it_alone(catalog):
    """The trigger applies a changed product only to the tallies it moves: a title change of a product that still
    matches, with the same categories, tags, stock, price and created_at, moves nothing in a listing by newest or by
    price (not even its updated_at); a relevance order depends on the text, so that tally takes the delta."""
    listings = [dict(search="coat", sort="newest", limit=2),
                dict(filters={"priceMin": 0, "priceMax": 100000, "priceBuckets": BUCKETS}, sort="price_asc", limit=2),
                dict(search="coat", filters={"priceBuckets": BUCKETS}, limit=2)]
    for kw in listings:
        read(catalog, **kw)
    before = {t["sort"]: t["updated_at"] for t in tallies(catalog)}
    assert set(before) == {"newest", "price_asc", "relevance"}
    pid = catalog.products[2][0]["id"]
    catalog.conn.execute("update commerce.products set title = 'Velvet coat two' where id = %s", (pid,))
    catalog.drain()
    after = {t["sort"]: t["updated_at"] for t in tallies(catalog)}
    assert after["newest"] == before["newest"] and after["price_asc"] == before["price_asc"]
    assert after["relevance"] > before["relevance"]
    assert_exact(catalog)
    assert [miss(catalog, **kw) for kw in listings] == [uncached(catalog, **kw) for kw in listings]


def test_a_statement_changing_many_rows_deletes_the_tenants_tallies(catalog):
    read(catalog, search="coat", limit=2)
    catalog.conn.execute("update index.product_search set has_stock = has_stock where tenant_id = %s", (catalog.t,))
    assert len(tallies(catalog)) == 1    # 10 rows: deltas (nothing moved)
    assert_exact(catalog)
    catalog.conn.execute("insert into index.product_search (tenant_id, product_id, status, created_at, has_stock) "
                         "select %s, p.product_id, 'draft', now(), false from index.products p "
                         "cross join generate_series(1, 0)", (catalog.t,))   # an empty statement changes nothing
    assert len(tallies(catalog)) == 1
    catalog.conn.execute("select set_config('rustok.search_tally_keep', '100', true)")
    for i in range(201):
        catalog.product(f"Cotton coat {i}")
    catalog.drain()      # the projector rebuilds them in batches
    catalog.one("select * from index.reindex_tenant(%s, array['product'])", (catalog.t,))
    assert_exact(catalog)
    assert miss(catalog, search="coat", limit=2) == uncached(catalog, search="coat", limit=2)
    assert len(tallies(catalog)) == 1
    catalog.conn.execute("update index.product_search set has_stock = has_stock where tenant_id = %s", (catalog.t,))
    assert tallies(catalog) == []        # 211 rows in one statement
    assert miss(catalog, search="coat", limit=2) == uncached(catalog, search="coat", limit=2)


def test_per_tenant_and_under_row_level_security(conn, catalog):
    other = Shop(conn, make_tenant(conn))
    other.full_product("Velvet coat elsewhere")
    other.full_product("Wool coat elsewhere")
    other.drain()
    mine = read(catalog, search="coat", limit=2)
    theirs = read(other, search="coat", limit=2)
    assert mine[0]["total"] == 8 and theirs[0]["total"] == 2
    assert len(tallies(catalog)) == 1 and len(tallies(other)) == 1
    # a write of one tenant moves its own tallies only
    other.conn.execute("update commerce.products set title = 'Tweed mug' where tenant_id = %s and title like 'Wool%%'",
                       (other.t,))
    other.drain()
    assert tallies(other)[0]["total"] == 1 and tallies(catalog)[0]["total"] == 8
    assert_exact(catalog)
    # the application role reads through the function (which keeps tallies as its owner), never the table itself
    conn.execute("delete from index.search_cache")
    act_as_app(conn, other.t)
    assert read(other, search="coat", limit=2)[0]["total"] == 1
    assert read(other, search="tweed", limit=2)[0]["total"] == 1
    conn.execute("savepoint denied")
    with pytest.raises(Exception, match="permission denied"):
        conn.execute("select * from index.search_tallies")
    conn.execute("rollback to savepoint denied")
    conn.execute("reset role")
    assert sorted(t["inputs"][0] for t in tallies(other)) == ["'coat'", "'tweed'"]
    assert [t["inputs"][0] for t in tallies(catalog)] == ["'coat'"]
    assert tallies(catalog)[0]["total"] == 8


def test_bypassed_with_the_caches_off(catalog):
    uncached(catalog, search="coat", limit=2)
    assert tallies(catalog) == []


@pytest.mark.parametrize("write", WRITES)
def test_the_landing_pages_counts_stay_exact_through_writes(catalog, write):
    kw = dict(filters={"priceBuckets": BUCKETS}, limit=2)
    assert read(catalog, **kw) == uncached(catalog, **kw)
    (t,) = [x for x in tallies(catalog) if x["inputs"][0] == ""]     # the public listing without text or filters
    assert t["total"] == 9 and t["filters"] == {} and len(t["top_ids"]) == 1
    WRITES[write](catalog)
    catalog.drain()
    catalog.conn.execute("delete from index.facet_cache where tenant_id = %s", (catalog.t,))
    assert read(catalog, **kw) == uncached(catalog, **kw)             # facets from the tally
    assert [x["filled_at"] for x in tallies(catalog) if x["inputs"][0] == ""] == [t["filled_at"]]
    assert_exact(catalog)


def test_staff_counts_are_not_kept(catalog):
    catalog.one("select index.search_products(%s, null, '{}', 'newest', 2, 0, 'EUR', true) as r", (catalog.t,))
    assert tallies(catalog) == []

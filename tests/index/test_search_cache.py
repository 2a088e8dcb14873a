"""The cached storefront listings (0200_index_search_cache): index.read_products_page keeps what its one-pass search
and its general path computed (total, raw facet counts, the page's ids, cursors and ranks) keyed by the exact
inputs. A hit answers exactly what the uncached statement answers; every change of the tenant's read rows that a
listing reads empties the tenant's rows, so the same search shows a write once the projector has caught up."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from tests.conftest import act_as_app, make_tenant
from tests.index.conftest import Shop

BUCKETS = [0, 1000, 2500, 5000]

READ = ("select * from index.read_products_page(%(slug)s, %(search)s, %(filters)s, %(sort)s, %(currency)s, "
        "%(after)s, %(before)s, %(limit)s, %(from_end)s, %(want_total)s, %(want_facets)s)")


def read(shop, search=None, filters=None, sort=None, currency="EUR", after=None, before=None, limit=3,
         from_end=False, want_total=True, want_facets=True, slug=None):
    args = {"slug": slug or shop.tenant["slug"], "search": search, "filters": Jsonb(filters or {}), "sort": sort,
            "currency": currency, "after": None if after is None else Jsonb(after),
            "before": None if before is None else Jsonb(before), "limit": limit, "from_end": from_end,
            "want_total": want_total, "want_facets": want_facets}
    return shop.conn.execute(READ, args).fetchall()


def uncached(shop, **kw):
    """The listing as computed now (both caches bypassed, nothing stored)."""
    shop.conn.execute("select set_config('rustok.facet_cache', 'off', true)")
    try:
        return read(shop, **kw)
    finally:
        shop.conn.execute("select set_config('rustok.facet_cache', 'on', true)")


def cache_rows(shop, tenant=None):
    return shop.conn.execute("select inputs, result from index.search_cache where tenant_id = %s order by filled_at",
                             (tenant or shop.t,)).fetchall()


def titles(rows):
    return [r["title"] for r in rows[1:]]


@pytest.fixture
def catalog(shop):
    shop.conn.execute("select set_config('rustok.search_cache_min_ms', '0', true)")   # cache whatever it costs
    return coat_catalog(shop)


def coat_catalog(shop):
    """Eight published coats in two categories (every third tagged Sale, stock 0-2), a shirt and a draft coat."""
    shop.cats = [shop.category(f"Cat {i}", handle=f"cat-{i}") for i in range(2)]
    shop.tagged = shop.tag("Sale")
    shop.products = []
    for i in range(8):
        p, v = shop.full_product(f"{'Wool' if i % 2 else 'Velvet'} coat {i}", amount=500 + 700 * i, stocked=i % 3)
        shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                          (shop.t, p["id"], shop.cats[i % 2]["id"]))
        if i % 3 == 0:
            shop.conn.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) "
                              "values (%s, %s, 'product', %s)", (shop.t, shop.tagged["id"], p["id"]))
        shop.products.append((p, v))
    shop.full_product("Linen shirt", amount=1200)
    shop.full_product("Draft coat", status="draft")
    shop.drain()
    return shop


LISTINGS = {
    "search, relevance": dict(search="coat", filters={"priceBuckets": BUCKETS}),
    "search, newest": dict(search="coat", sort="newest", filters={"priceBuckets": BUCKETS}),
    "prefix": dict(search="velvet co"),
    "typo": dict(search="velvte"),
    "nothing": dict(search="qqqzzz"),
    "search + category + in stock": dict(search="coat", filters={"categoryHandles": ["cat-1"], "inStock": True}),
    "price range by price": dict(filters={"priceMin": 1000, "priceMax": 3999, "priceBuckets": BUCKETS}, sort="price_asc"),
    "price desc, tag": dict(filters={"tags": ["sale"]}, sort="price_desc"),
    "price range (one pass over the price btree), newest": dict(filters={"priceMin": 1000, "priceBuckets": BUCKETS}),
    "price range, highest first, in stock": dict(filters={"priceMax": 4000, "inStock": True}, sort="price_desc"),
    "title, search": dict(search="coat", sort="title_asc"),
    "suggestions (no total, no facets)": dict(search="coa", limit=6, want_total=False, want_facets=False),
    "total only": dict(search="wool", want_facets=False),
    "no currency": dict(search="coat", currency=None),
}


@pytest.mark.parametrize("name", LISTINGS)
def test_cached_listing_is_identical_to_uncached(catalog, name):
    kw = LISTINGS[name]
    reference = uncached(catalog, **kw)
    assert cache_rows(catalog) == []
    miss = read(catalog, **kw)            # computes and stores
    assert cache_rows(catalog), "nothing was stored"
    hit = read(catalog, **kw)             # from the cache
    assert miss == reference
    assert hit == reference
    if name != "nothing":
        assert reference[0]["total"] is None or reference[0]["total"] > 0


@pytest.mark.parametrize("sort", ["relevance", "newest", "price_asc"])
def test_next_pages_and_backwards_pages_are_cached_as_well(catalog, sort):
    first = read(catalog, search="coat", sort=sort, limit=3)
    assert len(first) == 5   # row 0, 3 rows, the extra row that says there is more
    after = first[3]["cursor"]
    reference = uncached(catalog, search="coat", sort=sort, limit=3, after=after)
    assert read(catalog, search="coat", sort=sort, limit=3, after=after) == reference
    assert read(catalog, search="coat", sort=sort, limit=3, after=after) == reference
    assert titles(reference) and set(titles(reference)).isdisjoint(titles(first)[:3])
    back = uncached(catalog, search="coat", sort=sort, limit=2, before=after, from_end=True)
    assert read(catalog, search="coat", sort=sort, limit=2, before=after, from_end=True) == back
    assert read(catalog, search="coat", sort=sort, limit=2, before=after, from_end=True) == back


def test_the_cache_is_really_read(catalog):
    read(catalog, search="coat")
    (row,) = cache_rows(catalog)
    catalog.conn.execute("update index.search_cache set result = jsonb_set(result, '{total}', '4242') "
                         "where tenant_id = %s", (catalog.t,))
    assert read(catalog, search="coat")[0]["total"] == 4242
    assert uncached(catalog, search="coat")[0]["total"] == 8
    # another page size, sort or filter is another entry
    assert read(catalog, search="coat", limit=4)[0]["total"] == 8
    assert read(catalog, search="coat", sort="newest")[0]["total"] == 8


def test_only_listings_that_took_long_enough_are_stored(catalog):
    catalog.conn.execute("select set_config('rustok.search_cache_min_ms', '60000', true)")   # default 5 ms
    read(catalog, search="linen")
    assert cache_rows(catalog) == []
    catalog.conn.execute("select set_config('rustok.search_cache_min_ms', 'soon', true)")   # not a number: 5 ms
    assert read(catalog, search="linen")[0]["total"] == 1
    catalog.conn.execute("select set_config('rustok.search_cache_min_ms', '0', true)")
    read(catalog, search="linen")
    assert len(cache_rows(catalog)) == 1


def test_names_are_read_now(catalog):
    before = read(catalog, search="coat")
    assert {c["name"] for c in before[0]["facets"]["categories"]} == {"Cat 0", "Cat 1"}
    catalog.conn.execute("update commerce.categories set name = 'Coats' where id = %s", (catalog.cats[0]["id"],))
    catalog.conn.execute("update content.tags set name = 'Big sale' where id = %s", (catalog.tagged["id"],))
    catalog.drain()
    after = read(catalog, search="coat")
    assert after == uncached(catalog, search="coat")
    assert {c["name"] for c in after[0]["facets"]["categories"]} == {"Coats", "Cat 1"}
    assert [t["name"] for t in after[0]["facets"]["tags"]] == ["Big sale"]


def _title(shop, i, title):
    shop.conn.execute("update commerce.products set title = %s where id = %s", (title, shop.products[i][0]["id"]))


def _price(shop, i, amount):
    shop.conn.execute("update commerce.prices set amount = %s where variant_id = %s", (amount, shop.products[i][1]["id"]))


def _stock(shop, i, n):
    shop.conn.execute("update commerce.inventory_levels l set stocked_quantity = %s from commerce.variant_inventory vi "
                      "where vi.inventory_item_id = l.inventory_item_id and vi.variant_id = %s", (n, shop.products[i][1]["id"]))


def _category(shop, i, c):
    shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s) "
                      "on conflict do nothing", (shop.t, shop.products[i][0]["id"], shop.cats[c]["id"]))


WRITES = {
    "title (leaves the search)": lambda s: _title(s, 0, "Velvet jacket 0"),
    "title (joins the search)": lambda s: s.conn.execute(
        "update commerce.products set title = 'Linen coat' where tenant_id = %s and title = 'Linen shirt'", (s.t,)),
    "title (same words, another rank)": lambda s: _title(s, 3, "Wool coat coat coat 3"),
    "price": lambda s: _price(s, 1, 99999),
    "stock": lambda s: _stock(s, 0, 50),
    "category": lambda s: _category(s, 0, 1),
    "new product": lambda s: s.full_product("Cashmere coat", amount=800),
    "unpublished": lambda s: s.conn.execute("update commerce.products set status = 'draft' where id = %s",
                                            (s.products[2][0]["id"],)),
    "published": lambda s: s.conn.execute(
        "update commerce.products set status = 'published' where tenant_id = %s and title = 'Draft coat'", (s.t,)),
    "deleted": lambda s: s.conn.execute("delete from commerce.products where id = %s", (s.products[5][0]["id"],)),
}

SEARCHES = [
    dict(search="coat", filters={"priceBuckets": BUCKETS}, limit=8),
    dict(search="coat", sort="newest", limit=2),
    dict(filters={"priceMin": 0, "priceMax": 100000, "priceBuckets": BUCKETS}, sort="price_desc", limit=8),
    dict(search="coat", sort="title_asc", limit=8),
]


@pytest.mark.parametrize("write", WRITES)
def test_a_write_shows_once_the_projector_caught_up(catalog, write):
    before = [read(catalog, **kw) for kw in SEARCHES]
    assert len(cache_rows(catalog)) == len(SEARCHES)
    assert [read(catalog, **kw) for kw in SEARCHES] == before     # hits
    WRITES[write](catalog)
    # the write model changed, the read model not yet: the cached listing is still the read model's answer
    assert [read(catalog, **kw) for kw in SEARCHES] == before == [uncached(catalog, **kw) for kw in SEARCHES]
    catalog.drain()
    assert cache_rows(catalog) == []      # emptied by the rebuild's trigger
    after = [read(catalog, **kw) for kw in SEARCHES]
    assert after == [uncached(catalog, **kw) for kw in SEARCHES]
    assert after != before, "the write changed none of the listings: the test would prove nothing"
    assert [read(catalog, **kw) for kw in SEARCHES] == after     # stored again


def test_a_write_outside_a_search_keeps_its_entries(catalog):
    coat = read(catalog, search="coat", limit=8)
    shirt = read(catalog, search="shirt")
    price_range = read(catalog, filters={"priceMin": 0}, sort="price_asc")
    assert len(cache_rows(catalog)) == 3
    catalog.conn.execute("update commerce.prices p set amount = 1 from commerce.variants v where v.id = p.variant_id "
                         "and v.tenant_id = %s and v.product_id = (select id from commerce.products where tenant_id = %s "
                         "and title = 'Linen shirt')", (catalog.t, catalog.t))
    catalog.drain()
    # the shirt's searches and every listing without text are gone; the coats' search was not about it
    assert [r["inputs"][1] for r in cache_rows(catalog)] == ["'coat'"]
    assert read(catalog, search="coat", limit=8) == coat == uncached(catalog, search="coat", limit=8)
    assert read(catalog, search="shirt") == uncached(catalog, search="shirt") != shirt
    assert read(catalog, filters={"priceMin": 0}, sort="price_asc") != price_range


def test_a_statement_changing_many_rows_empties_the_tenants_entries(catalog):
    for i in range(12):
        catalog.full_product(f"Mug {i}")
    catalog.drain()
    read(catalog, search="qqqzzz")   # nothing matches, and no product will
    assert len(cache_rows(catalog)) == 1
    catalog.one("select * from index.reindex_tenant(%s, array['product'])", (catalog.t,))   # changes nothing
    catalog.conn.execute("update index.products set title = title || '.' where tenant_id = %s and title like 'Mug 1%%'",
                         (catalog.t,))   # 3 rows that do not match
    assert len(cache_rows(catalog)) == 1
    catalog.conn.execute("update index.products set title = title || '.' where tenant_id = %s", (catalog.t,))   # 22 rows
    assert cache_rows(catalog) == []


def test_a_change_no_listing_reads_keeps_the_cache(catalog):
    read(catalog, search="coat")
    catalog.conn.execute("update commerce.products set discountable = false where id = %s", (catalog.products[0][0]["id"],))
    catalog.drain()
    assert catalog.iproduct(catalog.products[0][0]["id"])["discountable"] is False
    assert len(cache_rows(catalog)) == 1
    # display columns are read now
    rows = read(catalog, search="coat", limit=8)
    assert rows == uncached(catalog, search="coat", limit=8)
    assert [r["discountable"] for r in rows[1:] if r["product_id"] == catalog.products[0][0]["id"]] == [False]


def test_drift_repair_of_search_rows_empties_the_cache(catalog):
    p = catalog.products[0][0]
    catalog.conn.execute("update index.product_search set has_stock = not has_stock where tenant_id = %s and product_id = %s",
                         (catalog.t, p["id"]))
    read(catalog, search="coat")
    assert len(cache_rows(catalog)) == 1
    catalog.one("select * from index.reindex_tenant(%s, array['product'])", (catalog.t,))
    assert cache_rows(catalog) == []
    assert read(catalog, search="coat") == uncached(catalog, search="coat")


def test_not_filled_in_a_read_only_transaction(catalog):
    catalog.conn.execute("savepoint ro")
    catalog.conn.execute("set transaction_read_only = on")   # as on a standby
    rows = read(catalog, search="coat")
    catalog.conn.execute("rollback to savepoint ro")
    assert rows[0]["total"] == 8 and cache_rows(catalog) == []


def test_per_tenant_and_under_row_level_security(conn, catalog):
    other = Shop(conn, make_tenant(conn))
    other.full_product("Velvet coat elsewhere")
    other.drain()
    mine = read(catalog, search="coat")
    theirs = read(other, search="coat")
    assert mine[0]["total"] == 8 and theirs[0]["total"] == 1
    assert read(other, search="coat") == theirs and read(catalog, search="coat") == mine
    assert len(cache_rows(catalog)) == 1 and len(cache_rows(other)) == 1
    # a write of one tenant empties its own rows only
    other.conn.execute("update commerce.products set title = 'Tweed coat' where tenant_id = %s", (other.t,))
    other.drain()
    assert cache_rows(other) == [] and len(cache_rows(catalog)) == 1
    # the application role reads through the function (which fills as its owner), never the table itself
    act_as_app(conn, other.t)
    assert read(other, search="tweed") == read(other, search="tweed")
    assert read(other, search="tweed")[0]["total"] == 1
    conn.execute("savepoint denied")
    with pytest.raises(Exception, match="permission denied"):
        conn.execute("select * from index.search_cache")
    conn.execute("rollback to savepoint denied")
    conn.execute("reset role")
    assert [r["inputs"][1] for r in cache_rows(other)] == ["'tweed'"] and len(cache_rows(catalog)) == 1

"""The cached unfiltered browse page (0056_index_facet_cache): identical to the uncached page, invalidated by
every change of the tenant's read rows, per tenant and per visibility."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from tests.conftest import act_as_app, make_tenant
from tests.index.conftest import Shop


def search(shop, query=None, filters=None, **kw):
    args = {"t": kw.get("tenant", shop.t), "q": query, "f": Jsonb(filters or {}), "s": kw.get("sort"),
            "l": kw.get("limit", 20), "o": kw.get("offset", 0), "c": kw.get("currency"), "u": kw.get("unpublished", False)}
    return shop.scalar("select index.search_products(%(t)s, %(q)s, %(f)s, %(s)s, %(l)s, %(o)s, %(c)s, %(u)s)", args)


def uncached(shop, **kw):
    """The page as index._product_page computes it (cache bypassed), and the cache left as it was."""
    shop.conn.execute("select set_config('rustok.facet_cache', 'off', true)")
    try:
        return search(shop, **kw)
    finally:
        shop.conn.execute("select set_config('rustok.facet_cache', 'on', true)")


def cache_rows(shop, tenant=None):
    return shop.conn.execute("select * from index.facet_cache where tenant_id = %s order by include_unpublished, currency_code",
                             (tenant or shop.t,)).fetchall()


def link_category(shop, product_id, category_id):
    shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                      (shop.t, product_id, category_id))


def link_tag(shop, product_id, tag_id):
    shop.conn.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'product', %s)",
                      (shop.t, tag_id, product_id))


@pytest.fixture
def catalog(shop):
    shop.cats = [shop.category(f"Cat {i}", handle=f"cat-{i}") for i in range(3)]
    shop.tags = [shop.tag(f"Tag {i}") for i in range(3)]
    shop.products = {}
    for i in range(12):
        # same title for pairs and the same created_at (one transaction): ties are broken like the uncached page
        p, v = shop.full_product(f"Item {i // 2}", amount=500 + 1700 * i, stocked=i % 3,
                                 status="draft" if i % 5 == 4 else "published")
        link_category(shop, p["id"], shop.cats[i % 3]["id"])
        if i % 2:
            link_category(shop, p["id"], shop.cats[(i + 1) % 3]["id"])
        link_tag(shop, p["id"], shop.tags[i % 3]["id"])
        shop.products[i] = (p, v)
    shop.other_currency = shop.full_product("Dollar only", amount=999, currency="USD")
    shop.drain()
    return shop


PAGES = [
    {},
    {"currency": "EUR"},
    {"currency": "EUR", "unpublished": True},
    {"unpublished": True, "sort": "newest", "limit": 5, "offset": 3},
    {"sort": "title_asc", "limit": 4, "offset": 2},
    {"sort": "title_desc", "unpublished": True},
    {"sort": "price_asc", "currency": "EUR", "limit": 7},
    {"sort": "price_desc", "currency": "USD", "unpublished": True},
    {"sort": "relevance", "currency": "EUR"},
    {"currency": "EUR", "filters": {"priceBuckets": [0, 2000, 9000]}},
    {"query": "   ", "currency": "EUR", "offset": 10},
]


@pytest.mark.parametrize("page", PAGES, ids=[str(p) for p in PAGES])
def test_cached_page_is_identical_to_uncached(catalog, page):
    reference = uncached(catalog, **page)
    assert reference["total"] > 0 and reference["items"]
    assert cache_rows(catalog) == []
    miss = search(catalog, **page)          # counts and fills
    assert len(cache_rows(catalog)) == 1
    hit = search(catalog, **page)           # from the cache
    assert miss == reference
    assert hit == reference


def test_the_cache_is_really_read(catalog):
    search(catalog, currency="EUR")
    catalog.conn.execute("update index.facet_cache set total = 4242 where tenant_id = %s", (catalog.t,))
    assert search(catalog, currency="EUR")["total"] == 4242
    assert uncached(catalog, currency="EUR")["total"] == 11   # 13 products, 2 drafts
    # filtered pages never use it
    assert search(catalog, currency="EUR", filters={"inStock": True})["total"] != 4242


def test_cache_rows_per_visibility_currency_and_bounds(catalog):
    search(catalog)
    search(catalog, currency="EUR")
    search(catalog, currency="EUR", unpublished=True)
    search(catalog, currency="EUR", filters={"priceBuckets": [0, 5000]})
    rows = cache_rows(catalog)
    assert len(rows) == 4
    assert {(r["include_unpublished"], r["currency_code"], tuple(r["bounds"])) for r in rows} >= {
        (False, "", (0, 1000, 2500, 5000, 10000, 25000, 50000, 100000)),
        (True, "EUR", (0, 1000, 2500, 5000, 10000, 25000, 50000, 100000)),
        (False, "EUR", (0, 5000)),
    }


def test_drafts_only_for_include_unpublished(catalog):
    public = search(catalog, currency="EUR")
    staff = search(catalog, currency="EUR", unpublished=True)
    assert public["total"] == 11 and staff["total"] == 13
    assert all(i["status"] == "published" for i in public["items"])
    assert any(i["status"] == "draft" for i in staff["items"])
    # served from the cache a second time, still separate
    assert search(catalog, currency="EUR")["total"] == 11
    assert search(catalog, currency="EUR", unpublished=True)["total"] == 13
    assert sum(c["count"] for c in search(catalog, currency="EUR")["facets"]["priceBuckets"]) == 10   # 10 published in EUR


def _price(shop):
    shop.conn.execute("update commerce.prices set amount = 60000 where tenant_id = %s and variant_id = %s",
                      (shop.t, shop.products[0][1]["id"]))


def _stock(shop):
    shop.conn.execute("update commerce.inventory_levels l set stocked_quantity = 50 from commerce.variant_inventory vi "
                      "where vi.tenant_id = l.tenant_id and vi.inventory_item_id = l.inventory_item_id "
                      "and vi.tenant_id = %s and vi.variant_id = %s", (shop.t, shop.products[0][1]["id"]))


def _tag(shop):
    link_tag(shop, shop.products[0][0]["id"], shop.tags[2]["id"])


def _category(shop):
    shop.conn.execute("delete from commerce.product_categories where tenant_id = %s and product_id = %s",
                      (shop.t, shop.products[0][0]["id"]))


def _status(shop):
    shop.conn.execute("update commerce.products set status = 'draft' where tenant_id = %s and id = %s",
                      (shop.t, shop.products[0][0]["id"]))


def _delete(shop):
    shop.conn.execute("delete from commerce.products where tenant_id = %s and id = %s", (shop.t, shop.products[0][0]["id"]))


@pytest.mark.parametrize("change", [_price, _stock, _tag, _category, _status, _delete],
                         ids=["price", "stock", "tag", "category", "status", "delete"])
@pytest.mark.parametrize("unpublished", [False, True], ids=["public", "staff"])
def test_a_change_invalidates_and_the_next_page_shows_it(catalog, change, unpublished):
    kw = {"currency": "EUR", "unpublished": unpublished}
    before = search(catalog, **kw)
    search(catalog, currency="EUR", unpublished=not unpublished)
    assert len(cache_rows(catalog)) == 2
    change(catalog)
    catalog.drain()
    assert cache_rows(catalog) == []          # both visibilities emptied by the rebuild
    after = search(catalog, **kw)
    assert after == uncached(catalog, **kw)
    if unpublished and change is _status:
        assert after["items"] != before["items"]     # staff counts every status: only the item's status moved
    else:
        assert (after["total"], after["facets"]) != (before["total"], before["facets"])
    assert search(catalog, **kw) == after     # refilled, same


def test_an_unchanged_rebuild_keeps_the_cache(catalog):
    search(catalog, currency="EUR")
    catalog.conn.execute("select index.rebuild_products(%s::uuid[], %s)", ([catalog.products[1][0]["id"]], catalog.t))
    assert len(cache_rows(catalog)) == 1


def test_a_change_that_moves_no_count_keeps_the_cache(catalog):
    search(catalog, currency="EUR")
    # product 2 has 2 units: selling one keeps it in stock; a new title changes items only
    catalog.conn.execute("update commerce.inventory_levels l set stocked_quantity = 1 from commerce.variant_inventory vi "
                         "where vi.tenant_id = l.tenant_id and vi.inventory_item_id = l.inventory_item_id "
                         "and vi.tenant_id = %s and vi.variant_id = %s", (catalog.t, catalog.products[2][1]["id"]))
    catalog.conn.execute("update commerce.products set title = 'Renamed' where tenant_id = %s and id = %s",
                         (catalog.t, catalog.products[2][0]["id"]))
    catalog.drain()
    assert catalog.iproduct(catalog.products[2][0]["id"])["total_stock"] == 1
    assert len(cache_rows(catalog)) == 1
    page = search(catalog, currency="EUR", limit=100)
    assert page == uncached(catalog, currency="EUR", limit=100)
    assert "Renamed" in [i["title"] for i in page["items"]]


def test_truncate_and_direct_writes_invalidate(catalog):
    search(catalog, currency="EUR")
    catalog.conn.execute("update index.products set has_stock = not has_stock where tenant_id = %s and product_id = %s",
                         (catalog.t, catalog.products[3][0]["id"]))
    assert cache_rows(catalog) == []
    search(catalog, currency="EUR")
    catalog.conn.execute("truncate index.products cascade")
    assert cache_rows(catalog) == []
    assert search(catalog, currency="EUR")["total"] == 0


def test_tenants_do_not_see_each_others_counts(conn, catalog):
    other = Shop(conn, make_tenant(conn))
    for i in range(3):
        other.full_product(f"Other {i}", amount=100)
    other.drain()
    assert search(other, currency="EUR")["total"] == 3
    assert search(catalog, currency="EUR")["total"] == 11
    assert len(cache_rows(other)) == 1 and len(cache_rows(catalog)) == 1

    # a change in one tenant leaves the other's cache alone
    other.full_product("Other 3", amount=100)
    other.drain()
    assert cache_rows(other) == [] and len(cache_rows(catalog)) == 1

    # as the API of the other tenant: its own counts (filled under RLS), never the catalog's cached ones
    act_as_app(conn, other.t)
    assert len(other.conn.execute("select * from index.facet_cache").fetchall()) == 0   # RLS hides the catalog's row
    assert search(other, currency="EUR")["total"] == 4
    assert search(other, currency="EUR", tenant=catalog.t) == {**search(other, currency="EUR", tenant=catalog.t),
                                                               "total": 0, "items": []}
    rows = other.conn.execute("select tenant_id, total from index.facet_cache").fetchall()
    assert rows == [{"tenant_id": other.t, "total": 4}]


def test_read_only_transaction_counts_without_filling(catalog):
    reference = uncached(catalog, currency="EUR")
    catalog.conn.execute("set transaction read only")
    assert search(catalog, currency="EUR") == reference
    assert cache_rows(catalog) == []


def test_repeatable_read_reads_but_does_not_fill(fresh_db):
    import psycopg
    from psycopg.rows import dict_row
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        shop = Shop(c, make_tenant(c))
        shop.full_product("A")
        shop.drain()
        c.execute("begin isolation level repeatable read")
        assert search(shop)["total"] == 1
        assert cache_rows(shop) == []
        c.execute("commit")
        assert search(shop)["total"] == 1          # read committed: fills
        assert len(cache_rows(shop)) == 1


def test_a_fill_racing_an_invalidation_never_leaves_a_stale_row(fresh_db):
    import threading

    import psycopg
    from psycopg.rows import dict_row
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as a, \
            psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as b:
        shop = Shop(a, make_tenant(a))
        p, _ = shop.full_product("A", stocked=0)
        shop.full_product("B", stocked=0)
        shop.drain()
        # as a rebuild writes it: the display row and the narrow search row (which the counts read) together
        flip = ("with d as (update index.products set has_stock = not has_stock where tenant_id = %s and product_id = %s "
                "returning tenant_id, product_id) update index.product_search s set has_stock = not s.has_stock from d "
                "where s.tenant_id = d.tenant_id and s.product_id = d.product_id")

        # 1. an invalidating transaction is in flight (row changed, not committed): the fill is skipped
        b.execute("begin")
        b.execute(flip, (shop.t, p["id"]))
        assert search(shop)["facets"]["inStock"] == {"true": 0, "false": 2}
        assert cache_rows(shop) == []
        b.execute("commit")
        assert search(shop)["facets"]["inStock"] == {"true": 1, "false": 1}
        assert len(cache_rows(shop)) == 1

        # 2. a fill in flight (uncommitted): the invalidation waits for it, then deletes its row
        a.execute("delete from index.facet_cache")
        a.execute("begin")
        assert search(shop)["facets"]["inStock"] == {"true": 1, "false": 1}
        done = threading.Event()

        def invalidate():
            b.execute(flip, (shop.t, p["id"]))
            done.set()

        writer = threading.Thread(target=invalidate)
        writer.start()
        assert not done.wait(0.5)               # blocked on the filler's lock
        a.execute("commit")
        writer.join(10)
        assert done.is_set()
        assert cache_rows(shop) == []
        assert search(shop)["facets"]["inStock"] == {"true": 0, "false": 2}

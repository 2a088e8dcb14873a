"""A full reindex rebuilds a whole chunk of products in one statement per read table; it must write exactly what
rebuilding each product on its own writes (nothing of one product leaks into another's row through the grouped
passes), byte for byte, and leave index.verify clean."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from rustok.index import reindex
from tests.conftest import make_tenant
from tests.index.conftest import Shop

# every read row of a tenant's products as text (the columns a rebuild stamps with the time and event left out)
SNAPSHOT = {
    "products": """select p.product_id, (to_jsonb(p) - 'indexed_at' - 'last_event_id' - 'last_event_type' - 'last_event_at' - 'snapshot_xmin' - 'snapshot_system')::text
                   from index.products p where p.tenant_id = %s order by 1""",
    "product_prices": "select p.product_id, p::text from index.product_prices p where p.tenant_id = %s order by 1, 2",
    "product_search": "select p.product_id, p::text from index.product_search p where p.tenant_id = %s order by 1",
}


def _snapshot(conn, tenant_id):
    return {name: conn.execute(sql, (tenant_id,)).fetchall() for name, sql in SNAPSHOT.items()}


def _catalog(s: Shop):
    """Products with every part a read row has: several variants with options and prices in several currencies
    (one price list and quantity tier too), stock over two locations and items, categories (one inactive), tags,
    SEO meta, drafts, a product without variants, and accented text."""
    c = s.conn
    loc1, loc2 = s.location(), s.location()
    cats = [s.category(f"Cat {i}", rank=i % 3) for i in range(4)]
    c.execute("update commerce.categories set is_active = false where id = %s", (cats[3]["id"],))
    tags = [s.tag(f"Tag {i}") for i in range(3)]
    ids = []
    for i in range(23):
        p = s.product(f"Café crème {i}" if i % 4 == 0 else f"Shirt {i}", status="draft" if i % 5 == 0 else "published",
                      subtitle=f"sub {i}" if i % 2 else None, description=f"Déjà vu number {i} " * (i % 3 + 1))
        ids.append(p["id"])
        if i % 7 == 6:
            continue  # no variants at all
        opt = s.one("insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Size') returning *",
                    (s.t, p["id"]))
        for j in range(i % 3 + 1):
            val = s.one("insert into commerce.option_values (tenant_id, option_id, value, position) "
                        "values (%s, %s, %s, %s) returning *", (s.t, opt["id"], ["S", "M", "L"][j], j))
            v = s.variant(p["id"], title=f"V{j}", position=j, manage_inventory=(j != 2))
            c.execute("insert into commerce.variant_options (tenant_id, variant_id, option_id, option_value_id, product_id) "
                      "values (%s, %s, %s, %s, %s)", (s.t, v["id"], opt["id"], val["id"], p["id"]))
            for cur, base in (("EUR", 1000), ("USD", 1100), ("GBP", 900))[: 1 + (i + j) % 3]:
                s.price(v["id"], base + 10 * i + j, cur)
            if j == 0:
                s.price(v["id"], 500 + i, "EUR", min_quantity=10)          # a tier: not a base price
            item = s.stock(v["id"], loc1["id"], stocked=i + j, required=1 + j % 2)
            c.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                      "values (%s, %s, %s, %s)", (s.t, item["id"], loc2["id"], 3))
        for cat in cats[: i % 5]:
            c.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                      (s.t, p["id"], cat["id"]))
        for tag in tags[: i % 4]:
            c.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'product', %s)",
                      (s.t, tag["id"], p["id"]))
        if i % 3 == 0:
            c.execute("insert into content.meta (tenant_id, target_type, target_id, title, description) "
                      "values (%s, 'product', %s, %s, 'meta d')", (s.t, p["id"], f"Meta {i}"))
    return ids


def test_chunked_reindex_writes_what_the_per_product_rebuild_writes(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        s = Shop(c, make_tenant(c, "setbased"))
        ids = _catalog(s)
        c.execute("select * from outbox.drain('index')")
        gone = ids.pop()
        c.execute("delete from commerce.products where id = %s", (gone,))    # its read row stays: the reindex removes it
        c.execute("delete from outbox.deliveries where consumer = 'index'")
        c.execute("update index.products set title = 'damaged' where product_id = %s", (ids[3],))
        c.execute("delete from index.product_search where product_id = %s", (ids[4],))
        c.execute("update index.product_prices set min_amount = 1 where product_id = %s", (ids[5],))
        assert c.execute("select * from index.verify(%s)", (s.t,)).fetchall() != []

        # the set-based path: chunks of 10 products on two connections, as `rustok reindex --jobs 2`
        plain = psycopg.connect(fresh_db, autocommit=True)   # reindex reads tuples
        stats = reindex.reindex(plain, [(s.t, "setbased")], types=("product",), chunk_size=10, jobs=2, progress_stream=None,
                                connect=lambda: psycopg.connect(fresh_db, autocommit=True))
        assert (stats.total, stats.failed) == (len(ids) + 1, 0)
        assert c.execute("select * from index.verify(%s)", (s.t,)).fetchall() == []
        chunked = _snapshot(c, s.t)
        assert len(chunked["products"]) == len(ids) and gone not in {r["product_id"] for r in chunked["products"]}
        assert len(chunked["product_prices"]) > len(ids)

        # the same rows rebuilt one product at a time, from empty read tables
        c.execute("delete from index.products where tenant_id = %s", (s.t,))
        for i in ids:
            assert c.execute("select index.rebuild_products(array[%s]::uuid[], %s) as n", (i, s.t)).fetchone()["n"] == 1
        assert _snapshot(c, s.t) == chunked
        assert c.execute("select * from index.verify(%s)", (s.t,)).fetchall() == []

        # a second full reindex changes nothing: no row is written
        before = c.execute("select product_id, xmin::text as x from index.products where tenant_id = %s order by 1", (s.t,)).fetchall()
        reindex.reindex(plain, [(s.t, "setbased")], types=("product",), chunk_size=7, progress_stream=None)
        plain.close()
        assert c.execute("select product_id, xmin::text as x from index.products where tenant_id = %s order by 1",
                         (s.t,)).fetchall() == before
        assert _snapshot(c, s.t) == chunked


def test_reindex_reports_its_phases(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        s = Shop(c, make_tenant(c, "phases"))
        for i in range(3):
            s.full_product(f"Lamp {i}")
        with psycopg.connect(fresh_db, autocommit=True) as plain:
            stats = reindex.reindex(plain, [(s.t, "phases")], types=("product",), progress_stream=None)
        assert stats.total == 3 and stats.failed == 0
        assert stats.rebuild_seconds > 0 and stats.words_seconds >= 0 and stats.analyze_seconds >= 0
        assert stats.seconds >= stats.rebuild_seconds


def _marked(c, tenant_id):
    return c.execute("select count(*) as n from index.words_stale where tenant_id = %s", (tenant_id,)).fetchone()["n"]


def test_word_list_is_recomputed_only_when_a_text_changed_or_a_row_went_away(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c, \
            psycopg.connect(fresh_db, autocommit=True) as plain:
        s = Shop(c, make_tenant(c, "words"))
        p = s.product("Zanzibar Lamp", description="brass")
        q = s.product("Quokka Chair")
        n = s.node("post", "Yodel post")
        s.drain()
        assert _marked(c, s.t) == 0                       # new rows only add their words
        refresh = "select * from index.refresh_words_if_stale(%s)"
        assert c.execute(refresh, (s.t,)).fetchone() == {"added": 0, "removed": 0, "refreshed": False}

        c.execute("update commerce.products set metadata = '{\"x\": 1}' where id = %s", (p["id"],))
        s.drain()
        assert _marked(c, s.t) == 0                       # a change without new text marks nothing

        c.execute("update commerce.products set description = 'steel' where id = %s", (p["id"],))
        s.drain()
        assert _marked(c, s.t) == 1
        stats = reindex.reindex(plain, [(s.t, "words")], types=("product",), progress_stream=None)
        assert stats.failed == 0 and _marked(c, s.t) == 0
        words = {r["word"] for r in c.execute("select word from index.words where tenant_id = %s", (s.t,))}
        assert "steel" in words and "brass" not in words and "zanzibar" in words

        c.execute("delete from commerce.products where id = %s", (q["id"],))   # a row that goes away
        s.drain()
        assert _marked(c, s.t) == 1
        assert c.execute(refresh, (s.t,)).fetchone()["refreshed"] is True
        assert "quokka" not in {r["word"] for r in c.execute("select word from index.words where tenant_id = %s", (s.t,))}

        c.execute("update content.nodes set title = 'Hum post' where id = %s", (n["id"],))   # content marks too
        s.drain()
        assert _marked(c, s.t) == 1
        assert c.execute(refresh, (s.t,)).fetchone()["refreshed"] is True
        words = {r["word"] for r in c.execute("select word from index.words where tenant_id = %s", (s.t,))}
        assert "yodel" not in words and "hum" in words
        assert c.execute(refresh, (s.t,)).fetchone()["refreshed"] is False


def test_a_mark_written_during_a_refresh_survives_it(fresh_db):
    """A rebuild's mark that a refresh running at the same time cannot see yet (its transaction is still open) stays."""
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c, \
            psycopg.connect(fresh_db, autocommit=True) as other:
        s = Shop(c, make_tenant(c, "words-race"))
        s.product("Walrus")
        s.drain()
        c.execute("select index._mark_words_stale(%s)", (s.t,))
        with other.transaction():
            other.execute("select index._mark_words_stale(%s)", (s.t,))   # another backend, not committed yet
            c.execute("select * from index.refresh_words(%s)", (s.t,))
            assert _marked(c, s.t) == 0                   # ours is gone, theirs is not visible yet
        assert _marked(c, s.t) == 1                       # committed after the refresh: still marked

"""The projector keeps a product's search vector when the text it is made from is unchanged (index._product_rows
with p_reuse_vectors): a price, stock or metadata change does not run to_tsvector again. Sound only if every part of
the vector's text is compared: each text change below goes through the projector and index.verify (which
recomputes every vector) must find nothing. And the reuse is real: a vector damaged behind the projector's back
stays damaged through a metadata or price change, and is rebuilt by a text change or an operator's rebuild."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from tests.conftest import make_tenant
from tests.index.conftest import Shop
from tests.index.test_reindex_setbased import _catalog

# (what, SQL taking the catalog's product ids as %(p)s): each changes a part of some product's vector text
TEXT_CHANGES = [
    ("title", "update commerce.products set title = 'Crêpe maison' where id = %(p)s[1]"),
    ("subtitle", "update commerce.products set subtitle = 'brand new subtitle' where id = %(p)s[2]"),
    ("subtitle removed", "update commerce.products set subtitle = null where id = %(p)s[4]"),
    ("description", "update commerce.products set description = description || ' encore' where id = %(p)s[3]"),
    ("variant title", "update commerce.variants set title = 'Velours' where product_id = %(p)s[5]"),
    ("variant sku", "update commerce.variants set sku = sku || 'X' where product_id = %(p)s[8]"),
    ("variant order", "update commerce.variants set position = 10 - position where product_id = %(p)s[9]"),
    ("variant deleted", "delete from commerce.variants where id = (select id from commerce.variants "
                        "where product_id = %(p)s[10] order by position limit 1)"),
    ("tag renamed", "update content.tags set name = name || ' renamed' where id = "
                    "(select tag_id from content.taggables where target_id = %(p)s[12] limit 1)"),
    ("tag detached", "delete from content.taggables where target_id = %(p)s[15]"),
    ("category renamed", "update commerce.categories set name = 'Épicerie' where id = "
                         "(select category_id from commerce.product_categories where product_id = %(p)s[18] limit 1)"),
    ("category removed", "delete from commerce.product_categories where product_id = %(p)s[19]"),
]


def _vector(s: Shop, product_id) -> tuple[str, str]:
    row = s.one("select p.search_vector::text as a, ps.search_vector::text as b from index.products p "
                "join index.product_search ps on ps.tenant_id = p.tenant_id and ps.product_id = p.product_id "
                "where p.tenant_id = %s and p.product_id = %s", (s.t, product_id))
    return row["a"], row["b"]


def _damage(s: Shop, product_id) -> None:
    for table in ("index.products", "index.product_search"):
        s.conn.execute(f"update {table} set search_vector = to_tsvector('simple', 'damaged') "
                       "where tenant_id = %s and product_id = %s", (s.t, product_id))


def test_every_change_of_the_vector_text_gives_a_new_vector(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        s = Shop(c, make_tenant(c, "vectors"))
        ids = _catalog(s)
        s.drain()
        assert s.verify() == []
        for what, sql in TEXT_CHANGES:
            assert c.execute(sql, {"p": ids}).rowcount > 0, what
            s.drain()
            assert s.verify() == [], what
        # a new tag on a product, then a new variant: the vector follows both
        tag = s.tag("Nouveauté")
        c.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'product', %s)",
                  (s.t, tag["id"], ids[0]))
        s.variant(ids[0], title="Extra large", sku="XL-1", position=7)
        s.drain()
        assert s.verify() == []
        vector, _ = _vector(s, ids[0])
        assert "'nouveaut':" in vector and "'xl':" in vector and "'extra':" in vector, vector


def test_an_unchanged_text_keeps_the_vector_and_a_text_change_or_a_rebuild_makes_it_again(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        s = Shop(c, make_tenant(c, "vectors"))
        ids = _catalog(s)
        s.drain()
        good = _vector(s, ids[1])
        damaged = ("'damaged':1", "'damaged':1")

        _damage(s, ids[1])
        c.execute("update commerce.products set metadata = '{\"k\": 1}' where id = %s", (ids[1],))
        c.execute("update commerce.prices x set amount = amount + 1 from commerce.variants v "
                  "where v.id = x.variant_id and v.product_id = %s", (ids[1],))
        c.execute("update commerce.inventory_levels il set stocked_quantity = stocked_quantity + 2 "
                  "from commerce.variant_inventory vi join commerce.variants v on v.id = vi.variant_id "
                  "where vi.inventory_item_id = il.inventory_item_id and v.product_id = %s", (ids[1],))
        s.drain()
        row = s.iproduct(ids[1])
        assert row["metadata"] == {"k": 1} and row["last_event_type"] is not None   # the projector did rebuild it ...
        assert _vector(s, ids[1]) == damaged                                           # ... and kept the vector
        assert [(r["aggregate_id"], r["columns"]) for r in s.verify()] == [(ids[1], ["search_vector"]), (ids[1], ["product_search"])]   # verify sees it

        # an operator's rebuild computes every vector
        assert s.scalar("select index.rebuild_products(%s::uuid[], %s)", ([ids[1]], s.t)) == 1
        assert _vector(s, ids[1]) == good and s.verify() == []

        # so does a change of the text, through the projector
        _damage(s, ids[1])
        c.execute("update commerce.products set title = 'Shirt 1 bis' where id = %s", (ids[1],))
        s.drain()
        assert _vector(s, ids[1]) != damaged
        assert "'bis'" in _vector(s, ids[1])[0] and s.verify() == []

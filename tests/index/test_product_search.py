"""index.product_search, the narrow search row of a product: follows the product row through every kind of change,
drift in it is reported by index.verify and repaired by a reindex, and the storefront's one-pass search reads it."""

from __future__ import annotations

import json

import pytest

SEARCH_COLUMNS = "status, created_at, has_stock, category_ids, tag_slugs, min_prices, search_vector"


def search_row(shop, product_id):
    return shop.one(f"select {SEARCH_COLUMNS} from index.product_search where tenant_id = %s and product_id = %s",
                    (shop.t, product_id))


def expected_row(shop, product_id):
    """The search row as it must be: the product's read row, narrowed (lowest base price per currency)."""
    return shop.one("select status, created_at, has_stock, category_ids, tag_slugs, "
                    "       coalesce((select jsonb_object_agg(e.key, (e.value ->> 'min')::bigint) "
                    "                 from jsonb_each(prices) e), '{}') as min_prices, search_vector "
                    "from index.products where tenant_id = %s and product_id = %s", (shop.t, product_id))


def test_search_row_follows_the_product_through_its_changes(shop):
    p, v = shop.full_product("Velvet Coat", amount=4900, stocked=2)
    shop.price(v["id"], 5900, "USD")
    shop.drain()
    row = search_row(shop, p["id"])
    assert row == expected_row(shop, p["id"])
    assert row["min_prices"] == {"EUR": 4900, "USD": 5900} and row["has_stock"] and row["status"] == "published"
    assert "velvet" in row["search_vector"] and row["category_ids"] == [] and row["tag_slugs"] == []

    # price, stock, category, tag, text and status changes all reach it
    shop.conn.execute("update commerce.prices set amount = 3900 where tenant_id = %s and variant_id = %s "
                      "and currency_code = 'EUR'", (shop.t, v["id"]))
    shop.conn.execute("update commerce.inventory_levels set stocked_quantity = 0 where tenant_id = %s", (shop.t,))
    cat = shop.category("Outerwear", "outerwear")
    shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                      (shop.t, p["id"], cat["id"]))
    tag = shop.tag("Winter Sale")
    shop.conn.execute("select content.attach_tags(%s, 'product', %s)", ([tag["id"]], [p["id"]]))
    shop.conn.execute("update commerce.products set title = 'Corduroy Coat', status = 'draft' where id = %s", (p["id"],))
    shop.drain()
    row = search_row(shop, p["id"])
    assert row == expected_row(shop, p["id"])
    assert row["min_prices"] == {"EUR": 3900, "USD": 5900} and not row["has_stock"] and row["status"] == "draft"
    assert row["category_ids"] == [cat["id"]] and row["tag_slugs"] == [tag["slug"]]
    assert "corduroy" in row["search_vector"] and "velvet" not in row["search_vector"]
    assert shop.verify() == []

    # a rebuild that changes nothing in the search columns leaves the search row alone (no new row version)
    ctid = shop.scalar("select ctid::text from index.product_search where product_id = %s", (p["id"],))
    shop.conn.execute("update commerce.products set discountable = false where id = %s", (p["id"],))
    shop.drain()
    assert shop.iproduct(p["id"])["discountable"] is False
    assert shop.scalar("select ctid::text from index.product_search where product_id = %s", (p["id"],)) == ctid

    # a deleted product leaves with its search row
    shop.conn.execute("delete from commerce.products where id = %s", (p["id"],))
    shop.drain()
    assert search_row(shop, p["id"]) is None and shop.iproduct(p["id"]) is None


def test_verify_reports_a_drifted_search_row_and_reindex_repairs_it(shop):
    p, _ = shop.full_product("Linen Shirt", amount=2500)
    q, _ = shop.full_product("Wool Scarf", amount=1500)
    shop.drain()
    assert shop.verify() == []
    shop.conn.execute("update index.product_search set has_stock = not has_stock where product_id = %s", (p["id"],))
    shop.conn.execute("update index.product_search set min_prices = '{\"EUR\": 1}' where product_id = %s", (q["id"],))
    drift = {(str(d["aggregate_id"]), d["problem"], tuple(d["columns"])) for d in shop.verify()}
    assert drift == {(str(p["id"]), "different", ("product_search",)), (str(q["id"]), "different", ("product_search",))}
    # the product rows themselves are fine: the rebuild compares every part and repairs the search rows
    r = shop.one("select * from index.reindex_tenant(%s, array['product'])", (shop.t,))
    assert r["failed"] == 0
    assert shop.verify() == []
    assert search_row(shop, p["id"]) == expected_row(shop, p["id"])
    assert search_row(shop, q["id"])["min_prices"] == {"EUR": 1500}


def test_one_pass_search_reads_the_search_rows(shop, conn):
    """The compiled storefront search (index.read_products_page) counts and facets from the search rows: a search
    row that says "out of stock" shows in the inStock facet although the display row says otherwise."""
    for i in range(3):
        shop.full_product(f"Velvet Coat {i}", amount=1000 + i)
    other, _ = shop.full_product("Linen Shirt")
    shop.drain()
    conn.execute("update index.product_search set has_stock = false where tenant_id = %s and product_id in "
                 "(select product_id from index.products where tenant_id = %s and title = 'Velvet Coat 0')",
                 (shop.t, shop.t))
    rows = conn.execute("select * from index.read_products_page(%s, 'velvet coat', '{}', null, 'EUR', null, null, 20, "
                        "false, true, true)", (shop.tenant["slug"],)).fetchall()
    head, page = rows[0], rows[1:]
    assert head["total"] == 3 and len(page) == 3 and other["id"] not in {r["product_id"] for r in page}
    facets = head["facets"] if isinstance(head["facets"], dict) else json.loads(head["facets"])
    assert facets["inStock"] == {"true": 2, "false": 1}
    # nothing matches: no row from the pass, then the corrected text ("velvet") is tried
    rows = conn.execute("select * from index.read_products_page(%s, 'velvat', '{}', null, 'EUR', null, null, 20, "
                        "false, true, true)", (shop.tenant["slug"],)).fetchall()
    assert rows[0]["corrected_query"] == "velvet" and rows[0]["total"] == 3
    rows = conn.execute("select * from index.read_products_page(%s, 'qqqzzz', '{}', null, 'EUR', null, null, 20, "
                        "false, true, true)", (shop.tenant["slug"],)).fetchall()
    assert len(rows) == 1 and rows[0]["total"] == 0 and rows[0]["corrected_query"] is None
    facets = rows[0]["facets"] if isinstance(rows[0]["facets"], dict) else json.loads(rows[0]["facets"])
    assert facets["inStock"] == {"true": 0, "false": 0} and facets["categories"] == []


@pytest.mark.parametrize("text", ["velvet coat", "coat"])
def test_a_last_word_that_completes_only_to_itself_is_not_searched_twice(shop, text):
    shop.full_product("Velvet Coat")
    shop.drain()
    q = shop.scalar("select index._query(%s, index._tsconfig(%s), %s)::text", (shop.t, shop.t, text))
    assert "|" not in q, q
    # a prefix that completes to longer words is still OR-ed with the text as typed
    q = shop.scalar("select index._query(%s, index._tsconfig(%s), 'velvet co')::text", (shop.t, shop.t))
    assert "coat" in q

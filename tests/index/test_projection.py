"""Every kind of write reaches the read model: write (raw SQL or module functions, single or bulk),
drain the 'index' consumer in SQL, assert the read row — and index.verify finds no drift."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from tests.conftest import make_user


def test_product_variant_price_inventory_reach_the_index(shop):
    p = shop.product("Linen Shirt", subtitle="Breathable", description="A light summer shirt")
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["title"] == "Linen Shirt" and row["status"] == "published"
    assert row["variant_count"] == 0 and row["has_stock"] is False and row["prices"] == {}

    v = shop.variant(p["id"], "Small", sku="LS-S")
    shop.price(v["id"], 2500, "EUR")
    shop.price(v["id"], 2900, "USD")
    loc = shop.location()
    item = shop.stock(v["id"], loc["id"], 7)
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["prices"] == {"EUR": {"min": 2500, "max": 2500}, "USD": {"min": 2900, "max": 2900}}
    assert row["currencies"] == ["EUR", "USD"]
    assert row["total_stock"] == 7 and row["has_stock"] is True
    assert row["variants"][0]["sku"] == "LS-S" and row["variants"][0]["prices"] == {"EUR": 2500, "USD": 2900}
    prices = shop.conn.execute("select currency_code, min_amount, max_amount from index.product_prices "
                               "where product_id = %s order by 1", (p["id"],)).fetchall()
    assert [tuple(r.values()) for r in prices] == [("EUR", 2500, 2500), ("USD", 2900, 2900)]

    # second variant, price change, inventory change
    v2 = shop.variant(p["id"], "Large", sku="LS-L")
    shop.price(v2["id"], 3500, "EUR")
    shop.conn.execute("update commerce.prices set amount = 2000 where variant_id = %s and currency_code = 'EUR'", (v["id"],))
    shop.conn.execute("update commerce.inventory_levels set stocked_quantity = 0 where inventory_item_id = %s", (item["id"],))
    shop.conn.execute("update commerce.variants set title = 'Small (S)' where id = %s", (v["id"],))
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["prices"]["EUR"] == {"min": 2000, "max": 3500}
    assert row["total_stock"] == 0 and row["has_stock"] is False     # v2 manages inventory and has none
    assert [x["title"] for x in row["variants"]] == ["Small (S)", "Large"]
    assert row["last_event_type"] in ("ProductUpdated", "VariantUpdated", "VariantCreated", "InventoryUpdated")

    # a deleted price currency disappears from product_prices
    shop.conn.execute("delete from commerce.prices where currency_code = 'USD'")
    shop.drain()
    assert shop.scalar("select count(*) from index.product_prices where product_id = %s and currency_code = 'USD'",
                       (p["id"],)) == 0
    assert shop.verify() == []


def test_options_categories_tags_and_seo_meta_reach_the_index(shop):
    p, v = shop.full_product("Denim Jacket")
    opt = shop.one("insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Size') returning *",
                   (shop.t, p["id"]))
    val = shop.one("insert into commerce.option_values (tenant_id, option_id, value) values (%s, %s, 'XL') returning *",
                   (shop.t, opt["id"]))
    shop.conn.execute("insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (%s, %s, %s)",
                      (shop.t, v["id"], val["id"]))
    cat = shop.category("Outerwear", "outerwear")
    hidden = shop.category("Staff picks", "staff", is_internal=True)
    shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s), (%s, %s, %s)",
                      (shop.t, p["id"], cat["id"], shop.t, p["id"], hidden["id"]))
    tag = shop.tag("Winter Sale")
    shop.conn.execute("select content.attach_tags(%s, 'product', %s)", ([tag["id"]], [p["id"]]))
    shop.conn.execute("insert into content.meta (tenant_id, target_type, target_id, title, description, robots) "
                      "values (%s, 'product', %s, 'Buy the jacket', 'Warm denim', 'noindex')", (shop.t, p["id"]))
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["options"] == [{"id": str(opt["id"]), "title": "Size", "values": ["XL"]}]
    assert row["variants"][0]["options"] == {"Size": "XL"}
    assert row["category_ids"] == [cat["id"]] and row["category_handles"] == ["outerwear"]   # internal hidden
    assert row["tags"] == ["Winter Sale"] and row["tag_slugs"] == ["winter-sale"]
    assert row["meta_title"] == "Buy the jacket" and row["seo"] == {
        "title": "Buy the jacket", "description": "Warm denim", "robots": "noindex"}

    # renames propagate: category, tag; meta update; detach
    shop.conn.execute("update commerce.categories set name = 'Coats' where id = %s", (cat["id"],))
    shop.conn.execute("update content.tags set name = 'Winter Deals' where id = %s", (tag["id"],))
    shop.conn.execute("update content.meta set title = 'Jacket!' where target_id = %s", (p["id"],))
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["categories"][0]["name"] == "Coats" and row["tags"] == ["Winter Deals"] and row["meta_title"] == "Jacket!"
    shop.conn.execute("select content.detach_tags(%s, 'product', %s)", ([tag["id"]], [p["id"]]))
    shop.conn.execute("delete from commerce.product_categories where product_id = %s", (p["id"],))
    shop.drain()
    row = shop.iproduct(p["id"])
    assert row["tags"] == [] and row["category_ids"] == []
    assert shop.verify() == []


def test_status_change_and_delete(shop):
    p, _ = shop.full_product("Mug", status="draft")
    shop.drain()
    assert shop.iproduct(p["id"])["status"] == "draft"
    shop.conn.execute("update commerce.products set status = 'published' where id = %s", (p["id"],))
    shop.drain()
    assert shop.iproduct(p["id"])["status"] == "published"
    shop.conn.execute("delete from commerce.products where id = %s", (p["id"],))
    shop.drain()
    assert shop.iproduct(p["id"]) is None
    assert shop.scalar("select count(*) from index.product_prices where product_id = %s", (p["id"],)) == 0
    assert shop.verify() == []


def test_bulk_writes_reach_the_index(shop):
    shop.conn.execute(
        "insert into commerce.products (tenant_id, title, handle, status) "
        "select %s, 'Bulk item ' || g, 'bulk-' || g, 'published' from generate_series(1, 300) g", (shop.t,))
    shop.conn.execute(
        "insert into commerce.variants (tenant_id, product_id, title, sku) "
        "select tenant_id, id, 'Default', 'B-' || handle from commerce.products where tenant_id = %s", (shop.t,))
    shop.conn.execute(
        "insert into commerce.prices (tenant_id, variant_id, amount, currency_code) "
        "select tenant_id, id, 100 + (row_number() over (order by id))::int, 'EUR' from commerce.variants where tenant_id = %s",
        (shop.t,))
    r = shop.drain()
    assert r["claimed"] >= 300
    assert shop.scalar("select count(*) from index.products where tenant_id = %s and prices ? 'EUR'", (shop.t,)) == 300
    shop.conn.execute("update commerce.products set title = upper(title) where tenant_id = %s", (shop.t,))
    shop.conn.execute("update commerce.prices set amount = amount * 2 where tenant_id = %s", (shop.t,))
    shop.drain()
    assert shop.scalar("select count(*) from index.products where tenant_id = %s and title like 'BULK ITEM %%'", (shop.t,)) == 300
    assert shop.scalar("select min(min_amount) from index.product_prices where tenant_id = %s", (shop.t,)) == 202
    shop.conn.execute("delete from commerce.products where tenant_id = %s and handle like 'bulk-1%%'", (shop.t,))
    shop.drain()
    assert shop.scalar("select count(*) from index.products where tenant_id = %s", (shop.t,)) == 300 - 111
    assert shop.verify() == []


def test_content_body_author_category_tags_meta_reach_the_index(shop, conn):
    author = make_user(conn, shop.t, display_name="Ada")
    cat = shop.one("insert into content.categories (tenant_id, name) values (%s, 'Guides') returning *", (shop.t,))
    n = shop.node("post", "Brewing Coffee", author_id=author["id"], category_id=cat["id"], excerpt="How to brew")
    shop.body(n["id"], "<p>Grind the <b>beans</b> fresh.</p>", "html")
    shop.drain()
    row = shop.icontent(n["id"])
    assert row["title"] == "Brewing Coffee" and row["status"] == "draft" and row["kind"] == "post"
    assert row["author_name"] == "Ada" and row["category_name"] == "Guides" and row["category_slug"] == "guides"
    assert row["body_preview"] == "Grind the beans fresh."

    conn.execute("select content.publish_nodes(%s)", ([n["id"]],))
    shop.body(n["id"], "Use a burr grinder.")
    conn.execute("update core.users set display_name = 'Ada L.' where id = %s", (author["id"],))
    conn.execute("update content.categories set name = 'How-to' where id = %s", (cat["id"],))
    tag = shop.tag("Coffee")
    conn.execute("select content.attach_tags(%s, 'node', %s)", ([tag["id"]], [n["id"]]))
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 'Coffee guide')",
                 (shop.t, n["id"]))
    shop.drain()
    row = shop.icontent(n["id"])
    assert row["status"] == "published" and row["published_at"] is not None
    assert row["body_preview"] == "Use a burr grinder."
    assert row["author_name"] == "Ada L." and row["category_name"] == "How-to"
    assert row["tags"] == ["Coffee"] and row["meta_title"] == "Coffee guide"

    # comments: reply_count on the post
    c = conn.execute("select * from content.add_comment(%s, %s, 'Nice!')", (n["id"], author["id"])).fetchone()
    conn.execute("select content.moderate_comments(%s, 'approved')", ([c["id"]],))
    shop.drain()
    assert shop.icontent(n["id"])["reply_count"] == 1
    assert shop.icontent(c["id"])["kind"] == "comment"

    conn.execute("delete from content.nodes where id = %s", (n["id"],))
    shop.drain()
    assert shop.icontent(n["id"]) is None and shop.icontent(c["id"]) is None
    assert shop.verify() == []


def test_bulk_content(shop, conn):
    conn.execute("insert into content.nodes (tenant_id, kind, title, status, published_at) "
                 "select %s, 'page', 'Page ' || g, 'published', now() from generate_series(1, 200) g", (shop.t,))
    conn.execute("insert into content.bodies (tenant_id, node_id, body) "
                 "select tenant_id, id, 'Body of ' || title from content.nodes where tenant_id = %s", (shop.t,))
    shop.drain()
    assert shop.scalar("select count(*) from index.content where tenant_id = %s and body_preview like 'Body of Page %%'",
                       (shop.t,)) == 200
    assert shop.verify() == []


def test_orders_reach_the_index(shop):
    p, v = shop.full_product("Tea", amount=450, stocked=50)
    o = shop.order([{"variant_id": str(v["id"]), "quantity": 3}], email="x@example.com")
    shop.drain()
    row = shop.iorder(o["id"])
    assert row["display_id"] == o["display_id"] and row["status"] == "pending"
    assert row["total"] == o["total"] and row["item_count"] == 3 and row["line_count"] == 1
    assert row["items"][0]["quantity"] == 3 and row["items"][0]["unitPrice"] == 450
    assert row["customer_email"] == "x@example.com"
    shop.conn.execute("select commerce.set_order_status(%s, %s, 'paid')", (shop.t, o["id"]))
    shop.drain()
    row = shop.iorder(o["id"])
    assert row["status"] == "paid" and row["paid_at"] is not None
    # the reservation changed the product's availability as well
    assert shop.iproduct(p["id"])["total_stock"] == 47
    assert shop.verify() == []


def test_rebuild_is_idempotent_and_does_not_churn(shop):
    p, _ = shop.full_product("Lamp")
    shop.drain()
    before = shop.one("select xmin::text as x, indexed_at from index.products where product_id = %s", (p["id"],))
    assert shop.scalar("select index.rebuild_products(%s, %s)", ([p["id"]], shop.t)) == 0
    assert shop.scalar("select index.rebuild_products(%s)", ([p["id"]],)) == 0
    shop.conn.execute("select ops.request_reindex(%s, 'product', %s)", (shop.t, [p["id"]]))
    shop.drain()
    after = shop.one("select xmin::text as x, indexed_at from index.products where product_id = %s", (p["id"],))
    assert after == before


def test_reindex_requested_for_a_whole_tenant_repairs_rows(shop):
    p, _ = shop.full_product("Kettle")
    n = shop.node("page", "About")
    shop.drain()
    shop.conn.execute("delete from index.products where product_id = %s", (p["id"],))
    shop.conn.execute("update index.content set title = 'wrong' where node_id = %s", (n["id"],))
    assert {(d["aggregate_type"], d["problem"]) for d in shop.verify()} == {("product", "missing"), ("node", "different")}
    shop.conn.execute("select ops.request_reindex(%s, 'product')", (shop.t,))
    shop.conn.execute("select ops.request_reindex(%s, 'node')", (shop.t,))
    shop.drain()
    assert shop.verify() == []
    assert shop.iproduct(p["id"])["last_event_type"] is None   # written by the reindex, not an aggregate event


def test_text_search_config_change_reindexes(shop):
    p, _ = shop.full_product("Running shoes")
    shop.drain()
    assert "run" in shop.scalar("select search_vector::text from index.products where product_id = %s", (p["id"],))
    shop.conn.execute("update core.tenants set text_search_config = 'simple' where id = %s", (shop.t,))
    shop.drain()
    assert "'running'" in shop.scalar("select search_vector::text from index.products where product_id = %s", (p["id"],))
    assert shop.verify() == []


def test_an_order_placement_rebuilds_every_product_sharing_its_stock(shop):
    # the placement's reservations emit no InventoryUpdated: its OrderPlaced makes the consumer rebuild the products
    # of every variant that shares an inventory item with the order's lines
    p1, v1 = shop.full_product("Boot", stocked=20)
    p2 = shop.product("Boot bundle")
    v2 = shop.variant(p2["id"], title="Bundle")
    shop.price(v2["id"], 5000)
    item = shop.scalar("select inventory_item_id from commerce.variant_inventory where variant_id = %s", (v1["id"],))
    shop.conn.execute("insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id, required_quantity) "
                      "values (%s, %s, %s, 2)", (shop.t, v2["id"], item))
    shop.drain()
    assert shop.iproduct(p1["id"])["total_stock"] == 20
    shop.order([{"variant_id": str(v1["id"]), "quantity": 3}])
    shop.drain()
    assert shop.iproduct(p1["id"])["total_stock"] == 17
    assert shop.verify() == []   # the bundle's row too (its availability comes from the same item)
    # the consumer locks it took for those products are session locks, released before the handler returned
    # (the transaction's shared lock of the facet cache, index._facet_cache_lock_key, is another matter)
    assert shop.scalar("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() "
                       "and mode = 'ExclusiveLock'") == 0

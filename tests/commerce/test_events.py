"""Every commerce event type is written by the matching raw-SQL write; bulk, no-op and rollback cases."""

import uuid

import psycopg
from psycopg.rows import dict_row

from tests.commerce.commerce_helpers import (make_location, make_price, make_product, make_shop, make_stock, make_tenant,
                              make_variant, one, place, scalar)


def evs(conn, event_type=None):
    sql = "select event_type, aggregate_type, aggregate_id, payload from outbox.events"
    params = ()
    if event_type:
        sql += " where event_type = %s"
        params = (event_type,)
    return conn.execute(sql + " order by id", params).fetchall()


def clear(conn):
    conn.execute("delete from outbox.events")


def kinds(conn):
    return sorted((e["event_type"], e["aggregate_id"]) for e in evs(conn))


def test_product_events(conn):
    t = make_tenant(conn)["id"]
    clear(conn)
    p = make_product(conn, t, status="draft")
    assert [(e["event_type"], e["aggregate_type"], e["aggregate_id"]) for e in evs(conn)] == [("ProductCreated", "product", p["id"])]
    clear(conn)
    conn.execute("update commerce.products set title = 'New' where id = %s", (p["id"],))
    assert kinds(conn) == [("ProductUpdated", p["id"])]
    clear(conn)
    conn.execute("update commerce.products set title = 'New' where id = %s", (p["id"],))  # no-op
    conn.execute("update commerce.products set status = status where tenant_id = %s", (t,))
    assert evs(conn) == []
    conn.execute("update commerce.products set status = 'published' where id = %s", (p["id"],))
    assert kinds(conn) == [("ProductPublished", p["id"]), ("ProductUpdated", p["id"])]
    assert evs(conn, "ProductPublished")[0]["payload"] == {"old_status": "draft", "new_status": "published"}
    clear(conn)
    p2 = make_product(conn, t, status="published")
    assert kinds(conn) == sorted([("ProductCreated", p2["id"]), ("ProductPublished", p2["id"])])
    clear(conn)
    make_variant(conn, t, p["id"])
    clear(conn)
    conn.execute("delete from commerce.products where id = %s", (p["id"],))
    # the cascaded variant delete says nothing about a product that is gone
    assert kinds(conn) == [("ProductDeleted", p["id"])]


def test_bulk_update_one_event_per_product(conn):
    t = make_tenant(conn)["id"]
    products = [make_product(conn, t, status="draft") for _ in range(30)]
    for p in products[:5]:
        for _ in range(3):
            make_price(conn, t, make_variant(conn, t, p["id"])["id"], 100)
    clear(conn)
    conn.execute("update commerce.products set subtitle = 'Sale' where tenant_id = %s", (t,))
    ups = evs(conn, "ProductUpdated")
    assert len(ups) == 30 and len({e["aggregate_id"] for e in ups}) == 30
    clear(conn)
    conn.execute("update commerce.products set subtitle = 'Sale' where tenant_id = %s", (t,))
    assert evs(conn) == []
    # 15 prices of 5 products: 5 events
    conn.execute("update commerce.prices set amount = amount + 1 where tenant_id = %s", (t,))
    ups = evs(conn)
    assert [e["event_type"] for e in ups] == ["ProductUpdated"] * 5
    assert {e["aggregate_id"] for e in ups} == {p["id"] for p in products[:5]}
    assert ups[0]["payload"] == {"source": "prices"}
    clear(conn)
    conn.execute("update commerce.prices set amount = amount where tenant_id = %s", (t,))
    assert evs(conn) == []


def test_variant_events(conn):
    t = make_tenant(conn)["id"]
    p = make_product(conn, t)
    clear(conn)
    v = make_variant(conn, t, p["id"])
    assert [(e["event_type"], e["aggregate_type"], e["aggregate_id"], e["payload"]) for e in evs(conn)] == [
        ("VariantCreated", "product", p["id"], {"variant_id": str(v["id"])})]
    clear(conn)
    conn.execute("update commerce.variants set barcode = '123' where id = %s", (v["id"],))
    assert [(e["event_type"], e["payload"]) for e in evs(conn)] == [("VariantUpdated", {"variant_id": str(v["id"])})]
    clear(conn)
    conn.execute("update commerce.variants set barcode = '123' where id = %s", (v["id"],))
    assert evs(conn) == []
    conn.execute("delete from commerce.variants where id = %s", (v["id"],))
    assert [(e["event_type"], e["aggregate_id"]) for e in evs(conn)] == [("ProductUpdated", p["id"])]


def test_child_rows_emit_product_updated(conn):
    t = make_tenant(conn)["id"]
    p = make_product(conn, t)
    v = make_variant(conn, t, p["id"])
    loc = make_location(conn, t)

    def after(sql, params, source):
        clear(conn)
        conn.execute(sql, params)
        got = evs(conn)
        assert [(e["event_type"], e["aggregate_id"], e["payload"].get("source")) for e in got] == [
            ("ProductUpdated", p["id"], source)], (sql, got)

    opt = one(conn, "insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Size') returning id", (t, p["id"]))["id"]
    after("update commerce.options set title = 'Sz' where id = %s", (opt,), "options")
    val = one(conn, "insert into commerce.option_values (tenant_id, option_id, value) values (%s, %s, 'S') returning id", (t, opt))["id"]
    after("update commerce.option_values set value = 'Small' where id = %s", (val,), "option_values")
    after("insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (%s, %s, %s)",
          (t, v["id"], val), "variant_options")
    after("delete from commerce.variant_options where variant_id = %s", (v["id"],), "variant_options")
    after("insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, 5, 'EUR')",
          (t, v["id"]), "prices")
    cat = one(conn, "insert into commerce.categories (tenant_id, name, handle) values (%s, 'Shoes', 'shoes') returning id", (t,))["id"]
    after("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
          (t, p["id"], cat), "product_categories")
    after("update commerce.categories set name = 'Boots' where id = %s", (cat,), "categories")
    after("update commerce.categories set is_active = false where id = %s", (cat,), "categories")
    item = one(conn, "insert into commerce.inventory_items (tenant_id, sku) values (%s, 'I-1') returning id", (t,))["id"]
    after("insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id) values (%s, %s, %s)",
          (t, v["id"], item), "variant_inventory")
    after("update commerce.inventory_items set low_stock_threshold = 2 where id = %s", (item,), "inventory_items")
    pl = one(conn, "insert into commerce.price_lists (tenant_id, title) values (%s, 'Sale') returning id", (t,))["id"]
    after("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id) values (%s, %s, 4, 'EUR', %s)",
          (t, v["id"], pl), "prices")
    after("update commerce.price_lists set status = 'active' where id = %s", (pl,), "price_lists")
    after("insert into commerce.price_list_rules (tenant_id, price_list_id, attribute, values) values (%s, %s, 'customer_group', '{vip}')",
          (t, pl), "price_list_rules")
    clear(conn)
    conn.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                 "values (%s, %s, %s, 50)", (t, item, loc["id"]))
    assert [e["event_type"] for e in evs(conn)] == ["InventoryUpdated"]
    clear(conn)
    conn.execute("update commerce.categories set name = 'Boots' where id = %s", (cat,))  # no-op
    conn.execute("update commerce.option_values set value = 'Small' where id = %s", (val,))
    assert evs(conn) == []


def test_inventory_updated_and_low(conn):
    t = make_tenant(conn, settings={"low_stock_threshold": 3})["id"]
    p1, p2 = make_product(conn, t), make_product(conn, t)
    v1, v2 = make_variant(conn, t, p1["id"]), make_variant(conn, t, p2["id"])
    loc, loc2 = make_location(conn, t), make_location(conn, t)
    i1 = make_stock(conn, t, v1["id"], loc["id"], 10)
    i2 = make_stock(conn, t, v2["id"], loc["id"], 10, threshold=8)
    conn.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                 "values (%s, %s, %s, 1)", (t, i1["id"], loc2["id"]))
    clear(conn)
    # one bulk statement touching 3 levels of 2 products: one InventoryUpdated per product
    conn.execute("update commerce.inventory_levels set stocked_quantity = stocked_quantity - 1 where tenant_id = %s", (t,))
    ups = evs(conn, "InventoryUpdated")
    assert sorted(e["aggregate_id"] for e in ups) == sorted([p1["id"], p2["id"]])
    pay = {e["aggregate_id"]: e["payload"] for e in ups}
    assert pay[p2["id"]]["inventory_item_id"] == str(i2["id"])
    assert (pay[p2["id"]]["old_quantity"], pay[p2["id"]]["new_quantity"]) == (10, 9)
    assert pay[p1["id"]]["changed_levels"] == 2
    assert evs(conn, "InventoryLow") == []
    clear(conn)
    # item 2 (threshold 8 on the item) drops from 9 to 8: crosses
    conn.execute("update commerce.inventory_levels set reserved_quantity = 1 where inventory_item_id = %s", (i2["id"],))
    low = evs(conn, "InventoryLow")
    assert [(e["aggregate_id"], e["payload"]) for e in low] == [
        (p2["id"], {"inventory_item_id": str(i2["id"]), "remaining": 8, "threshold": 8})]
    clear(conn)
    conn.execute("update commerce.inventory_levels set reserved_quantity = 2 where inventory_item_id = %s", (i2["id"],))
    assert evs(conn, "InventoryLow") == []  # already low: no new crossing
    # item 1: 9 + 0 available across two locations, tenant threshold 3
    conn.execute("update commerce.inventory_levels set stocked_quantity = 3 where inventory_item_id = %s and location_id = %s",
                 (i1["id"], loc["id"]))
    low = evs(conn, "InventoryLow")
    assert [(e["aggregate_id"], e["payload"]["remaining"], e["payload"]["threshold"]) for e in low] == [(p1["id"], 3, 3)]
    clear(conn)
    conn.execute("update commerce.inventory_levels set stocked_quantity = stocked_quantity where tenant_id = %s", (t,))
    assert evs(conn) == []


def test_order_events(conn):
    shop = make_shop(conn, stocked=100)
    t = shop["tenant"]["id"]
    clear(conn)
    o = place(conn, t, [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}])
    placed = evs(conn, "OrderPlaced")
    assert [(e["aggregate_type"], e["aggregate_id"], e["payload"]["display_id"]) for e in placed] == [("order", o["id"], 1)]
    # the placement's own reservation is announced by OrderPlaced (the index consumer rebuilds the product)
    assert sorted(e["event_type"] for e in evs(conn)) == ["OrderPlaced"]
    clear(conn)
    conn.execute("select commerce.set_order_status(%s, %s, 'paid')", (t, o["id"]))
    assert [(e["event_type"], e["payload"]["old_status"], e["payload"]["new_status"]) for e in evs(conn)] == [
        ("OrderStatusChanged", "pending", "paid")]
    clear(conn)
    conn.execute("update commerce.orders set status = 'fulfilled' where id = %s", (o["id"],))
    conn.execute("update commerce.orders set status = 'completed' where id = %s", (o["id"],))
    assert sorted(e["event_type"] for e in evs(conn)) == ["InventoryUpdated", "OrderCompleted", "OrderStatusChanged", "OrderStatusChanged"]
    clear(conn)
    conn.execute("update commerce.orders set metadata = '{\"note\": 1}' where id = %s", (o["id"],))
    # not a status change: commerce says the order was updated, nothing else
    assert [(e["event_type"], e["payload"]["source"]) for e in evs(conn)] == [("OrderUpdated", "orders")]
    clear(conn)
    conn.execute("update commerce.orders set status = status where tenant_id = %s", (t,))
    assert evs(conn) == []
    raw = one(conn, "insert into commerce.orders (tenant_id, currency_code, subtotal, total) values (%s, 'USD', 5, 5) "
                    "returning id, display_id", (t,))
    assert [(e["event_type"], e["aggregate_id"], e["payload"]["display_id"]) for e in evs(conn)] == [
        ("OrderPlaced", raw["id"], 2)]
    clear(conn)
    others = [place(conn, t, [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}]) for _ in range(3)]
    clear(conn)
    conn.execute("update commerce.orders set status = 'cancelled' where id = any(%s)", ([x["id"] for x in others],))
    got = evs(conn)
    assert sorted(e["event_type"] for e in got) == ["InventoryUpdated"] + ["OrderCancelled"] * 3 + ["OrderStatusChanged"] * 3


def test_order_placement_stock_events(conn):
    shop = make_shop(conn, stocked=10)
    t, item = shop["tenant"]["id"], shop["item"]["id"]
    conn.execute("update commerce.inventory_items set low_stock_threshold = 5 where id = %s", (item,))
    line = [{"variant_id": str(shop["variant"]["id"]), "quantity": 4}]
    clear(conn)
    o = place(conn, t, line)   # 10 -> 6 available: above the threshold, OrderPlaced alone
    assert [e["event_type"] for e in evs(conn)] == ["OrderPlaced"]
    assert scalar(conn, "select current_setting('rustok.placing_order', true)") == ""
    clear(conn)
    place(conn, t, [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}])   # 6 -> 5: crosses
    assert [(e["aggregate_id"], e["payload"]) for e in evs(conn, "InventoryLow")] == [
        (shop["product"]["id"], {"inventory_item_id": str(item), "remaining": 5, "threshold": 5})]
    assert sorted(e["event_type"] for e in evs(conn)) == ["InventoryLow", "OrderPlaced"]
    clear(conn)
    # the setting is only a hint: a stock change that is not a reservation of the order it names (placed in this
    # transaction, for an item its lines sell) is announced as always
    conn.execute("select set_config('rustok.placing_order', %s, false)", (str(uuid.uuid4()),))
    try:
        conn.execute("update commerce.inventory_levels set reserved_quantity = reserved_quantity + 1 where inventory_item_id = %s",
                     (item,))
        conn.execute("update commerce.inventory_levels set stocked_quantity = stocked_quantity + 10 where inventory_item_id = %s",
                     (item,))
    finally:
        conn.execute("select set_config('rustok.placing_order', '', false)")
    assert [e["event_type"] for e in evs(conn)] == ["InventoryUpdated", "InventoryUpdated"]
    clear(conn)
    # fulfilment and cancellation change stock as always
    conn.execute("select commerce.set_order_status(%s, %s, 'cancelled')", (t, o["id"]))
    assert sorted(e["event_type"] for e in evs(conn)) == ["InventoryUpdated", "OrderCancelled", "OrderStatusChanged"]


def test_no_events_after_rollback(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        with c.transaction():
            shop = make_shop(c)
        t = shop["tenant"]["id"]
        before = scalar(c, "select count(*) from outbox.events")
        updated = scalar(c, "select count(*) from outbox.events where event_type = 'ProductUpdated'")
        tx = psycopg.connect(fresh_db, row_factory=dict_row)
        try:
            tx.execute("update commerce.products set title = 'Gone' where tenant_id = %s", (t,))
            place(tx, t, [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}])
            assert scalar(tx, "select count(*) from outbox.events") > before
            tx.rollback()
        finally:
            tx.close()
        assert scalar(c, "select count(*) from outbox.events") == before
        assert scalar(c, "select count(*) from commerce.orders") == 0
        with c.transaction():
            c.execute("update commerce.products set title = 'Kept' where tenant_id = %s", (t,))
        assert scalar(c, "select count(*) from outbox.events where event_type = 'ProductUpdated'") == updated + 1

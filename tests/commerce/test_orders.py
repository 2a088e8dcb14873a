"""place_order, inventory rules and the order status state machine."""

from tests.commerce.commerce_helpers import (level, make_location, make_price, make_product, make_shop, make_stock, make_tenant,
                              make_variant, one, place, raises, scalar)


def line(variant, quantity):
    return {"variant_id": str(variant["id"]), "quantity": quantity}


def counts(conn, tenant_id):
    return one(conn, """select (select count(*) from commerce.orders where tenant_id = %(t)s) as orders,
                               (select count(*) from commerce.order_items where tenant_id = %(t)s) as items,
                               (select count(*) from commerce.order_reservations where tenant_id = %(t)s) as reservations,
                               (select coalesce(sum(reserved_quantity), 0) from commerce.inventory_levels where tenant_id = %(t)s) as reserved,
                               (select coalesce(max(last_display_id), 0) from commerce.order_counters where tenant_id = %(t)s) as counter""",
               {"t": tenant_id})


def test_place_order_computes_totals_and_reserves(conn):
    shop = make_shop(conn, stocked=10, price=1999)
    t = shop["tenant"]["id"]
    v2 = make_variant(conn, t, shop["product"]["id"], title="Large")
    make_price(conn, t, v2["id"], 500)
    make_price(conn, t, v2["id"], 400, min_quantity=3)
    make_stock(conn, t, v2["id"], shop["location"]["id"], 5)
    o = place(conn, t, [line(shop["variant"], 2), line(v2, 3)], email="a@b.co", shipping_total=500,
              discount_total=198, tax_rate=0.2, shipping_address={"city": "Riga"})
    assert o["subtotal"] == 2 * 1999 + 3 * 400
    assert o["discount_total"] == 198 and o["shipping_total"] == 500
    assert o["tax_total"] == round((5198 - 198 + 500) * 0.2)
    assert o["total"] == 5198 - 198 + 500 + 1100
    assert o["status"] == "pending" and o["display_id"] == 1 and o["shipping_address"] == {"city": "Riga"}
    items = conn.execute("select * from commerce.order_items where order_id = %s order by unit_price desc", (o["id"],)).fetchall()
    assert [(i["quantity"], i["unit_price"], i["total"], i["sku"]) for i in items] == [
        (2, 1999, 3998, shop["variant"]["sku"]), (3, 400, 1200, v2["sku"])]
    assert items[1]["title"].endswith("Large")
    assert level(conn, shop["item"]["id"])["reserved_quantity"] == 2
    o2 = place(conn, t, [line(shop["variant"], 1), line(shop["variant"], 2)])  # repeated variant lines merge
    assert o2["display_id"] == 2 and o2["subtotal"] == 3 * 1999
    assert level(conn, shop["item"]["id"])["reserved_quantity"] == 5


def test_display_ids_are_per_tenant(conn):
    a, b = make_shop(conn), make_shop(conn)
    ids = [place(conn, s["tenant"]["id"], [line(s["variant"], 1)])["display_id"] for s in (a, b, a, a, b)]
    assert ids == [1, 1, 2, 3, 2]


def test_bad_orders_are_refused_and_nothing_is_written(conn):
    shop = make_shop(conn, stocked=3)
    t = shop["tenant"]["id"]
    place(conn, t, [line(shop["variant"], 1)])
    before = counts(conn, t)
    call = "select * from commerce.place_order(%s, %s, %s::jsonb)"
    ok_items = f'[{{"variant_id": "{shop["variant"]["id"]}", "quantity": 1}}]'
    err = raises(conn, call, (t, "XYZ", ok_items), sqlstate="22023", contains="currency_code")
    assert err.diag.column_name == "currency_code"
    raises(conn, call, (t, "EUR", "[]"), sqlstate="22023", contains="items")
    raises(conn, call, (t, "EUR", f'[{{"variant_id": "{shop["variant"]["id"]}", "quantity": 0}}]'),
           sqlstate="22023", contains="items[0]")
    raises(conn, call, (t, "EUR", '[{"variant_id": "nope", "quantity": 1}]'), sqlstate="22023", contains="variant_id")
    raises(conn, call, (t, "EUR", '[{"variant_id": "01a214b7-4f3b-3b00-d5a7-7b6b67de9882", "quantity": 1}]'),
           sqlstate="P0002", contains="items[0].variant_id")
    raises(conn, call, (t, "USD", ok_items), sqlstate="P0002", contains=["no price in USD", shop["variant"]["sku"]])
    err = raises(conn, call, (t, "EUR", f'[{{"variant_id": "{shop["variant"]["id"]}", "quantity": 3}}]'),
                 sqlstate="23514", contains=[shop["variant"]["sku"], "requested 3, available 2"])
    assert err.diag.column_name == "quantity"
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb, p_discount_total => 5000)", (t, ok_items),
           sqlstate="22023", contains="discount_total")
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb, p_tax_rate => 1.5)", (t, ok_items),
           sqlstate="22023", contains="tax_rate")
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb, p_email => 'not-an-email')", (t, ok_items),
           sqlstate="23514", contains="orders_email_check")
    conn.execute("update commerce.products set status = 'draft' where id = %s", (shop["product"]["id"],))
    err = raises(conn, call, (t, "EUR", ok_items), sqlstate="55000",
                 contains=["commerce.products.status", shop["variant"]["sku"], "draft"])
    assert err.diag.column_name == "status"
    assert counts(conn, t) == before


def test_discount_applies_only_to_discountable_products(conn):
    shop = make_shop(conn, price=1000)
    conn.execute("update commerce.products set discountable = false where id = %s", (shop["product"]["id"],))
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb, p_discount_total => 1)",
           (shop["tenant"]["id"], f'[{{"variant_id": "{shop["variant"]["id"]}", "quantity": 1}}]'),
           sqlstate="22023", contains="discountable subtotal")


def test_backorder_allows_overselling_and_no_inventory_variants_skip_stock(conn):
    shop = make_shop(conn, stocked=1, allow_backorder=True)
    t = shop["tenant"]["id"]
    place(conn, t, [line(shop["variant"], 4)])
    lv = level(conn, shop["item"]["id"])
    assert (lv["stocked_quantity"], lv["reserved_quantity"]) == (1, 4)
    unlinked = make_variant(conn, t, shop["product"]["id"])
    make_price(conn, t, unlinked["id"], 50)
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb)",
           (t, f'[{{"variant_id": "{unlinked["id"]}", "quantity": 1}}]'), sqlstate="23514",
           contains=[unlinked["sku"], "available 0", "no inventory item"])
    digital = make_variant(conn, t, shop["product"]["id"], manage_inventory=False)
    make_price(conn, t, digital["id"], 50)
    o = place(conn, t, [line(digital, 1000)])
    assert o["subtotal"] == 50000


def test_bundle_required_quantity_and_location_choice(conn):
    shop = make_shop(conn, stocked=0)
    t = shop["tenant"]["id"]
    v = make_variant(conn, t, shop["product"]["id"], title="Six-pack")
    make_price(conn, t, v["id"], 600)
    second = make_location(conn, t)
    item = make_stock(conn, t, v["id"], shop["location"]["id"], 7, required=6)
    conn.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                 "values (%s, %s, %s, 13)", (t, item["id"], second["id"]))
    place(conn, t, [line(v, 2)])  # 12 units from the location with most available
    rows = conn.execute("select location_id, reserved_quantity from commerce.inventory_levels where inventory_item_id = %s",
                        (item["id"],)).fetchall()
    assert {r["location_id"]: r["reserved_quantity"] for r in rows} == {shop["location"]["id"]: 0, second["id"]: 12}
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb)",
           (t, f'[{{"variant_id": "{v["id"]}", "quantity": 2}}]'), sqlstate="23514",
           contains=["requested 2, available 1"])
    # a pinned location
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb, p_location_id => %s)",
           (t, f'[{{"variant_id": "{v["id"]}", "quantity": 1}}]', second["id"]), sqlstate="23514",
           contains="requested 1, available 0")


def test_inventory_level_rules(conn):
    shop = make_shop(conn, stocked=5)
    t, item = shop["tenant"]["id"], shop["item"]["id"]
    err = raises(conn, "update commerce.inventory_levels set reserved_quantity = 6 where inventory_item_id = %s", (item,),
                 sqlstate="23514", contains="commerce.inventory_levels.reserved_quantity")
    assert err.diag.column_name == "reserved_quantity"
    raises(conn, "update commerce.inventory_levels set stocked_quantity = -1 where inventory_item_id = %s", (item,),
           sqlstate="23514", contains="inventory_levels_stocked_quantity_check")
    raises(conn, "update commerce.inventory_levels set incoming_quantity = -1 where inventory_item_id = %s", (item,),
           sqlstate="23514", contains="inventory_levels_incoming_quantity_check")
    raises(conn, "update commerce.variant_inventory set required_quantity = 0 where inventory_item_id = %s", (item,),
           sqlstate="23514", contains="variant_inventory_required_quantity_check")
    assert level(conn, item)["reserved_quantity"] == 0
    conn.execute("update commerce.variants set allow_backorder = true where id = %s", (shop["variant"]["id"],))
    conn.execute("update commerce.inventory_levels set reserved_quantity = 6 where inventory_item_id = %s", (item,))


def test_status_machine_and_stock_effects(conn):
    shop = make_shop(conn, stocked=10)
    t, item = shop["tenant"]["id"], shop["item"]["id"]
    o = place(conn, t, [line(shop["variant"], 3)])
    setst = "select * from commerce.set_order_status(%s, %s, %s)"
    err = raises(conn, setst, (t, o["id"], "fulfilled"), sqlstate="55000", contains=["commerce.orders.status", "pending to fulfilled"])
    assert err.diag.column_name == "status"
    raises(conn, "update commerce.orders set status = 'completed' where id = %s", (o["id"],), sqlstate="55000",
           contains="pending to completed")
    raises(conn, setst, (t, o["id"], "shipped"), sqlstate="22023", contains="status")
    raises(conn, setst, (t, "01a214b7-4f3b-3b00-d5a7-7b6b67de9882", "paid"), sqlstate="P0002", contains="not found")
    raises(conn, "update commerce.orders set display_id = 99 where id = %s", (o["id"],), sqlstate="55000", contains="write-once")
    paid = one(conn, setst, (t, o["id"], "paid"))
    assert paid["status"] == "paid" and paid["paid_at"] is not None
    assert one(conn, setst, (t, o["id"], "paid"))["status"] == "paid"  # same status: no-op
    one(conn, setst, (t, o["id"], "fulfilled"))
    lv = level(conn, item)
    assert (lv["stocked_quantity"], lv["reserved_quantity"]) == (7, 0)
    assert scalar(conn, "select count(*) from commerce.order_reservations where order_id = %s", (o["id"],)) == 0
    raises(conn, setst, (t, o["id"], "cancelled"), sqlstate="55000", contains="fulfilled to cancelled")
    done = one(conn, setst, (t, o["id"], "completed"))
    assert done["completed_at"] is not None
    raises(conn, setst, (t, o["id"], "pending"), sqlstate="55000", contains="completed to pending")


def test_cancel_releases_reservations_set_based(conn):
    shop = make_shop(conn, stocked=10)
    t, item = shop["tenant"]["id"], shop["item"]["id"]
    orders = [place(conn, t, [line(shop["variant"], 2)]) for _ in range(4)]
    conn.execute("select commerce.set_order_status(%s, %s, 'paid')", (t, orders[0]["id"]))
    assert level(conn, item)["reserved_quantity"] == 8
    conn.execute("update commerce.orders set status = 'cancelled' where id = any(%s)", ([o["id"] for o in orders[:3]],))
    lv = level(conn, item)
    assert (lv["stocked_quantity"], lv["reserved_quantity"]) == (10, 2)
    assert all(r["cancelled_at"] for r in conn.execute(
        "select cancelled_at from commerce.orders where id = any(%s)", ([o["id"] for o in orders[:3]],)))
    # a bulk update mixing a valid and an invalid transition is refused as a whole
    raises(conn, "update commerce.orders set status = 'paid' where tenant_id = %s", (t,), sqlstate="55000",
           contains="cancelled to paid")
    assert scalar(conn, "select count(*) from commerce.orders where tenant_id = %s and status = 'paid'", (t,)) == 0


def test_fulfilling_a_backorder_without_stock_is_refused(conn):
    shop = make_shop(conn, stocked=1, allow_backorder=True)
    t = shop["tenant"]["id"]
    o = place(conn, t, [line(shop["variant"], 3)])
    conn.execute("select commerce.set_order_status(%s, %s, 'paid')", (t, o["id"]))
    raises(conn, "select commerce.set_order_status(%s, %s, 'fulfilled')", (t, o["id"]), sqlstate="23514",
           contains="stocked_quantity")
    assert scalar(conn, "select status from commerce.orders where id = %s", (o["id"],)) == "paid"


def test_deleting_a_tenant_removes_its_commerce_rows(conn):
    shop = make_shop(conn)
    t = shop["tenant"]["id"]
    o = place(conn, t, [line(shop["variant"], 1)])
    conn.execute("delete from core.tenants where id = %s", (t,))
    assert counts(conn, t) == {"orders": 0, "items": 0, "reservations": 0, "reserved": 0, "counter": 0}
    assert scalar(conn, "select count(*) from commerce.products where tenant_id = %s", (t,)) == 0
    assert o["id"] is not None


def test_the_items_order_key_is_the_only_deferrable_constraint(conn):
    # commerce.place_order writes `set constraints all deferred / all immediate` around its items (a named SET
    # CONSTRAINTS costs ~75 us of catalog lookups each way): that is only the same as naming
    # commerce.order_items_order_id_fkey while no other constraint can be deferred
    rows = conn.execute("""select conrelid::regclass::text as rel, conname, conparentid <> 0 as clone
                           from pg_constraint where condeferrable order by conname""").fetchall()
    assert rows, "commerce.order_items_order_id_fkey is no longer deferrable: place_order writes its items first"
    assert {(r["rel"], r["clone"]) for r in rows} == {("commerce.order_items", False), ("commerce.order_items", True)}
    assert [r["conname"] for r in rows if not r["clone"]] == ["order_items_order_id_fkey"]
    assert all(r["conname"].startswith("order_items_order_id_fkey_") for r in rows if r["clone"])


def test_the_items_order_key_is_checked_before_place_order_returns(conn):
    # the key is deferred only inside commerce.place_order: afterwards an item naming a missing order is refused
    # at once, not at commit
    shop = make_shop(conn)
    t = shop["tenant"]["id"]
    o = place(conn, t, [line(shop["variant"], 1)])
    raises(conn, """insert into commerce.order_items (tenant_id, order_id, order_created_at, title, quantity,
                                                      unit_price, total)
                    values (%s, gen_random_uuid(), now(), 'x', 1, 1, 1)""", (t,),
           sqlstate="23503", contains="order_items_order_id_fkey")
    assert scalar(conn, "select count(*) from commerce.order_items where order_id = %s", (o["id"],)) == 1

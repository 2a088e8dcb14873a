"""Order changes that are not status changes still reach index.orders (commerce emits OrderUpdated)."""


def test_order_edits_after_placement_reach_the_read_model(shop):
    p, v = shop.full_product(amount=500, stocked=10)
    order = shop.order([{"variant_id": str(v["id"]), "quantity": 2}], email="first@example.com")
    placed = shop.scalar("select count(*) from outbox.events where aggregate_id = %s and event_type = 'OrderUpdated'",
                         (order["id"],))
    assert placed == 0  # placement is covered by OrderPlaced alone
    shop.drain()
    assert shop.scalar("select customer_email from index.orders where order_id = %s", (order["id"],)) == "first@example.com"

    shop.conn.execute("update commerce.orders set email = 'second@example.com' where id = %s", (order["id"],))
    shop.conn.execute("update commerce.orders set email = 'second@example.com' where id = %s", (order["id"],))  # no-op
    events = shop.conn.execute("select payload->>'source' as source from outbox.events where aggregate_id = %s "
                               "and event_type = 'OrderUpdated'", (order["id"],)).fetchall()
    assert [e["source"] for e in events] == ["orders"]
    shop.drain()
    assert shop.scalar("select customer_email from index.orders where order_id = %s", (order["id"],)) == "second@example.com"

    shop.conn.execute("update commerce.order_items set metadata = '{\"gift\": true}' where order_id = %s", (order["id"],))
    shop.drain()
    items = shop.scalar("select items from index.orders where order_id = %s", (order["id"],))
    assert items and shop.verify() == []

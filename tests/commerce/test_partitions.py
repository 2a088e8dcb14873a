"""Quarterly order partitions: created ahead, default partition reporting, moving rows out of default."""

from datetime import datetime, timezone

from commerce_helpers import make_shop, make_tenant, one, raises, scalar


def quarter_start(dt):
    return datetime(dt.year, 3 * ((dt.month - 1) // 3) + 1, 1, tzinfo=timezone.utc)


def add_quarters(dt, n):
    m = dt.month - 1 + 3 * n
    return datetime(dt.year + m // 12, m % 12 + 1, 1, tzinfo=timezone.utc)


def name(dt):
    return f"orders_p{dt.year}q{(dt.month - 1) // 3 + 1}"


def raw_order(conn, tenant_id, created_at, total=100):
    return one(conn, "insert into commerce.orders (tenant_id, created_at, currency_code, subtotal, total) "
                     "values (%s, %s, 'EUR', %s, %s) returning id, created_at, tableoid::regclass::text as part, display_id",
               (tenant_id, created_at, total, total))


def test_migration_created_current_and_next_quarters(conn):
    now = quarter_start(datetime.now(timezone.utc))
    parts = conn.execute("select * from commerce.order_partitions()").fetchall()
    names = [p["partition_name"] for p in parts]
    for i in range(4):
        assert name(add_quarters(now, i)) in names
    default = [p for p in parts if p["is_default"]]
    assert [p["partition_name"] for p in default] == ["orders_default"]
    ranged = {p["partition_name"]: p for p in parts if not p["is_default"]}
    assert ranged[name(now)]["range_from"] == now and ranged[name(now)]["range_to"] == add_quarters(now, 1)
    assert all(len(n.encode()) < 63 for n in names)
    assert scalar(conn, "select commerce.order_partition_name('2026-11-25 10:00+00')") == "orders_p2026q4"


def test_rows_beyond_partitions_go_to_default_and_are_moved_out(conn):
    shop = make_shop(conn)
    t = shop["tenant"]["id"]
    now = quarter_start(datetime.now(timezone.utc))
    far = add_quarters(now, 6).replace(day=15)
    current = raw_order(conn, t, datetime.now(timezone.utc))
    assert current["part"] == f"commerce.{name(now)}"
    o = raw_order(conn, t, far, total=250)
    o2 = raw_order(conn, t, far.replace(day=20), total=300)
    assert o["part"] == "commerce.orders_default"
    # an order item pointing at the order in the default partition
    conn.execute("insert into commerce.order_items (tenant_id, order_id, order_created_at, title, quantity, unit_price, total) "
                 "values (%s, %s, %s, 'x', 1, 250, 250)", (t, o["id"], o["created_at"]))
    report = conn.execute("select * from commerce.order_default_rows()").fetchall()
    assert [(r["expected_partition"], r["row_count"]) for r in report] == [(name(far), 2)]
    assert report[0]["quarter_from"] == quarter_start(far)
    conn.execute("delete from outbox.events")

    created = conn.execute("select * from commerce.create_order_partitions(7)").fetchall()
    assert len(created) == 8
    by_name = {r["partition_name"]: r for r in created}
    assert by_name[name(now)]["created"] is False
    assert by_name[name(far)]["created"] is True and by_name[name(far)]["moved_rows"] == 2

    row = one(conn, "select tableoid::regclass::text as part, display_id, total from commerce.orders where id = %s", (o["id"],))
    assert row == {"part": f"commerce.{name(far)}", "display_id": o["display_id"], "total": 250}
    assert scalar(conn, "select count(*) from commerce.orders_default") == 0
    assert conn.execute("select * from commerce.order_default_rows()").fetchall() == []
    assert scalar(conn, "select count(*) from commerce.order_items where order_id = %s", (o["id"],)) == 1
    counts = {p["partition_name"]: p["row_count"] for p in conn.execute("select * from commerce.order_partitions()")}
    assert counts[name(far)] == 2 and counts["orders_default"] == 0 and counts[name(now)] >= 1
    # moving rows is not a new order
    assert scalar(conn, "select count(*) from outbox.events where event_type = 'OrderPlaced'") == 0
    # the moved partition behaves like any other: guard, FK and status triggers apply
    raises(conn, "update commerce.orders set status = 'completed' where id = %s", (o2["id"],), sqlstate="55000",
           contains="pending to completed")
    conn.execute("update commerce.orders set status = 'paid' where id = %s", (o2["id"],))
    assert scalar(conn, "select count(*) from outbox.events where event_type = 'OrderStatusChanged'") == 1
    raises(conn, "delete from commerce.orders where id = %s", (o["id"],), sqlstate="23503", contains="order_items_order_id_fkey")
    # a new order of that quarter lands in the new partition
    assert raw_order(conn, t, far.replace(day=2))["part"] == f"commerce.{name(far)}"
    assert scalar(conn, "select count(*) from pg_description d join pg_class c on c.oid = d.objoid "
                        "where c.relname = %s and d.objsubid = 0", (name(far),)) == 1


def test_backfilling_an_old_quarter(conn):
    t = make_tenant(conn)["id"]
    o = raw_order(conn, t, datetime(2019, 5, 3, tzinfo=timezone.utc))
    assert o["part"] == "commerce.orders_default"
    res = one(conn, "select * from commerce.create_order_partition('2019-05-03+00')")
    assert res["partition_name"] == "orders_p2019q2" and res["moved_rows"] == 1
    assert res["range_from"] == datetime(2019, 4, 1, tzinfo=timezone.utc)
    assert scalar(conn, "select tableoid::regclass::text from commerce.orders where id = %s", (o["id"],)) == "commerce.orders_p2019q2"
    again = one(conn, "select * from commerce.create_order_partition('2019-06-30+00')")
    assert again["created"] is False


def test_partition_functions_are_not_for_the_app(conn):
    raises(conn, "set local role rustok_app; select * from commerce.create_order_partitions(1)", sqlstate="42501")

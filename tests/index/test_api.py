"""index.list_orders (sql/code/index/api.sql) called as the application role: a page of the current tenant's
orders from the read model, a customer's own or (null customer) all of them; never another tenant's."""

from __future__ import annotations

from tests.conftest import act_as_app
from tests.index.conftest import Shop, make_tenant, make_user

LIST = "select index.list_orders(%s, %s, %s, %s) as orders"


def _orders(conn, customer=None, status=None, first=20, offset=0):
    return conn.execute(LIST, (customer, status, first, offset)).fetchone()["orders"]


def _order(shop, variant, customer, email, quantity=1):
    o = shop.order([{"variant_id": str(variant["id"]), "quantity": quantity}], email=email)
    shop.conn.execute("update commerce.orders set customer_id = %s where id = %s", (customer["id"], o["id"]))
    return o


def test_list_orders_customer_staff_status_and_paging(conn):
    shop = Shop(conn, make_tenant(conn))
    _, variant = shop.full_product(amount=100, stocked=50)
    ann, bob = make_user(conn, shop.t, "ann@x.example"), make_user(conn, shop.t, "bob@x.example")
    a1 = _order(shop, variant, ann, "ann@x.example", 1)
    b1 = _order(shop, variant, bob, "bob@x.example", 2)
    a2 = _order(shop, variant, ann, "ann@x.example", 3)
    conn.execute("select commerce.set_order_status(%s, %s, 'paid')", (shop.t, a2["id"]))
    shop.drain()
    # one transaction, one now(): spread the read rows out in time so "newest first" is observable
    for age, o in enumerate((a2, b1, a1)):
        conn.execute("update index.orders set created_at = created_at - %s * interval '1 minute' where order_id = %s",
                     (age, o["id"]))

    act_as_app(conn, shop.t)
    mine = _orders(conn, ann["id"])
    assert [o["id"] for o in mine] == [str(a2["id"]), str(a1["id"])]          # newest first, only Ann's
    assert set(mine[0]) == {"id", "displayId", "status", "currencyCode", "subtotal", "discountTotal", "shippingTotal",
                            "taxTotal", "total", "itemCount", "items", "customerId", "customerEmail", "createdAt",
                            "updatedAt"}
    assert (mine[0]["status"], mine[0]["total"], mine[0]["itemCount"], mine[0]["customerEmail"]) == (
        "paid", 300, 3, "ann@x.example")
    assert [o["id"] for o in _orders(conn)] == [str(a2["id"]), str(b1["id"]), str(a1["id"])]   # staff: all
    assert [o["id"] for o in _orders(conn, status="paid")] == [str(a2["id"])]
    assert [o["id"] for o in _orders(conn, ann["id"], status="pending")] == [str(a1["id"])]
    assert [o["id"] for o in _orders(conn, first=1, offset=1)] == [str(b1["id"])]
    assert len(_orders(conn, first=0)) == 1 and len(_orders(conn, offset=-5)) == 3   # clamped, never an error
    assert _orders(conn, status="cancelled") == []


def test_list_orders_never_shows_another_tenants_orders(conn):
    mine, theirs = Shop(conn, make_tenant(conn)), Shop(conn, make_tenant(conn))
    _, v1 = mine.full_product()
    _, v2 = theirs.full_product()
    me = make_user(conn, mine.t)
    stranger = make_user(conn, theirs.t)
    own = _order(mine, v1, me, None)
    _order(theirs, v2, stranger, None)
    mine.drain()

    act_as_app(conn, mine.t)
    assert [o["id"] for o in _orders(conn)] == [str(own["id"])]
    assert _orders(conn, stranger["id"]) == []
    conn.execute("select core.set_tenant(null)")
    assert _orders(conn) == []

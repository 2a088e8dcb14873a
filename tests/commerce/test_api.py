"""The commerce API functions (sql/code/commerce/api.sql) called as the application role: the tenant comes
from core.current_tenant_id(), row-level security applies, another tenant's rows cannot be touched."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from tests.commerce.commerce_helpers import make_shop, one, place, raises, scalar
from tests.conftest import act_as_app, make_user


def _as_owner(conn):
    conn.execute("reset role")


def _product(conn, product_id):
    _as_owner(conn)
    return one(conn, "select * from commerce.products where id = %s", (product_id,))


def test_update_product_patches_only_given_fields(conn):
    shop = make_shop(conn)
    pid = shop["product"]["id"]
    conn.execute("update commerce.products set subtitle = 'Sub', description = 'Desc' where id = %s", (pid,))
    act_as_app(conn, shop["tenant"]["id"])
    patch = {"title": "Renamed", "subtitle": None, "metadata": {"k": 1}}
    assert scalar(conn, "select commerce.update_product(%s, %s)", (pid, Jsonb(patch))) == pid
    row = _product(conn, pid)
    assert (row["title"], row["subtitle"], row["description"], row["metadata"]) == ("Renamed", None, "Desc", {"k": 1})
    assert (row["handle"], row["status"], row["discountable"]) == (shop["product"]["handle"], "published", True)
    act_as_app(conn, shop["tenant"]["id"])
    # title / handle / status given as null keep their value (the column is required)
    scalar(conn, "select commerce.update_product(%s, %s)", (pid, Jsonb({"title": None, "status": None})))
    assert _product(conn, pid)["title"] == "Renamed"
    act_as_app(conn, shop["tenant"]["id"])
    raises(conn, "select commerce.update_product(%s, '[]')", (pid,), sqlstate="22023", contains="JSON object")
    raises(conn, "select commerce.update_product(%s, %s)", (shop["variant"]["id"], Jsonb({"title": "x"})),
           sqlstate="P0002", contains="commerce.products.id: no product")
    raises(conn, "select commerce.update_product(%s, %s)", (pid, Jsonb({"handle": "Not A Handle"})),
           sqlstate="23514", contains="handle")


def test_product_functions_cannot_touch_another_tenant(conn):
    mine, theirs = make_shop(conn), make_shop(conn)
    other_pid, other_vid = theirs["product"]["id"], theirs["variant"]["id"]
    act_as_app(conn, mine["tenant"]["id"])
    raises(conn, "select commerce.update_product(%s, %s)", (other_pid, Jsonb({"title": "hacked"})),
           sqlstate="P0002", contains="no product")
    assert scalar(conn, "select commerce.delete_product(%s)", (other_pid,)) is False
    raises(conn, "select commerce.product_of_variant(%s)", (other_vid,), sqlstate="P0002", contains="no variant")
    raises(conn, "select commerce.set_variant_price(%s, 'USD', 1, 1)", (other_vid,), sqlstate="P0002",
           contains="variant_id: no variant")
    _as_owner(conn)
    row = one(conn, "select title from commerce.products where id = %s", (other_pid,))
    assert row == {"title": theirs["product"]["title"]}
    assert scalar(conn, "select count(*) from commerce.prices where variant_id = %s", (other_vid,)) == 1


def test_delete_product(conn):
    shop = make_shop(conn)
    pid = shop["product"]["id"]
    act_as_app(conn, shop["tenant"]["id"])
    assert scalar(conn, "select commerce.delete_product(%s)", (pid,)) is True
    assert scalar(conn, "select commerce.delete_product(%s)", (pid,)) is False
    _as_owner(conn)
    assert scalar(conn, "select count(*) from commerce.variants where product_id = %s", (pid,)) == 0


def test_set_variant_price_inserts_replaces_and_skips_unchanged(conn):
    shop = make_shop(conn, price=1000)
    vid, pid = shop["variant"]["id"], shop["product"]["id"]
    act_as_app(conn, shop["tenant"]["id"])
    assert scalar(conn, "select commerce.product_of_variant(%s)", (vid,)) == pid
    assert scalar(conn, "select commerce.set_variant_price(%s, 'USD', 2500)", (vid,)) == pid
    assert scalar(conn, "select commerce.set_variant_price(%s, 'EUR', 1200, 1)", (vid,)) == pid
    assert scalar(conn, "select commerce.set_variant_price(%s, 'EUR', 900, 10)", (vid,)) == pid
    prices = conn.execute("select currency_code, min_quantity, amount from commerce.prices where variant_id = %s "
                          "order by 1, 2", (vid,)).fetchall()
    assert [tuple(p.values()) for p in prices] == [("EUR", 1, 1200), ("EUR", 10, 900), ("USD", 1, 2500)]
    _as_owner(conn)
    conn.execute("delete from outbox.events")
    act_as_app(conn, shop["tenant"]["id"])
    scalar(conn, "select commerce.set_variant_price(%s, 'EUR', 1200, 1)", (vid,))  # same amount: nothing written
    _as_owner(conn)
    assert scalar(conn, "select count(*) from outbox.events") == 0
    act_as_app(conn, shop["tenant"]["id"])
    raises(conn, "select commerce.set_variant_price(%s, 'EUR', -1, 1)", (vid,), sqlstate="23514", contains="amount")


def test_checkout_places_in_the_current_tenant_with_the_account_email(conn):
    mine, theirs = make_shop(conn, stocked=5), make_shop(conn)
    t = mine["tenant"]["id"]
    buyer = make_user(conn, t, "buyer@example.com")
    items = Jsonb([{"variant_id": str(mine["variant"]["id"]), "quantity": 2}])
    act_as_app(conn, t)
    order_id = scalar(conn, "select commerce.checkout(p_currency => 'EUR', p_items => %s, p_customer_id => %s, "
                            "p_tax_rate => 0.1)", (items, buyer["id"]))
    order = one(conn, "select tenant_id, customer_id, email, subtotal, tax_total, total, status from commerce.orders "
                      "where id = %s", (order_id,))
    assert order == {"tenant_id": t, "customer_id": buyer["id"], "email": "buyer@example.com", "subtotal": 2000,
                     "tax_total": 200, "total": 2200, "status": "pending"}
    given = scalar(conn, "select commerce.checkout('EUR', %s, %s, 'other@example.com')", (items, buyer["id"]))
    assert scalar(conn, "select email from commerce.orders where id = %s", (given,)) == "other@example.com"
    # the same rules as commerce.place_order: 5 in stock, 4 reserved now
    raises(conn, "select commerce.checkout('EUR', %s)", (items,), sqlstate="23514", contains="insufficient stock")
    # another tenant's variant does not exist here
    raises(conn, "select commerce.checkout('EUR', %s)",
           (Jsonb([{"variant_id": str(theirs["variant"]["id"]), "quantity": 1}]),), sqlstate="P0002",
           contains="not found")
    conn.execute("select core.set_tenant(null)")
    raises(conn, "select commerce.checkout('EUR', %s)", (items,), sqlstate="22023", contains="no tenant")


def test_change_order_status_moves_only_the_current_tenants_orders(conn):
    mine, theirs = make_shop(conn), make_shop(conn)
    mo = place(conn, mine["tenant"]["id"], [{"variant_id": str(mine["variant"]["id"]), "quantity": 1}])
    to = place(conn, theirs["tenant"]["id"], [{"variant_id": str(theirs["variant"]["id"]), "quantity": 1}])
    act_as_app(conn, mine["tenant"]["id"])
    assert scalar(conn, "select commerce.change_order_status(%s, 'paid')", (mo["id"],)) == mo["id"]
    assert scalar(conn, "select status from commerce.orders where id = %s", (mo["id"],)) == "paid"
    raises(conn, "select commerce.change_order_status(%s, 'pending')", (mo["id"],), sqlstate="55000",
           contains="cannot go from paid to pending")
    raises(conn, "select commerce.change_order_status(%s, 'shipped')", (mo["id"],), sqlstate="22023",
           contains="unknown status")
    raises(conn, "select commerce.change_order_status(%s, 'cancelled')", (to["id"],), sqlstate="P0002",
           contains="not found")
    conn.execute("select core.set_tenant(null)")
    raises(conn, "select commerce.change_order_status(%s, 'cancelled')", (mo["id"],), sqlstate="22023",
           contains="no tenant")
    _as_owner(conn)
    assert scalar(conn, "select status from commerce.orders where id = %s", (to["id"],)) == "pending"


def test_api_functions_are_security_invoker_and_only_the_app_may_call_them(conn):
    rows = conn.execute("""
        select p.oid::regprocedure::text as fn, p.prosecdef,
               has_function_privilege('rustok_app', p.oid, 'execute') as app,
               has_function_privilege('rustok_analyst', p.oid, 'execute') as analyst
        from pg_proc p
        where p.oid in ('commerce.update_product(uuid,jsonb)'::regprocedure, 'commerce.delete_product(uuid)'::regprocedure,
                        'commerce.product_of_variant(uuid)'::regprocedure,
                        'commerce.set_variant_price(uuid,text,bigint,integer)'::regprocedure,
                        'commerce.change_order_status(uuid,text)'::regprocedure,
                        'commerce.checkout(text,jsonb,uuid,text,jsonb,jsonb,bigint,bigint,numeric,text,uuid,jsonb)'::regprocedure)
    """).fetchall()
    assert len(rows) == 6
    assert all(not r["prosecdef"] and r["app"] and not r["analyst"] for r in rows), rows

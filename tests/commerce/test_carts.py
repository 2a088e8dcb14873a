"""Carts in SQL (sql/code/commerce/carts.sql): row-level security, the owner rules, the line invariants with
their SQLSTATE and field, and two real connections checking out the same cart at once (one order, never two)."""

from __future__ import annotations

import hashlib
import threading

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.commerce.commerce_helpers import make_shop, scalar
from tests.conftest import act_as_app, make_user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _as(conn, tenant_id, user_id=None):
    act_as_app(conn, tenant_id)
    conn.execute("select set_config('rustok.user_id', %s, true)", (str(user_id) if user_id else "",))


def test_lines_rules_and_isolation(conn):
    shop = make_shop(conn, stocked=5)
    t, variant = shop["tenant"]["id"], shop["variant"]["id"]
    other = make_shop(conn)
    _as(conn, t)
    cart = scalar(conn, "select commerce.open_cart(%s, 'EUR')", (_hash("a"),))
    assert scalar(conn, "select commerce.open_cart(%s)", (_hash("a"),)) == cart          # the same cart again
    conn.execute("select commerce.set_cart_line(%s, %s, 2, true)", (cart, variant))
    conn.execute("select commerce.set_cart_line(%s, %s, 3, true)", (cart, variant))
    record = scalar(conn, "select commerce.cart_record(%s)", (cart,))
    assert [line["quantity"] for line in record["lines"]] == [5] and record["subtotal"] == 5 * 1000
    for quantity, add in ((0, True), (-1, False), (1000, False)):
        with pytest.raises(psycopg.errors.InvalidParameterValue) as bad:
            with conn.transaction():
                conn.execute("select commerce.set_cart_line(%s, %s, %s, %s)", (cart, variant, quantity, add))
        assert bad.value.diag.column_name == "quantity"
    # adding 995 more breaks the 999-unit line rule (check constraint), nothing changes
    with pytest.raises(psycopg.errors.CheckViolation):
        with conn.transaction():
            conn.execute("select commerce.set_cart_line(%s, %s, 995, true)", (cart, variant))
    # another tenant's variant is not found (RLS), neither is its cart
    with pytest.raises(psycopg.errors.NoDataFound) as missing:
        with conn.transaction():
            conn.execute("select commerce.set_cart_line(%s, %s, 1, true)", (cart, other["variant"]["id"]))
    assert missing.value.diag.column_name == "variant_id"
    assert scalar(conn, "select count(*) from commerce.cart_lines") == 1
    act_as_app(conn, other["tenant"]["id"])
    assert scalar(conn, "select count(*) from commerce.carts") == 0
    assert scalar(conn, "select (commerce._visitor_cart(%s)).id", (_hash("a"),)) is None


def test_a_users_cart_is_theirs(conn):
    shop = make_shop(conn, stocked=5)
    t, variant = shop["tenant"]["id"], shop["variant"]["id"]
    ann, bob = make_user(conn, t)["id"], make_user(conn, t)["id"]
    _as(conn, t, ann)
    cart = scalar(conn, "select commerce.open_cart(null, 'EUR')")
    conn.execute("select commerce.set_cart_line(%s, %s, 1, true)", (cart, variant))
    _as(conn, t, bob)
    assert scalar(conn, "select (commerce._visitor_cart(null)).id") is None
    assert scalar(conn, "select commerce.cart_record(%s)", (cart,)) is None
    with pytest.raises(psycopg.errors.NoDataFound):
        with conn.transaction():
            conn.execute("select commerce.set_cart_line(%s, %s, 1, true)", (cart, variant))
    # nobody at all (no user, no token) cannot open a cart
    _as(conn, t)
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        scalar(conn, "select commerce.open_cart(null)")


def test_two_checkouts_of_one_cart_place_one_order(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as admin:
        with admin.transaction():
            shop = make_shop(admin, stocked=10)
            t, variant = shop["tenant"]["id"], shop["variant"]["id"]
            user = make_user(admin, t)["id"]
            admin.execute("select core.set_tenant(%s)", (t,))
            admin.execute("select set_config('rustok.user_id', %s, true)", (str(user),))
            cart = admin.execute("select commerce.open_cart(null, 'EUR') as id").fetchone()["id"]
            admin.execute("select commerce.set_cart_line(%s, %s, 2, true)", (cart, variant))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def checkout():
        with psycopg.connect(fresh_db) as c:
            c.execute("set role rustok_app")
            c.execute("select core.set_tenant(%s), set_config('rustok.user_id', %s, true)", (t, str(user)))
            barrier.wait()
            try:
                c.execute("select commerce.checkout_cart(%s)", (cart,))
                c.commit()
                outcome = "ordered"
            except psycopg.errors.ObjectNotInPrerequisiteState as exc:
                c.rollback()
                outcome = f"refused: {exc.diag.message_primary}"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=checkout) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(outcomes) == ["ordered", "refused: commerce.carts.status: this cart was already ordered"], outcomes
    with psycopg.connect(fresh_db, row_factory=dict_row) as admin:
        assert admin.execute("select count(*) as n from commerce.orders where tenant_id = %s", (t,)).fetchone()["n"] == 1
        assert admin.execute("select status from commerce.carts where id = %s", (cart,)).fetchone()["status"] == "ordered"
        reserved = admin.execute("select sum(reserved_quantity) as r from commerce.inventory_levels where tenant_id = %s",
                                 (t,)).fetchone()["r"]
        assert reserved == 2

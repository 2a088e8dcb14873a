"""Guest checkout over GraphQL (schema/cart.graphql): a visitor without an account orders an anonymous cart with
an e-mail and a shipping address through the same atomic placement; refusals name the field or the cart line and
write nothing; the order token opens the order (guestOrder) and nothing else does."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.graphql.conftest import new_tenant
from tests.graphql.test_cart_api import ADD, CART, SET, _product

GUEST = """mutation($t: String, $e: String, $a: AddressInput) { checkoutCart(token: $t, email: $e, shippingAddress: $a) {
  order { id displayId status total { amount } email shippingAddress { city countryCode } billingAddress { city } }
  orderToken userErrors { field code message } position } }"""
GUEST_ORDER = """query($t: String!) { guestOrder(token: $t) { id displayId status email total { amount currencyCode }
  lines { sku quantity } shippingAddress { address1 city } } }"""
ADDRESS = {"firstName": "Gus", "lastName": "Guest", "address1": "1 Long Road", "city": "Leeds", "postalCode": "LS1",
           "countryCode": "GB"}


def _counts(owner, slug):
    return owner.execute("""
        select (select count(*) from commerce.orders where tenant_id = core.tenant_id_by_slug(%(s)s)),
               (select count(*) from commerce.guest_order_tokens where tenant_id = core.tenant_id_by_slug(%(s)s)),
               (select coalesce(sum(reserved_quantity), 0) from commerce.inventory_levels
                where tenant_id = core.tenant_id_by_slug(%(s)s)),
               (select count(*) from commerce.carts where tenant_id = core.tenant_id_by_slug(%(s)s) and status = 'open')""",
                         {"s": slug}).fetchone()


def test_a_guest_checks_out_and_opens_the_order_with_its_token(gql, shop, owner):
    slug, staff, customer = shop
    lamp = _product(gql, slug, staff, "lamp", stock=3, price=2500)
    vase = _product(gql, slug, staff, "vase", stock=1, price=1200)
    token = gql(ADD, {"v": lamp, "q": 2}, tenant=slug)["data"]["addToCart"]["token"]
    gql(ADD, {"t": token, "v": vase, "q": 2}, tenant=slug)
    before = _counts(owner, slug)

    # every missing field at once, nothing written
    missing = gql(GUEST, {"t": token, "a": {"firstName": "Gus"}}, tenant=slug)["data"]["checkoutCart"]
    assert missing["order"] is None and missing["orderToken"] is None and missing["position"] is None
    assert {e["field"] for e in missing["userErrors"]} == {
        "email", "shippingAddress.address1", "shippingAddress.city", "shippingAddress.countryCode"}
    bad = gql(GUEST, {"t": token, "e": "not an email", "a": {**ADDRESS, "countryCode": "gbr"}},
              tenant=slug)["data"]["checkoutCart"]
    assert {(e["field"], e["code"]) for e in bad["userErrors"]} == {("email", "INVALID"),
                                                                    ("shippingAddress.countryCode", "INVALID")}
    # 2 vases with 1 in stock: refused at the line, nothing written, the cart stays open
    refused = gql(GUEST, {"t": token, "e": "gus@example.com", "a": ADDRESS}, tenant=slug)["data"]["checkoutCart"]
    assert refused["order"] is None and refused["orderToken"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [("lines[1].quantity", "OUT_OF_STOCK")]
    assert _counts(owner, slug) == before
    assert gql(CART, {"t": token}, tenant=slug)["data"]["cart"]["itemCount"] == 4

    gql(SET, {"t": token, "v": vase, "q": 1}, tenant=slug)
    placed = gql(GUEST, {"t": token, "e": " gus@example.com ", "a": ADDRESS}, tenant=slug)["data"]["checkoutCart"]
    assert placed["userErrors"] == [] and placed["position"] and len(placed["orderToken"]) >= 40
    order = placed["order"]
    assert (order["status"], order["total"]["amount"], order["email"]) == ("pending", 6200, "gus@example.com")
    assert order["shippingAddress"] == {"city": "Leeds", "countryCode": "GB"}
    assert order["billingAddress"]["city"] == "Leeds"          # billing defaults to shipping
    row = owner.execute("select customer_id, metadata from commerce.orders where id = %s", (order["id"],)).fetchone()
    assert row[0] is None and row[1]["guest"] is True
    # only the hash is kept
    assert owner.execute("select count(*) from commerce.guest_order_tokens where token_hash = %s",
                         (placed["orderToken"],)).fetchone()[0] == 0
    assert gql(CART, {"t": token}, tenant=slug)["data"]["cart"] is None            # the cart is ordered
    again = gql(GUEST, {"t": token, "e": "gus@example.com", "a": ADDRESS}, tenant=slug)["data"]["checkoutCart"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"

    owner.execute("select outbox.drain('index')")
    found = gql(GUEST_ORDER, {"t": placed["orderToken"]}, tenant=slug)["data"]["guestOrder"]
    assert found["id"] == order["id"] and found["total"] == {"amount": 6200, "currencyCode": "EUR"}
    assert sorted(line["quantity"] for line in found["lines"]) == [1, 2]
    assert found["shippingAddress"]["address1"] == "1 Long Road"
    # nothing else opens it: another token, another tenant, the signed-in customer's own orders
    assert gql(GUEST_ORDER, {"t": "x" * 43}, tenant=slug)["data"]["guestOrder"] is None
    assert gql(GUEST_ORDER, {"t": placed["orderToken"]}, tenant=new_tenant(owner))["data"]["guestOrder"] is None
    mine = gql("{ orders(first: 10) { totalCount } }", tenant=slug, token=customer)["data"]["orders"]
    assert mine["totalCount"] == 0
    # staff see it among the shop's orders
    staff_view = gql('{ staffOrders(first: 5, filter: {email: "gus@"}) { nodes { id email } } }', tenant=slug,
                     token=staff)["data"]["staffOrders"]["nodes"]
    assert [o["id"] for o in staff_view] == [order["id"]]


def test_a_shop_can_turn_guest_checkout_off_and_signed_in_customers_keep_their_checkout(gql, shop, owner):
    slug, staff, customer = shop
    mug = _product(gql, slug, staff, "mug", stock=5)
    owner.execute("update core.tenants set settings = settings || '{\"guest_checkout\": false}' where slug = %s", (slug,))
    token = gql(ADD, {"v": mug}, tenant=slug)["data"]["addToCart"]["token"]
    before = _counts(owner, slug)
    off = gql(GUEST, {"t": token, "e": "gus@example.com", "a": ADDRESS}, tenant=slug)["data"]["checkoutCart"]
    assert off["order"] is None and off["userErrors"][0]["code"] == "INVALID_STATE"
    assert "account" in off["userErrors"][0]["message"]
    assert _counts(owner, slug) == before
    # a signed-in customer's checkout is not a guest's: no order token, the order is theirs
    mine = gql(GUEST, {"t": token, "e": "buyer@shop.example"}, tenant=slug, token=customer)["data"]["checkoutCart"]
    assert mine["userErrors"] == [] and mine["orderToken"] is None


def _refusal(owner, sql, params=()):
    with pytest.raises(psycopg.Error) as caught, owner.transaction():
        owner.execute(sql, params)
    return caught.value


def test_the_sql_function_checks_again(owner):
    slug = new_tenant(owner)
    address = '{"address1": "x", "city": "y", "countryCode": "GB"}'
    call = "select commerce.guest_checkout_cart(%s, %s, %s::jsonb, null, repeat('a', 64))"
    with owner.transaction():
        owner.execute("set local role rustok_app")
        owner.execute("select core.set_tenant(core.tenant_id_by_slug(%s)), set_config('rustok.actor', 'api', true)",
                      (slug,))
        unknown = _refusal(owner, call, (uuid.uuid4(), "a@b.example", address))
        assert unknown.sqlstate == "P0002" and "cart" in str(unknown)
        no_city = _refusal(owner, call, (uuid.uuid4(), "a@b.example", '{"address1": "x"}'))
        assert no_city.sqlstate == "22023" and no_city.diag.column_name == "shipping_address"
        no_email = _refusal(owner, call, (uuid.uuid4(), "", address))
        assert no_email.sqlstate == "22023" and no_email.diag.column_name == "email"
        owner.execute("select set_config('rustok.user_id', %s, true)", (str(uuid.uuid4()),))
        signed_in = _refusal(owner, call, (uuid.uuid4(), "a@b.example", address))
        assert signed_in.sqlstate == "55000" and "checkout_cart" in str(signed_in)

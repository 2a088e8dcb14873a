"""Carts over GraphQL (schema/cart.graphql): anonymous carts by token, a signed-in user's by user, lines added,
changed and removed, checkout through the same atomic placement with refusals naming the cart line, and the
cart's own events in the outbox."""

from __future__ import annotations

import uuid

from tests.graphql.conftest import login, new_tenant, new_user

CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id variants { id sku } } userErrors { field message } } }"""
ADD = """mutation($t: String, $v: ID!, $q: Int, $c: String) { addToCart(token: $t, variantId: $v, quantity: $q, currency: $c) {
  token cart { id currencyCode itemCount subtotal { amount } lines { variantId sku quantity unitPrice { amount } total { amount } available } }
  userErrors { field code message } } }"""
SET = """mutation($t: String, $v: ID!, $q: Int!) { setCartLine(token: $t, variantId: $v, quantity: $q) {
  cart { itemCount lines { sku quantity } } userErrors { field code message } } }"""
REMOVE = """mutation($t: String, $v: ID!) { removeCartLine(token: $t, variantId: $v) {
  cart { itemCount lines { sku } } userErrors { field code message } } }"""
CART = "query($t: String) { cart(token: $t) { id itemCount lines { sku quantity } } }"
CHECKOUT = """mutation($t: String, $e: String) { checkoutCart(token: $t, email: $e) {
  order { id displayId status total { amount } items { sku quantity } } userErrors { field code message } position } }"""


def _product(gql, slug, token, handle, stock=5, price=1000):
    data = gql(CREATE, {"input": {"title": handle.title(), "handle": handle, "status": "published", "variants": [
        {"title": "Default", "sku": f"{handle}-{uuid.uuid4().hex[:4]}", "stock": stock,
         "prices": [{"amount": price, "currencyCode": "EUR"}]}]}}, tenant=slug, token=token)
    return data["data"]["createProduct"]["product"]["variants"][0]["id"]


def test_anonymous_cart_lines_and_checkout(gql, shop, owner):
    slug, staff, customer = shop
    tee = _product(gql, slug, staff, "tee", stock=5, price=1500)
    mug = _product(gql, slug, staff, "mug", stock=1, price=800)

    first = gql(ADD, {"v": tee, "q": 2, "c": "EUR"}, tenant=slug)["data"]["addToCart"]
    token = first["token"]
    assert token and first["userErrors"] == []
    assert first["cart"]["lines"][0]["quantity"] == 2 and first["cart"]["subtotal"]["amount"] == 3000
    second = gql(ADD, {"t": token, "v": mug, "q": 1}, tenant=slug)["data"]["addToCart"]
    assert second["token"] is None and second["cart"]["itemCount"] == 3
    assert [line["available"] for line in second["cart"]["lines"]] == [5, 1]

    # the same variant again adds up; a line over 999 units is refused and nothing changes
    assert gql(ADD, {"t": token, "v": tee, "q": 1}, tenant=slug)["data"]["addToCart"]["cart"]["itemCount"] == 4
    refused = gql(ADD, {"t": token, "v": tee, "q": 5000}, tenant=slug)["data"]["addToCart"]
    assert refused["cart"] is None and refused["userErrors"][0]["field"] == "quantity"
    assert gql(CART, {"t": token}, tenant=slug)["data"]["cart"]["itemCount"] == 4

    # set and remove
    assert gql(SET, {"t": token, "v": tee, "q": 1}, tenant=slug)["data"]["setCartLine"]["cart"]["itemCount"] == 2
    assert gql(SET, {"t": token, "v": mug, "q": 3}, tenant=slug)["data"]["setCartLine"]["cart"]["itemCount"] == 4
    # another visitor (no token / a wrong one / another tenant) sees no cart
    assert gql(CART, {}, tenant=slug)["data"]["cart"] is None
    assert gql(CART, {"t": "not-the-token"}, tenant=slug)["data"]["cart"] is None
    other = new_tenant(owner)
    assert gql(CART, {"t": token}, tenant=other)["data"]["cart"] is None

    # without a session it is a guest checkout, which needs an e-mail and an address (tests/graphql/test_guest_checkout.py)
    anon = gql(CHECKOUT, {"t": token}, tenant=slug)["data"]["checkoutCart"]
    assert anon["order"] is None and {e["field"] for e in anon["userErrors"]} >= {"email", "shippingAddress.city"}
    # 3 mugs with 1 in stock: refused, naming the cart line, nothing written, the cart stays open
    refused = gql(CHECKOUT, {"t": token}, tenant=slug, token=customer)["data"]["checkoutCart"]
    assert refused["order"] is None and refused["position"] is None
    assert refused["userErrors"][0]["code"] == "OUT_OF_STOCK"
    assert refused["userErrors"][0]["field"] == "lines[1].quantity", refused
    assert "available 1" in refused["userErrors"][0]["message"]
    assert gql(CART, {"t": token}, tenant=slug, token=customer)["data"]["cart"]["itemCount"] == 4

    assert gql(SET, {"t": token, "v": mug, "q": 1}, tenant=slug)["data"]["setCartLine"]["userErrors"] == []
    placed = gql(CHECKOUT, {"t": token}, tenant=slug, token=customer)["data"]["checkoutCart"]
    assert placed["userErrors"] == [] and placed["position"]
    assert placed["order"]["status"] == "pending" and placed["order"]["total"] == {"amount": 2300}
    assert sorted(i["quantity"] for i in placed["order"]["items"]) == [1, 1]
    # the cart is ordered: no open cart any more, and a second checkout finds none
    assert gql(CART, {"t": token}, tenant=slug, token=customer)["data"]["cart"] is None
    again = gql(CHECKOUT, {"t": token}, tenant=slug, token=customer)["data"]["checkoutCart"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"

    events = owner.execute("""select e.event_type, count(*) from outbox.events e
                              where e.tenant_id = core.tenant_id_by_slug(%s) and e.aggregate_type = 'cart'
                              group by 1 order by 1""", (slug,)).fetchall()
    assert dict(events) == {"CartCreated": 1, "CartUpdated": 6, "CartCheckedOut": 1}, events


def test_signed_in_cart_is_bound_to_the_user(gql, shop, owner):
    slug, staff, customer = shop
    tee = _product(gql, slug, staff, "shirt")
    added = gql(ADD, {"v": tee}, tenant=slug, token=customer)["data"]["addToCart"]
    assert added["token"] is None and added["cart"]["itemCount"] == 1
    # the same user in another session finds it without a token; another user does not
    again = login(gql, slug, "buyer@shop.example")
    assert gql(CART, {}, tenant=slug, token=again)["data"]["cart"]["itemCount"] == 1
    new_user(owner, slug, "other@shop.example", "customer")
    other = login(gql, slug, "other@shop.example")
    assert gql(CART, {}, tenant=slug, token=other)["data"]["cart"] is None
    # an anonymous cart is adopted when its holder signs in and uses it
    anon = gql(ADD, {"v": tee, "q": 2}, tenant=slug)["data"]["addToCart"]["token"]
    adopted = gql(ADD, {"t": anon, "v": tee}, tenant=slug, token=other)["data"]["addToCart"]
    assert adopted["cart"]["itemCount"] == 3
    assert gql(CART, {}, tenant=slug, token=other)["data"]["cart"]["itemCount"] == 3
    # ... and is no longer anyone's with the token alone
    assert gql(CART, {"t": anon}, tenant=slug)["data"]["cart"] is None


def test_bad_input_is_refused_without_writing(gql, shop, owner):
    slug, staff, _ = shop
    before = owner.execute("select count(*) from commerce.carts").fetchone()[0]
    bad = gql(ADD, {"v": "not-an-id"}, tenant=slug)["data"]["addToCart"]
    assert bad["userErrors"][0]["code"] == "INVALID"
    missing = gql(ADD, {"v": str(uuid.uuid4())}, tenant=slug)["data"]["addToCart"]
    assert missing["userErrors"][0]["code"] == "NOT_FOUND" and missing["userErrors"][0]["field"] == "variantId"
    currency = gql(ADD, {"v": str(uuid.uuid4()), "c": "XXX"}, tenant=slug)["data"]["addToCart"]
    assert currency["userErrors"][0]["field"] == "currency"
    assert owner.execute("select count(*) from commerce.carts").fetchone()[0] == before
    removed = gql(REMOVE, {"t": "nothing", "v": str(uuid.uuid4())}, tenant=slug)["data"]["removeCartLine"]
    assert removed["userErrors"][0]["code"] == "NOT_FOUND"

"""Commerce mutations over HTTP: products, prices, stock, orders; roles and clear errors."""

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    position
    product { id handle status variants { id sku stocked reserved prices { amount currencyCode minQuantity } } }
  }
}"""

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { position order { id displayId status currencyCode subtotal { amount currencyCode }
                                               taxTotal { amount currencyCode } total { amount currencyCode } email
                                               items { sku quantity unitPrice { amount currencyCode } total { amount currencyCode } } } }
}"""

CREATE_ERRORS = """
mutation($input: CreateProductInput!) { createProduct(input: $input) { position product { id } userErrors { field code message } } }"""

PLACE_ERRORS = """
mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { position order { id } userErrors { field code message } } }"""


def _tee(gql, slug, token, handle="tee", stock=5):
    data = gql(CREATE, {"input": {"title": "Tee", "handle": handle, "status": "published", "variants": [
        {"title": "S", "sku": f"{handle}-s", "prices": [{"amount": 1999, "currencyCode": "EUR"}], "stock": stock}]}},
        tenant=slug, token=token)["data"]["createProduct"]
    return data


def test_staff_creates_product_with_variants_prices_stock(gql, shop):
    slug, staff, _ = shop
    result = _tee(gql, slug, staff)
    product = result["product"]
    assert product["handle"] == "tee" and product["status"] == "published"
    assert product["variants"] == [{"id": product["variants"][0]["id"], "sku": "tee-s", "stocked": 5, "reserved": 0,
                                    "prices": [{"amount": 1999, "currencyCode": "EUR", "minQuantity": 1}]}]
    assert len(result["position"]) == 36


def test_update_price_stock_and_delete(gql, shop, owner):
    slug, staff, _ = shop
    product = _tee(gql, slug, staff, handle="mug")["product"]
    variant = product["variants"][0]["id"]
    upd = gql('mutation($id: ID!) { updateProduct(id: $id, input: {title: "Mug XL", subtitle: null}) '
              '{ product { title handle subtitle } } }', {"id": product["id"]}, tenant=slug, token=staff)
    assert upd["data"]["updateProduct"]["product"] == {"title": "Mug XL", "handle": "mug", "subtitle": None}
    price = gql('mutation($v: ID!) { setVariantPrice(variantId: $v, currencyCode: "USD", amount: 2500) '
                '{ product { variants { prices { amount currencyCode } } } } }', {"v": variant}, tenant=slug, token=staff)
    prices = price["data"]["setVariantPrice"]["product"]["variants"][0]["prices"]
    assert {(p["currencyCode"], p["amount"]) for p in prices} == {("EUR", 1999), ("USD", 2500)}
    stock = gql('mutation($v: ID!) { setVariantStock(variantId: $v, stocked: 42) { product { variants { stocked } } } }',
                {"v": variant}, tenant=slug, token=staff)
    assert stock["data"]["setVariantStock"]["product"]["variants"][0]["stocked"] == 42
    gone = gql('mutation($id: ID!) { deleteProduct(id: $id) { deleted } }', {"id": product["id"]}, tenant=slug, token=staff)
    assert gone["data"]["deleteProduct"]["deleted"] is True
    assert owner.execute("select count(*) from commerce.products where id = %s", (product["id"],)).fetchone()[0] == 0


def test_customer_orders_and_staff_moves_status(gql, shop, owner):
    slug, staff, buyer = shop
    variant = _tee(gql, slug, staff, handle="cap", stock=3)["product"]["variants"][0]["id"]
    order = gql(PLACE, {"input": {"currencyCode": "EUR", "items": [{"variantId": variant, "quantity": 2}],
                                  "taxRate": 0.2}}, tenant=slug, token=buyer)["data"]["placeOrder"]["order"]
    assert order["status"] == "pending" and order["email"] == "buyer@shop.example"
    eur = lambda amount: {"amount": amount, "currencyCode": "EUR"}  # noqa: E731
    assert order["subtotal"] == eur(3998) and order["taxTotal"] == eur(800) and order["total"] == eur(4798)
    assert order["items"] == [{"sku": "cap-s", "quantity": 2, "unitPrice": eur(1999), "total": eur(3998)}]

    # Only one left: ordering two is refused with the reason, and nothing is written.
    refused = gql(PLACE_ERRORS, {"input": {"currencyCode": "EUR", "items": [{"variantId": variant, "quantity": 2}]}},
                  tenant=slug, token=buyer)["data"]["placeOrder"]
    assert refused["order"] is None and refused["position"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "OUT_OF_STOCK" and error["field"] == "items[0].quantity"
    assert "insufficient stock" in error["message"] and "available 1" in error["message"] and "cap-s" in error["message"]
    assert owner.execute("select count(*) from commerce.orders o join core.tenants t on t.id = o.tenant_id "
                         "where t.slug = %s", (slug,)).fetchone()[0] == 1

    # A customer cannot move orders; staff can, along the state machine only.
    forbidden = gql('mutation($id: ID!) { setOrderStatus(id: $id, status: paid) { order { status } } }',
                    {"id": order["id"]}, tenant=slug, token=buyer, expect_errors=True)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    paid = gql('mutation($id: ID!) { setOrderStatus(id: $id, status: paid) { order { status } } }',
               {"id": order["id"]}, tenant=slug, token=staff)
    assert paid["data"]["setOrderStatus"]["order"]["status"] == "paid"
    back = gql('mutation($id: ID!) { setOrderStatus(id: $id, status: pending) { order { status } '
               'userErrors { field code message } } }', {"id": order["id"]}, tenant=slug, token=staff)
    [error] = back["data"]["setOrderStatus"]["userErrors"]
    assert error["code"] == "INVALID_STATE" and error["field"] == "status" and "from paid to pending" in error["message"]


def _user_error(gql, slug, token, variables, query=None):
    data = gql(query or CREATE_ERRORS, variables, tenant=slug, token=token)["data"]
    payload = next(iter(data.values()))
    assert payload["position"] is None
    [error] = payload["userErrors"]
    return error


def test_bad_input_is_clear_and_writes_nothing(gql, shop, owner):
    slug, staff, buyer = shop
    _tee(gql, slug, staff, handle="dup")
    dup = _user_error(gql, slug, staff, {"input": {"title": "Again", "handle": "dup"}})
    assert dup == {"field": "handle", "code": "DUPLICATE", "message": 'handle: this value is already used by another product'}
    bad_handle = _user_error(gql, slug, staff, {"input": {"title": "X", "handle": "Not A Handle"}})
    assert bad_handle["code"] == "INVALID" and bad_handle["field"] == "handle"
    neg = _user_error(gql, slug, staff, {"input": {"title": "X", "handle": "neg", "variants": [
        {"sku": "neg-1", "prices": [{"amount": -5, "currencyCode": "EUR"}]}]}})
    assert neg["code"] == "INVALID" and neg["field"] == "amount"
    iso = _user_error(gql, slug, staff, {"input": {"title": "X", "handle": "iso", "variants": [
        {"sku": "iso-1", "prices": [{"amount": 5, "currencyCode": "XXQ"}]}]}})
    assert iso["code"] in ("INVALID", "NOT_FOUND") and iso["field"] == "currencyCode", iso
    for error in (dup, bad_handle, neg, iso):   # no PostgreSQL wording reaches the client
        assert "violates" not in error["message"] and "constraint \"" not in error["message"]
    bad_id = _user_error(gql, slug, staff, {}, 'mutation { deleteProduct(id: "nope") { deleted userErrors { field code message } position } }')
    assert bad_id["code"] == "INVALID" and "expected a 26-character ULID or a UUID" in bad_id["message"]
    big = gql(CREATE, {"input": {"title": "X", "handle": "big", "variants": [
        {"sku": "big-1", "prices": [{"amount": 2**60, "currencyCode": "EUR"}]}]}}, tenant=slug, token=staff,
        expect_errors=True)
    assert big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    handles = {r[0] for r in owner.execute("select p.handle from commerce.products p join core.tenants t "
                                           "on t.id = p.tenant_id where t.slug = %s", (slug,)).fetchall()}
    assert handles == {"dup"}  # nothing half-written


def test_roles(gql, shop):
    slug, staff, buyer = shop
    anonymous = gql(CREATE, {"input": {"title": "X", "handle": "x"}}, tenant=slug, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    customer = gql(CREATE, {"input": {"title": "X", "handle": "x"}}, tenant=slug, token=buyer, expect_errors=True)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_another_tenants_product_is_not_found_and_not_deleted(gql, shop, owner):
    from tests.graphql.conftest import login, new_tenant, new_user

    slug, staff, _ = shop
    product = _tee(gql, slug, staff, handle="theirs")["product"]
    other = new_tenant(owner)
    new_user(owner, other, "boss@other.example", "admin")
    other_staff = login(gql, other, "boss@other.example")
    upd = gql('mutation($id: ID!) { updateProduct(id: $id, input: {title: "hacked"}) { product { title } '
              'userErrors { code } } }', {"id": product["id"]}, tenant=other, token=other_staff)["data"]["updateProduct"]
    assert upd == {"product": None, "userErrors": [{"code": "NOT_FOUND"}]}
    price = gql('mutation($v: ID!) { setVariantPrice(variantId: $v, currencyCode: "EUR", amount: 1) { userErrors { code } } }',
                {"v": product["variants"][0]["id"]}, tenant=other, token=other_staff)["data"]["setVariantPrice"]
    assert price["userErrors"] == [{"code": "NOT_FOUND"}]
    gone = gql('mutation($id: ID!) { deleteProduct(id: $id) { deleted } }', {"id": product["id"]}, tenant=other,
               token=other_staff)
    assert gone["data"]["deleteProduct"]["deleted"] is False
    assert owner.execute("select title from commerce.products where id = %s", (product["id"],)).fetchone() == ("Tee",)
    assert owner.execute("select amount from commerce.prices where variant_id = %s",
                         (product["variants"][0]["id"],)).fetchall() == [(1999,)]

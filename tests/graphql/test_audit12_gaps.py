"""Gaps the issue-12 audit found and closed, over HTTP through the app: the unified search counts its matches
(totalCount exact up to 10,000, then flagged), price lists show and change their customer-group rule, a
cancelled order shows the reason it was cancelled with, and live events carry a typed payload (no JSON text)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from rustok.graphql.live import PAYLOAD_FIELDS, event_payload
from tests.graphql.conftest import login, new_tenant, new_user


@pytest.fixture(scope="module")
def store(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@gaps.example", "admin")
    new_user(owner, slug, "ann@gaps.example", "customer")
    new_user(owner, slug, "ed@gaps.example", "editor")
    admin, ann = login(gql, slug, "boss@gaps.example"), login(gql, slug, "ann@gaps.example")
    products = []
    for i in range(3):
        products.append(gql('mutation($t: String!, $h: String!, $s: String!) { createProduct(input: {title: $t, handle: $h, '
                            'status: published, variants: [{sku: $s, prices: [{amount: 1000, currencyCode: "EUR"}], stock: 50}]}) '
                            '{ product { id variants { id } } } }',
                            {"t": f"Basil pot {i}", "h": f"basil-{i}", "s": f"BAS-{i}"}, tenant=slug,
                            token=admin)["data"]["createProduct"]["product"])
    node = gql('mutation { createNode(input: {kind: post, title: "Growing basil", body: "Basil likes sun."}) { node { id } } }',
               tenant=slug, token=admin)["data"]["createNode"]["node"]["id"]
    gql('mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }', {"i": [node]}, tenant=slug, token=admin)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    return {"slug": slug, "admin": admin, "ann": ann, "editor": login(gql, slug, "ed@gaps.example"),
            "variants": [p["variants"][0]["id"] for p in products]}


SEARCH = "query($q: String!, $first: Int, $last: Int) { search(query: $q, first: $first, last: $last) { totalCount totalCountCapped nodes { __typename } } }"


def test_the_unified_search_counts_every_match(gql, store):
    slug = store["slug"]
    for token in (None, store["admin"]):   # anonymous (the compiled path falls back for totalCount) and staff
        page = gql(SEARCH, {"q": "basil", "first": 2}, tenant=slug, token=token)["data"]["search"]
        assert page["totalCount"] == 4 and page["totalCountCapped"] is False and len(page["nodes"]) == 2, page
        back = gql(SEARCH, {"q": "basil", "last": 1}, tenant=slug, token=token)["data"]["search"]
        assert back["totalCount"] == 4 and len(back["nodes"]) == 1
    assert gql(SEARCH, {"q": "nothing-like-it", "first": 5}, tenant=slug)["data"]["search"]["totalCount"] == 0
    # a corrected query counts the matches of the corrected text
    fixed = gql('{ search(query: "basl", first: 1) { correctedQuery totalCount } }', tenant=slug)["data"]["search"]
    assert fixed["correctedQuery"] == "basil" and fixed["totalCount"] == 4


def test_the_search_count_is_capped_and_flagged(gql, owner, store):
    slug = owner.execute("select slug from core.tenants where slug = %s", (store["slug"],)).fetchone()[0]
    from rustok.graphql import storefront
    original = storefront.COUNT_CAP
    storefront.COUNT_CAP = 3
    try:
        page = gql(SEARCH, {"q": "basil", "first": 1}, tenant=slug)["data"]["search"]
    finally:
        storefront.COUNT_CAP = original
    assert page["totalCount"] == 3 and page["totalCountCapped"] is True


LIST = """mutation($v: ID!) { createPriceList(input: {title: "Members", type: sale, customerGroups: ["vip"],
  prices: [{variantId: $v, amount: 800, currencyCode: "EUR"}]}) { priceList { id customerGroups } userErrors { field code message } } }"""
PATCH = """mutation($i: ID!, $g: [String!]) { updatePriceList(id: $i, input: {customerGroups: $g}) {
  priceList { customerGroups } userErrors { field code message } position } }"""


def test_price_list_rules_are_read_and_changed(gql, owner, store):
    slug, admin = store["slug"], store["admin"]
    made = gql(LIST, {"v": store["variants"][0]}, tenant=slug, token=admin)["data"]["createPriceList"]
    assert made["userErrors"] == [] and made["priceList"]["customerGroups"] == ["vip"]
    list_id = made["priceList"]["id"]
    two = gql(PATCH, {"i": list_id, "g": ["vip", "gold"]}, tenant=slug, token=admin)["data"]["updatePriceList"]
    assert two["priceList"]["customerGroups"] == ["vip", "gold"] and two["position"]
    listed = gql("{ priceLists(first: 10) { nodes { id customerGroups } } }", tenant=slug, token=admin)["data"]["priceLists"]
    assert {"id": list_id, "customerGroups": ["vip", "gold"]} in listed["nodes"]
    # a public sale: the rule goes (an empty list or null)
    for groups in ([], None):
        gql(PATCH, {"i": list_id, "g": ["vip"]}, tenant=slug, token=admin)
        cleared = gql(PATCH, {"i": list_id, "g": groups}, tenant=slug, token=admin)["data"]["updatePriceList"]
        assert cleared["priceList"]["customerGroups"] == []
        assert owner.execute("select count(*) from commerce.price_list_rules where price_list_id = %s",
                             (list_id,)).fetchone()[0] == 0
    # untouched when the patch does not name it
    gql(PATCH, {"i": list_id, "g": ["vip"]}, tenant=slug, token=admin)
    kept = gql('mutation($i: ID!) { updatePriceList(id: $i, input: {title: "Members only"}) { priceList { customerGroups } } }',
               {"i": list_id}, tenant=slug, token=admin)["data"]["updatePriceList"]
    assert kept["priceList"]["customerGroups"] == ["vip"]
    # refusals: FORBIDDEN for a role without catalog:write, and the SQL function checks it too
    refused = gql(PATCH, {"i": list_id, "g": []}, tenant=slug, token=store["editor"], expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


ORDER = """mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: 1}]}) { order { id } } }"""
CANCEL = """mutation($i: ID!, $r: String!) { cancelOrder(id: $i, reason: $r) {
  order { status cancellation { reason cancelledBy cancelledAt } } userErrors { field code message } position } }"""


def test_a_cancelled_order_shows_its_reason(gql, owner, store):
    slug, admin, ann = store["slug"], store["admin"], store["ann"]
    order = gql(ORDER, {"v": store["variants"][1]}, tenant=slug, token=ann)["data"]["placeOrder"]["order"]["id"]
    empty = gql(CANCEL, {"i": order, "r": "  "}, tenant=slug, token=admin)["data"]["cancelOrder"]
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [("reason", "INVALID")] and empty["order"] is None
    done = gql(CANCEL, {"i": order, "r": "Customer asked by phone"}, tenant=slug, token=admin)["data"]["cancelOrder"]
    boss = owner.execute("select id::text from core.users where email = 'boss@gaps.example'").fetchone()[0]
    assert done["order"]["status"] == "cancelled" and done["userErrors"] == []
    assert done["order"]["cancellation"]["reason"] == "Customer asked by phone"
    assert done["order"]["cancellation"]["cancelledBy"] == boss and done["order"]["cancellation"]["cancelledAt"]
    read = "query($i: ID!) { order(id: $i) { status cancellation { reason cancelledBy } } }"
    owner.execute("select outbox.drain('index')")   # no worker in the test client
    for token in (admin, ann):   # staff and the customer who placed it
        body = gql(read, {"i": order}, tenant=slug, token=token)
        assert body["data"]["order"] == {"status": "cancelled",
                                         "cancellation": {"reason": "Customer asked by phone", "cancelledBy": boss}}, body
    staff = gql('{ staffOrders(filter: {status: [cancelled]}, first: 5) { nodes { id cancellation { reason } } } }',
                tenant=slug, token=admin)["data"]["staffOrders"]["nodes"]
    assert {"id": order, "cancellation": {"reason": "Customer asked by phone"}} in staff
    # an order cancelled by a status change (no reason given) has none
    other = gql(ORDER, {"v": store["variants"][1]}, tenant=slug, token=ann)["data"]["placeOrder"]["order"]["id"]
    plain = gql('mutation($i: ID!) { setOrderStatus(id: $i, status: cancelled) { order { cancellation { reason } } } }',
                {"i": other}, tenant=slug, token=admin)["data"]["setOrderStatus"]["order"]
    assert plain == {"cancellation": None}


def test_live_events_carry_a_typed_payload(client, gql, store):
    slug, admin = store["slug"], store["admin"]
    headers = {"X-Tenant": slug, "Authorization": f"Bearer {admin}"}
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query":
            'subscription { events(types: ["OrderPlaced"]) { eventType aggregateId payload { status displayId total '
            'currencyCode createdAt handle otherKeys } } }'}})
        order = gql(ORDER, {"v": store["variants"][2]}, tenant=slug, token=store["ann"])["data"]["placeOrder"]["order"]["id"]
        for _ in range(10):   # the subscription starts 10 s back: earlier orders of this module may come first
            msg = ws.receive_json()
            assert msg["type"] == "next", msg
            event = msg["payload"]["data"]["events"]
            if event["aggregateId"] == order:
                break
        assert event["eventType"] == "OrderPlaced" and event["aggregateId"] == order
        payload = event["payload"]
        assert payload["status"] == "pending" and payload["total"] == 1000 and payload["currencyCode"] == "EUR"
        assert isinstance(payload["displayId"], int) and payload["createdAt"] and payload["handle"] is None
        assert payload["otherKeys"] == []
        ws.send_json({"id": "1", "type": "complete"})


def test_every_payload_key_the_write_model_emits_has_a_typed_field(gql, owner, store, api_db):
    """Every key of every event payload in this database (the module's writes: products, variants, stock, orders,
    cancellations, nodes, tags, price lists, carts, accounts) maps to an EventPayload field."""
    slug, admin = store["slug"], store["admin"]
    gql('mutation($v: ID!) { adjustInventory(variantId: $v, delta: -49, reason: "stock count") { position } }',
        {"v": store["variants"][0]}, tenant=slug, token=admin)
    gql('mutation($v: ID!) { addToCart(variantId: $v, currency: "EUR") { token } }', {"v": store["variants"][0]}, tenant=slug)
    gql('mutation { setTags(targetType: node, targetId: "%s", names: ["herbs"]) { position } }' % _a_node(owner, slug),
        tenant=slug, token=admin)
    gql('mutation { register(email: "new@gaps.example", password: "long enough") { token } }', tenant=slug)
    gql('mutation { requestPasswordReset(email: "ann@gaps.example") { message } }', tenant=slug)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select index.tenant_reindex() from (select set_config('rustok.tenant_id', "
                     "core.tenant_id_by_slug(%s)::text, false)) s", (slug,))
        rows = conn.execute("select distinct e.event_type, k.key, jsonb_typeof(k.value) from outbox.events e, "
                            "jsonb_each(e.payload) k").fetchall()
    types = {r[0] for r in rows}
    assert {"ProductCreated", "OrderPlaced", "InventoryUpdated", "NodeUpdated", "UserRegistered"} <= types, types
    unmapped = sorted({(t, k) for t, k, _ in rows if k not in PAYLOAD_FIELDS})
    assert unmapped == [], unmapped
    structured = sorted({(t, k) for t, k, kind in rows if kind in ("object", "array")})
    assert structured == [], structured
    assert event_payload({"old_status": "draft", "new_status": "published", "surprise": {"x": 1}}) == {
        **{f: None for f in PAYLOAD_FIELDS.values()}, "oldStatus": "draft", "newStatus": "published",
        "otherKeys": ["surprise"]}


def _a_node(owner, slug):
    return owner.execute("select id from content.nodes where tenant_id = core.tenant_id_by_slug(%s) limit 1",
                         (slug,)).fetchone()[0]


def test_a_sale_ends_by_the_clock_alone(gql, owner, store):
    """A card shows the sale price while a sale list's window is open and the base price once the window has
    passed, with nothing written in between (no reindex, no event)."""
    slug = store["slug"]
    t = owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    plist = owner.execute("insert into commerce.price_lists (tenant_id, title, type, status, starts_at, ends_at) "
                          "values (%s, 'Flash sale', 'sale', 'active', now() - interval '1 minute', now() + interval '2 seconds') "
                          "returning id", (t,)).fetchone()[0]
    owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id) "
                  "values (%s, %s, 700, 'EUR', %s)", (t, store["variants"][2], plist))
    owner.execute("select outbox.drain('index')")
    q = '{ product(handle: "basil-2") { price(currency: "EUR") { calculated { amount } original { amount } onSale } } }'
    assert gql(q, tenant=slug)["data"]["product"]["price"] == {"calculated": {"amount": 700}, "original": {"amount": 1000},
                                                               "onSale": True}
    import time
    time.sleep(2.5)
    assert gql(q, tenant=slug)["data"]["product"]["price"] == {"calculated": {"amount": 1000}, "original": {"amount": 1000},
                                                               "onSale": False}
    owner.execute("delete from commerce.price_lists where id = %s", (plist,))


def test_user_errors_name_the_argument_the_caller_sent(gql, owner, store):
    """Each refusal's `field` is the GraphQL argument or input field the caller can fix (it named SQL parameters,
    columns of partitions or constraint names before), and the message carries no SQL function or rule name."""
    slug, admin, ed = store["slug"], store["admin"], store["editor"]
    me = gql("{ me { id } }", tenant=slug, token=admin)["data"]["me"]["id"]
    post = gql('mutation { createNode(input: {kind: post, title: "Scheduling"}) { node { id } } }', tenant=slug,
               token=admin)["data"]["createNode"]["node"]["id"]
    missing = "01a214ad-19b8-19f6-9911-98b1bd41a6a0"

    def refusal(query, variables=None, token=admin):
        payload = next(iter(gql(query, variables, tenant=slug, token=token)["data"].values()))
        [error] = payload["userErrors"]
        assert payload["position"] is None
        assert error["message"].startswith(error["field"] + ": "), error
        for raw in ("content.", "commerce.", "core.", "p_", "(rule", "violates", "constraint"):
            assert raw not in error["message"], error
        return error["field"], error["code"]

    E = "userErrors { field code message } position"
    assert refusal(f'mutation($u: ID!) {{ changeUserRole(userId: $u, role: customer) {{ {E} }} }}', {"u": me}) == ("userId", "INVALID")
    assert refusal(f'mutation($u: ID!) {{ deactivateUser(userId: $u) {{ {E} }} }}', {"u": me}) == ("userId", "INVALID")
    assert refusal(f'mutation($i: [ID!]!) {{ scheduleNodes(ids: $i, at: "2000-01-01T00:00:00Z") {{ {E} }} }}',
                   {"i": [post]}) == ("at", "INVALID")
    assert refusal(f'mutation($i: [ID!]!) {{ publishNodes(ids: $i) {{ {E} }} }}', {"i": [missing]}) == ("ids", "NOT_FOUND")
    assert refusal(f'mutation($i: [ID!]!) {{ moderateComments(ids: $i, status: approved) {{ {E} }} }}',
                   {"i": [post]}) == ("ids", "NOT_FOUND")
    assert refusal(f'mutation($u: ID!) {{ follow(targetType: user, targetId: $u) {{ {E} }} }}', {"u": me}) == ("targetId", "INVALID")
    assert refusal(f'mutation($u: ID!) {{ follow(targetType: node, targetId: $u) {{ {E} }} }}', {"u": missing}) == ("targetId", "NOT_FOUND")
    assert refusal(f'mutation($i: ID!, $c: ID!) {{ updateNode(id: $i, input: {{categoryId: $c}}) {{ {E} }} }}',
                   {"i": post, "c": missing}) == ("categoryId", "NOT_FOUND")
    assert refusal(f'mutation($v: ID!) {{ placeOrder(input: {{currencyCode: "USD", items: [{{variantId: $v, quantity: 1}}]}}) {{ {E} }} }}',
                   {"v": store["variants"][0]}, token=store["ann"]) == ("currencyCode", "NOT_FOUND")
    assert refusal(f'mutation($v: ID!) {{ setVariantPrice(variantId: $v, currencyCode: "EUR", amount: 1) {{ {E} }} }}',
                   {"v": missing}) == ("variantId", "NOT_FOUND")
    assert refusal(f'mutation {{ setModuleEnabled(module: "chat", enabled: true) {{ {E} }} }}') == ("module", "NOT_FOUND")
    assert refusal(f'mutation {{ register(email: "boss@gaps.example", password: "long enough") {{ {E} }} }}',
                   token=None) == ("email", "DUPLICATE")
    assert refusal(f'mutation {{ createCategory(input: {{handle: "nameless"}}) {{ {E} }} }}') == ("name", "REQUIRED")


def test_every_check_constraint_of_the_write_model_has_human_words(owner):
    """A broken CHECK constraint answers `<field>: <words>`, the words drawn from the rule's shape or worded by hand
    (rustok.graphql.rules): every CHECK constraint of the write model has some, so a new one needs them."""
    from rustok.graphql.rules import WORDED, describe

    rows = owner.execute("""
        select k.conname, pg_get_constraintdef(k.oid) from pg_constraint k
        join pg_namespace n on n.oid = k.connamespace join pg_class r on r.oid = k.conrelid
        where n.nspname in ('core', 'content', 'commerce', 'community') and k.contype = 'c' and not r.relispartition""").fetchall()
    assert len(rows) > 100
    unworded = sorted(name for name, definition in rows if name not in WORDED and not describe(definition))
    assert unworded == [], unworded
    assert describe("CHECK (((btrim(title) <> ''::text) AND (length(title) <= 255)))") == "cannot be empty; at most 255 characters"
    assert describe("CHECK ((ends_at > starts_at))") == "must be after startsAt"


def test_a_broken_rule_answers_in_words(gql, store):
    slug, admin = store["slug"], store["admin"]
    E = "userErrors { field code message } position"
    product = gql(f'mutation {{ createProduct(input: {{title: "", handle: "no-title"}}) {{ {E} }} }}', tenant=slug,
                  token=admin)["data"]["createProduct"]["userErrors"]
    assert product == [{"field": "title", "code": "INVALID", "message": "title: cannot be empty; at most 255 characters"}]
    window = gql(f'mutation {{ createPriceList(input: {{title: "W", startsAt: "2030-01-02T00:00:00Z", '
                 f'endsAt: "2030-01-01T00:00:00Z", prices: []}}) {{ {E} }} }}', tenant=slug,
                 token=admin)["data"]["createPriceList"]["userErrors"]
    assert window == [{"field": "endsAt", "code": "INVALID", "message": "endsAt: must be after startsAt"}]
    seo = gql(f'mutation($v: ID!) {{ setVariantPrice(variantId: $v, currencyCode: "EUR", amount: -5) {{ {E} }} }}',
              {"v": store["variants"][0]}, tenant=slug, token=admin)["data"]["setVariantPrice"]["userErrors"]
    assert seo == [{"field": "amount", "code": "INVALID", "message": "amount: must be 0 or more"}]


ADJUSTMENTS = """query($v: ID, $first: Int, $after: String, $last: Int, $before: String) {
  inventoryAdjustments(variantId: $v, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id variantId location { id name } delta stockedAfter reason adjustedBy createdAt } } }"""


def test_the_inventory_log_and_deleting_a_stock_location(gql, owner, store):
    slug, admin = store["slug"], store["admin"]
    E = "userErrors { field code message } position"
    loc = gql(f'mutation {{ createStockLocation(name: "Pop-up store") {{ location {{ id }} {E} }} }}', tenant=slug,
              token=admin)["data"]["createStockLocation"]["location"]["id"]
    adjust = f"mutation($v: ID!, $l: ID, $d: Int!, $r: String!) {{ adjustInventory(variantId: $v, locationId: $l, delta: $d, reason: $r) {{ {E} }} }}"
    v0, v1 = store["variants"][0], store["variants"][1]
    for variant, location, delta, reason in ((v0, loc, 5, "delivery"), (v1, None, -1, "broken pot"), (v0, loc, -2, "sold at the fair")):
        out = gql(adjust, {"v": variant, "l": location, "d": delta, "r": reason}, tenant=slug, token=admin)["data"]["adjustInventory"]
        assert out["userErrors"] == [], out
    mine = gql(ADJUSTMENTS, {"v": v0, "first": 10}, tenant=slug, token=admin)["data"]["inventoryAdjustments"]
    assert mine["totalCount"] == 3   # and the stock count of an earlier test
    assert [(n["reason"], n["delta"], n["stockedAfter"], n["location"]["name"], n["variantId"]) for n in mine["nodes"][:2]] == [
        ("sold at the fair", -2, 3, "Pop-up store", v0), ("delivery", 5, 5, "Pop-up store", v0)]
    assert all(n["adjustedBy"] and n["createdAt"] for n in mine["nodes"])
    everything = gql(ADJUSTMENTS, {"first": 1}, tenant=slug, token=admin)["data"]["inventoryAdjustments"]
    assert everything["totalCount"] >= 3 and everything["pageInfo"]["hasNextPage"]
    second = gql(ADJUSTMENTS, {"first": 1, "after": everything["pageInfo"]["endCursor"]}, tenant=slug,
                 token=admin)["data"]["inventoryAdjustments"]["nodes"]
    back = gql(ADJUSTMENTS, {"v": v0, "last": 1}, tenant=slug, token=admin)["data"]["inventoryAdjustments"]
    assert second[0]["id"] != everything["nodes"][0]["id"] and back["nodes"][0]["reason"] == "stock count"   # the oldest of the variant
    assert gql(ADJUSTMENTS, {"first": 1}, tenant=slug, token=store["editor"], expect_errors=True
               )["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a location that holds stock is refused (IN_USE), an empty one goes
    delete = f"mutation($l: ID!) {{ deleteStockLocation(id: $l) {{ deleted {E} }} }}"
    held = gql(delete, {"l": loc}, tenant=slug, token=admin)["data"]["deleteStockLocation"]
    assert held["deleted"] is None and [(e["field"], e["code"]) for e in held["userErrors"]] == [("id", "IN_USE")]
    assert "3 units" in held["userErrors"][0]["message"]
    gql(adjust, {"v": v0, "l": loc, "d": -3, "r": "moved back"}, tenant=slug, token=admin)
    gone = gql(delete, {"l": loc}, tenant=slug, token=admin)["data"]["deleteStockLocation"]
    assert gone["deleted"] is True and gone["userErrors"] == [] and gone["position"]
    again = gql(delete, {"l": loc}, tenant=slug, token=admin)["data"]["deleteStockLocation"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [("id", "NOT_FOUND")]


def test_the_parts_of_a_product_are_bounded(gql, owner, store):
    """The lists of one product's parts are plain typed lists because the write model bounds them: 100 variants,
    50 images, 100 tags, 50 categories, 10 options (each refused past its bound, naming the argument)."""
    slug, admin = store["slug"], store["admin"]
    E = "userErrors { field code message } position"
    t = owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    pid = owner.execute("insert into commerce.products (tenant_id, title, handle) values (%s, 'Wide', 'wide') returning id",
                        (t,)).fetchone()[0]
    owner.execute("insert into commerce.variants (tenant_id, product_id, title) select %s, %s, 'V' || i "
                  "from generate_series(1, 100) i", (t, pid))

    def refusal(query, variables):
        payload = next(iter(gql(query, variables, tenant=slug, token=admin)["data"].values()))
        [error] = payload["userErrors"]
        return error["field"], error["code"], error["message"]

    many = [str(uuid.UUID(int=i + 1)) for i in range(51)]
    assert refusal(f'mutation($p: ID!) {{ addVariant(productId: $p, input: {{title: "One more"}}) {{ {E} }} }}',
                   {"p": str(pid)}) == ("productId", "INVALID", "productId: a product has at most 100 variants")
    big = [{"title": f"V{i}"} for i in range(101)]
    assert refusal(f'mutation($v: [VariantInput!]) {{ createProduct(input: {{title: "Huge", handle: "huge", variants: $v}}) '
                   f'{{ {E} }} }}', {"v": big})[:2] == ("variants", "INVALID")
    assert refusal(f'mutation($p: ID!, $m: [ID!]!) {{ setProductImages(productId: $p, mediaIds: $m) {{ {E} }} }}',
                   {"p": str(pid), "m": many})[:2] == ("mediaIds", "INVALID")
    assert refusal(f'mutation($p: ID!, $c: [ID!]!) {{ setProductCategories(productId: $p, categoryIds: $c) {{ {E} }} }}',
                   {"p": str(pid), "c": many})[:2] == ("categoryIds", "INVALID")
    assert refusal(f'mutation($p: ID!, $n: [String!]!) {{ setTags(targetType: product, targetId: $p, names: $n) {{ {E} }} }}',
                   {"p": str(pid), "n": [f"t{i}" for i in range(101)]})[:2] == ("names", "INVALID")
    assert refusal(f'mutation($p: ID!, $o: [ProductOptionInput!]!) {{ setProductOptions(productId: $p, options: $o) {{ {E} }} }}',
                   {"p": str(pid), "o": [{"title": f"O{i}", "values": ["a"]} for i in range(11)]})[:2] == ("options", "INVALID")
    assert owner.execute("select count(*) from commerce.variants where product_id = %s", (pid,)).fetchone()[0] == 100


def test_a_base_price_is_removed(gql, store):
    slug, admin = store["slug"], store["admin"]
    v = store["variants"][2]
    E = "userErrors { field code message } position"
    gql(f'mutation($v: ID!) {{ setVariantPrice(variantId: $v, currencyCode: "USD", amount: 1200) {{ {E} }} }}', {"v": v},
        tenant=slug, token=admin)
    out = gql(f'mutation($v: ID!) {{ removeVariantPrice(variantId: $v, currencyCode: "USD") {{ product {{ variants {{ id prices '
              f'{{ currencyCode }} }} }} {E} }} }}', {"v": v}, tenant=slug, token=admin)["data"]["removeVariantPrice"]
    assert out["userErrors"] == [] and out["position"]
    [variant] = [x for x in out["product"]["variants"] if x["id"] == v]
    assert [p["currencyCode"] for p in variant["prices"]] == ["EUR"]
    again = gql(f'mutation($v: ID!) {{ removeVariantPrice(variantId: $v, currencyCode: "USD") {{ {E} }} }}', {"v": v},
                tenant=slug, token=admin)["data"]["removeVariantPrice"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [("currencyCode", "NOT_FOUND")]
    refused = gql(f'mutation($v: ID!) {{ removeVariantPrice(variantId: $v, currencyCode: "EUR") {{ {E} }} }}', {"v": v},
                  tenant=slug, token=store["editor"], expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_shop_has_at_most_1000_categories_of_each_kind(gql, owner, store):
    """The storefront's category trees are answered whole, so each is bounded."""
    slug, admin = store["slug"], store["admin"]
    t = owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    have = owner.execute("select count(*) from commerce.categories where tenant_id = %s", (t,)).fetchone()[0]
    owner.execute("insert into commerce.categories (tenant_id, name, handle) select %s, 'C' || i, 'bulk-c-' || i "
                  "from generate_series(1, %s) i", (t, 1000 - have))
    owner.execute("insert into content.categories (tenant_id, name, slug) select %s, 'K' || i, 'bulk-k-' || i "
                  "from generate_series(1, 1000) i", (t,))
    E = "userErrors { field code message } position"
    one_more = gql(f'mutation {{ createCategory(input: {{name: "One more", handle: "one-more"}}) {{ {E} }} }}',
                   tenant=slug, token=admin)["data"]["createCategory"]
    assert [(e["code"], e["message"]) for e in one_more["userErrors"]] == [
        ("INVALID", "input: a shop has at most 1000 catalog categories")]
    content = gql(f'mutation {{ createContentCategory(input: {{name: "One more"}}) {{ {E} }} }}', tenant=slug,
                  token=admin)["data"]["createContentCategory"]
    assert [(e["code"], e["message"]) for e in content["userErrors"]] == [
        ("INVALID", "input: a shop has at most 1000 content categories")]
    # changing an existing one is not refused
    first = owner.execute("select id::text from commerce.categories where tenant_id = %s limit 1", (t,)).fetchone()[0]
    changed = gql(f'mutation($i: ID!) {{ updateCategory(id: $i, input: {{description: "still fine"}}) {{ {E} }} }}',
                  {"i": first}, tenant=slug, token=admin)["data"]["updateCategory"]
    assert changed["userErrors"] == []
    owner.execute("delete from commerce.categories where tenant_id = %s and handle like 'bulk-c-%%'", (t,))
    owner.execute("delete from content.categories where tenant_id = %s and slug like 'bulk-k-%%'", (t,))


PENDING = """query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  viewerPendingComments(contentId: $c, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id body status } } }"""


def test_the_viewers_pending_comments_are_a_connection(gql, owner, store):
    slug, ann = store["slug"], store["ann"]
    post = owner.execute("select id::text from content.nodes where tenant_id = core.tenant_id_by_slug(%s) "
                         "and kind = 'post' and status = 'published' limit 1", (slug,)).fetchone()[0]
    mine = [gql('mutation($p: ID!, $b: String!) { addComment(parentId: $p, body: $b) { node { id status } } }',
                {"p": post, "b": f"pending {i}"}, tenant=slug, token=ann)["data"]["addComment"]["node"] for i in range(3)]
    assert {c["status"] for c in mine} == {"pending"}
    page = gql(PENDING, {"c": post, "first": 2}, tenant=slug, token=ann)["data"]["viewerPendingComments"]
    assert page["totalCount"] == 3 and [n["body"] for n in page["nodes"]] == ["pending 0", "pending 1"]
    assert page["pageInfo"]["hasNextPage"]
    rest = gql(PENDING, {"c": post, "first": 2, "after": page["pageInfo"]["endCursor"]}, tenant=slug,
               token=ann)["data"]["viewerPendingComments"]
    assert [n["body"] for n in rest["nodes"]] == ["pending 2"] and not rest["pageInfo"]["hasNextPage"]
    back = gql(PENDING, {"c": post, "last": 2}, tenant=slug, token=ann)["data"]["viewerPendingComments"]
    assert [n["body"] for n in back["nodes"]] == ["pending 1", "pending 2"] and back["pageInfo"]["hasPreviousPage"]
    older = gql(PENDING, {"c": post, "last": 2, "before": back["pageInfo"]["startCursor"]}, tenant=slug,
                token=ann)["data"]["viewerPendingComments"]
    assert [n["body"] for n in older["nodes"]] == ["pending 0"]
    # others see none of them; a made-up cursor and a page of 101 are refused
    assert gql(PENDING, {"c": post, "first": 5}, tenant=slug, token=store["editor"])["data"]["viewerPendingComments"]["totalCount"] == 0
    bad = gql(PENDING, {"c": post, "after": "eyJzIjoib2xkZXN0IiwiayI6WzEsMl19"}, tenant=slug, token=ann, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "not a cursor" in bad["errors"][0]["message"]
    big = gql(PENDING, {"c": post, "first": 101}, tenant=slug, token=ann, expect_errors=True)
    assert big["errors"][0]["extensions"]["maxPageSize"] == 100

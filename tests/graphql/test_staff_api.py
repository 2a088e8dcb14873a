"""The API the admin app needs (schema/staff.graphql): people, order search, price lists, options, node deletion
and the operations screen, over HTTP, each allowed and refused, with userErrors for bad input."""

from __future__ import annotations

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user


@pytest.fixture(scope="module")
def shop(gql, owner, api_db):
    slug = new_tenant(owner)
    for role in ("admin", "manager", "editor", "author"):
        new_user(owner, slug, f"{role}@staff.example", role)
    tokens = {role: login(gql, slug, f"{role}@staff.example") for role in ("admin", "manager", "editor", "author")}
    product = gql('mutation { createProduct(input: {title: "Mug", handle: "mug", status: published, variants: ['
                  '{title: "S", sku: "MUG-S", prices: [{amount: 900, currencyCode: "EUR"}], stock: 10},'
                  '{title: "L", sku: "MUG-L", prices: [{amount: 1200, currencyCode: "EUR"}], stock: 10}]}) '
                  '{ product { id variants { id sku } } } }', tenant=slug, token=tokens["admin"])["data"]["createProduct"]["product"]
    new_user(owner, slug, "ann@buyer.example", "customer")
    buyer = login(gql, slug, "ann@buyer.example")
    gql('mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", email: "ann@buyer.example", '
        'items: [{variantId: $v, quantity: 1}]}) { order { id } } }', {"v": product["variants"][0]["id"]},
        tenant=slug, token=buyer)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    return {"slug": slug, "tokens": tokens, "product": product}


def test_users_list_and_invite(gql, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    users = gql("{ users { nodes { email role } } }", tenant=slug, token=admin)["data"]["users"]["nodes"]
    assert {"email": "editor@staff.example", "role": "editor"} in users
    assert users[-1]["role"] == "customer"  # staff first
    out = gql('mutation { inviteUser(input: {email: "new@staff.example", role: author, password: "longenough"}) '
              '{ user { email role status } userErrors { field code message } } }', tenant=slug, token=admin)
    assert out["data"]["inviteUser"]["user"] == {"email": "new@staff.example", "role": "author", "status": "active"}
    assert login(gql, slug, "new@staff.example", "longenough")
    dup = gql('mutation { inviteUser(input: {email: "NEW@staff.example", role: author, password: "longenough"}) '
              '{ user { id } userErrors { field code } } }', tenant=slug, token=admin)["data"]["inviteUser"]
    assert dup["user"] is None and dup["userErrors"] == [{"field": "email", "code": "DUPLICATE"}]
    short = gql('mutation { inviteUser(input: {email: "x@staff.example", role: author, password: "short"}) '
                '{ user { id } userErrors { field code } } }', tenant=slug, token=admin)["data"]["inviteUser"]
    assert short["userErrors"] == [{"field": "password", "code": "INVALID"}]
    refused = gql("{ users { nodes { email } } }", tenant=slug, token=shop["tokens"]["manager"], expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    users = gql('{ users(search: "new@staff") { nodes { id } } }', tenant=slug, token=admin)["data"]["users"]["nodes"]
    old_token = login(gql, slug, "new@staff.example", "longenough")
    reset = gql('mutation($u: ID!) { resetUserPassword(userId: $u, password: "another secret") { user { email } userErrors { field code } } }',
                {"u": users[0]["id"]}, tenant=slug, token=admin)["data"]["resetUserPassword"]
    assert reset == {"user": {"email": "new@staff.example"}, "userErrors": []}
    assert login(gql, slug, "new@staff.example", "another secret")
    assert gql("{ me { email } }", tenant=slug, token=old_token)["data"]["me"] is None  # the old session ended
    weak = gql('mutation($u: ID!) { resetUserPassword(userId: $u, password: "x") { userErrors { field code } } }',
               {"u": users[0]["id"]}, tenant=slug, token=admin)["data"]["resetUserPassword"]
    assert weak["userErrors"] == [{"field": "password", "code": "INVALID"}]
    mods = gql("{ modules { module enabled } }", tenant=slug, token=admin)["data"]["modules"]
    assert {"module": "commerce", "enabled": True} in mods


def test_staff_orders_filters(gql, shop):
    slug, manager = shop["slug"], shop["tokens"]["manager"]
    q = "query($f: OrderFilter) { staffOrders(filter: $f, first: 10) { totalCount nodes { displayId email status } } }"
    everything = gql(q, {}, tenant=slug, token=manager)["data"]["staffOrders"]
    assert everything["totalCount"] == 1
    number = everything["nodes"][0]["displayId"]
    assert gql(q, {"f": {"email": "BUYER.ex"}}, tenant=slug, token=manager)["data"]["staffOrders"]["totalCount"] == 1
    assert gql(q, {"f": {"email": "nobody"}}, tenant=slug, token=manager)["data"]["staffOrders"]["totalCount"] == 0
    assert gql(q, {"f": {"number": number}}, tenant=slug, token=manager)["data"]["staffOrders"]["totalCount"] == 1
    assert gql(q, {"f": {"status": ["paid", "cancelled"]}}, tenant=slug, token=manager)["data"]["staffOrders"]["nodes"] == []
    later = gql(q, {"f": {"createdFrom": "2999-01-01T00:00:00Z"}}, tenant=slug, token=manager)["data"]["staffOrders"]
    assert later["totalCount"] == 0 and later["nodes"] == []
    refused = gql(q, {}, tenant=slug, token=shop["tokens"]["editor"], expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_price_lists_edit_and_delete(gql, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    v = shop["product"]["variants"][0]["id"]
    created = gql('mutation($v: ID!) { createPriceList(input: {title: "Summer", prices: [{variantId: $v, amount: 700, '
                  'currencyCode: "EUR"}]}) { priceList { id } } }', {"v": v}, tenant=slug, token=admin)
    list_id = created["data"]["createPriceList"]["priceList"]["id"]
    out = gql('mutation($i: ID!, $v: ID!) { updatePriceList(id: $i, input: {title: "Summer sale", status: draft, '
              'prices: [{variantId: $v, amount: 650, currencyCode: "EUR"}]}) { priceList { title status priceCount '
              'prices(first: 10) { nodes { amount currencyCode } } } userErrors { field code } } }', {"i": list_id, "v": v}, tenant=slug, token=admin)
    pl = out["data"]["updatePriceList"]["priceList"]
    assert pl["title"] == "Summer sale" and pl["status"] == "draft" and pl["prices"]["nodes"] == [{"amount": 650, "currencyCode": "EUR"}]
    bad = gql('mutation($i: ID!) { updatePriceList(id: $i, input: {title: ""}) { priceList { id } userErrors { field code } } }',
              {"i": list_id}, tenant=slug, token=admin)["data"]["updatePriceList"]
    assert bad["priceList"] is None and bad["userErrors"][0]["field"] == "title"
    lists = gql("{ priceLists { nodes { id title } } }", tenant=slug, token=admin)["data"]["priceLists"]["nodes"]
    assert [x["title"] for x in lists] == ["Summer sale"]
    assert gql('mutation($i: ID!) { deletePriceList(id: $i) { deleted } }', {"i": list_id}, tenant=slug,
               token=admin)["data"]["deletePriceList"]["deleted"] is True
    assert gql("{ priceLists { totalCount nodes { id } } }", tenant=slug, token=admin)["data"]["priceLists"] == {"totalCount": 0, "nodes": []}


def test_product_and_variant_options(gql, shop, api_db):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    p, (s, big) = shop["product"]["id"], [v["id"] for v in shop["product"]["variants"]]
    out = gql('mutation($p: ID!) { setProductOptions(productId: $p, options: [{title: "Size", values: ["S", "L"]}]) '
              '{ userErrors { field code } } }', {"p": p}, tenant=slug, token=admin)
    assert out["data"]["setProductOptions"]["userErrors"] == []
    for vid, size in ((s, "S"), (big, "L")):
        out = gql('mutation($v: ID!, $s: String!) { setVariantOptions(variantId: $v, options: [{name: "size", value: $s}]) '
                  '{ userErrors { field code message } } }', {"v": vid, "s": size}, tenant=slug, token=admin)
        assert out["data"]["setVariantOptions"]["userErrors"] == []
    same = gql('mutation($v: ID!) { setVariantOptions(variantId: $v, options: [{name: "Size", value: "S"}]) '
               '{ userErrors { code } } }', {"v": big}, tenant=slug, token=admin)["data"]["setVariantOptions"]
    assert same["userErrors"], same
    unknown = gql('mutation($v: ID!) { setVariantOptions(variantId: $v, options: [{name: "Size", value: "XXL"}]) '
                  '{ userErrors { field code } } }', {"v": big}, tenant=slug, token=admin)["data"]["setVariantOptions"]
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    product = gql('{ product(handle: "mug") { options { title values } variants { sku selectedOptions { name value } } } }',
                  tenant=slug, token=admin)["data"]["product"]
    assert product["options"] == [{"title": "Size", "values": ["S", "L"]}]
    assert {"sku": "MUG-L", "selectedOptions": [{"name": "Size", "value": "L"}]} in product["variants"]


def test_delete_node(gql, shop):
    slug, tokens = shop["slug"], shop["tokens"]
    node = gql('mutation { createNode(input: {kind: post, title: "Gone soon"}) { node { id } } }', tenant=slug,
               token=tokens["admin"])["data"]["createNode"]["node"]["id"]
    by_author = gql('mutation($i: ID!) { deleteNode(id: $i) { deleted userErrors { code } } }', {"i": node}, tenant=slug,
                    token=tokens["author"], expect_errors=True)
    assert by_author["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    out = gql('mutation($i: ID!) { deleteNode(id: $i) { deleted userErrors { code } } }', {"i": node}, tenant=slug,
              token=tokens["editor"])["data"]["deleteNode"]
    assert out == {"deleted": True, "userErrors": []}
    again = gql('mutation($i: ID!) { deleteNode(id: $i) { deleted userErrors { code } } }', {"i": node}, tenant=slug,
                token=tokens["editor"])["data"]["deleteNode"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"


def test_operations_screen(gql, shop, api_db, owner):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    status = gql("{ opsStatus { consumer pending dead lagSeconds } }", tenant=slug, token=admin)["data"]["opsStatus"]
    assert any(s["consumer"] == "index" for s in status)
    # a dead letter of this tenant (and one of another tenant, which the screen must not show or retry)
    other = new_tenant(owner)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
        for t in (slug, other):
            conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) "
                         "values (core.tenant_id_by_slug(%s), 'NodeUpdated', 'node', core.new_id())", (t,))
        conn.execute("update outbox.deliveries set state = 'dead', last_error = 'boom', last_error_at = now() "
                     "where consumer = 'index' and state = 'pending'")
    dead = gql("{ deadLetters { nodes { eventType lastError eventId } } }", tenant=slug, token=admin)["data"]["deadLetters"]["nodes"]
    assert len(dead) == 1 and dead[0]["lastError"] == "boom"
    out = gql("mutation { retryDeadLetters { count userErrors { code } } }", tenant=slug, token=admin)
    assert out["data"]["retryDeadLetters"]["count"] == 1
    with psycopg.connect(api_db, autocommit=True) as conn:
        assert conn.execute("select count(*) from outbox.deliveries where state = 'dead'").fetchone()[0] == 1
        conn.execute("select outbox.drain('index')")
    assert gql("{ verifyIndex { totalCount nodes { problem } } }", tenant=slug, token=admin)["data"]["verifyIndex"] == {"totalCount": 0, "nodes": []}
    re = gql("mutation { reindexTenant { count position } }", tenant=slug, token=admin)["data"]["reindexTenant"]
    assert re["count"] == 3 and re["position"]
    health = gql("{ opsHealth { checkName status } }", tenant=slug, token=admin)["data"]["opsHealth"]
    assert health and all(h["status"] in ("ok", "warn", "fail") for h in health)
    for q in ("{ opsStatus { consumer } }", "{ deadLetters { nodes { eventId } } }", "{ verifyIndex { nodes { problem } } }", "{ opsHealth { status } }",
              "mutation { reindexTenant { count } }"):
        refused = gql(q, tenant=slug, token=shop["tokens"]["manager"], expect_errors=True)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", q


def test_product_categories_and_revision_bodies(gql, shop, api_db):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    cat = gql('mutation { createCategory(input: {name: "Kitchen", handle: "kitchen"}) { category { id } } }', tenant=slug,
              token=admin)["data"]["createCategory"]["category"]["id"]
    out = gql('mutation($p: ID!, $c: [ID!]!) { setProductCategories(productId: $p, categoryIds: $c) { userErrors { code } } }',
              {"p": shop["product"]["id"], "c": [cat]}, tenant=slug, token=admin)["data"]["setProductCategories"]
    assert out["userErrors"] == []
    cats = gql("query($p: ID!) { allCategories(first: 10) { totalCount nodes { handle productCount hasProduct(productId: $p) } } }",
               {"p": shop["product"]["id"]}, tenant=slug, token=admin)["data"]["allCategories"]
    assert cats == {"totalCount": 1, "nodes": [{"handle": "kitchen", "productCount": 1, "hasProduct": True}]}
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    listed = gql("{ allCategories(first: 1) { nodes { products(first: 5) { totalCount nodes { id } } } } }",
                 tenant=slug, token=admin)["data"]["allCategories"]["nodes"][0]["products"]
    assert listed == {"totalCount": 1, "nodes": [{"id": shop["product"]["id"]}]}
    bad = gql('mutation($p: ID!, $c: [ID!]!) { setProductCategories(productId: $p, categoryIds: $c) { userErrors { code field } } }',
              {"p": shop["product"]["id"], "c": [shop["product"]["id"]]}, tenant=slug, token=admin)["data"]["setProductCategories"]
    assert bad["userErrors"][0] == {"code": "NOT_FOUND", "field": "categoryIds"}
    node = gql('mutation { createNode(input: {kind: page, title: "About", body: "one"}) { node { id } } }', tenant=slug,
               token=admin)["data"]["createNode"]["node"]["id"]
    r = gql('mutation($i: ID!) { updateNode(id: $i, input: {body: "two"}) { position } }', {"i": node}, tenant=slug, token=admin)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    body = gql.client.post("/graphql", json={"query": 'query($i: ID!) { content(id: $i) { body revisions { nodes { body } } } }',
                                             "variables": {"i": node}},
                           headers={"X-Tenant": slug, "Authorization": f"Bearer {admin}",
                                    "X-Index-Position": r["data"]["updateNode"]["position"]}).json()
    assert body.get("data") and body["data"]["content"], body
    assert body["data"]["content"]["body"] == "two"
    assert "one" in [x["body"] for x in body["data"]["content"]["revisions"]["nodes"]]


def test_the_admin_app_is_served_with_a_strict_policy(gql):
    client = gql.client
    page = client.get("/admin/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/admin/static/js/app.js">' in page.text
    assert "<script>" not in page.text  # no inline script: the policy forbids it
    redirect = client.get("/admin", follow_redirects=False)
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/admin/")
    js = client.get("/admin/static/js/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/admin/static/js/nope.js").status_code == 404
    assert client.get("/admin/static/../__init__.py").status_code == 404
    # nothing is loaded from another origin (works offline)
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "src" / "rustok" / "admin" / "static"
    for path in static.rglob("*"):
        if path.is_file():
            assert "http://" not in path.read_text() and "https://" not in path.read_text().replace("https?://", ""), path


def test_adjust_inventory_takes_units_away(gql, shop):
    """A negative adjustment of an existing level (the admin's 'Adjust stock'): the level goes down, not a refusal."""
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    variant = shop["product"]["variants"][1]["id"]
    q = ('mutation($v: ID!, $d: Int!) { adjustInventory(variantId: $v, delta: $d, reason: "recount") '
         '{ product { variants { id stocked } } userErrors { field code message } } }')
    out = gql(q, {"v": variant, "d": -2}, tenant=slug, token=admin)["data"]["adjustInventory"]
    assert out["userErrors"] == []
    assert {v["id"]: v["stocked"] for v in out["product"]["variants"]}[variant] == 8
    too_many = gql(q, {"v": variant, "d": -9}, tenant=slug, token=admin)["data"]["adjustInventory"]
    assert too_many["userErrors"][0]["field"] == "delta"

"""The admin's lists as Relay connections over HTTP (issue 12: every list is a connection): users, priceLists,
deadLetters, verifyIndex, platformTenants, stockLocations and a node's revisions page forwards (first/after) and backwards (last/before) with opaque
keyset cursors, each row exactly once and in the documented order (ties broken by the id), also while rows are
inserted during the walk; totalCount is exact up to 10,000 and then flagged; a page holds at most 100 rows (the same
BAD_USER_INPUT as every connection); a cursor of another list is refused; the permissions are as before, in the API
and in SQL."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user

PAGE = "totalCount totalCountCapped pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { %s } }"


def _query(field: str, selection: str, extra_vars: str = "", extra_args: str = "") -> str:
    return (f"query($first: Int, $after: String, $last: Int, $before: String{extra_vars}) "
            f"{{ {field}(first: $first, after: $after, last: $last, before: $before{extra_args}) {{ {PAGE % selection} }} }}")


def walk(gql, query: str, field: str, size: int, *, tenant: str, token: str, variables: dict | None = None,
         backwards: bool = False, between=None) -> list[dict]:
    """Every node of the connection, page by page (forwards with first/after, or backwards with last/before, then
    put back in list order); `between(pages_so_far)` runs between two pages."""
    pages, cursor = [], None
    while True:
        paging = {"last": size, "before": cursor} if backwards else {"first": size, "after": cursor}
        conn = gql(query, {**(variables or {}), **paging}, tenant=tenant, token=token)["data"][field]
        nodes = [e["node"] for e in conn["edges"]]
        assert len(nodes) <= size
        pages.append(nodes)
        info = conn["pageInfo"]
        if conn["edges"]:
            assert info["startCursor"] == conn["edges"][0]["cursor"] and info["endCursor"] == conn["edges"][-1]["cursor"]
        more = info["hasPreviousPage"] if backwards else info["hasNextPage"]
        if cursor is not None:   # we came from a cursor: the other direction has rows
            assert info["hasNextPage"] if backwards else info["hasPreviousPage"]
        if not more:
            break
        assert len(nodes) == size
        cursor = info["startCursor"] if backwards else info["endCursor"]
        if between:
            between(len(pages))
    if backwards:
        pages.reverse()
    return [n for page in pages for n in page]


def both_ways(gql, query, field, size, key, expected, **kw):
    """Forwards and backwards each give `expected` (a list of keys) exactly once, in order."""
    for backwards in (False, True):
        got = [key(n) for n in walk(gql, query, field, size, backwards=backwards, **kw)]
        assert len(got) == len(set(got)), f"{field}: a row came twice ({'backwards' if backwards else 'forwards'})"
        assert got == expected, f"{field} {'backwards' if backwards else 'forwards'}"


@pytest.fixture(scope="module")
def shop(gql, owner):
    slug = new_tenant(owner)
    for role in ("admin", "manager", "editor"):
        new_user(owner, slug, f"{role}@conn.example", role)
    tokens = {role: login(gql, slug, f"{role}@conn.example") for role in ("admin", "manager", "editor")}
    return {"slug": slug, "tokens": tokens}


def _tenant_id(owner, slug):
    return owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]


# ---------------------------------------------------------------- users

USERS = _query("users", "id email role", ", $s: String, $r: UserRole", ", search: $s, role: $r")


def _expected_users(owner, slug, role=None, search=None):
    rows = owner.execute(
        "select id::text from core.users where tenant_id = core.tenant_id_by_slug(%s) "
        "and (%s::text is null or role = %s) and (%s::text is null or email ilike '%%' || %s || '%%' "
        "or display_name ilike '%%' || %s || '%%') order by role = 'customer', lower(email), id",
        (slug, role, role, search, search, search)).fetchall()
    return [r[0] for r in rows]


def test_users_page_both_ways_in_order(gql, owner, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    # staff and customers, emails of mixed case (the order is case-insensitive), more than one page of 100
    owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                  "select core.tenant_id_by_slug(%s), case when i %% 3 = 0 then 'User' else 'user' end || "
                  "lpad(i::text, 3, '0') || '@conn.example', '!', 'Person ' || i, "
                  "(array['customer', 'customer', 'author', 'customer', 'editor'])[1 + i %% 5] "
                  "from generate_series(1, 140) i", (slug,))
    expected = _expected_users(owner, slug)
    assert len(expected) == 143
    both_ways(gql, USERS, "users", 30, lambda n: n["id"], expected, tenant=slug, token=admin)
    both_ways(gql, USERS, "users", 100, lambda n: n["id"], expected, tenant=slug, token=admin)
    first = gql(USERS, {"first": 100}, tenant=slug, token=admin)["data"]["users"]
    assert first["totalCount"] == 143 and first["totalCountCapped"] is False
    roles = [e["node"]["role"] for e in first["edges"]]
    assert "customer" not in roles[:roles.index("customer")] and roles[0] != "customer"   # staff first
    # the filters keep working, and the count follows them
    customers = _expected_users(owner, slug, role="customer")
    both_ways(gql, USERS, "users", 17, lambda n: n["id"], customers, tenant=slug, token=admin, variables={"r": "customer"})
    found = _expected_users(owner, slug, search="user01")
    assert found and len(found) == 10
    both_ways(gql, USERS, "users", 3, lambda n: n["id"], found, tenant=slug, token=admin, variables={"s": "USER01"})
    assert gql(USERS, {"s": "user01", "first": 1}, tenant=slug, token=admin)["data"]["users"]["totalCount"] == 10


def test_users_walk_sees_each_row_once_while_accounts_are_added(gql, owner, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    before = _expected_users(owner, slug)
    added = []

    def sign_ups(_pages):
        # accounts that sort before, among and after the rows already seen
        for prefix in ("aaa", "user050x", "zzz"):
            email = f"{prefix}{uuid.uuid4().hex[:6]}@conn.example"
            owner.execute("insert into core.users (tenant_id, email, password_hash, role) "
                          "values (core.tenant_id_by_slug(%s), %s, '!', 'customer')", (slug, email))
            added.append(email)

    for backwards in (False, True):
        seen = [n["id"] for n in walk(gql, USERS, "users", 20, tenant=slug, token=admin, backwards=backwards,
                                      between=sign_ups)]
        assert len(seen) == len(set(seen))
        assert set(before) <= set(seen)
    assert added


def test_the_user_count_is_capped_and_flagged(gql, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "admin@big.example", "admin")
    admin = login(gql, slug, "admin@big.example")
    owner.execute("insert into core.users (tenant_id, email, password_hash, role) select core.tenant_id_by_slug(%s), "
                  "'c' || i || '@big.example', '!', 'customer' from generate_series(1, 10001) i", (slug,))
    conn = gql(USERS, {"first": 100}, tenant=slug, token=admin)["data"]["users"]
    assert conn["totalCount"] == 10000 and conn["totalCountCapped"] is True
    assert len(conn["edges"]) == 100 and conn["pageInfo"]["hasNextPage"]
    last = gql(USERS, {"last": 2}, tenant=slug, token=admin)["data"]["users"]
    assert [e["node"]["id"] for e in last["edges"]] == _expected_users(owner, slug)[-2:]
    # the keyset order has an index: a page reads its rows, not every account of the tenant
    owner.execute("analyze core.users")
    plan = "\n".join(r[0] for r in owner.execute(
        "explain select id from core.users u where u.tenant_id = core.tenant_id_by_slug(%s) "
        "and (u.role = 'customer', lower(u.email), u.id) > (true, 'c5', '00000000-0000-0000-0000-000000000000'::uuid) "
        "order by u.role = 'customer', lower(u.email), u.id limit 31", (slug,)).fetchall())
    assert "users_staff_order_idx" in plan and "Sort" not in plan, plan


# ---------------------------------------------------------------- price lists

PRICE_LISTS = _query("priceLists", "id title")


def test_price_lists_page_both_ways_ties_broken_by_id(gql, owner, shop):
    slug, manager = shop["slug"], shop["tokens"]["manager"]
    # one statement: every list has the same created_at, so the id alone orders them
    owner.execute("insert into commerce.price_lists (tenant_id, title) select core.tenant_id_by_slug(%s), 'List ' || i "
                  "from generate_series(1, 105) i", (slug,))
    owner.execute("insert into commerce.price_lists (tenant_id, title, created_at) "
                  "values (core.tenant_id_by_slug(%s), 'Older', now() - interval '1 day')", (slug,))
    expected = [r[0] for r in owner.execute(
        "select id::text from commerce.price_lists where tenant_id = core.tenant_id_by_slug(%s) "
        "order by created_at desc, id desc", (slug,)).fetchall()]
    assert len(expected) == 106
    both_ways(gql, PRICE_LISTS, "priceLists", 40, lambda n: n["id"], expected, tenant=slug, token=manager)
    conn = gql(PRICE_LISTS, {"first": 1}, tenant=slug, token=manager)["data"]["priceLists"]
    assert conn["totalCount"] == 106 and conn["totalCountCapped"] is False
    last = gql(PRICE_LISTS, {"last": 1}, tenant=slug, token=manager)["data"]["priceLists"]
    assert last["edges"][0]["node"]["title"] == "Older" and last["pageInfo"]["hasPreviousPage"]


# ---------------------------------------------------------------- stock locations

LOCATIONS = _query("stockLocations", "id name")


def test_stock_locations_page_both_ways_oldest_first(gql, owner, shop):
    slug, manager = shop["slug"], shop["tokens"]["manager"]
    # one statement: equal created_at, the id breaks the tie; one older location first
    owner.execute("insert into commerce.stock_locations (tenant_id, name) select core.tenant_id_by_slug(%s), 'Store ' || i "
                  "from generate_series(1, 104) i", (slug,))
    owner.execute("insert into commerce.stock_locations (tenant_id, name, created_at) "
                  "values (core.tenant_id_by_slug(%s), 'Main warehouse', now() - interval '1 day')", (slug,))
    expected = [r[0] for r in owner.execute(
        "select id::text from commerce.stock_locations where tenant_id = core.tenant_id_by_slug(%s) "
        "order by created_at, id", (slug,)).fetchall()]
    assert len(expected) == 105
    both_ways(gql, LOCATIONS, "stockLocations", 40, lambda n: n["id"], expected, tenant=slug, token=manager)
    first = gql(LOCATIONS, {"first": 1}, tenant=slug, token=manager)["data"]["stockLocations"]
    assert first["totalCount"] == 105 and first["totalCountCapped"] is False
    assert first["edges"][0]["node"]["name"] == "Main warehouse"
    # rename: a taken name is a userError on `name`, nothing written; a good one answers the location
    rename = "mutation($i: ID!, $n: String!) { updateStockLocation(id: $i, name: $n) { location { id name } userErrors { field code message } position } }"
    taken = gql(rename, {"i": expected[0], "n": "Store 1"}, tenant=slug, token=manager)["data"]["updateStockLocation"]
    assert taken["location"] is None and taken["position"] is None
    assert [(e["field"], e["code"]) for e in taken["userErrors"]] == [("name", "DUPLICATE")], taken
    done = gql(rename, {"i": expected[0], "n": "North warehouse"}, tenant=slug, token=manager)["data"]["updateStockLocation"]
    assert done["location"] == {"id": expected[0], "name": "North warehouse"} and done["position"]
    missing = gql(rename, {"i": str(uuid.UUID(int=1)), "n": "Nowhere"}, tenant=slug, token=manager)["data"]["updateStockLocation"]
    assert missing["userErrors"][0]["code"] == "NOT_FOUND"
    assert gql(LOCATIONS, {"first": 1}, tenant=slug, token=manager)["data"]["stockLocations"]["edges"][0]["node"]["name"] \
        == "North warehouse"
    refused = gql(rename, {"i": expected[0], "n": "Editor's"}, tenant=slug, token=shop["tokens"]["editor"], expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------- a price list's prices

PRICES = ("query($v: [ID!], $first: Int, $after: String, $last: Int, $before: String) { node: priceLists(first: 100) "
          "{ nodes { id prices(variantIds: $v, first: $first, after: $after, last: $last, before: $before) { "
          + PAGE % "variantId currencyCode minQuantity amount" + " } } } }")


def test_price_list_prices_page_both_ways_and_one_products_prices_are_replaced(gql, owner, shop):
    slug, manager = shop["slug"], shop["tokens"]["manager"]
    t = _tenant_id(owner, slug)
    variants = [r[0] for r in owner.execute("""
        with p as (insert into commerce.products (tenant_id, title, handle) values (%s, 'Many', 'many-prices') returning id)
        insert into commerce.variants (tenant_id, product_id, title) select %s, p.id, 'V' || i from p, generate_series(1, 60) i
        returning id""", (t, t)).fetchall()]
    plist = owner.execute("insert into commerce.price_lists (tenant_id, title) values (%s, 'Big sale') returning id",
                          (t,)).fetchone()[0]
    owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity, price_list_id) "
                  "select %s, v, 100 + q, c, q, %s from unnest(%s::uuid[]) v, unnest(array['EUR', 'USD']) c, "
                  "generate_series(1, 2) q", (t, plist, variants))
    expected = [f"{v}/{c}/{q}" for v, c, q in owner.execute(
        "select variant_id, currency_code, min_quantity from commerce.prices where price_list_id = %s "
        "order by variant_id, currency_code, min_quantity", (plist,)).fetchall()]
    assert len(expected) == 240

    def walked(backwards, variant_ids=None):
        pages, cursor = [], None
        while True:
            paging = {"last": 70, "before": cursor} if backwards else {"first": 70, "after": cursor}
            lists = gql(PRICES, {"v": variant_ids, **paging}, tenant=slug, token=manager)["data"]["node"]["nodes"]
            conn = next(x for x in lists if x["id"] == str(plist))["prices"]
            pages.append([f"{e['node']['variantId']}/{e['node']['currencyCode']}/{e['node']['minQuantity']}" for e in conn["edges"]])
            if not (conn["pageInfo"]["hasPreviousPage"] if backwards else conn["pageInfo"]["hasNextPage"]):
                return [k for page in (reversed(pages) if backwards else pages) for k in page], conn["totalCount"]
            cursor = conn["pageInfo"]["startCursor"] if backwards else conn["pageInfo"]["endCursor"]

    assert walked(False) == (expected, 240) and walked(True) == (expected, 240)
    one = [str(variants[0])]
    assert walked(False, one)[0] == [k for k in expected if k.startswith(one[0])]
    # replace only one variant's prices: the list's other prices stay
    patch = ("mutation($l: ID!, $v: [ID!], $p: [PriceListPriceInput!]) { updatePriceList(id: $l, input: {variantIds: $v, "
             "prices: $p}) { priceList { priceCount } userErrors { field code message } } }")
    done = gql(patch, {"l": str(plist), "v": one, "p": [{"variantId": one[0], "amount": 5, "currencyCode": "EUR"}]},
               tenant=slug, token=manager)["data"]["updatePriceList"]
    assert done["userErrors"] == [] and done["priceList"]["priceCount"] == 240 - 4 + 1
    stray = gql(patch, {"l": str(plist), "v": one, "p": [{"variantId": str(variants[1]), "amount": 5, "currencyCode": "EUR"}]},
                tenant=slug, token=manager)["data"]["updatePriceList"]
    assert [(e["field"], e["code"]) for e in stray["userErrors"]] == [("prices", "INVALID")]
    assert owner.execute("select count(*) from commerce.prices where price_list_id = %s", (plist,)).fetchone()[0] == 237


# ---------------------------------------------------------------- the admin's flat category list

CATEGORIES = _query("allCategories", "id name rank")


def test_all_categories_page_both_ways_by_rank_then_name(gql, owner, shop):
    slug, manager = shop["slug"], shop["tokens"]["manager"]
    owner.execute("insert into commerce.categories (tenant_id, name, handle, rank) select core.tenant_id_by_slug(%s), "
                  "'Cat ' || (i %% 7), 'cat-' || i, i %% 3 from generate_series(1, 130) i", (slug,))
    expected = [r[0] for r in owner.execute(
        "select id::text from commerce.categories where tenant_id = core.tenant_id_by_slug(%s) order by rank, name, id",
        (slug,)).fetchall()]
    assert len(expected) == 130
    both_ways(gql, CATEGORIES, "allCategories", 40, lambda n: n["id"], expected, tenant=slug, token=manager)
    conn = gql(CATEGORIES, {"first": 1}, tenant=slug, token=manager)["data"]["allCategories"]
    assert conn["totalCount"] == 130 and conn["totalCountCapped"] is False


# ---------------------------------------------------------------- revisions of a node

REVISIONS = ("query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { content(id: $id) { "
             "revisions(first: $first, after: $after, last: $last, before: $before) { " + PAGE % "id title" + " } } }")


def test_revisions_page_both_ways_newest_first(gql, owner, shop, api_db):
    slug, editor = shop["slug"], shop["tokens"]["editor"]
    node = gql('mutation { createNode(input: {kind: page, title: "v0", body: "b0"}) { node { id } } }', tenant=slug,
               token=editor)["data"]["createNode"]["node"]["id"]
    for i in range(1, 106):
        gql('mutation($i: ID!, $t: String!) { updateNode(id: $i, input: {title: $t, body: $t}) { position } }',
            {"i": node, "t": f"v{i}"}, tenant=slug, token=editor)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    expected = [r[0] for r in owner.execute(
        "select id::text from content.revisions where node_id = %s order by created_at desc, id desc", (node,)).fetchall()]
    assert len(expected) >= 105

    def walked(backwards):
        pages, cursor = [], None
        while True:
            paging = {"last": 30, "before": cursor} if backwards else {"first": 30, "after": cursor}
            conn = gql(REVISIONS, {"id": node, **paging}, tenant=slug, token=editor)["data"]["content"]["revisions"]
            pages.append([e["node"]["id"] for e in conn["edges"]])
            if not (conn["pageInfo"]["hasPreviousPage"] if backwards else conn["pageInfo"]["hasNextPage"]):
                break
            cursor = conn["pageInfo"]["startCursor"] if backwards else conn["pageInfo"]["endCursor"]
        if backwards:
            pages.reverse()
        return [i for page in pages for i in page]

    assert walked(False) == expected and walked(True) == expected
    conn = gql(REVISIONS, {"id": node, "first": 1}, tenant=slug, token=editor)["data"]["content"]["revisions"]
    assert conn["totalCount"] == len(expected) and conn["totalCountCapped"] is False
    assert conn["edges"][0]["node"]["id"] == expected[0]
    big = gql(REVISIONS, {"id": node, "first": 101}, tenant=slug, token=editor, expect_errors=True)["errors"][0]
    assert big["extensions"]["code"] == "BAD_USER_INPUT" and big["extensions"]["maxPageSize"] == 100


# ---------------------------------------------------------------- dead letters

DEAD = _query("deadLetters", "consumer eventId lastErrorAt")


def test_dead_letters_page_both_ways(gql, owner, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    tenant = _tenant_id(owner, slug)
    owner.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) "
                  "select %s, 'NodeUpdated', 'node', core.new_id() from generate_series(1, 60)", (tenant,))
    # the same failure time for many (ties on the time: event and consumer decide), and a few without one
    owner.execute("update outbox.deliveries set state = 'dead', last_error = 'boom', "
                  "last_error_at = case when right(event_id::text, 1) < '6' then '2026-01-01T00:00:00Z'::timestamptz "
                  "when right(event_id::text, 1) < 'c' then now() - (attempts || ' seconds')::interval end "
                  "where tenant_id = %s and state = 'pending'", (tenant,))
    expected = [f"{c}/{e}" for c, e in owner.execute(
        "select consumer, event_id::text from outbox.deliveries where tenant_id = %s and state = 'dead' "
        "order by coalesce(last_error_at, '-infinity') desc, event_id desc, consumer desc", (tenant,)).fetchall()]
    assert len(expected) >= 60
    both_ways(gql, DEAD, "deadLetters", 25, lambda n: f"{n['consumer']}/{n['eventId']}", expected, tenant=slug,
              token=admin)
    conn = gql(DEAD, {"first": 5}, tenant=slug, token=admin)["data"]["deadLetters"]
    assert conn["totalCount"] == len(expected)
    with owner.transaction():
        owner.execute("set local enable_seqscan = off")   # a test's queue is tiny: ask whether the index
        owner.execute("set local enable_bitmapscan = off")   # can serve the order, not what is cheapest for 60 rows
        tenant_plan = "\n".join(r[0] for r in owner.execute(
            "explain select event_id from outbox.deliveries d where d.tenant_id = %s and d.state = 'dead' "
            "order by coalesce(d.last_error_at, '-infinity'::timestamptz) desc, d.event_id desc, d.consumer desc "
            "limit 26", (tenant,)).fetchall())
    assert "deliveries_dead_letters_idx" in tenant_plan and "Sort" not in tenant_plan, tenant_plan
    owner.execute("delete from outbox.deliveries where tenant_id = %s", (tenant,))


# ---------------------------------------------------------------- verify

VERIFY = _query("verifyIndex", "aggregateType aggregateId problem")


def test_verify_index_pages_both_ways(gql, owner, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    tenant = _tenant_id(owner, slug)
    # products written behind the projector's back: their read rows are missing
    owner.execute("insert into commerce.products (tenant_id, title, handle) select %s, 'Drift ' || i, 'drift-' || i "
                  "from generate_series(1, 23) i", (tenant,))
    expected = [r[0] for r in owner.execute(
        "select aggregate_id::text from index.verify(%s) order by aggregate_type, aggregate_id", (tenant,)).fetchall()]
    assert len(expected) >= 23
    both_ways(gql, VERIFY, "verifyIndex", 7, lambda n: n["aggregateId"], expected, tenant=slug, token=admin)
    assert gql(VERIFY, {"first": 1}, tenant=slug, token=admin)["data"]["verifyIndex"]["totalCount"] == len(expected)
    owner.execute("delete from outbox.deliveries where tenant_id = %s", (tenant,))
    owner.execute("delete from commerce.products where tenant_id = %s and handle like 'drift-%%'", (tenant,))


# ---------------------------------------------------------------- platform tenants

TENANTS = _query("platformTenants", "id slug", ", $s: String", ", search: $s")


def test_platform_tenants_page_both_ways(gql, owner):
    hq = new_tenant(owner)
    new_user(owner, hq, "ops@conn-hq.example", "admin")
    owner.execute("select ops.grant_platform_admin(%s, 'ops@conn-hq.example')", (hq,))
    op = login(gql, hq, "ops@conn-hq.example")
    prefix = f"pg{uuid.uuid4().hex[:6]}"
    for i in range(23):
        new_tenant(owner, f"{prefix}-{i:02d}")
    expected = [f"{prefix}-{i:02d}" for i in range(23)]
    both_ways(gql, TENANTS, "platformTenants", 5, lambda n: n["slug"], expected, tenant=hq, token=op,
              variables={"s": prefix})
    conn = gql(TENANTS, {"s": prefix, "first": 1}, tenant=hq, token=op)["data"]["platformTenants"]
    assert conn["totalCount"] == 23 and conn["totalCountCapped"] is False
    every = walk(gql, TENANTS, "platformTenants", 100, tenant=hq, token=op)
    assert len(every) == owner.execute("select count(*) from core.tenants").fetchone()[0]
    new_user(owner, hq, "admin@conn-hq.example", "admin")
    body = gql(TENANTS, {"first": 5}, tenant=hq, token=login(gql, hq, "admin@conn-hq.example"), expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------- the page size cap and bad cursors

LISTS = {"users": USERS, "priceLists": PRICE_LISTS, "deadLetters": DEAD, "verifyIndex": VERIFY,
         "stockLocations": LOCATIONS, "allCategories": CATEGORIES}


@pytest.mark.parametrize("field", list(LISTS))
def test_a_page_holds_at_most_100_rows(gql, shop, field):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    for arg in ("first", "last"):
        body = gql(LISTS[field], {arg: 101}, tenant=slug, token=admin, expect_errors=True)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["message"] == f"{arg}: a page has at most 100 rows (got 101); page on with after/before", body
        assert error["extensions"]["maxPageSize"] == 100
    assert gql(LISTS[field], {"first": 100}, tenant=slug, token=admin)["data"][field] is not None


def test_the_platform_list_holds_at_most_100_rows_too(gql, owner):
    hq = new_tenant(owner)
    new_user(owner, hq, "ops@cap-hq.example", "admin")
    owner.execute("select ops.grant_platform_admin(%s, 'ops@cap-hq.example')", (hq,))
    op = login(gql, hq, "ops@cap-hq.example")
    body = gql(TENANTS, {"first": 500}, tenant=hq, token=op, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("first: a page has at most 100 rows (got 500)")


def test_a_cursor_of_another_list_is_refused(gql, owner, shop):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    owner.execute("insert into commerce.price_lists (tenant_id, title) values (core.tenant_id_by_slug(%s), 'One')", (slug,))
    price_cursor = gql(PRICE_LISTS, {"first": 1}, tenant=slug, token=admin)["data"]["priceLists"]["pageInfo"]["endCursor"]
    user_cursor = gql(USERS, {"first": 1}, tenant=slug, token=admin)["data"]["users"]["pageInfo"]["endCursor"]
    for query, field, cursor in ((USERS, "users", price_cursor), (PRICE_LISTS, "priceLists", user_cursor),
                                 (DEAD, "deadLetters", user_cursor), (VERIFY, "verifyIndex", price_cursor),
                                 (USERS, "users", "bm90IGEgY3Vyc29y"), (USERS, "users", "%%%")):
        for arg in ("after", "before"):
            body = gql(query, {arg: cursor}, tenant=slug, token=admin, expect_errors=True)
            error = body["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (field, body)
            assert error["message"].startswith(f"{arg}: not a cursor of this list"), (field, body)


# ---------------------------------------------------------------- permissions, unchanged

@pytest.mark.parametrize("field,allowed,refused", [
    ("users", "admin", "manager"), ("priceLists", "manager", "editor"),
    ("deadLetters", "admin", "manager"), ("verifyIndex", "admin", "manager"), ("stockLocations", "manager", "editor")])
def test_permissions_are_unchanged(gql, shop, field, allowed, refused):
    slug, tokens = shop["slug"], shop["tokens"]
    assert gql(LISTS[field], {"first": 1}, tenant=slug, token=tokens[allowed])["data"][field]["edges"] is not None
    body = gql(LISTS[field], {"first": 1}, tenant=slug, token=tokens[refused], expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None
    body = gql(LISTS[field], {"first": 1}, tenant=slug, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("call", [
    "select * from core.page_users(null, null, null, null, 10)", "select core.count_users(null, null)",
    "select * from commerce.page_price_lists(null, null, 10)", "select commerce.count_price_lists()",
    "select * from outbox.page_dead_letters(null, null, 10)", "select outbox.count_dead_letters()",
    "select * from index.page_verify(null, null, 10)", "select index.count_verify()",
    "select * from core.page_platform_tenants(null, null, null, 10)", "select core.count_platform_tenants(null)",
    "select * from commerce.page_stock_locations(null, null, 10)", "select commerce.count_stock_locations()",
    "select commerce.update_stock_location(core.new_id(), 'x')",
    "select * from commerce.page_categories(null, null, 10)", "select commerce.count_categories()",
    "select * from commerce.page_price_list_prices(core.new_id(), null, null, null, 10)",
    "select commerce.count_price_list_prices(core.new_id(), null)",
    "select * from core.platform_tenant(core.new_id())"])
def test_the_database_refuses_an_editor(api_db, owner, shop, call):
    """From psql as the application role, signed in as an editor: each page and count function checks its
    permission itself."""
    editor = owner.execute("select id from core.users where email = 'editor@conn.example'").fetchone()[0]
    with psycopg.connect(api_db) as conn:
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', core.tenant_id_by_slug(%s)::text, true), "
                     "set_config('rustok.user_id', %s, true), set_config('rustok.actor', 'api', true)",
                     (shop["slug"], str(editor)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission .* is required"):
            conn.execute(call)

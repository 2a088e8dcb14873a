"""The end-to-end loop: a write (raw SQL or a mutation) reaches the outbox, the projector rebuilds the read
row, and a GraphQL query returns it. Plus visibility, search robustness, content bodies and orders."""

import time

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from tests.graphql.conftest import Gql, login, new_tenant, new_user

SEARCH = """query($s: String, $f: ProductFilter, $c: String) {
  products(search: $s, filter: $f, currency: $c) {
    total: totalCount correctedQuery
    items: nodes { handle title inStock priceRange { min { amount } max { amount } } }
    facets { inStock { inStock count } }
  }
}"""


def drain(api_db):
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")


def test_raw_sql_product_reaches_graphql(gql, owner, api_db):
    slug = new_tenant(owner)
    # Written the way an analyst or operator would in psql: plain SQL, no API function.
    owner.execute("""
        with p as (insert into commerce.products (tenant_id, title, handle, description, status)
                   values (core.tenant_id_by_slug(%s), 'Walnut Desk', 'walnut-desk', 'Solid walnut', 'published')
                   returning tenant_id, id),
             v as (insert into commerce.variants (tenant_id, product_id, title, sku)
                   select tenant_id, id, 'Default', 'DESK-1' from p returning tenant_id, id)
        insert into commerce.prices (tenant_id, variant_id, amount, currency_code)
        select tenant_id, id, 45000, 'EUR' from v""", (slug,))
    assert gql(SEARCH, {"s": "walnut"}, tenant=slug)["data"]["products"]["total"] == 0  # not projected yet
    drain(api_db)
    page = gql(SEARCH, {"s": "walnut", "c": "EUR"}, tenant=slug)["data"]["products"]
    assert page["total"] == 1
    assert page["items"][0]["handle"] == "walnut-desk"
    assert page["items"][0]["priceRange"] == {"min": {"amount": 45000}, "max": {"amount": 45000}}
    assert page["facets"]["inStock"] is not None
    # A typo still finds it.
    assert gql(SEARCH, {"s": "walnutt dsk"}, tenant=slug)["data"]["products"]["total"] == 1
    detail = gql('{ product(handle: "walnut-desk") { title description variants { sku prices { amount currencyCode } } } }',
                 tenant=slug)
    assert detail["data"]["product"]["description"] == "Solid walnut"
    assert detail["data"]["product"]["variants"] == [{"sku": "DESK-1", "prices": [{"amount": 45000, "currencyCode": "EUR"}]}]
    # Bulk raw SQL: every product of the tenant renamed in one statement reaches the read model.
    owner.execute("update commerce.products set title = title || ' (sale)' where tenant_id = core.tenant_id_by_slug(%s)",
                  (slug,))
    drain(api_db)
    assert gql(SEARCH, {"s": "walnut"}, tenant=slug)["data"]["products"]["items"][0]["title"] == "Walnut Desk (sale)"


def test_drafts_are_for_staff_only(gql, shop, api_db):
    slug, staff, buyer = shop
    gql('mutation { createProduct(input: {title: "Secret Lamp", handle: "secret-lamp", status: draft}) { position } }',
        tenant=slug, token=staff)
    drain(api_db)
    assert gql(SEARCH, {"s": "lamp"}, tenant=slug)["data"]["products"]["total"] == 0
    assert gql(SEARCH, {"s": "lamp"}, tenant=slug, token=buyer)["data"]["products"]["total"] == 0
    assert gql(SEARCH, {"s": "lamp"}, tenant=slug, token=staff)["data"]["products"]["total"] == 1
    assert gql('{ product(handle: "secret-lamp") { title } }', tenant=slug)["data"]["product"] is None


@pytest.mark.parametrize("text", ['"unbalanced', "a & | ! ( ) : * <->", "ünïcödé 漢字 😀", "", "   ", "x" * 10_000,
                                  "-- drop table", "'; select 1; --", "\\"])
def test_any_search_string_is_results_or_none(gql, owner, text):
    slug = new_tenant(owner)
    page = gql(SEARCH, {"s": text}, tenant=slug)["data"]["products"]
    assert page["total"] >= 0
    contents = gql("query($s: String) { contents(search: $s) { totalCount } }", {"s": text}, tenant=slug)
    assert contents["data"]["contents"]["totalCount"] >= 0


def test_bad_page_arguments_are_clear(gql, owner):
    slug = new_tenant(owner)
    bad = gql("{ products(first: -1) { totalCount } }", tenant=slug, expect_errors=True)["errors"][0]
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    sort = gql("{ products(sort: price_asc) { totalCount } }", tenant=slug, expect_errors=True)["errors"][0]
    assert sort["extensions"]["code"] == "BAD_USER_INPUT" and "currency" in sort["message"]


def test_content_page_with_body_and_listing(gql, shop, api_db):
    slug, staff, _ = shop
    node = gql('mutation { createNode(input: {kind: post, title: "Release notes", body: "# Big\\nNews", '
               'excerpt: "What changed"}) { node { id } } }', tenant=slug, token=staff)["data"]["createNode"]["node"]
    gql('mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids } }', {"ids": [node["id"]]}, tenant=slug, token=staff)
    drain(api_db)
    page = gql('{ content(kind: post, slug: "release-notes") { title body bodyFormat excerpt author { name } status } }',
               tenant=slug)["data"]["content"]
    assert page["body"] == "# Big\nNews" and page["status"] == "published" and page["author"]["name"] == "Staff"
    listing = gql('{ contents(kind: post, search: "release") { totalCount nodes { slug bodyPreview } } }', tenant=slug)
    assert listing["data"]["contents"]["nodes"][0]["slug"] == "release-notes"
    assert gql('{ content(kind: page, slug: "release-notes") { title } }', tenant=slug)["data"]["content"] is None


def test_orders_customers_see_their_own(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@x.example", "admin")
    new_user(owner, slug, "ann@x.example", "customer")
    new_user(owner, slug, "bob@x.example", "customer")
    boss, ann, bob = (login(gql, slug, e) for e in ("boss@x.example", "ann@x.example", "bob@x.example"))
    variant = gql('mutation { createProduct(input: {title: "Pen", handle: "pen", status: published, variants: '
                  '[{sku: "PEN", prices: [{amount: 150, currencyCode: "EUR"}], stock: 10}]}) '
                  '{ product { variants { id } } } }', tenant=slug, token=boss)["data"]["createProduct"]["product"]
    vid = variant["variants"][0]["id"]
    for token, qty in ((ann, 1), (bob, 2)):
        gql('mutation($v: ID!, $q: Int!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: $q}]}) '
            '{ order { id } } }', {"v": vid, "q": qty}, tenant=slug, token=token)
    drain(api_db)
    q = "{ orders { nodes { total { amount } itemCount email lines { sku quantity } } } }"
    assert [o["email"] for o in gql(q, tenant=slug, token=ann)["data"]["orders"]["nodes"]] == ["ann@x.example"]
    assert sorted(o["total"]["amount"] for o in gql(q, tenant=slug, token=boss)["data"]["orders"]["nodes"]) == [150, 300]
    assert gql(q, tenant=slug, expect_errors=True)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_mutation_to_query_through_the_running_worker(api_db, owner):
    """The whole loop with the real projector running inside the app (as under `rustok up`)."""
    slug = new_tenant(owner)
    new_user(owner, slug, "ops@x.example", "admin")
    settings = Settings(database_url=api_db)
    with TestClient(create_app(api_db, settings=settings, run_worker=True)) as client:
        gql = Gql(client)
        token = login(gql, slug, "ops@x.example")
        result = gql('mutation { createProduct(input: {title: "Oak Chair", handle: "oak-chair", status: published}) '
                     '{ position } }', tenant=slug, token=token)["data"]["createProduct"]
        deadline = time.monotonic() + 30
        while not gql("query($p: ID!) { indexCaughtUp(position: $p) }", {"p": result["position"]},
                      tenant=slug)["data"]["indexCaughtUp"]:
            assert time.monotonic() < deadline, "the projector did not catch up"
            time.sleep(0.1)
        page = gql(SEARCH, {"s": "oak"}, tenant=slug)["data"]["products"]
        assert [i["handle"] for i in page["items"]] == ["oak-chair"]

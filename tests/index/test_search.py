"""Storefront search: ranking, typos, prefixes, hostile input, filters, facets, visibility, RLS."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import act_as_app, make_tenant


def search(shop, query=None, filters=None, **kw):
    args = {"t": shop.t, "q": query, "f": Jsonb(filters or {}), "s": kw.get("sort"), "l": kw.get("limit", 20),
            "o": kw.get("offset", 0), "c": kw.get("currency"), "u": kw.get("unpublished", False)}
    return shop.scalar("select index.search_products(%(t)s, %(q)s, %(f)s, %(s)s, %(l)s, %(o)s, %(c)s, %(u)s)", args)


def titles(result):
    return [i["title"] for i in result["items"]]


@pytest.fixture
def catalog(shop):
    shop.product("Espresso Machine", description="Makes strong coffee at home")
    shop.product("Ceramic Mug", description="Perfect for espresso and tea")
    shop.product("Café Grinder", subtitle="Burr grinder", description="Grinds beans")
    shop.product("Hidden Prototype", status="draft", description="espresso secret")
    shop.drain()
    return shop


def test_title_match_ranks_above_body_match(catalog):
    r = search(catalog, "espresso")
    assert titles(r) == ["Espresso Machine", "Ceramic Mug"]
    assert r["items"][0]["rank"] > r["items"][1]["rank"] and r["sort"] == "relevance"


def test_unaccented_and_stemmed(catalog):
    assert titles(search(catalog, "cafe")) == ["Café Grinder"]
    assert titles(search(catalog, "grinders")) == ["Café Grinder"]


def test_typo_still_finds_the_product(catalog):
    r = search(catalog, "espreso machne")
    assert titles(r)[0] == "Espresso Machine" and r["correctedQuery"] == "espresso machine"
    r = search(catalog, "grnder")
    assert titles(r) == ["Café Grinder"]


def test_prefix_finds_it_while_typing(catalog):
    for typed in ("e", "es", "esp", "espr", "espres", "espress"):
        r = search(catalog, typed)
        if len(typed) >= 2:
            assert "Espresso Machine" in titles(r), typed
    assert titles(search(catalog, "ceramic m")) == ["Ceramic Mug"]
    assert titles(search(catalog, "gri")) == ["Café Grinder"]


@pytest.mark.parametrize("query", [
    "", "   ", "'", "\"", "\"unterminated", "a & b | !c", "(((", ")", ":*", "foo:*", "!!!", "-", "--", "-espresso",
    "espresso OR mug", "\"ceramic mug\"", "😀☕", "日本語 検索", "Привет мир", "\\", "%_", "null", "' or 1=1 --",
    "a" * 10240, "espresso " * 1200, "<script>alert(1)</script>", "\t\n\r", "e\u0301spresso",
])
def test_any_string_returns_results_or_none_never_an_error(catalog, query):
    r = search(catalog, query)
    assert isinstance(r["items"], list) and r["total"] >= 0


def test_websearch_syntax(catalog):
    assert titles(search(catalog, "espresso -mug")) == ["Espresso Machine"]
    assert set(titles(search(catalog, "grinder or mug"))) == {"Café Grinder", "Ceramic Mug"}


def test_visibility_public_vs_staff(catalog):
    assert "Hidden Prototype" not in titles(search(catalog, "espresso"))
    staff = search(catalog, "espresso", unpublished=True)
    assert "Hidden Prototype" in titles(staff)
    assert titles(search(catalog, None, {"status": ["draft"]}, unpublished=True)) == ["Hidden Prototype"]
    with pytest.raises(psycopg.Error) as info:
        with catalog.conn.transaction():
            search(catalog, None, {"status": ["draft"]})
    assert info.value.sqlstate == "22023" and "p_filters.status" in str(info.value)


def test_filters_sort_page_and_facets_in_one_call(shop):
    cat_a = shop.category("Shoes", "shoes")
    cat_b = shop.category("Boots", "boots")
    tag = shop.tag("Waterproof")
    for i, (amount, stocked, cat) in enumerate([(1500, 3, cat_a), (3000, 0, cat_a), (7000, 2, cat_b), (12000, 1, cat_b)]):
        p, _ = shop.full_product(f"Hiking shoe {i}", amount=amount, stocked=stocked)
        shop.conn.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                          (shop.t, p["id"], cat["id"]))
        if i % 2 == 0:
            shop.conn.execute("select content.attach_tags(%s, 'product', %s)", ([tag["id"]], [p["id"]]))
    shop.drain()
    r = search(shop, "shoe", currency="EUR", sort="price_asc", limit=2)
    assert r["total"] == 4 and titles(r) == ["Hiking shoe 0", "Hiking shoe 1"]
    assert r["items"][0]["price"] == {"currencyCode": "EUR", "min": 1500, "max": 1500}
    f = r["facets"]
    assert {c["handle"]: c["count"] for c in f["categories"]} == {"shoes": 2, "boots": 2}
    assert f["tags"] == [{"slug": "waterproof", "name": "Waterproof", "count": 2}]
    assert f["inStock"] == {"true": 3, "false": 1}
    assert {(b["min"], b["count"]) for b in f["priceBuckets"]} == {(1000, 1), (2500, 1), (5000, 1), (10000, 1)}
    r2 = search(shop, "shoe", currency="EUR", sort="price_asc", limit=2, offset=2)
    assert titles(r2) == ["Hiking shoe 2", "Hiking shoe 3"]
    r3 = search(shop, None, {"categoryHandles": ["boots"], "inStock": True, "priceMax": 10000}, currency="EUR")
    assert titles(r3) == ["Hiking shoe 2"]
    r4 = search(shop, None, {"tags": ["waterproof"]}, sort="price_desc", currency="EUR")
    assert titles(r4) == ["Hiking shoe 2", "Hiking shoe 0"]
    r5 = search(shop, None, {"categoryIds": [str(cat_a["id"])], "priceBuckets": [0, 2000]}, currency="EUR")
    assert {(b["min"], b["max"], b["count"]) for b in r5["facets"]["priceBuckets"]} == {(0, 2000, 1), (2000, None, 1)}


@pytest.mark.parametrize("kw, field", [
    ({"limit": 0}, "p_limit"), ({"limit": 101}, "p_limit"), ({"offset": -1}, "p_offset"),
    ({"sort": "cheapest"}, "p_sort"), ({"sort": "price_asc"}, "p_currency"), ({"currency": "eur"}, "p_currency"),
    ({"filters": {"colour": "red"}}, "p_filters.colour"), ({"filters": {"categoryIds": ["nope"]}}, "p_filters.categoryIds"),
    ({"filters": {"priceMin": "ten"}, "currency": "EUR"}, "p_filters.priceMin"),
    ({"filters": {"priceMin": 10}}, "p_currency"), ({"filters": {"inStock": "yes"}}, "p_filters.inStock"),
    ({"filters": {"tags": "a"}}, "p_filters.tags"), ({"filters": {"priceBuckets": [5, 1]}}, "p_filters.priceBuckets"),
])
def test_bad_arguments_are_22023_naming_the_field(shop, kw, field):
    filters = kw.pop("filters", None)
    with pytest.raises(psycopg.Error) as info:
        with shop.conn.transaction():
            search(shop, "x", filters, **kw)
    assert info.value.sqlstate == "22023" and field in str(info.value)


def test_rls_keeps_tenants_apart_for_the_app_role(conn, shop):
    shop.product("Secret Sauce")
    shop.drain()
    other = make_tenant(conn)
    act_as_app(conn, other["id"])
    assert search(shop, "sauce")["total"] == 0          # the other tenant's context: no rows of shop
    assert conn.execute("select count(*) as n from index.products").fetchone()["n"] == 0
    conn.execute("select core.set_tenant(%s)", (shop.t,))
    assert titles(search(shop, "sauce")) == ["Secret Sauce"]


def test_get_product_page(shop):
    p, v = shop.full_product("Desk Lamp", amount=4200)
    shop.drain()
    page = shop.scalar("select index.get_product(%s, %s)", (shop.t, p["handle"]))
    assert page["title"] == "Desk Lamp" and page["variants"][0]["prices"] == {"EUR": 4200} and page["inStock"] is True
    shop.conn.execute("update commerce.products set status = 'draft' where id = %s", (p["id"],))
    shop.drain()
    assert shop.scalar("select index.get_product(%s, %s)", (shop.t, p["handle"])) is None
    assert shop.scalar("select index.get_product(%s, %s, true)", (shop.t, p["handle"]))["status"] == "draft"


def test_search_content_title_above_body_filters_and_facets(shop, conn):
    a = shop.node("post", "Sourdough basics", status="published", published_at=None)
    b = shop.node("post", "Weekend notes", status="published")
    shop.body(b["id"], "I baked sourdough again.")
    d = shop.node("post", "Sourdough draft")
    shop.node("page", "About us", status="published")
    tag = shop.tag("Baking")
    conn.execute("select content.attach_tags(%s, 'node', %s)", ([tag["id"]], [a["id"], b["id"]]))
    shop.drain()
    r = shop.scalar("select index.search_content(%s, 'sourdough')", (shop.t,))
    assert [i["title"] for i in r["items"]] == ["Sourdough basics", "Weekend notes"]
    assert r["facets"]["tags"] == [{"slug": "baking", "name": "Baking", "count": 2}]
    staff = shop.scalar("select index.search_content(%s, 'sourdough', p_include_unpublished => true)", (shop.t,))
    assert {i["id"] for i in staff["items"]} == {str(a["id"]), str(b["id"]), str(d["id"])}
    pages = shop.scalar("select index.search_content(%s, null, '{\"kinds\": [\"page\"]}')", (shop.t,))
    assert [i["title"] for i in pages["items"]] == ["About us"]
    typo = shop.scalar("select index.search_content(%s, 'sourdugh')", (shop.t,))
    assert typo["total"] == 2 and typo["correctedQuery"] == "sourdough"
    assert shop.scalar("select index.get_content(%s, 'post', %s)", (shop.t, a["slug"]))["tags"][0]["slug"] == "baking"
    assert shop.scalar("select index.get_content(%s, 'post', %s)", (shop.t, d["slug"])) is None

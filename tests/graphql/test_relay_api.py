"""The typed storefront schema and Relay paging over HTTP: products with variants, option values, prices
(sale and original), categories with parent and children, tags, SEO; node(id:) / nodes(ids:); keyset
connections in every sort, forwards and backwards; page size and cursor errors; typed facets."""

from __future__ import annotations

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user


def drain(api_db):
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")


@pytest.fixture(scope="module")
def catalog(gql, owner, api_db):
    """A shop with a category tree, a product with options and two variants, tags, SEO meta, and a few
    plain products: (slug, staff token, ids)."""
    slug = new_tenant(owner)
    new_user(owner, slug, "staff@cat.example", "admin")
    ids = {}
    t = owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    ids["clothes"] = owner.execute("insert into commerce.categories (tenant_id, name, handle) values (%s, 'Clothes', 'clothes') "
                                   "returning id", (t,)).fetchone()[0]
    ids["shirts"] = owner.execute("insert into commerce.categories (tenant_id, parent_id, name, handle, rank) "
                                  "values (%s, %s, 'Shirts', 'shirts', 1) returning id", (t, ids["clothes"])).fetchone()[0]
    ids["tee"] = owner.execute("insert into commerce.products (tenant_id, title, handle, description, status, metadata) "
                               "values (%s, 'Blue Tee', 'blue-tee', 'Soft cotton tee', 'published', '{\"fit\": \"slim\"}') "
                               "returning id", (t,)).fetchone()[0]
    size = owner.execute("insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Size') returning id",
                         (t, ids["tee"])).fetchone()[0]
    values = {v: owner.execute("insert into commerce.option_values (tenant_id, option_id, value, position) "
                               "values (%s, %s, %s, %s) returning id", (t, size, v, i)).fetchone()[0]
              for i, v in enumerate(["M", "L"])}
    ids["variants"] = {}
    for pos, (sku, value, amount) in enumerate([("TEE-M", "M", 2000), ("TEE-L", "L", 2500)]):
        vid = owner.execute("insert into commerce.variants (tenant_id, product_id, title, sku, position, manage_inventory) "
                            "values (%s, %s, %s, %s, %s, false) returning id", (t, ids["tee"], value, sku, pos)).fetchone()[0]
        ids["variants"][sku] = vid
        owner.execute("insert into commerce.variant_options (tenant_id, variant_id, option_value_id, option_id, product_id) "
                      "values (%s, %s, %s, %s, %s)", (t, vid, values[value], size, ids["tee"]))
        owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, %s, 'EUR')",
                      (t, vid, amount))
    owner.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                  (t, ids["tee"], ids["shirts"]))
    ids["tag"] = owner.execute("insert into content.tags (tenant_id, name, slug) values (%s, 'Summer', 'summer') returning id",
                               (t,)).fetchone()[0]
    owner.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'product', %s)",
                  (t, ids["tag"], ids["tee"]))
    owner.execute("insert into content.meta (tenant_id, target_type, target_id, title, description) "
                  "values (%s, 'product', %s, 'Blue Tee | Shop', 'The tee')", (t, ids["tee"]))
    for i in range(5):
        owner.execute("insert into commerce.products (tenant_id, title, handle, status) values (%s, %s, %s, 'published')",
                      (t, f"Plain {i}", f"plain-{i}"))
    drain(api_db)
    return slug, login(gql, slug, "staff@cat.example"), ids, t


PRODUCT = """query($h: String) { product(handle: $h) {
  id title handle description status metadata
  priceRange(currency: "EUR") { min { amount currencyCode } max { amount currencyCode } }
  price(currency: "EUR") { calculated { amount } original { amount } onSale priceListType }
  variants { id sku title position inStock available selectedOptions { name value } prices { amount currencyCode }
             price(currency: "EUR", quantity: 2) { calculated { amount } } }
  options { title values }
  categories { handle name parent { handle } }
  tags { id name slug }
  seo { title description canonicalUrl }
} }"""


def test_product_detail_is_typed(gql, catalog):
    slug, _, ids, _ = catalog
    p = gql(PRODUCT, {"h": "blue-tee"}, tenant=slug)["data"]["product"]
    assert p["id"] == str(ids["tee"]) and p["metadata"] == {"fit": "slim"}
    assert p["priceRange"] == {"min": {"amount": 2000, "currencyCode": "EUR"}, "max": {"amount": 2500, "currencyCode": "EUR"}}
    assert p["price"] == {"calculated": {"amount": 2000}, "original": {"amount": 2000}, "onSale": False, "priceListType": None}
    assert [(v["sku"], v["selectedOptions"], v["prices"]) for v in p["variants"]] == [
        ("TEE-M", [{"name": "Size", "value": "M"}], [{"amount": 2000, "currencyCode": "EUR"}]),
        ("TEE-L", [{"name": "Size", "value": "L"}], [{"amount": 2500, "currencyCode": "EUR"}])]
    assert p["variants"][0]["price"] == {"calculated": {"amount": 2000}}
    assert p["variants"][0]["inStock"] is True and p["variants"][0]["available"] is None   # inventory not managed
    assert p["options"] == [{"title": "Size", "values": ["M", "L"]}]
    assert p["categories"] == [{"handle": "shirts", "name": "Shirts", "parent": {"handle": "clothes"}}]
    assert p["tags"] == [{"id": str(ids["tag"]), "name": "Summer", "slug": "summer"}]
    assert p["seo"] == {"title": "Blue Tee | Shop", "description": "The tee", "canonicalUrl": None}
    # the same product by id; unknown handle or id is null
    assert gql("query($i: ID) { product(id: $i) { handle } }", {"i": str(ids["tee"])}, tenant=slug)["data"]["product"] == {
        "handle": "blue-tee"}
    assert gql('{ product(handle: "nope") { id } }', tenant=slug)["data"]["product"] is None
    err = gql("{ product { id } }", tenant=slug, expect_errors=True)["errors"][0]
    assert err["extensions"]["code"] == "BAD_USER_INPUT" and "id or handle" in err["message"]


def test_sale_price_shows_while_active_and_base_price_after_expiry(gql, owner, catalog):
    slug, _, ids, t = catalog
    plist = owner.execute("insert into commerce.price_lists (tenant_id, title, type, status, starts_at, ends_at) "
                          "values (%s, 'Summer sale', 'sale', 'active', now() - interval '1 hour', now() + interval '1 hour') "
                          "returning id", (t,)).fetchone()[0]
    owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id) "
                  "values (%s, %s, 1500, 'EUR', %s)", (t, ids["variants"]["TEE-M"], plist))
    q = """query { products(search: "tee", currency: "EUR") { nodes { handle
              price { calculated { amount currencyCode } original { amount } onSale priceListType } } } }"""
    card = gql(q, tenant=slug)["data"]["products"]["nodes"][0]
    assert card["price"] == {"calculated": {"amount": 1500, "currencyCode": "EUR"}, "original": {"amount": 2000},
                             "onSale": True, "priceListType": "sale"}
    # the sale ends (its window passes): no reindex, the next read shows the base price
    owner.execute("update commerce.price_lists set starts_at = now() - interval '2 hours', ends_at = now() - interval '1 second' "
                  "where id = %s", (plist,))
    card = gql(q, tenant=slug)["data"]["products"]["nodes"][0]
    assert card["price"] == {"calculated": {"amount": 2000, "currencyCode": "EUR"}, "original": {"amount": 2000},
                             "onSale": False, "priceListType": None}
    owner.execute("delete from commerce.price_lists where id = %s", (plist,))


def test_category_tree_and_category_products(gql, catalog):
    slug, _, ids, _ = catalog
    tree = gql("{ categories { handle children { handle parent { handle } products { totalCount nodes { handle } } } } }",
               tenant=slug)["data"]["categories"]
    assert tree == [{"handle": "clothes", "children": [
        {"handle": "shirts", "parent": {"handle": "clothes"}, "products": {"totalCount": 1, "nodes": [{"handle": "blue-tee"}]}}]}]
    assert gql('{ category(handle: "shirts") { id name } }', tenant=slug)["data"]["category"] == {
        "id": str(ids["shirts"]), "name": "Shirts"}


def test_typed_facets(gql, catalog):
    slug, _, ids, _ = catalog
    f = gql("""{ products(currency: "EUR", filter: {priceBuckets: [0, 2100]}) { facets {
                  categories { category { handle parent { handle } } count }
                  tags { tag { id slug name } count }
                  priceBuckets { min { amount } max { amount } count }
                  inStock { inStock count } } } }""", tenant=slug)["data"]["products"]["facets"]
    assert f["categories"] == [{"category": {"handle": "shirts", "parent": {"handle": "clothes"}}, "count": 1}]
    assert f["tags"] == [{"tag": {"id": str(ids["tag"]), "slug": "summer", "name": "Summer"}, "count": 1}]
    assert f["priceBuckets"] == [{"min": {"amount": 0}, "max": {"amount": 2100}, "count": 1}]
    assert {(s["inStock"], s["count"]) for s in f["inStock"]} == {(True, 1), (False, 5)}


def test_node_and_nodes_refetch_every_type(gql, catalog):
    slug, staff, ids, _ = catalog
    q = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
             ... on Product { handle } ... on Variant { sku product { handle } } ... on Category { handle }
             ... on Tag { slug } } }"""
    wanted = [ids["tee"], ids["variants"]["TEE-L"], ids["shirts"], ids["tag"], "01a214ad-19b8-19f6-9911-98b1bd41a6a0"]
    got = gql(q, {"ids": [str(i) for i in wanted]}, tenant=slug)["data"]["nodes"]
    assert got == [
        {"__typename": "Product", "id": str(ids["tee"]), "handle": "blue-tee"},
        {"__typename": "Variant", "id": str(ids["variants"]["TEE-L"]), "sku": "TEE-L", "product": {"handle": "blue-tee"}},
        {"__typename": "Category", "id": str(ids["shirts"]), "handle": "shirts"},
        {"__typename": "Tag", "id": str(ids["tag"]), "slug": "summer"},
        None]
    one = gql("query($i: ID!) { node(id: $i) { __typename id } }", {"i": str(ids["tee"])}, tenant=slug)["data"]["node"]
    assert one == {"__typename": "Product", "id": str(ids["tee"])}
    bad = gql('{ node(id: "not-an-id") { id } }', tenant=slug, expect_errors=True)["errors"][0]
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    many = gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [str(ids["tee"])] * 101}, tenant=slug,
               expect_errors=True)["errors"][0]
    assert many["extensions"]["code"] == "BAD_USER_INPUT" and "100" in many["message"]


def test_node_hides_what_the_caller_may_not_see(gql, owner, api_db, catalog):
    slug, staff, _, t = catalog
    draft = owner.execute("insert into commerce.products (tenant_id, title, handle, status) values (%s, 'Hidden', 'hidden', 'draft') "
                          "returning id", (t,)).fetchone()[0]
    drain(api_db)
    q = "query($i: ID!) { node(id: $i) { id } }"
    assert gql(q, {"i": str(draft)}, tenant=slug)["data"]["node"] is None
    assert gql(q, {"i": str(draft)}, tenant=slug, token=staff)["data"]["node"] == {"id": str(draft)}
    other = new_tenant(owner)
    assert gql(q, {"i": str(draft)}, tenant=other)["data"]["node"] is None   # another tenant: row-level security
    owner.execute("delete from commerce.products where id = %s", (draft,))
    drain(api_db)


WALK = """query($s: ProductSort, $q: String, $first: Int, $after: String, $last: Int, $before: String) {
  products(search: $q, sort: $s, currency: "EUR", first: $first, after: $after, last: $last, before: $before) {
    sort edges { cursor node { handle } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def walk(gql, slug, sort, search=None, size=2, backwards=False):
    seen, cursor = [], None
    while True:
        args = {"s": sort, "q": search}
        args.update({"last": size, "before": cursor} if backwards else {"first": size, "after": cursor})
        page = gql(WALK, args, tenant=slug)["data"]["products"]
        handles = [e["node"]["handle"] for e in page["edges"]]
        seen = handles + seen if backwards else seen + handles
        info = page["pageInfo"]
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"] and info["endCursor"] == page["edges"][-1]["cursor"]
        if not (info["hasPreviousPage"] if backwards else info["hasNextPage"]):
            return seen
        cursor = info["startCursor"] if backwards else info["endCursor"]


@pytest.mark.parametrize("sort", ["newest", "title_asc", "title_desc", "price_asc", "price_desc"])
def test_walk_forwards_and_backwards_gives_the_same_order(gql, catalog, sort):
    slug = catalog[0]
    forwards = walk(gql, slug, sort)
    assert sorted(forwards) == sorted(["blue-tee"] + [f"plain-{i}" for i in range(5)])
    assert walk(gql, slug, sort, backwards=True) == forwards
    if sort == "title_asc":
        assert forwards == ["blue-tee", "plain-0", "plain-1", "plain-2", "plain-3", "plain-4"]
    if sort == "price_desc":
        assert forwards[0] == "blue-tee"   # the only product with a EUR price; those without come last


def test_relevance_paging(gql, catalog):
    slug = catalog[0]
    assert walk(gql, slug, "relevance", search="plain", size=2) == walk(gql, slug, "relevance", search="plain",
                                                                        size=3, backwards=True)
    page = gql(WALK, {"s": "relevance", "first": 1}, tenant=slug)["data"]["products"]
    assert page["sort"] == "newest"   # nothing to rank without search text


def test_page_size_and_cursor_errors(gql, catalog):
    slug = catalog[0]

    def error(args):
        return gql(WALK, args, tenant=slug, expect_errors=True)["errors"][0]

    big = error({"first": 101})
    assert big["extensions"]["code"] == "BAD_USER_INPUT" and "at most 100" in big["message"]
    assert big["extensions"]["maxPageSize"] == 100
    assert "100" in error({"last": 500})["message"]
    assert "one of them" in error({"first": 1, "last": 1})["message"]
    assert error({"first": -1})["extensions"]["code"] == "BAD_USER_INPUT"
    for cursor in ("garbage!", "eyJ4IjoxfQ", "eyJzIjoibmV3ZXN0IiwiayI6WyJ4IiwieSJdfQ"):   # not base64 JSON, {"x":1}, bad key
        e = error({"first": 1, "after": cursor})
        assert e["extensions"]["code"] == "BAD_USER_INPUT" and "not a cursor" in e["message"], e
    newest = gql(WALK, {"s": "newest", "first": 1}, tenant=slug)["data"]["products"]["pageInfo"]["endCursor"]
    e = error({"s": "title_asc", "first": 1, "after": newest})
    assert "sorted by newest" in e["message"] and "sqlstate" in e["extensions"] and "CONTEXT" not in e["message"]
    assert gql(WALK, {"first": 0}, tenant=slug)["data"]["products"]["edges"] == []


def test_total_count(gql, catalog):
    slug = catalog[0]
    page = gql("{ products(first: 1) { totalCount totalCountCapped edges { node { id } } } }", tenant=slug)["data"]["products"]
    assert page["totalCount"] == 6 and page["totalCountCapped"] is False and len(page["edges"]) == 1


def test_the_schema_has_no_json_field_but_metadata(gql):
    """Every structure we own is typed: JSON remains only for free-form `metadata` (outputs and inputs)."""
    schema = gql("""{ __schema { types { name kind
        fields { name type { ...T } } inputFields { name type { ...T } } } } }
        fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }""")["data"]["__schema"]

    def named(t):
        while t.get("ofType"):
            t = t["ofType"]
        return t["name"]

    found = sorted(f"{t['name']}.{f['name']}" for t in schema["types"] if not t["name"].startswith("__")
                   for f in (t["fields"] or []) + (t["inputFields"] or []) if named(f["type"]) == "JSON")
    assert found and all(name.endswith(".metadata") for name in found), found


# List fields that are not connections, each with what bounds it (the audit of issue 12 in docs/graphql.md, "Paging").
# A list is here because it is one object's own parts, a fixed set, or a tree/facet that the API caps.
BOUNDED_LISTS = {
    # a fixed or tiny set
    "Query.modules": "the installed modules (5)", "Query.opsStatus": "one row per outbox consumer",
    "Query.opsHealth": "the fixed health checks", "User.permissions": "the permissions of one role (17 at most)",
    "Query.nodes": "the ids asked for (at most 100)", "IndexDrift.columns": "the columns of one read row",
    "EventPayload.otherKeys": "keys of one event payload", "PriceList.customerGroups": "one rule's values",
    "Query.tenantDomains": "a tenant's host names", "PlatformTenant.domains": "a tenant's host names",
    # facets: counts per value of one listing, capped by the read functions
    "ProductFacets.categories": "facet", "ProductFacets.tags": "facet", "ProductFacets.priceBuckets": "facet",
    "ProductFacets.inStock": "facet (2)", "ContentFacets.kinds": "facet (3)", "ContentFacets.categories": "facet",
    "ContentFacets.tags": "facet",
    # one object's own parts
    "Product.currencies": "part", "Product.variants": "part", "Product.options": "part", "Product.categories": "part",
    "Product.tags": "part", "Product.images": "part", "ProductOption.values": "part", "Variant.selectedOptions": "part",
    "Variant.prices": "part", "Variant.stock": "one row per stock location", "Content.tags": "part",
    "Content.images": "part", "Content.reactions": "one count per reaction kind", "Content.viewerReactions": "part",
    "Order.lines": "part", "Cart.lines": "part", "ProductRecord.variants": "part", "VariantRecord.prices": "part",
    "OrderRecord.items": "part", "NodeRecord.tags": "part", "NodeRecord.images": "part",
    # category trees (a shop's navigation), and the admin's flat category list
    "Query.categories": "tree (at most 1,000 catalog categories a shop)",
    "Query.contentCategories": "tree (at most 1,000 content categories a shop)", "Category.children": "tree",
    "ContentCategory.children": "tree",

    # mutation answers: the objects the mutation changed
    "SetTagsResult.tags": "answer", "MediaListResult.media": "answer", "BatchResult.ids": "answer",
}


def test_every_list_field_of_an_object_is_a_connection_or_a_bounded_part(gql):
    """Lists that grow without bound are connections; every other list field is named in BOUNDED_LISTS with what
    bounds it, and no list field takes paging arguments without being a connection."""
    schema = gql("""{ __schema { types { name kind fields { name args { name } type { ...T } } } } }
        fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }""")["data"]["__schema"]

    def unwrap(t):
        is_list = False
        while t.get("ofType"):
            is_list = is_list or t["kind"] == "LIST"
            t = t["ofType"]
        return t["name"], is_list

    roots = {f["name"]: unwrap(f["type"])[0] for t in schema["types"] if t["name"] == "Query" for f in t["fields"]}
    for name in ("products", "contents", "orders", "search", "staffOrders", "staffTags", "users", "priceLists",
                 "deadLetters", "verifyIndex", "platformTenants", "mediaLibrary", "stockLocations", "allCategories"):
        assert roots[name].endswith("Connection"), name
    unlisted, paged_lists = [], []
    for t in schema["types"]:
        if t["kind"] != "OBJECT" or t["name"].startswith("__") or t["name"].endswith(("Connection", "Edge")):
            continue
        for f in t["fields"]:
            target, is_list = unwrap(f["type"])
            name = f"{t['name']}.{f['name']}"
            paging = {a["name"] for a in f["args"]} & {"first", "after", "last", "before"}
            if paging and not target.endswith("Connection"):
                paged_lists.append(name)
            if is_list and f["name"] != "userErrors" and name not in BOUNDED_LISTS:
                unlisted.append(name)
    assert paged_lists == [], f"paging arguments on a field that is not a connection: {paged_lists}"
    assert unlisted == [], f"list fields that are neither connections nor named bounded parts: {unlisted}"
    # the event payload is a typed object, not JSON text
    event = next(t for t in schema["types"] if t["name"] == "Event")
    assert unwrap(next(f for f in event["fields"] if f["name"] == "payload")["type"])[0] == "EventPayload"

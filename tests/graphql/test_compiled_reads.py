"""Compiled storefront reads (issue 13 item 3): every storefront read an anonymous visitor sends gives the same
response bytes through the compiled path (one SQL statement building the JSON) and through ordinary execution;
what the compiler does not cover falls back, and errors are reported by ordinary execution exactly as before."""

from __future__ import annotations

import dataclasses
import uuid

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from tests.graphql.conftest import login, new_tenant, new_user


def drain(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")


@pytest.fixture(scope="module")
def both(api_db):
    """Two apps on the same database: compiled reads on (the default) and off."""
    on = Settings.from_env()
    off = dataclasses.replace(on, compiled_reads=False)
    with TestClient(create_app(api_db, settings=on)) as c_on, TestClient(create_app(api_db, settings=off)) as c_off:
        yield c_on, c_off


@pytest.fixture(scope="module")
def shop(both, owner, api_db):
    slug = new_tenant(owner)
    t = owner.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    cat = owner.execute("insert into commerce.categories (tenant_id, name, handle) values (%s, 'Shirts \"&\" Tees', 'shirts') "
                        "returning id", (t,)).fetchone()[0]
    tag = owner.execute("insert into content.tags (tenant_id, name, slug) values (%s, 'Été', 'ete') returning id",
                        (t,)).fetchone()[0]
    sale = owner.execute("insert into commerce.price_lists (tenant_id, title, type, status) "
                         "values (%s, 'Summer sale', 'sale', 'active') returning id", (t,)).fetchone()[0]
    members = owner.execute("insert into commerce.price_lists (tenant_id, title, type, status) "
                            "values (%s, 'Members', 'override', 'active') returning id", (t,)).fetchone()[0]
    # a category tree: Shirts (above) and Tops at the root, Tees under Tops, Hidden (internal) with a public child
    tops = owner.execute("insert into commerce.categories (tenant_id, name, handle, rank) values (%s, 'Tops', 'tops', 1) "
                         "returning id", (t,)).fetchone()[0]
    owner.execute("insert into commerce.categories (tenant_id, name, handle, parent_id, description) "
                  "values (%s, 'Tees', 'tees', %s, 'Short \"sleeves\"')", (t, tops))
    hidden = owner.execute("insert into commerce.categories (tenant_id, name, handle, is_internal) "
                           "values (%s, 'Hidden', 'hidden', true) returning id", (t,)).fetchone()[0]
    owner.execute("insert into commerce.categories (tenant_id, name, handle, parent_id) values (%s, 'Orphan', 'orphan', %s)",
                  (t, hidden))
    owner.execute("insert into commerce.categories (tenant_id, name, handle, is_active) values (%s, 'Old', 'old', false)", (t,))
    for i in range(27):
        title = ["Blue tee", "Linen shirt \"classic\"", "Wool scarf", "Café mug ☕", "Tab\tand\nnewline"][i % 5] + f" {i}"
        pid = owner.execute(
            "insert into commerce.products (tenant_id, title, handle, subtitle, description, status, created_at) "
            "values (%s, %s, %s, %s, %s, %s, now() - make_interval(secs => %s)) returning id",
            (t, title, f"p-{i}", None if i % 3 else f"Sub {i}", f"Description {i} <b>bold</b>",
             "draft" if i == 4 else "published", i * 1.5 if i % 4 else i)).fetchone()[0]
        for pos in range(1 + i % 2):
            vid = owner.execute("insert into commerce.variants (tenant_id, product_id, title, sku, position) "
                                "values (%s, %s, %s, %s, %s) returning id", (t, pid, f"V{pos}", f"SKU-{i}-{pos}", pos)).fetchone()[0]
            owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, %s, 'EUR')",
                          (t, vid, 1000 + 250 * i + pos * 99))
            if i % 2:
                owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code) "
                              "values (%s, %s, %s, 'USD')", (t, vid, 1100 + 300 * i))
            if i % 5 == 2:   # on sale (Product.price: calculated below original)
                owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id) "
                              "values (%s, %s, %s, 'EUR', %s)", (t, vid, 500 + i + pos, sale))
            if i == 6 and pos == 0:   # an override list sets the price, above the base
                owner.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id) "
                              "values (%s, %s, 99999, 'EUR', %s)", (t, vid, members))
            if i % 6 == 1:   # options: "Size" (and "Colour" for the first variant) with their values
                for opt_title, value in [("Size", ["S", "M \"big\""][pos])] + ([("Colour", "Rouge é")] if pos == 0 else []):
                    opt = owner.execute("select id from commerce.options where tenant_id = %s and product_id = %s and title = %s",
                                        (t, pid, opt_title)).fetchone()
                    opt = opt[0] if opt else owner.execute(
                        "insert into commerce.options (tenant_id, product_id, title) values (%s, %s, %s) returning id",
                        (t, pid, opt_title)).fetchone()[0]
                    val = owner.execute("insert into commerce.option_values (tenant_id, option_id, value) values (%s, %s, %s) "
                                        "returning id", (t, opt, value)).fetchone()[0]
                    owner.execute("insert into commerce.variant_options (tenant_id, variant_id, option_value_id) "
                                  "values (%s, %s, %s)", (t, vid, val))
        if i % 3 == 0:
            owner.execute("insert into commerce.product_categories (tenant_id, product_id, category_id) values (%s, %s, %s)",
                          (t, pid, cat))
        if i % 4 == 1:
            owner.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) "
                          "values (%s, %s, 'product', %s)", (t, tag, pid))
            owner.execute("insert into content.meta (tenant_id, target_type, target_id, title, description) "
                          "values (%s, 'product', %s, %s, 'Meta \"quoted\"')", (t, pid, f"SEO {i}"))
    author = owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                           "values (%s, 'writer@shop.example', 'x', 'Wri \"ter\"', 'author') returning id", (t,)).fetchone()[0]
    news = owner.execute("insert into content.categories (tenant_id, name, slug, description, position) "
                         "values (%s, 'News \"&\" views', 'news', 'All the news', 2) returning id", (t,)).fetchone()[0]
    howto = owner.execute("insert into content.categories (tenant_id, name, slug) values (%s, 'How-to', 'how-to') "
                          "returning id", (t,)).fetchone()[0]
    for sub_name, sub_slug, pos in (("Releases", "releases", 2), ("Events", "events", 1)):
        owner.execute("insert into content.categories (tenant_id, name, slug, parent_id, position) values (%s, %s, %s, %s, %s)",
                      (t, sub_name, sub_slug, news, pos))
    for i in range(9):
        kind = "page" if i % 4 == 3 else "post"
        status = "draft" if i == 5 else "published"
        nid = owner.execute(
            "insert into content.nodes (tenant_id, kind, title, slug, excerpt, status, published_at, author_id) "
            "values (%s, %s, %s, %s, %s, %s, case when %s = 'draft' then null else now() - make_interval(mins => %s) end, %s) "
            "returning id",
            (t, kind, f"Post «{i}» about tee" if i % 2 else f"Notes {i}", f"n-{i}", None if i % 3 else f"Excerpt {i}",
             status, status, i * 7, author if i % 2 else None)).fetchone()[0]
        owner.execute("insert into content.bodies (tenant_id, node_id, body, format) values (%s, %s, %s, 'markdown')",
                      (t, nid, f"# Body {i}\n\nText with \"quotes\" and tee."))
        if i % 3 != 2:
            owner.execute("update content.nodes set category_id = %s where tenant_id = %s and id = %s",
                          (news if i % 3 == 0 else howto, t, nid))
        if i % 3 == 0:
            owner.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) "
                          "values (%s, %s, 'node', %s)", (t, tag, nid))
    # a thread under post n-1: approved comments (one pending, one spam: not shown), replies and a reply to a reply
    post = owner.execute("select id from content.nodes where tenant_id = %s and slug = 'n-1'", (t,)).fetchone()[0]

    def comment(parent, text, status="approved", who=None):
        cid = owner.execute("insert into content.nodes (tenant_id, kind, parent_id, status, author_id, published_at) "
                            "values (%s, 'comment', %s, %s, %s, now() - make_interval(mins => %s)) returning id",
                            (t, parent, status, who, 100 - len(text))).fetchone()[0]
        owner.execute("insert into content.bodies (tenant_id, node_id, body, format) values (%s, %s, %s, 'plain')",
                      (t, cid, text))
        return cid
    first = comment(post, "First! «quoted» \"text\"", who=author)
    comment(post, "Second comment")
    comment(post, "Waiting for moderation", status="pending")
    comment(post, "Buy cheap stuff", status="spam")
    reply = comment(first, "A reply to the first")
    comment(first, "Another reply, longer text here")
    comment(reply, "Deeper")
    # community: reactions on the post and a comment, follows of the post and of its author
    reader = owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                           "values (%s, 'reader@shop.example', 'x', 'Reader', 'customer') returning id", (t,)).fetchone()[0]
    for who, node, kind in ((reader, post, "like"), (author, post, "like"), (reader, post, "love"), (reader, first, "like")):
        owner.execute("insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, %s)",
                      (t, node, who, kind))
    owner.execute("insert into community.follows (tenant_id, follower_id, node_id) values (%s, %s, %s)", (t, reader, post))
    owner.execute("insert into community.follows (tenant_id, follower_id, followed_user_id) values (%s, %s, %s)",
                  (t, reader, author))
    drain(api_db)
    return slug


CARD = "id handle title subtitle description status discountable inStock totalStock variantCount currencies createdAt updatedAt"

OPERATIONS = [
    # (name, query, variables)
    ("landing page", f"{{ products(first: 20) {{ edges {{ cursor node {{ {CARD} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}", {}),
    ("landing page with total, facets and prices",
     f"""query Page($c: String) {{ products(first: 20, currency: $c) {{
          totalCount totalCountCapped query correctedQuery sort __typename
          nodes {{ __typename {CARD} priceRange {{ min {{ amount currencyCode }} max {{ amount }} }} tags {{ slug name }}
                  seo {{ title description canonicalUrl imageUrl robots }} rank }}
          facets {{ categories {{ count category {{ id name handle }} }} tags {{ count tag {{ slug name }} }}
                   priceBuckets {{ count min {{ amount currencyCode }} max {{ amount currencyCode }} }}
                   inStock {{ inStock count }} }} }} }}""", {"c": "EUR"}),
    ("search with facets", """query($s: String) { products(search: $s, currency: "EUR", first: 5) {
          totalCount correctedQuery sort edges { cursor node { title rank priceRange { min { amount } } } }
          facets { tags { count tag { name } } inStock { count inStock } priceBuckets { count } } pageInfo { endCursor hasNextPage } } }""",
     {"s": "tee"}),
    ("search with facets, newest, filtered", """{ products(search: "shirt", sort: newest, filter: {tags: ["ete"]}, currency: "EUR",
          first: 3) { totalCount totalCountCapped sort edges { cursor node { title rank createdAt } }
          facets { categories { count category { name handle } } tags { count tag { slug } } priceBuckets { count min { amount } }
                   inStock { count } } } }""", {}),
    ("typo corrected with facets", """{ products(search: "shrit", first: 3) { correctedQuery totalCount nodes { title } facets { inStock { count } } } }""", {}),
    ("typo corrected", """{ products(search: "shrit", first: 3) { correctedQuery sort nodes { title } totalCount } }""", {}),
    ("no match", """{ products(search: "zzzqqq", first: 3) { totalCount nodes { title } pageInfo { startCursor endCursor hasNextPage } } }""", {}),
    ("filters and price sort", """{ products(filter: {categoryHandles: ["shirts"], inStock: false, priceMin: 1500}, sort: price_asc,
          currency: "USD", first: 4) { totalCount edges { cursor node { handle priceRange { min { amount } } } } } }""", {}),
    ("title sort backwards", """{ products(sort: title_desc, last: 6) { edges { cursor node { title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""", {}),
    ("aliases and fragments", """query { a: products(first: 2) { n: nodes { ...Card t: title } } b: products(first: 1, sort: title_asc) { nodes { ... on Product { handle } } } }
          fragment Card on Product { id handle }""", {}),
    ("product by handle", """query($h: String) { product(handle: $h) { __typename id title handle currencies createdAt rank
          priceRange(currency: "EUR") { min { amount currencyCode } max { amount currencyCode } } tags { slug name } seo { title } } }""",
     {"h": "p-1"}),
    ("blog listing", """{ contents(kind: post, first: 3) { totalCount totalCountCapped sort query correctedQuery
          edges { cursor node { __typename id kind title slug excerpt bodyPreview bodyFormat status replyCount rank
          publishedAt createdAt updatedAt author { id name } tags { slug name } seo { title description } } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""", {}),
    ("the storefront's blog index", """query($f: ContentFilter) { contents(kind: post, filter: $f, sort: newest, first: 4) { totalCount
          nodes { id slug title excerpt publishedAt updatedAt author { name } category { __typename id slug name description position }
                  tags { slug name } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          facets { __typename kinds { kind count } categories { category { slug name id position } count } tags { tag { slug name } count } } } }""",
     {"f": None}),
    ("blog index by category and search, with facets", """{ contents(search: "tee", filter: {categorySlugs: ["news"]}, first: 3) {
          totalCount nodes { title category { name } } facets { kinds { kind count } categories { count category { slug } } } } }""", {}),
    ("the storefront's sitemap: products", """query($after: String) { products(sort: newest, first: 100, after: $after) {
          nodes { handle updatedAt } pageInfo { hasNextPage endCursor } } }""", {"after": None}),
    ("the storefront's sitemap: posts", """query($kind: NodeKind!, $after: String) { contents(kind: $kind, sort: newest, first: 100,
          after: $after) { nodes { slug updatedAt } pageInfo { hasNextPage endCursor } } }""", {"kind": "post", "after": None}),
    ("the storefront's post page with its comment tree", """query($kind: NodeKind!, $slug: String!) { content(kind: $kind, slug: $slug) {
          id kind slug title excerpt body bodyFormat publishedAt updatedAt author { name } category { slug name } tags { slug name }
          seo { title description canonicalUrl imageUrl robots }
          comments(first: 50) { totalCount nodes { id body bodyFormat publishedAt createdAt updatedAt replyCount author { name }
            comments(first: 50) { nodes { id body replyCount author { name }
              comments(first: 50) { nodes { id body } } } } } } } }""", {"kind": "post", "slug": "n-1"}),
    ("community reads of a post", """{ content(kind: post, slug: "n-1") { reactions { __typename kind count } viewerReactions followerCount
          author { name followerCount viewerFollows reputation { __typename score reactionsReceived } }
          comments(first: 5) { nodes { body reactions { kind count } author { name reputation { score } } } } } }""", {}),
    ("community reads in a listing", """{ contents(kind: post, first: 4) { nodes { slug reactions { kind count } followerCount
          author { followerCount viewerFollows } } } }""", {}),
    ("comments paged, newest first", """{ content(kind: post, slug: "n-1") { comments(first: 1, sort: newest) { totalCount totalCountCapped sort
          edges { cursor node { body } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }""", {}),
    ("comments of every post in a listing", """{ contents(kind: post, first: 3, sort: oldest) { nodes { slug comments(first: 2) { totalCount
          nodes { body comments(last: 1) { nodes { body } pageInfo { hasPreviousPage } } } } } } }""", {}),
    ("the category tree", """{ categories { __typename id name handle description rank parent { handle }
          children { handle rank children { handle } parent { name parent { name } } } } }""", {}),
    ("the blog's category tree", """{ contentCategories { __typename id name slug description position children { slug } parent { slug } } }""", {}),
    ("categories beside products", """{ cats: categories { handle children { handle } } products(first: 2) { nodes { handle } } }""", {}),
    ("content search with bodies", """{ contents(search: "tee", first: 5) { totalCount sort nodes { title rank body } } }""", {}),
    ("pages by position, backwards", """{ contents(kind: page, sort: title_asc, last: 2) { nodes { slug } pageInfo { startCursor hasPreviousPage } } }""", {}),
    ("post by slug with body", """{ content(kind: post, slug: "n-1") { id title body bodyFormat author { name } tags { slug } rank } }""", {}),
    ("a draft post is null", """{ content(kind: post, slug: "n-5") { id } }""", {}),
    ("a draft by handle is null", """{ product(handle: "p-4") { id title } }""", {}),
    ("unknown handle", """{ product(handle: "nope") { id } }""", {}),
    ("cards with sale-aware prices", """{ products(currency: "EUR", first: 12) { nodes { handle
          price { __typename calculated { amount currencyCode } original { amount currencyCode } onSale priceListType }
          usd: price(currency: "usd") { calculated { amount } onSale } } } }""", {}),
    ("search with facets and prices", """{ products(search: "shirt or tee", currency: "EUR", first: 5) { totalCount
          nodes { title price { calculated { amount } original { amount } onSale } } facets { inStock { count } } } }""", {}),
    ("storefront catalog: landing page with its own price buckets and card prices", """{ products(filter: {priceBuckets: [0, 2000, 5000]},
          sort: newest, currency: "EUR", first: 6) { totalCount edges { cursor node { handle price { calculated { amount } onSale } } }
          facets { priceBuckets { min { amount } max { amount } count } inStock { count inStock } } } }""", {}),
    ("storefront catalog: search with its own price buckets", """{ products(search: "shirt", filter: {priceBuckets: [0, 2000, 5000], inStock: true},
          currency: "EUR", first: 4) { totalCount edges { cursor node { handle rank } } pageInfo { hasNextPage endCursor }
          facets { priceBuckets { min { amount } max { amount } count } categories { count } } } }""", {}),
    ("storefront catalog: a price bucket by price", """{ products(filter: {priceBuckets: [0, 2000, 5000], priceMin: 2000,
          priceMax: 4999}, sort: price_asc, currency: "EUR", first: 4) { totalCount totalCountCapped query correctedQuery sort
          edges { cursor node { handle rank price { calculated { amount } onSale } } } pageInfo { hasNextPage endCursor }
          facets { categories { count category { name handle } } tags { count tag { slug name } }
                   priceBuckets { min { amount currencyCode } max { amount } count } inStock { count inStock } } } }""", {}),
    ("a price range by price, highest first, filtered", """{ products(filter: {priceMin: 1500, inStock: true,
          categoryHandles: ["shirts"]}, sort: price_desc, currency: "USD", first: 3) { totalCount
          edges { cursor node { handle rank } } facets { priceBuckets { count } tags { count } inStock { count inStock } } } }""", {}),
    ("a price range, newest, by tag", """{ products(filter: {priceMax: 6000, tags: ["ete"]}, sort: newest, currency: "EUR",
          first: 2) { totalCount edges { cursor node { handle } } pageInfo { hasNextPage endCursor }
          facets { categories { count } inStock { count inStock } } } }""", {}),
    ("the storefront's product page", """query($h: String, $c: String!) { product(handle: $h) { id handle title subtitle description
          inStock updatedAt seo { title description canonicalUrl imageUrl robots } options { __typename id title values }
          variants { __typename id title sku barcode position inStock available allowBackorder manageInventory
                     selectedOptions { name value } prices { amount currencyCode }
                     price(currency: $c) { calculated { amount currencyCode } original { amount currencyCode } onSale }
                     bulk: price(currency: $c, quantity: 3) { calculated { amount } priceListType } }
          categories { __typename id handle name description rank } tags { slug name } } }""", {"h": "p-7", "c": "eur"}),
    ("a product page with options and a sale", """{ a: product(handle: "p-1") { variants { title selectedOptions { name value }
          price(currency: "USD") { onSale } } options { title values } categories { name } }
          b: product(handle: "p-12") { variants { price(currency: "EUR") { calculated { amount } original { amount } onSale } } } }""", {}),
    ("cards with variants", """{ products(currency: "EUR", first: 8) { nodes { handle variants { sku prices { amount currencyCode } } options { title } } } }""", {}),
    ("product price by argument", """{ product(handle: "p-12") { title price(currency: "EUR") { calculated { amount currencyCode }
          original { amount } onSale priceListType } none: price { onSale } } }""", {}),
]


def post(client, query, variables, tenant, headers=None):
    h = {"X-Tenant": tenant, **(headers or {})}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=h)


@pytest.mark.parametrize("name,query,variables", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_compiled_and_ordinary_answers_are_identical(both, shop, name, query, variables):
    on, off = both
    compiled = post(on, query, variables, shop)
    ordinary = post(off, query, variables, shop)
    assert ordinary.headers.get("x-execution") is None
    assert compiled.headers.get("x-execution") == "compiled", (name, compiled.text)
    assert compiled.status_code == ordinary.status_code == 200
    assert "errors" not in compiled.json()
    assert compiled.content == ordinary.content, (name, compiled.content[300:520], ordinary.content[300:520])
    assert len(compiled.content) > 60 or "null" in name or "unknown" in name or "no match" in name, compiled.text


def test_paging_walks_are_identical(both, shop):
    """Every page of a forwards walk (the landing page's static statements, then the cursor ones)."""
    on, off = both
    query = "query($a: String) { products(first: 4, after: $a) { edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }"
    after, pages = None, 0
    while True:
        compiled = post(on, query, {"a": after}, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, {"a": after}, shop).content
        info = compiled.json()["data"]["products"]["pageInfo"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 7   # 26 published products, 4 a page


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_search_with_facets_walks_are_identical(both, shop, sort):
    """Every page of a search with facets (one pass over the matches on the compiled path)."""
    on, off = both
    query = ("query($a: String, $s: ProductSort) { products(search: \"tee or shirt or mug\", sort: $s, currency: \"USD\", "
             "first: 2, after: $a) { totalCount edges { cursor node { handle rank } } pageInfo { hasNextPage endCursor } "
             "facets { tags { count tag { name } } priceBuckets { count } inStock { count inStock } } } }")
    after, pages = None, 0
    while True:
        compiled = post(on, query, {"a": after, "s": sort}, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, {"a": after, "s": sort}, shop).content
        info = compiled.json()["data"]["products"]["pageInfo"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages >= 3


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest"])
def test_price_range_walks_are_identical(both, shop, sort):
    """Every page of a price range with facets (one pass over the price btree's range on the compiled path)."""
    on, off = both
    query = ("query($a: String, $s: ProductSort) { products(filter: {priceMin: 1500, priceMax: 7000, priceBuckets: [0, 3000]}, "
             "sort: $s, currency: \"EUR\", first: 3, after: $a) { totalCount edges { cursor node { handle rank } } "
             "pageInfo { hasNextPage endCursor } facets { tags { count } priceBuckets { count } inStock { count inStock } } } }")
    after, pages = None, 0
    while True:
        compiled = post(on, query, {"a": after, "s": sort}, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, {"a": after, "s": sort}, shop).content
        info = compiled.json()["data"]["products"]["pageInfo"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages >= 5


@pytest.mark.parametrize("query,variables,headers", [
    ("{ products(first: 101) { nodes { id } } }", {}, {}),                          # page size refused
    ('{ products(after: "bm90LWEtY3Vyc29y") { nodes { id } } }', {}, {}),           # not a cursor
    ('{ products(currency: "euro") { nodes { id } } }', {}, {}),                    # refused by SQL (22023)
    ('{ products(sort: price_asc) { nodes { id } } }', {}, {}),                     # needs a currency
    ('{ product(id: "not-an-id") { id } }', {}, {}),
    ('{ product(handle: "p-1", id: "01HZX3Y4Z5A6B7C8D9E0F1G2H3") { id } }', {}, {}),
    ("{ products { nodes { id variants { sku stock { available } } } } }", {}, {}),  # not compiled: staff stock
    ("query($n: Int) { products(first: $n) { nodes { id } } }", {"n": "five"}, {}),  # variables do not coerce
    ('{ product(handle: "p-1") { variants { price(currency: "EUR", quantity: 0) { onSale } } } }', {}, {}),  # refused
    ('{ product(handle: "p-1") { variants { price(currency: "XYZ") { onSale } } } }', {}, {}),   # unknown currency
    ('{ products(search: "shirt", filter: {priceBuckets: [500, 100]}, currency: "EUR") { facets { inStock { count } } } }',
     {}, {}),                                                                          # buckets not ascending
    ('{ products(filter: {priceBuckets: []}, currency: "EUR") { facets { inStock { count } } } }', {}, {}),
    ("{ products { nodes { id } } }", {}, {"X-Tenant": "no-such-shop"}),            # unknown tenant
])
def test_refusals_and_uncovered_documents_fall_back_with_identical_answers(both, shop, query, variables, headers):
    on, off = both
    tenant = headers.pop("X-Tenant", shop) if headers else shop
    compiled = post(on, query, variables, tenant, headers)
    ordinary = post(off, query, variables, tenant, headers)
    assert compiled.headers.get("x-execution") is None      # ordinary execution answered
    assert compiled.status_code == ordinary.status_code
    assert compiled.json() == ordinary.json()


def test_module_off_and_staff_fall_back(both, shop, owner, gql):
    on, off = both
    query = "{ products(first: 50) { totalCount nodes { handle status } } }"
    # a signed-in staff member sees drafts: ordinary execution (permissions), not the public compiled read
    new_user(owner, shop, f"staff-{uuid.uuid4().hex[:6]}@shop.example", "admin")
    email = owner.execute("select email from core.users where tenant_id = core.tenant_id_by_slug(%s) order by created_at desc limit 1",
                          (shop,)).fetchone()[0]
    token = login(gql, shop, email)
    staff = post(on, query, {}, shop, {"Authorization": f"Bearer {token}"})
    assert staff.headers.get("x-execution") is None
    assert "draft" in [n["status"] for n in staff.json()["data"]["products"]["nodes"]]
    public = post(on, query, {}, shop)
    assert public.headers.get("x-execution") == "compiled"
    assert "draft" not in [n["status"] for n in public.json()["data"]["products"]["nodes"]]
    # the tenant turns commerce off: the compiled read refuses in SQL, ordinary execution reports MODULE_DISABLED
    owner.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) values (core.tenant_id_by_slug(%s), "
                  "'commerce', false) on conflict (tenant_id, module_slug) do update set enabled = false", (shop,))
    try:
        refused = post(on, query, {}, shop)
        assert refused.headers.get("x-execution") is None
        assert refused.json()["errors"][0]["extensions"]["code"] == "MODULE_DISABLED"
        assert refused.content == post(off, query, {}, shop).content
    finally:
        owner.execute("update core.tenant_modules set enabled = true where tenant_id = core.tenant_id_by_slug(%s) "
                      "and module_slug = 'commerce'", (shop,))


def test_a_compiled_read_is_one_statement_without_begin_or_commit(both, shop, pg, api_db):
    """One round trip: the compiled read is a single statement in its own (implicit) transaction."""
    on, _ = both
    dbname = api_db.rsplit("/", 1)[1]
    query = "query OneTrip { products(first: 3) { nodes { handle } } }"
    post(on, query, {}, shop)
    with psycopg.connect(pg.url(dbname, owner=False), autocommit=True) as su:
        if "pg_stat_statements" not in su.execute("show shared_preload_libraries").fetchone()[0]:
            pytest.skip("pg_stat_statements is not preloaded on this server")
        su.execute("create extension if not exists pg_stat_statements")
        su.execute("select pg_stat_statements_reset()")
        for _ in range(5):
            assert post(on, query, {}, shop).headers.get("x-execution") == "compiled"
        rows = su.execute("select query, calls from pg_stat_statements where toplevel and dbid = "
                          "(select oid from pg_database where datname = current_database())").fetchall()
    texts = [q for q, _ in rows]
    assert not any(q.strip().lower() in ("begin", "commit") for q in texts), texts
    assert not any("resolve_request" in q and "read_products_page" not in q for q in texts), texts
    compiled = [c for q, c in rows if "read_products_page" in q]
    assert compiled == [5], rows


def test_an_ordinary_read_has_no_begin_or_commit(both, shop, pg, api_db, owner, gql):
    """Item 2 for what the compiler does not cover: the tenant lookup is one statement, and each read statement
    goes out with its settings in one pipeline (one implicit transaction, no BEGIN / COMMIT)."""
    _, off = both
    dbname = api_db.rsplit("/", 1)[1]
    query = "query Ordinary { products(first: 3) { totalCount nodes { handle variants { sku } } } }"
    assert "errors" not in post(off, query, {}, shop).json()
    with psycopg.connect(pg.url(dbname, owner=False), autocommit=True) as su:
        if "pg_stat_statements" not in su.execute("show shared_preload_libraries").fetchone()[0]:
            pytest.skip("pg_stat_statements is not preloaded on this server")
        su.execute("create extension if not exists pg_stat_statements")
        su.execute("select pg_stat_statements_reset()")
        for _ in range(3):
            assert post(off, query, {}, shop).headers.get("x-execution") is None
        rows = su.execute("select query, calls from pg_stat_statements where toplevel and dbid = "
                          "(select oid from pg_database where datname = current_database())").fetchall()
    texts = [q.strip().lower() for q, _ in rows]
    assert "begin" not in texts and "commit" not in texts, texts
    assert any("resolve_request" in q for q in texts) and any("product_query" in q for q in texts), texts

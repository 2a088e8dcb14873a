"""Compiled storefront reads (issue 13 item 3): every storefront read an anonymous visitor sends gives the same
response bytes through the compiled path (one SQL statement building the JSON) and through ordinary execution;
what the compiler does not cover falls back, and errors are reported by ordinary execution exactly as before."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb
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
    # SEO meta of categories (setSeo targets catalog_category, content_category): Tops and News have some
    owner.execute("insert into content.meta (tenant_id, target_type, target_id, title, robots) "
                  "values (%s, 'catalog_category', %s, 'Tops \"&\" more', 'noindex'), "
                  "(%s, 'catalog_category', %s, 'Shirts', null), "
                  "(%s, 'content_category', %s, 'News | Blog', null)", (t, tops, t, cat, t, news))
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
    ("category trees with SEO meta", """{ categories { handle seo { __typename title robots description }
          children { seo { title canonicalUrl } parent { seo { robots } } } }
          contentCategories { slug seo { title imageUrl } children { slug seo { title } } } }""", {}),
    ("a category by handle with SEO meta", """{ category(handle: "tops") { name seo { title robots } } }""", {}),
    ("the SEO meta of a product's and a post's categories", """{ product(handle: "p-7") { categories { handle seo { title } } }
          contents(kind: post, first: 3) { nodes { slug category { slug seo { title robots } } } } }""", {}),
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
    ("unified search", """{ search(query: "tee", first: 6) { __typename query correctedQuery
          edges { __typename cursor node { __typename ... on Product { id handle title rank price { calculated { amount } onSale }
                                                                       variants { sku } categories { handle } }
                                            ... on Content { id slug kind heading: title rank body author { name } category { slug } } } }
          nodes { ... on Node { id } ...Hit }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
          fragment Hit on SearchResult { __typename ... on Content { slug } }""", {}),
    ("unified search, typo corrected", """{ search(query: "shrit", first: 3) { query correctedQuery nodes { ... on Product { handle } } } }""", {}),
    ("unified search, backwards", """{ search(query: "tee or shirt", last: 4) { edges { cursor node { ... on Product { handle }
          ... on Content { slug } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""", {}),
    ("unified search, no match", """{ search(query: "zzzqqq") { correctedQuery nodes { __typename } pageInfo { startCursor hasNextPage } } }""", {}),
    ("comments with their parent", """{ content(kind: post, slug: "n-1") { comments(first: 3) { nodes { body
          parent { __typename slug title body author { name } parent { slug } }
          comments(first: 2) { nodes { body parent { body parent { slug category { slug } } } } } } } } }""", {}),
    ("a post's parent is null", """{ contents(kind: post, first: 2) { nodes { slug parent { id } } } }""", {}),
    ("a category by handle with its products", """{ category(handle: "tops") { __typename id name handle description rank
          parent { handle } children { handle parent { handle } products(first: 2) { totalCount nodes { handle } } }
          products(first: 3, sort: title_asc) { totalCount edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } } }""", {}),
    ("a category's products with search, prices and facets", """{ category(handle: "shirts") { name
          products(search: "shirt or tee", currency: "EUR", first: 4, filter: {categoryHandles: ["tops"], inStock: true}) {
            totalCount sort correctedQuery nodes { handle rank price { calculated { amount } } categories { handle } }
            facets { categories { count category { handle } } priceBuckets { count } inStock { inStock count } } } } }""", {}),
    ("unknown and hidden categories are null", """{ a: category(handle: "nope") { id } b: category(handle: "hidden") { id }
          c: category(handle: "old") { id } d: category(handle: "orphan") { handle parent { handle } } }""", {}),
    ("the category tree with products", """{ categories { handle products(first: 2) { totalCount nodes { handle } }
          children { handle products(last: 1) { nodes { handle } pageInfo { hasPreviousPage } } } } }""", {}),
    ("product price by argument", """{ product(handle: "p-12") { title price(currency: "EUR") { calculated { amount currencyCode }
          original { amount } onSale priceListType } none: price { onSale } } }""", {}),
]


def post(client, query, variables, tenant, headers=None):
    h = {"X-Tenant": tenant, **(headers or {})}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=h)


@contextlib.contextmanager
def module_off(owner, shop, module):
    """The shop's module `module` turned off for the block, on again after it."""
    owner.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) values (core.tenant_id_by_slug(%s), "
                  "%s, false) on conflict (tenant_id, module_slug) do update set enabled = false", (shop, module))
    try:
        yield
    finally:
        owner.execute("update core.tenant_modules set enabled = true where tenant_id = core.tenant_id_by_slug(%s) "
                      "and module_slug = %s", (shop, module))


def assert_module_disabled(both, shop, query, variables=None):
    """The compiled read refuses in SQL; ordinary execution answers MODULE_DISABLED, the same bytes on both apps."""
    on, off = both
    refused = post(on, query, variables or {}, shop)
    assert refused.headers.get("x-execution") is None
    assert refused.json()["errors"][0]["extensions"]["code"] == "MODULE_DISABLED"
    assert refused.content == post(off, query, variables or {}, shop).content


def walk_forwards(both, shop, query, variables) -> int:
    """Every page of a products listing forwards (variable `a` takes each endCursor), each page compiled and the
    same bytes as ordinary execution; returns the number of pages."""
    on, off = both
    after, pages = None, 0
    while True:
        values = {**variables, "a": after}
        compiled = post(on, query, values, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, values, shop).content
        info = compiled.json()["data"]["products"]["pageInfo"]
        pages += 1
        if not info["hasNextPage"]:
            return pages
        after = info["endCursor"]


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


def test_category_seo_is_compiled(both, shop):
    """Category.seo and ContentCategory.seo are read in the compiled statement (not a fallback), with the values."""
    on, _ = both
    answer = post(on, '{ category(handle: "tops") { seo { title robots description } } '
                      'contentCategories { slug seo { title } } }', {}, shop)
    assert answer.headers.get("x-execution") == "compiled"
    data = answer.json()["data"]
    assert data["category"] == {"seo": {"title": 'Tops "&" more', "robots": "noindex", "description": None}}
    assert {"slug": "news", "seo": {"title": "News | Blog"}} in data["contentCategories"]


def test_paging_walks_are_identical(both, shop):
    """Every page of a forwards walk (the landing page's static statements, then the cursor ones)."""
    query = "query($a: String) { products(first: 4, after: $a) { edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }"
    assert walk_forwards(both, shop, query, {}) == 7   # 26 published products, 4 a page


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_search_with_facets_walks_are_identical(both, shop, sort):
    """Every page of a search with facets (one pass over the matches on the compiled path)."""
    query = ("query($a: String, $s: ProductSort) { products(search: \"tee or shirt or mug\", sort: $s, currency: \"USD\", "
             "first: 2, after: $a) { totalCount edges { cursor node { handle rank } } pageInfo { hasNextPage endCursor } "
             "facets { tags { count tag { name } } priceBuckets { count } inStock { count inStock } } } }")
    assert walk_forwards(both, shop, query, {"s": sort}) >= 3


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest"])
def test_price_range_walks_are_identical(both, shop, sort):
    """Every page of a price range with facets (one pass over the price btree's range on the compiled path)."""
    query = ("query($a: String, $s: ProductSort) { products(filter: {priceMin: 1500, priceMax: 7000, priceBuckets: [0, 3000]}, "
             "sort: $s, currency: \"EUR\", first: 3, after: $a) { totalCount edges { cursor node { handle rank } } "
             "pageInfo { hasNextPage endCursor } facets { tags { count } priceBuckets { count } inStock { count inStock } } } }")
    assert walk_forwards(both, shop, query, {"s": sort}) >= 5


LANDING_CARD = "id handle title subtitle status discountable inStock totalStock variantCount currencies createdAt updatedAt"


@pytest.mark.parametrize("extra,variables", [
    ("", {}),
    ("totalCount totalCountCapped sort query", {"c": "EUR"}),
    ("totalCount facets { categories { count category { handle } } tags { count } priceBuckets { count min { amount } } "
     "inStock { count inStock } }", {"c": "usd"}),
    ("totalCount facets { priceBuckets { count min { amount } max { amount } } }", {"c": None, "b": [0, 2000, 5000]}),
    ("sort", {"s": "relevance", "c": "EUR"}),
])
def test_landing_walks_from_the_narrow_rows_are_identical(both, shop, extra, variables):
    """The landing page whose cards need no wide column (description, tags, seo) takes its rows from
    index.read_products_landing: every page of a forwards walk, with and without total and facets, the same bytes as
    ordinary execution."""
    query = ("query($a: String, $c: String, $s: ProductSort, $b: [BigInt!]) { products(first: 5, after: $a, currency: $c, "
             "sort: $s, filter: {priceBuckets: $b}) { " + extra + " edges { cursor node { " + LANDING_CARD +
             " rank priceRange { min { amount currencyCode } } price { calculated { amount } onSale } "
             "variants { sku } categories { handle } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }")
    assert walk_forwards(both, shop, query, variables) == 6   # 26 published products, 5 a page


def test_the_landing_source_is_chosen_by_the_arguments_and_the_cards():
    """Which listings the narrow landing rows serve: only read_products_page's landing branch, and only when the
    cards need none of the wide columns."""
    from graphql import parse

    from rustok.graphql import build_schema
    from rustok.graphql.compiled import CompiledReads
    from rustok.graphql.limits import Limits
    from rustok.graphql.paging import encode_cursor

    schema = build_schema()
    reads = CompiledReads(schema, Limits())
    after = encode_cursor({"k": ["2026-12-02T11:52:32.360286+00:00", "018bcfe6-ee9f-0001-093e-93e126ba6624"], "s": "newest"})

    def landing(arguments: str, card: str = "handle") -> bool | None:
        """The statement's landing flag; None when the statement has no landing source."""
        plan = reads.plan(parse("{ products(%s) { nodes { %s } } }" % (arguments, card)), None)
        assert plan is not None, arguments
        if "read_products_landing" not in plan.sql:
            return None
        (flag,) = [v for k, v in plan.parameters(schema, {}, "shop").items() if k.endswith("_landing")]
        return flag

    assert landing("first: 20") is True
    assert landing(f'first: 20, after: "{after}", currency: "eur", sort: newest') is True
    assert landing('sort: relevance, filter: {priceBuckets: [0, 100], inStock: null}') is True
    assert landing("first: 20", "handle description") is None          # a wide column: read_products_page only
    assert landing("first: 20", "seo { title }") is None
    assert landing("first: 20", "tags { slug }") is None
    assert landing("first: 20", "variants { sku } categories { handle } images { url } price { onSale }") is True
    for arguments in ('search: "tee"', 'search: ""', "sort: title_asc", "last: 3", f'before: "{after}"',
                      "filter: {inStock: true}", 'currency: "euro"', 'filter: {categoryHandles: ["a"]}'):
        assert landing(arguments) is False, arguments
    plan = reads.plan(parse('{ category(handle: "a") { products(first: 2) { nodes { handle } } } }'), None)
    assert "read_products_landing" not in plan.sql                    # a category's listing is filtered


def test_the_landing_function_answers_as_read_products_page(owner, shop):
    """index.read_products_landing against read_products_page's landing branch, as the application role: the same
    rows in the card columns (every page forwards, with and without total and facets), and the same refusals."""
    columns = ("ord, cursor, product_id, handle, title, subtitle, status, discountable, currencies, prices, "
               "total_stock, has_stock, variant_count, created_at, updated_at, total, total_capped, facets")
    page = ("select " + columns + " from index.read_products_page(%(t)s, null, %(f)s, 'newest', %(c)s, %(a)s, null, "
            "%(n)s, false, %(wt)s, %(wf)s) order by ord")
    narrow = ("select " + columns + " from index.read_products_landing(%(t)s, %(f)s, %(c)s, %(a)s, %(n)s, %(wt)s, %(wf)s) "
              "order by ord")
    with psycopg.connect(owner.info.dsn, autocommit=True, options="-c role=rustok_app") as app:
        for wt, wf, c, f in ((False, False, None, {}), (True, False, "EUR", {}), (True, True, "USD", {}),
                             (False, True, "EUR", {"priceBuckets": [0, 2000]}), (True, True, None, {})):
            values = {"t": shop, "f": Jsonb(f), "c": c, "a": None, "n": 4, "wt": wt, "wf": wf}
            pages = 0
            while True:
                expected = app.execute(page, values).fetchall()
                got = app.execute(narrow, values).fetchall()
                assert got == expected, (values, got[:2], expected[:2])
                pages += 1
                if len(got) <= values["n"] + 1:
                    break
                values["a"] = Jsonb(got[values["n"]][1])
            assert pages == 7   # 26 published products, 4 a page
        refusals = [
            ("22023", {"t": shop, "f": {"inStock": True}, "c": None, "a": None, "n": 4}),     # not the landing page
            ("22023", {"t": shop, "f": {}, "c": "euro", "a": None, "n": 4}),
            ("22023", {"t": shop, "f": {}, "c": None, "a": None, "n": 101}),
            ("22023", {"t": shop, "f": {}, "c": None, "n": 4,
                       "a": {"k": ["2026-12-02T11:52:32.360286+00:00", "018bcfe6-ee9f-0001-093e-93e126ba6624"], "s": "title"}}),
            ("22023", {"t": shop, "f": {}, "c": None, "n": 4, "a": {"k": [0.5, "018bcfe6-ee9f-0001-093e-93e126ba6624"],
                                                                   "s": "newest"}}),
            ("P0002", {"t": "no-such-shop", "f": {}, "c": None, "a": None, "n": 4}),
        ]
        for code, values in refusals:
            values = {**values, "f": Jsonb(values["f"]), "wt": True, "wf": False,
                      "a": Jsonb(values["a"]) if values["a"] is not None else None}
            with pytest.raises(psycopg.Error) as refused:
                app.execute(narrow, values).fetchall()
            assert refused.value.sqlstate == code, (values, refused.value)
        with module_off(owner, shop, "commerce"):
            with pytest.raises(psycopg.Error) as refused:
                app.execute(narrow, {"t": shop, "f": Jsonb({}), "c": None, "a": None, "n": 4,
                                     "wt": False, "wf": False}).fetchall()
            assert refused.value.sqlstate == "55000"


@pytest.mark.parametrize("query,variables,headers", [
    ("{ products(first: 101) { nodes { id } } }", {}, {}),                          # page size refused
    ('{ products(after: "bm90LWEtY3Vyc29y") { nodes { id } } }', {}, {}),           # not a cursor
    ('{ products(after: "eyJrIjpbMC41LCIwMThiY2ZlNi1lZTlmLTAwMDEtMDkzZS05M2UxMjZiYTY2MjQiXSwicyI6InJlbGV2YW5jZSJ9") '
     '{ nodes { id } } }', {}, {}),                                                  # a cursor of a search, on the landing page
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
    with module_off(owner, shop, "commerce"):
        assert_module_disabled(both, shop, query)


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


def test_ids_reads_are_identical(both, shop, owner):
    """Query.node / nodes (every type an anonymous visitor may fetch by id, and the ones it may not) and
    Query.author with its contents, by ids taken from the tenant."""
    on, off = both
    t = owner.execute("select core.tenant_id_by_slug(%s)", (shop,)).fetchone()[0]

    def one(sql):
        return str(owner.execute(sql, (t,)).fetchone()[0])
    ids = {
        "product": one("select id from commerce.products where tenant_id = %s and handle = 'p-1'"),
        "draft product": one("select id from commerce.products where tenant_id = %s and handle = 'p-4'"),
        "variant": one("select v.id from commerce.variants v join commerce.products p on p.id = v.product_id "
                       "where v.tenant_id = %s and p.handle = 'p-7' order by v.position desc limit 1"),
        "post": one("select id from content.nodes where tenant_id = %s and slug = 'n-1'"),
        "draft post": one("select id from content.nodes where tenant_id = %s and slug = 'n-5'"),
        "comment": one("select id from content.nodes where tenant_id = %s and kind = 'comment' and status = 'approved' "
                       "order by published_at limit 1"),
        "category": one("select id from commerce.categories where tenant_id = %s and handle = 'tees'"),
        "hidden category": one("select id from commerce.categories where tenant_id = %s and handle = 'hidden'"),
        "content category": one("select id from content.categories where tenant_id = %s and slug = 'releases'"),
        "tag": one("select id from content.tags where tenant_id = %s and slug = 'ete'"),
        "author": one("select id from core.users where tenant_id = %s and email = 'writer@shop.example'"),
        "reader": one("select id from core.users where tenant_id = %s and email = 'reader@shop.example'"),
        "nothing": str(uuid.uuid4()),
    }
    everything = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Product { handle title variants { sku } price { calculated { amount } } }
        ... on Variant { sku title selectedOptions { name value } vprice: price(currency: "EUR") { calculated { amount } onSale } }
        ... on Content { cslug: slug kind body parentContent: parent { slug } author { name contents(first: 1) { totalCount nodes { slug } } } }
        ... on Category { handle up: parent { handle } kids: children { handle } products(first: 2) { totalCount nodes { handle } } }
        ... on ContentCategory { slug parent { slug } children { slug } }
        ... on Tag { slug name }
        ... on Author { aname: name followerCount reputation { score reactionsReceived } }
        ... on Order { displayId total { amount } } } }"""
    checks = [
        (everything, {"ids": list(ids.values()) + [ids["product"]]}),
        ("query($id: ID!) { node(id: $id) { __typename id ... on Product { handle } } }", {"id": ids["product"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": ids["draft product"]}),
        ("query($id: ID!) { author(id: $id) { __typename id name followerCount viewerFollows reputation { score }\n"
         "  contents(first: 2) { totalCount sort edges { cursor node { slug title author { name } } }\n"
         "  pageInfo { hasNextPage endCursor } } pages: contents(kind: page) { nodes { slug } } } }", {"id": ids["author"]}),
        ("query($id: ID!) { author(id: $id) { id name } }", {"id": ids["reader"]}),      # authored nothing: null
        ("query($id: ID!) { author(id: $id) { id name } }", {"id": ids["nothing"]}),
    ]
    for query, variables in checks:
        compiled = post(on, query, variables, shop)
        ordinary = post(off, query, variables, shop)
        assert compiled.headers.get("x-execution") == "compiled", (compiled.text[-700:])
        assert "errors" not in compiled.json(), compiled.text
        assert compiled.content == ordinary.content, (query, compiled.content[:600], ordinary.content[:600])
    nodes = post(on, everything, checks[0][1], shop).json()["data"]["nodes"]
    found = dict(zip(ids, nodes))
    assert found["product"]["handle"] == "p-1" and found["variant"]["sku"].startswith("SKU-7-")
    assert found["comment"]["parentContent"] is not None and found["category"]["up"] == {"handle": "tops"}
    assert found["tag"] == {"__typename": "Tag", "id": ids["tag"], "slug": "ete", "name": "Été"}
    assert found["author"]["aname"] == 'Wri "ter"'
    for hidden in ("draft product", "draft post", "hidden category", "reader", "nothing"):
        assert found[hidden] is None, hidden


def test_unified_search_walks_are_identical(both, shop):
    """Every page of a unified search, forwards then backwards from the end."""
    on, off = both
    query = ("query($a: String, $b: String, $f: Int, $l: Int) { search(query: \"tee or shirt or notes\", first: $f, "
             "after: $a, last: $l, before: $b) { edges { cursor node { ... on Product { handle } ... on Content { slug } } } "
             "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }")
    seen, variables = [], {"f": 3}
    while True:
        compiled = post(on, query, variables, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, variables, shop).content
        page = compiled.json()["data"]["search"]
        seen += [e["cursor"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables = {"f": 3, "a": page["pageInfo"]["endCursor"]}
    assert len(seen) == len(set(seen)) > 6
    back, variables = [], {"l": 4}
    while True:
        compiled = post(on, query, variables, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, query, variables, shop).content
        page = compiled.json()["data"]["search"]
        back = [e["cursor"] for e in page["edges"]] + back
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        variables = {"l": 4, "b": page["pageInfo"]["startCursor"]}
    assert back == seen


@pytest.mark.parametrize("module", ["content", "commerce"])
def test_ids_reads_of_a_module_turned_off_fall_back(both, shop, owner, module):
    """node(s) of a type whose module is off: ordinary execution answers MODULE_DISABLED (the compiled statement
    refuses in SQL); the unified search leaves that module's hits out on both paths."""
    on, off = both
    t = owner.execute("select core.tenant_id_by_slug(%s)", (shop,)).fetchone()[0]
    post_id = str(owner.execute("select id from content.nodes where tenant_id = %s and slug = 'n-1'", (t,)).fetchone()[0])
    product_id = str(owner.execute("select id from commerce.products where tenant_id = %s and handle = 'p-1'", (t,)).fetchone()[0])
    nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    search = '{ search(query: "tee or shirt", first: 50) { nodes { __typename } } }'
    with module_off(owner, shop, module):
        wanted = post_id if module == "content" else product_id
        assert_module_disabled(both, shop, nodes, {"ids": [wanted]})
        other = product_id if module == "content" else post_id
        assert post(on, nodes, {"ids": [other]}, shop).headers.get("x-execution") == "compiled"
        compiled = post(on, search, {}, shop)
        assert compiled.headers.get("x-execution") == "compiled"
        assert compiled.content == post(off, search, {}, shop).content
        kinds = {n["__typename"] for n in compiled.json()["data"]["search"]["nodes"]}
        assert kinds == {"Product" if module == "content" else "Content"}, kinds


def test_community_reads_with_the_module_off_fall_back(both, shop, owner):
    """The community fields' guard refuses in SQL (a planner once dropped it as an unused column)."""
    on, off = both
    query = '{ content(kind: post, slug: "n-1") { slug reactions { kind count } } }'
    with module_off(owner, shop, "community"):
        assert_module_disabled(both, shop, query)
    assert post(on, query, {}, shop).headers.get("x-execution") == "compiled"


def test_reals_are_written_as_the_ordinary_path_writes_them(owner):
    """_float4 (a rank in SQL) against render_json of the float psycopg reads (orjson's float format)."""
    from rustok.graphql.compiled import _float4
    from rustok.graphql.http import render_json

    values = ["0", "1", "0.0607927", "1e-05", "2.5e-05", "-3.25e-05", "1.5e-07", "9.99e-10", "1e-20", "0.0001",
              "0.00012", "123456", "1e+16", "3.4e+38", "-0.5", "7.1e-45", "0.099999994"]
    rows = owner.execute("select v, v::real::text, " + _float4("v::real") + " from unnest(%s::text[]) v", (values,)).fetchall()
    for value, text, written in rows:
        assert written.encode() == render_json(float(text)), (value, text, written)
    assert owner.execute("select " + _float4("null::real")).fetchone()[0] == "null"


def test_cursors_are_written_as_the_ordinary_path_writes_them(owner):
    """_cursor (base64url in SQL) against rustok.graphql.paging.encode_cursor: keys whose encoding holds '+' and
    '/' (written '-' and '_'), padding, multibyte text, and JSON longer than one 76-character base64 line."""
    from psycopg.types.json import Jsonb

    from rustok.graphql.compiled import _cursor
    from rustok.graphql.paging import encode_cursor

    keys = [{"k": ["2026-12-02T11:52:32.360286+00:00", "018bcfe6-ee9f-0001-093e-93e126ba6624"], "s": "newest"},
            {"k": ["Ünïcödé ~~~ ??? >>> títle «quoted» " * 3, "0190a1b2-0000-7000-8000-000000000001"], "s": "title"},
            {"k": [">>>???~~~", "ff"], "s": "a"}, {"k": [1999, "x"], "s": "price"}, {"k": [None, "y"], "s": "z"}]
    for key in keys:
        written = owner.execute(f"select {_cursor('z.c')} from (select %s::jsonb as c) z", (Jsonb(key),)).fetchone()[0]
        assert written == encode_cursor(key), key
    assert any(c in encode_cursor(k) for k in keys for c in "-_")   # the case the replacements are for


def test_native_placeholders_number_each_name_once_and_keep_percent_signs():
    from rustok.graphql.compiled import Unsupported, native_placeholders

    sql, names = native_placeholders("select %(a)s::text, %(b)s::int, %(a)s::text, 'x%%y', format('%%s', %(c)s)")
    assert sql == b"select $1::text, $2::int, $1::text, 'x%y', format('%s', $3)"
    assert names == ("a", "b", "c")
    assert native_placeholders("select 1") == (b"select 1", ())
    with pytest.raises(Unsupported):     # psycopg would refuse it too: never sent
        native_placeholders("select 5 % 2")


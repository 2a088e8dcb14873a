"""Back-office mutations over HTTP: module toggles, user roles and deactivation, tags by name, SEO meta."""

from __future__ import annotations

import psycopg

from rustok.ids import parse_id
from tests.graphql.conftest import login, new_tenant, new_user

ERRS = "userErrors { field code message } position"


def test_modules_users_tags_and_seo(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@adm.example", "admin")
    new_user(owner, slug, "eve@adm.example", "author")
    boss = login(gql, slug, "boss@adm.example")
    eve = login(gql, slug, "eve@adm.example")

    # modules: off, then reads of it answer MODULE_DISABLED; on again
    off = gql(f'mutation {{ setModuleEnabled(module: "community", enabled: false) {{ module {{ module enabled }} {ERRS} }} }}',
              tenant=slug, token=boss)["data"]["setModuleEnabled"]
    assert off["module"] == {"module": "community", "enabled": False} and off["userErrors"] == []
    unknown = gql(f'mutation {{ setModuleEnabled(module: "chat", enabled: true) {{ {ERRS} }} }}', tenant=slug,
                  token=boss)["data"]["setModuleEnabled"]["userErrors"][0]
    assert unknown["code"] == "NOT_FOUND" and unknown["field"] == "module" and "chat" in unknown["message"]
    gql('mutation { setModuleEnabled(module: "community", enabled: true) { position } }', tenant=slug, token=boss)

    # users: promote eve to editor, then deactivate her (her session ends)
    eve_id = owner.execute("select id from core.users where email = 'eve@adm.example'").fetchone()[0]
    role = gql(f'mutation($u: ID!) {{ changeUserRole(userId: $u, role: editor) {{ user {{ role permissions }} {ERRS} }} }}',
               {"u": str(eve_id)}, tenant=slug, token=boss)["data"]["changeUserRole"]
    assert role["user"]["role"] == "editor" and "content:publish" in role["user"]["permissions"]
    assert gql("{ me { role } }", tenant=slug, token=eve)["data"]["me"]["role"] == "editor"
    me_id = owner.execute("select id from core.users where email = 'boss@adm.example'").fetchone()[0]
    own = gql(f'mutation($u: ID!) {{ changeUserRole(userId: $u, role: customer) {{ {ERRS} }} }}', {"u": str(me_id)},
              tenant=slug, token=boss)["data"]["changeUserRole"]["userErrors"][0]
    assert own["code"] == "INVALID" and "your own" in own["message"]
    gql('mutation($u: ID!) { deactivateUser(userId: $u) { user { status } } }', {"u": str(eve_id)}, tenant=slug, token=boss)
    assert gql("{ me { role } }", tenant=slug, token=eve)["data"]["me"] is None

    # tags by name and SEO meta of a product, projected to the read model
    product = gql('mutation { createProduct(input: {title: "Lamp", handle: "lamp", status: published}) { product { id } } }',
                  tenant=slug, token=boss)["data"]["createProduct"]["product"]["id"]
    tags = gql(f'mutation($p: ID!) {{ setTags(targetType: product, targetId: $p, names: ["Summer", "New in"]) '
               f'{{ tags {{ name slug }} {ERRS} }} }}', {"p": product}, tenant=slug, token=boss)["data"]["setTags"]
    assert tags["tags"] == [{"name": "New in", "slug": "new-in"}, {"name": "Summer", "slug": "summer"}]
    again = gql('mutation($p: ID!) { setTags(targetType: product, targetId: $p, names: ["summer"]) { tags { slug } } }',
                {"p": product}, tenant=slug, token=boss)["data"]["setTags"]
    assert again["tags"] == [{"slug": "summer"}]   # replaced, matched by name case-insensitively
    seo = gql(f'mutation($p: ID!) {{ setSeo(targetType: product, targetId: $p, input: {{title: "Lamp | Shop", robots: "index"}}) '
              f'{{ seo {{ title robots description }} {ERRS} }} }}', {"p": product}, tenant=slug, token=boss)["data"]["setSeo"]
    assert seo["seo"] == {"title": "Lamp | Shop", "robots": "index", "description": None}
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    read = gql('{ product(handle: "lamp") { tags { slug } seo { title robots } } }', tenant=slug)["data"]["product"]
    assert read == {"tags": [{"slug": "summer"}], "seo": {"title": "Lamp | Shop", "robots": "index"}}
    missing = gql(f'mutation {{ setSeo(targetType: product, targetId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", input: {{title: "x"}}) '
                  f'{{ {ERRS} }} }}', tenant=slug, token=boss)["data"]["setSeo"]["userErrors"][0]
    assert missing["code"] == "NOT_FOUND" and missing["field"] == "targetId"


def test_variants_and_catalog_categories(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@cat2.example", "admin")
    new_user(owner, slug, "amy@cat2.example", "author")
    boss, amy = login(gql, slug, "boss@cat2.example"), login(gql, slug, "amy@cat2.example")
    pid = gql('mutation { createProduct(input: {title: "Mug", handle: "mug", status: published, variants: '
              '[{title: "Small", sku: "MUG-S", prices: [{amount: 900, currencyCode: "EUR"}]}]}) { product { id } } }',
              tenant=slug, token=boss)["data"]["createProduct"]["product"]["id"]
    added = gql(f'mutation($p: ID!) {{ addVariant(productId: $p, input: {{title: "Large", sku: "MUG-L", prices: '
                f'[{{amount: 1200, currencyCode: "EUR"}}]}}) {{ product {{ variants {{ id sku position prices {{ amount }} }} }} {ERRS} }} }}',
                {"p": pid}, tenant=slug, token=boss)["data"]["addVariant"]
    variants = added["product"]["variants"]
    assert [(v["sku"], v["position"], v["prices"][0]["amount"]) for v in variants] == [("MUG-S", 0, 900), ("MUG-L", 1, 1200)]
    small, large = variants[0]["id"], variants[1]["id"]
    dup = gql(f'mutation($p: ID!) {{ addVariant(productId: $p, input: {{title: "Again", sku: "MUG-L"}}) {{ {ERRS} }} }}',
              {"p": pid}, tenant=slug, token=boss)["data"]["addVariant"]["userErrors"][0]
    assert dup["code"] == "DUPLICATE" and dup["field"] == "sku"
    gql('mutation($v: ID!) { updateVariant(id: $v, input: {title: "Big"}) { position } }', {"v": large}, tenant=slug, token=boss)
    order = gql('mutation($p: ID!, $ids: [ID!]!) { reorderVariants(productId: $p, variantIds: $ids) '
                '{ product { variants { title } } } }', {"p": pid, "ids": [large, small]}, tenant=slug,
                token=boss)["data"]["reorderVariants"]["product"]["variants"]
    assert [v["title"] for v in order] == ["Big", "Small"]
    bad = gql(f'mutation($p: ID!, $ids: [ID!]!) {{ reorderVariants(productId: $p, variantIds: $ids) {{ {ERRS} }} }}',
              {"p": pid, "ids": [large]}, tenant=slug, token=boss)["data"]["reorderVariants"]["userErrors"][0]
    assert bad["code"] == "INVALID" and bad["field"] == "variantIds"
    left = gql('mutation($v: ID!) { deleteVariant(id: $v) { product { variants { sku } } } }', {"v": small}, tenant=slug,
               token=boss)["data"]["deleteVariant"]["product"]["variants"]
    assert left == [{"sku": "MUG-L"}]

    parent = gql('mutation { createCategory(input: {name: "Kitchen", handle: "kitchen"}) { category { id } } }',
                 tenant=slug, token=boss)["data"]["createCategory"]["category"]["id"]
    child = gql(f'mutation($p: ID!, $m: [ID!], $h: ID!) {{ createCategory(input: {{name: "Mugs", handle: "mugs", parentId: $p, '
                f'productIds: $m}}) {{ category {{ id parentId productCount hasProduct(productId: $h) }} {ERRS} }} }}',
                {"p": parent, "m": [pid], "h": pid}, tenant=slug, token=boss)["data"]["createCategory"]
    assert child["category"]["parentId"] == parent and child["category"]["productCount"] == 1
    assert child["category"]["hasProduct"] is True
    refused = gql('mutation { createCategory(input: {name: "X", handle: "x"}) { position } }', tenant=slug, token=amy,
                  expect_errors=True)["errors"][0]
    assert refused["extensions"]["code"] == "FORBIDDEN"
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    tree = gql('{ categories { handle children { handle products { nodes { handle variants { title } } } } } }',
               tenant=slug)["data"]["categories"]
    assert tree == [{"handle": "kitchen", "children": [
        {"handle": "mugs", "products": {"nodes": [{"handle": "mug", "variants": [{"title": "Big"}]}]}}]}]
    gone = gql('mutation($c: ID!) { deleteCategory(id: $c) { deleted } }', {"c": child["category"]["id"]}, tenant=slug,
               token=boss)["data"]["deleteCategory"]
    assert gone == {"deleted": True}


def test_price_lists_cancellation_and_follows(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@pl.example", "admin")
    new_user(owner, slug, "cal@pl.example", "customer")
    boss, cal = login(gql, slug, "boss@pl.example"), login(gql, slug, "cal@pl.example")
    product = gql('mutation { createProduct(input: {title: "Kite", handle: "kite", status: published, variants: '
                  '[{sku: "KITE", prices: [{amount: 5000, currencyCode: "EUR"}], stock: 5}]}) '
                  '{ product { variants { id } } } }', tenant=slug, token=boss)["data"]["createProduct"]["product"]
    variant = product["variants"][0]["id"]
    plist = gql(f'mutation($v: ID!) {{ createPriceList(input: {{title: "Spring", type: sale, endsAt: "2999-01-01T00:00:00Z", '
                f'prices: [{{variantId: $v, amount: 3900, currencyCode: "EUR"}}]}}) '
                f'{{ priceList {{ title type status priceCount endsAt }} {ERRS} }} }}', {"v": variant}, tenant=slug,
                token=boss)["data"]["createPriceList"]
    assert plist["priceList"]["priceCount"] == 1 and plist["priceList"]["status"] == "active"
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    card = gql('{ products(currency: "EUR") { nodes { price { calculated { amount } original { amount } onSale } } } }',
               tenant=slug)["data"]["products"]["nodes"][0]
    assert card["price"] == {"calculated": {"amount": 3900}, "original": {"amount": 5000}, "onSale": True}
    bad = gql(f'mutation($v: ID!) {{ createPriceList(input: {{title: "Neg", prices: [{{variantId: $v, amount: -1, '
              f'currencyCode: "EUR"}}]}}) {{ {ERRS} }} }}', {"v": variant}, tenant=slug, token=boss)["data"]["createPriceList"]
    assert bad["userErrors"][0]["code"] == "INVALID" and bad["position"] is None

    order = gql('mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: 1}]}) '
                '{ order { id total { amount } } } }', {"v": variant}, tenant=slug, token=cal)["data"]["placeOrder"]["order"]
    assert order["total"] == {"amount": 3900}   # the sale price was charged
    no_reason = gql(f'mutation($o: ID!) {{ cancelOrder(id: $o, reason: " ") {{ {ERRS} }} }}', {"o": order["id"]},
                    tenant=slug, token=boss)["data"]["cancelOrder"]["userErrors"][0]
    assert no_reason["field"] == "reason" and no_reason["code"] == "INVALID"
    cancelled = gql('mutation($o: ID!) { cancelOrder(id: $o, reason: "customer asked") { order { status } } }',
                    {"o": order["id"]}, tenant=slug, token=boss)["data"]["cancelOrder"]["order"]
    assert cancelled["status"] == "cancelled"
    meta = owner.execute("select metadata->'cancellation'->>'reason' from commerce.orders where id = %s",
                         (order["id"],)).fetchone()[0]
    assert meta == "customer asked"
    assert gql('mutation($o: ID!) { cancelOrder(id: $o, reason: "x") { position } }', {"o": order["id"]}, tenant=slug,
               token=cal, expect_errors=True)["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # follows: a customer follows the shop's admin (an author of a post)
    post = gql('mutation { createNode(input: {kind: post, title: "News"}) { node { id authorId } } }', tenant=slug,
               token=boss)["data"]["createNode"]["node"]
    gql('mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }', {"i": [post["id"]]}, tenant=slug, token=boss)
    followed = gql('mutation($u: ID!) { follow(targetType: user, targetId: $u) { following } }', {"u": post["authorId"]},
                   tenant=slug, token=cal)["data"]["follow"]
    assert followed == {"following": True}
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    author = gql("query($u: ID!) { author(id: $u) { followerCount viewerFollows } }", {"u": post["authorId"]},
                 tenant=slug, token=cal)["data"]["author"]
    assert author == {"followerCount": 1, "viewerFollows": True}
    gql('mutation($u: ID!) { unfollow(targetType: user, targetId: $u) { following } }', {"u": post["authorId"]},
        tenant=slug, token=cal)
    assert gql("query($u: ID!) { author(id: $u) { followerCount } }", {"u": post["authorId"]},
               tenant=slug)["data"]["author"]["followerCount"] == 0
    anon = gql('mutation($u: ID!) { follow(targetType: user, targetId: $u) { following } }', {"u": post["authorId"]},
               tenant=slug, expect_errors=True)["errors"][0]
    assert anon["extensions"]["code"] == "UNAUTHENTICATED"


def test_stock_locations_and_inventory_adjustments(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@inv.example", "admin")
    boss = login(gql, slug, "boss@inv.example")
    variant = gql('mutation { createProduct(input: {title: "Rope", handle: "rope", status: published, variants: '
                  '[{sku: "ROPE", prices: [{amount: 100, currencyCode: "EUR"}], stock: 4}]}) { product { variants { id } } } }',
                  tenant=slug, token=boss)["data"]["createProduct"]["product"]["variants"][0]["id"]
    store = gql('mutation { createStockLocation(name: "Harbour store") { location { id name } } }', tenant=slug,
                token=boss)["data"]["createStockLocation"]["location"]
    added = gql('mutation($v: ID!, $l: ID) { adjustInventory(variantId: $v, locationId: $l, delta: 6, reason: "delivery") '
                '{ product { variants { stocked } } } }', {"v": variant, "l": store["id"]}, tenant=slug,
                token=boss)["data"]["adjustInventory"]
    assert added["product"]["variants"][0]["stocked"] in (4, 10)   # the record shows the first location's level
    too_many = gql(f'mutation($v: ID!) {{ adjustInventory(variantId: $v, delta: -9, reason: "lost") {{ {ERRS} }} }}',
                   {"v": variant}, tenant=slug, token=boss)["data"]["adjustInventory"]["userErrors"][0]
    assert too_many["field"] == "delta" and too_many["code"] == "INVALID" and "below 0" in too_many["message"]
    no_reason = gql(f'mutation($v: ID!) {{ adjustInventory(variantId: $v, delta: 1, reason: "") {{ {ERRS} }} }}',
                    {"v": variant}, tenant=slug, token=boss)["data"]["adjustInventory"]["userErrors"][0]
    assert no_reason["field"] == "reason"
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    stock = gql('query($v: ID!) { node(id: $v) { ... on Variant { stock { location { name } stocked available } } } }',
                {"v": variant}, tenant=slug, token=boss)["data"]["node"]["stock"]
    assert {(s["location"]["name"], s["stocked"]) for s in stock} == {("Default", 4), ("Harbour store", 6)}
    log = owner.execute("select delta, stocked_after, reason from commerce.inventory_adjustments a "
                        "join core.tenants t on t.id = a.tenant_id where t.slug = %s", (slug,)).fetchall()
    assert log == [(6, 6, "delivery")]


def test_content_categories_and_revisions(gql, owner, api_db):
    slug = new_tenant(owner)
    new_user(owner, slug, "ed@cc.example", "editor")
    new_user(owner, slug, "al@cc.example", "author")
    ed, al = login(gql, slug, "ed@cc.example"), login(gql, slug, "al@cc.example")
    news = gql(f'mutation {{ createContentCategory(input: {{name: "News"}}) {{ category {{ id slug }} {ERRS} }} }}',
               tenant=slug, token=ed)["data"]["createContentCategory"]
    assert news["category"]["slug"] == "news" and news["userErrors"] == []
    sub = gql('mutation($p: ID!) { createContentCategory(input: {name: "Releases", parentId: $p}) { category { id parentId } } }',
              {"p": news["category"]["id"]}, tenant=slug, token=ed)["data"]["createContentCategory"]["category"]
    assert sub["parentId"] == news["category"]["id"]
    dup = gql(f'mutation {{ createContentCategory(input: {{name: "Again", slug: "news"}}) {{ {ERRS} }} }}', tenant=slug,
              token=ed)["data"]["createContentCategory"]["userErrors"][0]
    assert dup["code"] == "DUPLICATE" and dup["field"] == "slug"
    assert gql('mutation { createContentCategory(input: {name: "Mine"}) { position } }', tenant=slug, token=al,
               expect_errors=True)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    tree = gql("{ contentCategories { slug children { slug } } }", tenant=slug)["data"]["contentCategories"]
    assert tree == [{"slug": "news", "children": [{"slug": "releases"}]}]

    # revisions: the author sees their own node's revisions, not others'
    post = gql('mutation { createNode(input: {kind: post, title: "v1", body: "one"}) { node { id } } }', tenant=slug,
               token=al)["data"]["createNode"]["node"]["id"]
    gql('mutation($i: ID!) { updateNode(id: $i, input: {title: "v2", body: "two"}) { position } }', {"i": post},
        tenant=slug, token=al)
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    revs = gql("query($i: ID!) { content(id: $i) { revisions { nodes { title editedBy } } } }", {"i": post}, tenant=slug,
               token=al)["data"]["content"]["revisions"]["nodes"]
    assert "v1" in [r["title"] for r in revs] and all(r["editedBy"] for r in revs)
    other = gql('mutation { createNode(input: {kind: post, title: "Editor post"}) { node { id } } }', tenant=slug,
                token=ed)["data"]["createNode"]["node"]["id"]
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    refused = gql("query($i: ID!) { content(id: $i) { revisions { nodes { title } } } }", {"i": other}, tenant=slug, token=al,
                  expect_errors=True)["errors"][0]
    assert refused["extensions"]["code"] == "FORBIDDEN" and "you authored" in refused["message"]
    gone = gql('mutation($c: ID!) { deleteContentCategory(id: $c) { deleted } }', {"c": sub["id"]}, tenant=slug,
               token=ed)["data"]["deleteContentCategory"]
    assert gone == {"deleted": True}


def test_seo_of_catalog_and_content_categories(gql, owner, api_db):
    """setSeo on both kinds of categories: set, read back (storefront trees, staff records), refused for another
    tenant's category, a role without the permission and a disabled module; the meta goes with the category."""
    slug, other = new_tenant(owner), new_tenant(owner)
    new_user(owner, slug, "boss@cseo.example", "admin")
    new_user(owner, slug, "ed@cseo.example", "editor")
    new_user(owner, slug, "al@cseo.example", "author")
    new_user(owner, other, "boss@cseo2.example", "admin")
    boss, ed, al = (login(gql, slug, e) for e in ("boss@cseo.example", "ed@cseo.example", "al@cseo.example"))
    stranger = login(gql, other, "boss@cseo2.example")
    kitchen = gql('mutation { createCategory(input: {name: "Kitchen", handle: "kitchen"}) { category { id } } }',
                  tenant=slug, token=boss)["data"]["createCategory"]["category"]["id"]
    news = gql('mutation { createContentCategory(input: {name: "News"}) { category { id } } }',
               tenant=slug, token=ed)["data"]["createContentCategory"]["category"]["id"]
    set_seo = ('mutation($t: SeoTarget!, $i: ID!, $s: SeoInput!) { setSeo(targetType: $t, targetId: $i, input: $s) '
               f'{{ seo {{ title description canonicalUrl imageUrl robots }} {ERRS} }} }}')

    # set: a catalog category by catalog:write, a content category by content:write_all
    done = gql(set_seo, {"t": "catalog_category", "i": kitchen, "s": {"title": "Kitchen | Shop", "description": "Pots",
                                                                      "canonicalUrl": "https://shop.example/kitchen"}},
               tenant=slug, token=boss)["data"]["setSeo"]
    assert done["userErrors"] == [] and done["seo"] == {"title": "Kitchen | Shop", "description": "Pots",
                                                        "canonicalUrl": "https://shop.example/kitchen",
                                                        "imageUrl": None, "robots": None}
    done = gql(set_seo, {"t": "content_category", "i": news, "s": {"title": "News", "robots": "noindex"}},
               tenant=slug, token=ed)["data"]["setSeo"]
    assert done["userErrors"] == [] and done["seo"]["robots"] == "noindex"

    # read back: storefront (anonymous) and staff
    tree = gql('{ categories { handle seo { title description robots } } }', tenant=slug)["data"]["categories"]
    assert tree == [{"handle": "kitchen", "seo": {"title": "Kitchen | Shop", "description": "Pots", "robots": None}}]
    one = gql('{ category(handle: "kitchen") { seo { canonicalUrl } } }', tenant=slug)["data"]["category"]
    assert one == {"seo": {"canonicalUrl": "https://shop.example/kitchen"}}
    assert gql('{ contentCategories { slug seo { title robots } } }', tenant=slug)["data"]["contentCategories"] == [
        {"slug": "news", "seo": {"title": "News", "robots": "noindex"}}]
    staff = gql('{ allCategories { nodes { handle seo { title } } } }', tenant=slug, token=boss)["data"]["allCategories"]
    assert staff["nodes"] == [{"handle": "kitchen", "seo": {"title": "Kitchen | Shop"}}]
    staff = gql('{ categories { seo { title } } }', tenant=slug, token=boss)["data"]["categories"]
    assert staff == [{"seo": {"title": "Kitchen | Shop"}}]
    changed = gql('mutation($c: ID!) { updateContentCategory(id: $c, input: {position: 1}) { category { seo { title } } } }',
                  {"c": news}, tenant=slug, token=ed)["data"]["updateContentCategory"]["category"]
    assert changed == {"seo": {"title": "News"}}
    # no meta: every field null
    bare = gql('mutation { createCategory(input: {name: "Bare", handle: "bare"}) { category { seo { title robots } } } }',
               tenant=slug, token=boss)["data"]["createCategory"]["category"]
    assert bare == {"seo": {"title": None, "robots": None}}
    # set again replaces: absent fields are cleared
    gql(set_seo, {"t": "catalog_category", "i": kitchen, "s": {"title": "Kitchen"}}, tenant=slug, token=boss)
    again = gql('{ category(handle: "kitchen") { seo { title description } } }', tenant=slug)["data"]["category"]
    assert again == {"seo": {"title": "Kitchen", "description": None}}

    # refused: a bad value (the field named), another tenant's category or an unknown id (NOT_FOUND on targetId),
    # a role without the permission
    bad = gql(set_seo, {"t": "content_category", "i": news, "s": {"canonicalUrl": "not a url"}}, tenant=slug,
              token=ed)["data"]["setSeo"]
    assert bad["seo"] is None and bad["userErrors"][0]["field"] == "canonicalUrl", bad
    assert bad["userErrors"][0]["code"] == "INVALID"
    for target_type, target in (("catalog_category", kitchen), ("content_category", news)):
        foreign = gql(set_seo, {"t": target_type, "i": target, "s": {"title": "x"}}, tenant=other,
                      token=stranger)["data"]["setSeo"]
        assert foreign["seo"] is None
        assert foreign["userErrors"][0]["code"] == "NOT_FOUND" and foreign["userErrors"][0]["field"] == "targetId"
        assert "category" in foreign["userErrors"][0]["message"]
    missing = gql(set_seo, {"t": "content_category", "i": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "s": {"title": "x"}},
                  tenant=slug, token=ed)["data"]["setSeo"]["userErrors"][0]
    assert missing["code"] == "NOT_FOUND" and missing["field"] == "targetId" and "content category" in missing["message"]
    for token, target_type, target in ((al, "catalog_category", kitchen), (al, "content_category", news),
                                       (ed, "catalog_category", kitchen)):
        refused = gql(set_seo, {"t": target_type, "i": target, "s": {"title": "x"}}, tenant=slug, token=token,
                      expect_errors=True)["errors"][0]
        assert refused["extensions"]["code"] == "FORBIDDEN", refused
    titles = dict(owner.execute("select target_type, title from content.meta where target_id in (%s, %s)",
                                (parse_id(kitchen), parse_id(news))).fetchall())
    assert titles == {"catalog_category": "Kitchen", "content_category": "News"}   # nothing written by the refusals

    # a disabled module: MODULE_DISABLED naming it, as the other category operations answer
    for module, target_type, target in (("commerce", "catalog_category", kitchen), ("content", "content_category", news)):
        gql(f'mutation {{ setModuleEnabled(module: "{module}", enabled: false) {{ position }} }}', tenant=slug, token=boss)
        off = gql(set_seo, {"t": target_type, "i": target, "s": {"title": "x"}}, tenant=slug, token=boss,
                  expect_errors=True)["errors"][0]
        assert off["extensions"]["code"] == "MODULE_DISABLED" and off["extensions"]["module"] == module, off
        gql(f'mutation {{ setModuleEnabled(module: "{module}", enabled: true) {{ position }} }}', tenant=slug, token=boss)

    # deleting a category removes its meta
    gql('mutation($c: ID!) { deleteCategory(id: $c) { deleted } }', {"c": kitchen}, tenant=slug, token=boss)
    gql('mutation($c: ID!) { deleteContentCategory(id: $c) { deleted } }', {"c": news}, tenant=slug, token=ed)
    left = owner.execute("select count(*) from content.meta where target_id in (%s, %s)",
                         (parse_id(kitchen), parse_id(news))).fetchone()[0]
    assert left == 0

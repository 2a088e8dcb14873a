"""Tag management over GraphQL (schema/tags.graphql): the tenant's tags with their uses (a Relay connection with
search), rename, merge and delete; refusals as userErrors writing nothing; tags:manage checked by the API and by
the SQL functions; tenants apart; the read model follows (products and posts show the new tags)."""

from __future__ import annotations

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user

LIST = """query($s: String, $first: Int, $after: String, $last: Int, $before: String) {
  staffTags(search: $s, first: $first, after: $after, last: $last, before: $before) {
    totalCount totalCountCapped
    edges { cursor node { id name slug productCount contentCount uses } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
RENAME = """mutation($id: ID!, $name: String!, $slug: String) { renameTag(id: $id, name: $name, slug: $slug) {
  tag { id name slug uses } userErrors { field code message } position } }"""
MERGE = """mutation($s: [ID!]!, $t: ID!) { mergeTags(sourceIds: $s, targetId: $t) {
  tag { id name productCount contentCount } userErrors { field code message } position } }"""
DELETE = """mutation($id: ID!) { deleteTag(id: $id) { deleted userErrors { field code message } position } }"""
SET_TAGS = """mutation($t: TagTarget!, $id: ID!, $n: [String!]!) { setTags(targetType: $t, targetId: $id, names: $n) {
  userErrors { message } } }"""


def _product(gql, slug, token, handle):
    data = gql("""mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } userErrors { message } } }""",
               {"i": {"title": handle.title(), "handle": handle, "status": "published",
                      "variants": [{"title": "Default", "sku": handle.upper()}]}}, tenant=slug, token=token)
    return data["data"]["createProduct"]["product"]["id"]


def _post(gql, slug, token, title):
    data = gql("""mutation($i: CreateNodeInput!) { createNode(input: $i) { node { id } } }""",
               {"i": {"kind": "post", "title": title, "body": "x"}}, tenant=slug, token=token)
    return data["data"]["createNode"]["node"]["id"]


@pytest.fixture
def tagged(gql, shop):
    """Products and a post with tags: summer (2 products, 1 post), Summertime (1 product), kitchen (1 product)."""
    slug, staff, _ = shop
    tee, mug, hat = (_product(gql, slug, staff, h) for h in ("tee", "mug", "hat"))
    post = _post(gql, slug, staff, "Summer news")
    for target, kind, names in ((tee, "product", ["summer"]), (hat, "product", ["summer", "Summertime"]),
                                (mug, "product", ["kitchen"]), (post, "node", ["summer"])):
        assert gql(SET_TAGS, {"t": kind, "id": target, "n": names}, tenant=slug, token=staff)["data"]["setTags"][
            "userErrors"] == []
    return {"tee": tee, "mug": mug, "hat": hat, "post": post}


def _tags(gql, slug, token, **variables):
    return gql(LIST, variables, tenant=slug, token=token)["data"]["staffTags"]


def test_the_list_has_uses_search_and_pages(gql, shop, tagged):
    slug, staff, _ = shop
    page = _tags(gql, slug, staff)
    assert page["totalCount"] == 3 and page["totalCountCapped"] is False
    rows = {e["node"]["name"]: e["node"] for e in page["edges"]}
    assert [e["node"]["name"] for e in page["edges"]] == ["kitchen", "summer", "Summertime"]   # by name, any case
    assert (rows["summer"]["productCount"], rows["summer"]["contentCount"], rows["summer"]["uses"]) == (2, 1, 3)
    assert (rows["Summertime"]["productCount"], rows["kitchen"]["uses"]) == (1, 1)
    found = _tags(gql, slug, staff, s="SUMM")
    assert [e["node"]["slug"] for e in found["edges"]] == ["summer", "summertime"] and found["totalCount"] == 2
    assert _tags(gql, slug, staff, s="100%_")["totalCount"] == 0           # LIKE characters are literal
    # paging: forwards one at a time, then back
    first = _tags(gql, slug, staff, first=1)
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = _tags(gql, slug, staff, first=1, after=first["pageInfo"]["endCursor"])
    assert second["edges"][0]["node"]["name"] == "summer" and second["pageInfo"]["hasPreviousPage"]
    back = _tags(gql, slug, staff, last=2, before=_tags(gql, slug, staff, first=3)["pageInfo"]["endCursor"])
    assert [e["node"]["name"] for e in back["edges"]] == ["kitchen", "summer"] and not back["pageInfo"]["hasPreviousPage"]
    bad = gql(LIST, {"after": "bm90LWEtY3Vyc29y"}, tenant=slug, token=staff, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_rename_merge_and_delete(gql, shop, tagged, owner):
    slug, staff, _ = shop
    ids = {e["node"]["slug"]: e["node"]["id"] for e in _tags(gql, slug, staff)["edges"]}
    renamed = gql(RENAME, {"id": ids["kitchen"], "name": "Kitchen & Table", "slug": "kitchen-table"},
                  tenant=slug, token=staff)["data"]["renameTag"]
    assert renamed["userErrors"] == [] and renamed["tag"] == {"id": ids["kitchen"], "name": "Kitchen & Table",
                                                              "slug": "kitchen-table", "uses": 1}
    owner.execute("select outbox.drain('index')")
    mug = gql('{ product(handle: "mug") { tags { name slug } } }', tenant=slug)["data"]["product"]
    assert mug["tags"] == [{"name": "Kitchen & Table", "slug": "kitchen-table"}]

    # merge Summertime into summer: the hat carries summer once, Summertime is gone
    merged = gql(MERGE, {"s": [ids["summertime"]], "t": ids["summer"]}, tenant=slug, token=staff)["data"]["mergeTags"]
    assert merged["userErrors"] == [] and (merged["tag"]["productCount"], merged["tag"]["contentCount"]) == (2, 1)
    assert [e["node"]["slug"] for e in _tags(gql, slug, staff)["edges"]] == ["kitchen-table", "summer"]
    owner.execute("select outbox.drain('index')")
    hat = gql('{ product(handle: "hat") { tags { slug } } }', tenant=slug)["data"]["product"]
    assert hat["tags"] == [{"slug": "summer"}]

    deleted = gql(DELETE, {"id": ids["summer"]}, tenant=slug, token=staff)["data"]["deleteTag"]
    assert deleted["deleted"] is True and deleted["position"]
    owner.execute("select outbox.drain('index')")
    assert gql('{ product(handle: "tee") { tags { slug } } }', tenant=slug)["data"]["product"]["tags"] == []
    assert [e["node"]["slug"] for e in _tags(gql, slug, staff)["edges"]] == ["kitchen-table"]


def test_refusals_are_user_errors_and_write_nothing(gql, shop, tagged, owner):
    slug, staff, _ = shop
    ids = {e["node"]["slug"]: e["node"]["id"] for e in _tags(gql, slug, staff)["edges"]}
    before = owner.execute("select count(*), string_agg(name || slug, ',' order by id) from content.tags "
                           "where tenant_id = core.tenant_id_by_slug(%s)", (slug,)).fetchone()
    links = owner.execute("select count(*) from content.taggables where tenant_id = core.tenant_id_by_slug(%s)",
                          (slug,)).fetchone()
    taken = gql(RENAME, {"id": ids["kitchen"], "name": "Kitchen", "slug": "summer"}, tenant=slug, token=staff)
    assert taken["data"]["renameTag"]["userErrors"][0]["code"] == "DUPLICATE"
    assert taken["data"]["renameTag"]["userErrors"][0]["field"] == "slug"
    empty = gql(RENAME, {"id": ids["kitchen"], "name": "  "}, tenant=slug, token=staff)["data"]["renameTag"]
    assert empty["userErrors"][0]["field"] == "name" and empty["position"] is None
    bad_slug = gql(RENAME, {"id": ids["kitchen"], "name": "K", "slug": "Not A Slug!"}, tenant=slug, token=staff)
    assert bad_slug["data"]["renameTag"]["userErrors"][0]["field"] == "slug"
    itself = gql(MERGE, {"s": [ids["summer"]], "t": ids["summer"]}, tenant=slug, token=staff)["data"]["mergeTags"]
    assert itself["userErrors"][0]["field"] == "sourceIds"
    unknown = gql(MERGE, {"s": [ids["summer"], "01a2352c-9823-15ae-602f-d4121a6e4bc7"], "t": ids["kitchen"]},
                  tenant=slug, token=staff)["data"]["mergeTags"]
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND" and unknown["userErrors"][0]["field"] == "sourceIds"
    missing = gql(DELETE, {"id": "01a2352c-9823-15ae-602f-d4121a6e4bc7"}, tenant=slug, token=staff)["data"]["deleteTag"]
    assert missing["userErrors"][0]["code"] == "NOT_FOUND"
    # another tenant's staff cannot reach these tags
    other = new_tenant(owner)
    new_user(owner, other, "boss@other.example", "admin")
    boss = login(gql, other, "boss@other.example")
    assert _tags(gql, other, boss)["totalCount"] == 0
    across = gql(DELETE, {"id": ids["summer"]}, tenant=other, token=boss)["data"]["deleteTag"]
    assert across["userErrors"][0]["code"] == "NOT_FOUND"
    assert owner.execute("select count(*), string_agg(name || slug, ',' order by id) from content.tags "
                         "where tenant_id = core.tenant_id_by_slug(%s)", (slug,)).fetchone() == before
    assert owner.execute("select count(*) from content.taggables where tenant_id = core.tenant_id_by_slug(%s)",
                         (slug,)).fetchone() == links


def test_tags_manage_is_checked_by_the_api_and_by_sql(gql, shop, tagged, owner):
    slug, staff, customer = shop
    ids = {e["node"]["slug"]: e["node"]["id"] for e in _tags(gql, slug, staff)["edges"]}
    new_user(owner, slug, "author@shop.example", "author")
    new_user(owner, slug, "editor@shop.example", "editor")
    author = login(gql, slug, "author@shop.example")
    for token in (None, customer, author):
        refused = gql(LIST, {}, tenant=slug, token=token, expect_errors=True)
        assert refused["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
        refused = gql(DELETE, {"id": ids["summer"]}, tenant=slug, token=token, expect_errors=True)
        assert refused["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    editor = login(gql, slug, "editor@shop.example")
    assert _tags(gql, slug, editor)["totalCount"] == 3
    # the SQL functions check on their own (an author from psql, as the API's role)
    author_id = owner.execute("select id from core.users where email = 'author@shop.example' "
                              "and tenant_id = core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
    for sql, params in (("select content.delete_tag(%s)", (ids["summer"],)),
                        ("select content.rename_tag(%s, 'x')", (ids["summer"],)),
                        ("select content.merge_tags(array[%s]::uuid[], %s)", (ids["summer"], ids["kitchen"])),
                        ("select * from content.list_tags(null, null, null, 10, false)", ())):
        with pytest.raises(psycopg.Error) as caught, owner.transaction():
            owner.execute("set local role rustok_app")
            owner.execute("select core.set_tenant(core.tenant_id_by_slug(%s)), set_config('rustok.user_id', %s, true), "
                          "set_config('rustok.actor', 'api', true)", (slug, str(author_id)))
            owner.execute(sql, params)
        assert caught.value.sqlstate == "42501", sql

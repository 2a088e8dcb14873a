"""Storefront content reads over HTTP: a post with its comment tree (replies paged), the unified search,
community reads (reaction counts, the viewer's reactions, followers, an author's profile and reputation)."""

from __future__ import annotations

import psycopg

from tests.graphql.test_content_api import _post


def drain(api_db):
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")


def _comment(gql, slug, token, parent, body):
    return gql('mutation($p: ID!, $b: String!) { addComment(parentId: $p, body: $b) { node { id } } }',
               {"p": parent, "b": body}, tenant=slug, token=token)["data"]["addComment"]["node"]["id"]


POST = """query($s: String!, $after: String) { content(kind: post, slug: $s) {
  id title author { id name reputation { score reactionsReceived } followerCount viewerFollows }
  reactions { kind count } viewerReactions followerCount replyCount
  comments(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { bodyPreview parent { id } comments(first: 5) { totalCount nodes { bodyPreview } } } } }
} }"""


def test_post_with_comment_tree_and_community_counts(gql, shop, owner, api_db):
    slug, staff, buyer = shop
    post = _post(gql, slug, staff, title="Garden diary", body="Tomatoes and basil")
    gql('mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids } }', {"ids": [post["id"]]}, tenant=slug, token=staff)
    top = [_comment(gql, slug, staff, post["id"], f"comment {i}") for i in range(3)]   # staff: approved at once
    _comment(gql, slug, staff, top[0], "a reply")
    _comment(gql, slug, buyer, post["id"], "pending one")   # a customer's comment waits for moderation
    gql('mutation($n: ID!) { react(nodeId: $n, kind: "like") { reacted } }', {"n": post["id"]}, tenant=slug, token=buyer)
    owner.execute("insert into community.follows (tenant_id, follower_id, node_id) "
                  "select tenant_id, (select id from core.users where tenant_id = n.tenant_id and email = 'buyer@shop.example'), id "
                  "from content.nodes n where id = %s", (post["id"],))
    drain(api_db)
    page = gql(POST, {"s": "garden-diary"}, tenant=slug, token=buyer)["data"]["content"]
    assert page["author"]["name"] == "Staff" and page["author"]["reputation"]["reactionsReceived"] == 1
    assert page["reactions"] == [{"kind": "like", "count": 1}] and page["viewerReactions"] == ["like"]
    assert page["followerCount"] == 1 and page["author"]["viewerFollows"] is False
    comments = page["comments"]
    assert comments["totalCount"] == 3 and comments["pageInfo"]["hasNextPage"] is True   # the pending one is hidden
    first = comments["edges"][0]["node"]
    assert first["bodyPreview"] == "comment 0" and first["parent"] == {"id": post["id"]}
    assert first["comments"] == {"totalCount": 1, "nodes": [{"bodyPreview": "a reply"}]}
    rest = gql(POST, {"s": "garden-diary", "after": comments["pageInfo"]["endCursor"]}, tenant=slug)["data"]["content"]
    assert [e["node"]["bodyPreview"] for e in rest["comments"]["edges"]] == ["comment 2"]
    assert rest["viewerReactions"] == []   # anonymous
    # the author's public profile, also by node(id:)
    author = gql("query($i: ID!) { author(id: $i) { name contents { nodes { title } } } }",
                 {"i": page["author"]["id"]}, tenant=slug)["data"]["author"]
    assert author["name"] == "Staff" and {"title": "Garden diary"} in author["contents"]["nodes"]
    assert gql("query($i: ID!) { node(id: $i) { __typename } }", {"i": page["author"]["id"]},
               tenant=slug)["data"]["node"] == {"__typename": "Author"}


def test_unified_search_pages_products_and_content(gql, shop, api_db):
    slug, staff, _ = shop
    post = _post(gql, slug, staff, title="Basil recipes", body="basil basil basil")
    gql('mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids } }', {"ids": [post["id"]]}, tenant=slug, token=staff)
    gql('mutation { createProduct(input: {title: "Basil seeds", handle: "basil-seeds", status: published}) { position } }',
        tenant=slug, token=staff)
    drain(api_db)
    q = """query($after: String) { search(query: "basil", first: 1, after: $after) {
             edges { cursor node { __typename ... on Product { handle } ... on Content { slug } } }
             pageInfo { hasNextPage endCursor } } }"""
    first = gql(q, tenant=slug)["data"]["search"]
    second = gql(q, {"after": first["pageInfo"]["endCursor"]}, tenant=slug)["data"]["search"]
    found = {e["node"]["__typename"] for e in first["edges"] + second["edges"]}
    assert found == {"Product", "Content"} and second["pageInfo"]["hasNextPage"] is False


def test_unified_search_corrects_spelling(gql, shop, api_db, owner):
    """A misspelt query that finds nothing is answered for its correction, named in correctedQuery (the same
    correction as products { correctedQuery }); a query that finds something as typed is left alone."""
    slug, staff, _ = shop
    post = _post(gql, slug, staff, title="Rosemary harvest", body="rosemary rosemary")
    gql('mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids } }', {"ids": [post["id"]]}, tenant=slug, token=staff)
    gql('mutation { createProduct(input: {title: "Rosemary cuttings", handle: "rosemary-cuttings", status: published}) '
        '{ position } }', tenant=slug, token=staff)
    drain(api_db)
    q = """query($q: String!) { search(query: $q, first: 10) { query correctedQuery
             nodes { __typename ... on Product { handle } ... on Content { slug } } } }"""
    typo = gql(q, {"q": "rosemery"}, tenant=slug)["data"]["search"]
    assert typo["query"] == "rosemery" and typo["correctedQuery"] == "rosemary"
    assert {n["__typename"] for n in typo["nodes"]} == {"Product", "Content"}
    exact = gql(q, {"q": "rosemary"}, tenant=slug)["data"]["search"]
    assert exact["correctedQuery"] is None and len(exact["nodes"]) == len(typo["nodes"])
    # nothing near enough: no correction, no results (never a made-up answer)
    assert gql(q, {"q": "xqzvw"}, tenant=slug)["data"]["search"] == {"query": "xqzvw", "correctedQuery": None, "nodes": []}
    # a module turned off does not count: with commerce off the correction still finds the post
    tenant = owner.execute("select id from core.tenants where slug = %s", (slug,)).fetchone()[0]
    owner.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) values (%s, 'commerce', false) "
                  "on conflict (tenant_id, module_slug) do update set enabled = false", (tenant,))
    try:
        off = gql(q, {"q": "rosemery"}, tenant=slug)["data"]["search"]
        assert off["correctedQuery"] == "rosemary" and {n["__typename"] for n in off["nodes"]} == {"Content"}
    finally:
        owner.execute("update core.tenant_modules set enabled = true where tenant_id = %s and module_slug = 'commerce'",
                      (tenant,))

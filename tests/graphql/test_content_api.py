"""Content mutations over HTTP: pages/posts, lifecycle, comments, tags, revisions; roles and errors."""

CREATE = """
mutation($input: CreateNodeInput!) {
  createNode(input: $input) { position node { id kind title slug status body format authorId tags { slug } } }
}"""


def _post(gql, slug, token, title="Hello World", body="First *post*"):
    return gql(CREATE, {"input": {"kind": "post", "title": title, "body": body}}, tenant=slug,
               token=token)["data"]["createNode"]["node"]


def test_create_publish_comment_moderate(gql, shop, owner):
    slug, staff, buyer = shop
    post = _post(gql, slug, staff)
    assert post["slug"] == "hello-world" and post["status"] == "draft" and post["body"] == "First *post*"
    assert post["authorId"] is not None
    published = gql('mutation($ids: [ID!]!) { publishNodes(ids: $ids) { ids position } }', {"ids": [post["id"]]},
                    tenant=slug, token=staff)["data"]["publishNodes"]
    assert published["ids"] == [post["id"]]
    comment = gql('mutation($p: ID!) { addComment(parentId: $p, body: "Nice!") { node { id kind status depth } } }',
                  {"p": post["id"]}, tenant=slug, token=buyer)["data"]["addComment"]["node"]
    assert comment == {"id": comment["id"], "kind": "comment", "status": "pending", "depth": 1}
    gql('mutation($ids: [ID!]!) { moderateComments(ids: $ids, status: approved) { ids } }', {"ids": [comment["id"]]},
        tenant=slug, token=staff)
    replies = owner.execute("select reply_count from content.nodes where id = %s", (post["id"],)).fetchone()[0]
    assert replies == 1
    assert gql('mutation($n: ID!) { react(nodeId: $n, kind: "like") { reacted } }', {"n": post["id"]}, tenant=slug,
               token=buyer)["data"]["react"]["reacted"] is True


def test_tags_revisions_and_update(gql, shop, owner):
    slug, staff, _ = shop
    post = _post(gql, slug, staff, title="Tagged", body="v1")
    tag = gql('mutation { createTag(name: "Größe Ärger") { tag { id name slug } } }', tenant=slug, token=staff)["data"]["createTag"]["tag"]
    assert tag["slug"] == "grosse-arger"
    gql('mutation($t: [ID!]!, $n: [ID!]!) { attachTags(tagIds: $t, targetType: node, targetIds: $n) { ids } }',
        {"t": [tag["id"]], "n": [post["id"]]}, tenant=slug, token=staff)
    updated = gql('mutation($id: ID!) { updateNode(id: $id, input: {body: "v2", title: "Tagged again"}) '
                  '{ node { title body tags { slug } } } }', {"id": post["id"]}, tenant=slug, token=staff)
    assert updated["data"]["updateNode"]["node"] == {"title": "Tagged again", "body": "v2",
                                                      "tags": [{"slug": "grosse-arger"}]}
    revision, edited_by = owner.execute("select id, edited_by from content.revisions where node_id = %s order by id desc limit 1",
                                        (post["id"],)).fetchone()
    assert edited_by is not None  # the acting user is recorded
    restored = gql('mutation($r: ID!) { restoreRevision(revisionId: $r) { node { title body } } }', {"r": str(revision)},
                   tenant=slug, token=staff)["data"]["restoreRevision"]["node"]
    assert restored["body"] == "v1"


def test_content_errors(gql, shop):
    slug, staff, buyer = shop
    post = _post(gql, slug, staff, title="Draft only")
    def user_error(query, variables, token):
        payload = next(iter(gql(query, variables, tenant=slug, token=token)["data"].values()))
        assert payload["position"] is None
        [error] = payload["userErrors"]
        assert "violates" not in error["message"]
        return error

    errs = "userErrors { field code message } position"
    not_published = user_error(f'mutation($p: ID!) {{ addComment(parentId: $p, body: "hi") {{ node {{ id }} {errs} }} }}',
                               {"p": post["id"]}, buyer)
    assert not_published["code"] in ("INVALID", "INVALID_STATE"), not_published
    create = f"mutation($input: CreateNodeInput!) {{ createNode(input: $input) {{ {errs} }} }}"
    dup = user_error(create, {"input": {"kind": "post", "title": "X", "slug": "draft-only"}}, staff)
    assert dup["code"] == "DUPLICATE" and dup["field"] == "slug", dup
    bad_slug = user_error(create, {"input": {"kind": "post", "title": "X", "slug": "Bad Slug!"}}, staff)
    assert bad_slug["code"] == "INVALID" and bad_slug["field"] == "slug" and "not a valid slug" in bad_slug["message"]
    unknown = user_error(f'mutation {{ publishNodes(ids: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]) {{ ids {errs} }} }}', {}, staff)
    assert unknown["code"] == "NOT_FOUND"
    gql('mutation($ids: [ID!]!) { archiveNodes(ids: $ids) { ids } }', {"ids": [post["id"]]}, tenant=slug, token=staff)
    invalid = user_error(f'mutation($ids: [ID!]!) {{ scheduleNodes(ids: $ids, at: "2999-01-01T00:00:00Z") {{ ids {errs} }} }}',
                         {"ids": [post["id"]]}, staff)
    assert invalid["code"] == "INVALID_STATE"
    forbidden = gql(CREATE, {"input": {"kind": "page", "title": "X"}}, tenant=slug, token=buyer, expect_errors=True)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

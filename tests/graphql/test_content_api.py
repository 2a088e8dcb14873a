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
    assert gql('mutation($n: ID!) { react(nodeId: $n, kind: "like") }', {"n": post["id"]}, tenant=slug,
               token=buyer)["data"]["react"] is True


def test_tags_revisions_and_update(gql, shop, owner):
    slug, staff, _ = shop
    post = _post(gql, slug, staff, title="Tagged", body="v1")
    tag = gql('mutation { createTag(name: "Größe Ärger") { id name slug } }', tenant=slug, token=staff)["data"]["createTag"]
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
    not_published = gql('mutation($p: ID!) { addComment(parentId: $p, body: "hi") { node { id } } }',
                        {"p": post["id"]}, tenant=slug, token=buyer, expect_errors=True)["errors"][0]
    assert not_published["extensions"]["code"] == "BAD_USER_INPUT"
    dup = gql(CREATE, {"input": {"kind": "post", "title": "X", "slug": "draft-only"}}, tenant=slug, token=staff,
              expect_errors=True)["errors"][0]
    assert dup["extensions"]["code"] == "CONFLICT"
    bad_slug = gql(CREATE, {"input": {"kind": "post", "title": "X", "slug": "Bad Slug!"}}, tenant=slug, token=staff,
                   expect_errors=True)["errors"][0]
    assert bad_slug["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad_slug["extensions"]["column"] == "slug" and "not a valid slug" in bad_slug["message"]
    unknown = gql('mutation { publishNodes(ids: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]) { ids } }', tenant=slug, token=staff,
                  expect_errors=True)["errors"][0]
    assert unknown["extensions"]["code"] == "NOT_FOUND"
    gql('mutation($ids: [ID!]!) { archiveNodes(ids: $ids) { ids } }', {"ids": [post["id"]]}, tenant=slug, token=staff)
    invalid = gql('mutation($ids: [ID!]!) { scheduleNodes(ids: $ids, at: "2999-01-01T00:00:00Z") { ids } }',
                  {"ids": [post["id"]]}, tenant=slug, token=staff, expect_errors=True)["errors"][0]
    assert invalid["extensions"]["sqlstate"] == "55000"
    forbidden = gql(CREATE, {"input": {"kind": "page", "title": "X"}}, tenant=slug, token=buyer, expect_errors=True)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

"""content.create_tag and community.react (sql/code/content/api.sql, sql/code/community/api.sql) called as the
application role: the tenant comes from core.current_tenant_id(); another tenant's nodes are out of reach."""

from __future__ import annotations

from tests.content.content_helpers import act_as_app, assert_fails, make_user, published_post


def test_create_tag_makes_the_slug_and_returns_the_row(conn, t1):
    act_as_app(conn, t1["id"])
    tag = conn.execute("select * from content.create_tag('Größe Ärger')").fetchone()
    assert (tag["tenant_id"], tag["name"], tag["slug"]) == (t1["id"], "Größe Ärger", "grosse-arger")
    again = conn.execute("select * from content.create_tag('Größe Ärger')").fetchone()
    assert again["slug"] == "grosse-arger-2" and again["id"] != tag["id"]
    given = conn.execute("select slug from content.create_tag('News', 'latest')").fetchone()
    assert given["slug"] == "latest"
    assert_fails(conn, "select content.create_tag('Other', 'latest')", sqlstate="23505", field="content.tags.slug")
    assert_fails(conn, "select content.create_tag('Bad', 'Not A Slug')", sqlstate="23514", field="content.tags.slug")
    conn.execute("select core.set_tenant(null)")
    assert_fails(conn, "select content.create_tag('Lost')", sqlstate="22023", field="no tenant")


def test_create_tag_writes_only_into_the_current_tenant(conn, t1, t2):
    act_as_app(conn, t1["id"])
    conn.execute("select content.create_tag('Shared', 'shared')")
    act_as_app(conn, t2["id"])
    # the same slug is free in another tenant, and t1's tag is invisible here
    assert conn.execute("select tenant_id from content.create_tag('Shared', 'shared')").fetchone()["tenant_id"] == t2["id"]
    assert [r["tenant_id"] for r in conn.execute("select tenant_id from content.tags")] == [t2["id"]]


def test_react_once_per_kind(conn, t1, author):
    fan = make_user(conn, t1["id"])
    post = published_post(conn, t1["id"], author_id=author["id"])
    act_as_app(conn, t1["id"])
    react = "select community.react(%s, %s, %s) as new"
    assert conn.execute(react, (post["id"], fan["id"], "like")).fetchone()["new"] is True
    assert conn.execute(react, (post["id"], fan["id"], "like")).fetchone()["new"] is False   # a no-op
    assert conn.execute(react, (post["id"], fan["id"], "love")).fetchone()["new"] is True
    rows = conn.execute("select kind, recipient_id from community.reactions order by kind").fetchall()
    assert rows == [{"kind": "like", "recipient_id": author["id"]}, {"kind": "love", "recipient_id": author["id"]}]
    assert conn.execute("select score from community.reputation where user_id = %s",
                        (author["id"],)).fetchone()["score"] == 3
    assert_fails(conn, react, (post["id"], fan["id"], "meh"), sqlstate="23503", field="reactions_kind_fkey")
    conn.execute("select core.set_tenant(null)")
    assert_fails(conn, react, (post["id"], fan["id"], "funny"), sqlstate="22023", field="no tenant")


def test_react_cannot_reach_another_tenants_node(conn, t1, t2):
    theirs = published_post(conn, t2["id"])
    me = make_user(conn, t1["id"])
    act_as_app(conn, t1["id"])
    assert_fails(conn, "select community.react(%s, %s, 'like')", (theirs["id"], me["id"]), sqlstate="23503",
                 field="community.reactions.node_id")
    conn.execute("reset role")
    assert conn.execute("select count(*) as n from community.reactions where node_id = %s",
                        (theirs["id"],)).fetchone()["n"] == 0

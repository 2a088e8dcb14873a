"""Retired page and post slugs (sql/code/content/retired.sql): deleted while public (published or archived) or
archived means gone (410); a draft, or a post back to draft, is not; a node taking the slug again removes the
record; deleting the tenant still works."""

from __future__ import annotations

from tests.conftest import act_as_app
from tests.content.content_helpers import node, published_post


def _retired(conn, kind, slug):
    return conn.execute("select * from content.retired_node(%s, %s)", (kind, slug)).fetchall()


def test_deleted_and_archived_pages_and_posts_are_gone(conn, t1):
    post = published_post(conn, t1["id"], title="Old news", slug="old-news")
    page = node(conn, t1["id"], "page", "About", slug="about", status="published", published_at="2026-01-01")
    draft = node(conn, t1["id"], "post", "Idea", slug="idea")
    archived = published_post(conn, t1["id"], title="Winter", slug="winter")
    act_as_app(conn, t1["id"])
    assert _retired(conn, "post", "old-news") == []
    conn.execute("update content.nodes set status = 'archived' where id = %s", (archived["id"],))
    conn.execute("delete from content.nodes where id = any (%s)", ([post["id"], page["id"], draft["id"]],))
    [gone] = _retired(conn, "post", "old-news")
    assert (gone["title"], gone["reason"]) == ("Old news", "deleted")
    assert _retired(conn, "page", "about")[0]["reason"] == "deleted"
    assert _retired(conn, "post", "about") == []                    # kind matters
    assert _retired(conn, "post", "idea") == []                     # a draft was never public
    assert _retired(conn, "post", "winter")[0]["reason"] == "archived"
    conn.execute("update content.nodes set status = 'draft' where id = %s", (archived["id"],))
    assert _retired(conn, "post", "winter") == []                   # may come back: 404, not 410


def test_a_new_post_with_the_slug_is_no_longer_gone(conn, t1, t2):
    post = published_post(conn, t1["id"], title="Launch", slug="launch")
    conn.execute("delete from content.nodes where id = %s", (post["id"],))
    act_as_app(conn, t2["id"])
    assert _retired(conn, "post", "launch") == []                   # another tenant sees nothing
    conn.execute("reset role")
    act_as_app(conn, t1["id"])
    assert len(_retired(conn, "post", "launch")) == 1
    node(conn, t1["id"], "post", "Launch again", slug="launch")
    assert _retired(conn, "post", "launch") == []
    assert conn.execute("select count(*) as n from content.retired_slugs").fetchone()["n"] == 0


def test_deleting_a_tenant_with_published_posts_works(conn, t1):
    published_post(conn, t1["id"], title="Hello", slug="hello")
    conn.execute("delete from core.tenants where id = %s", (t1["id"],))
    assert conn.execute("select count(*) as n from content.retired_slugs where tenant_id = %s",
                        (t1["id"],)).fetchone()["n"] == 0

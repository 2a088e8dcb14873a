"""Categories, tags and taggables, SEO meta and media: slugs, tenancy, polymorphic targets, checks."""

from __future__ import annotations

import pytest

from tests.content.content_helpers import assert_fails, node, published_post, make_product


def cat(conn, tenant_id, name, **cols):
    names = ", ".join(["tenant_id", "name", *cols])
    marks = ", ".join(["%s"] * (2 + len(cols)))
    return conn.execute(f"insert into content.categories ({names}) values ({marks}) returning *",
                        [tenant_id, name, *cols.values()]).fetchone()


def test_category_slugs(conn, t1, t2):
    assert [cat(conn, t1["id"], "Новости")["slug"] for _ in range(2)] == ["новости", "новости-2"]
    assert cat(conn, t2["id"], "Новости")["slug"] == "новости"
    assert_fails(conn, "insert into content.categories (tenant_id, name, slug) values (%s, 'X', 'новости')", (t1["id"],),
                 sqlstate="23505", field="content.categories.slug")
    assert_fails(conn, "insert into content.categories (tenant_id, name, slug) values (%s, 'X', 'Bad Slug')", (t1["id"],),
                 sqlstate="23514", field="content.categories.slug")


def test_category_parent_tenant_and_cycle(conn, t1, t2):
    a = cat(conn, t1["id"], "A")
    b = cat(conn, t1["id"], "B", parent_id=a["id"])
    foreign = cat(conn, t2["id"], "F")
    assert_fails(conn, "insert into content.categories (tenant_id, name, parent_id) values (%s, 'C', %s)",
                 (t1["id"], foreign["id"]), sqlstate="23503", field="content.categories.parent_id")
    assert_fails(conn, "update content.categories set parent_id = %s where id = %s", (b["id"], a["id"]),
                 sqlstate="23514", field="content.categories.parent_id")
    # deleting a parent makes its children roots, and nodes lose the category
    post = node(conn, t1["id"], "post", "In B", category_id=b["id"])
    conn.execute("delete from content.categories where id = %s", (a["id"],))
    assert conn.execute("select parent_id from content.categories where id = %s", (b["id"],)).fetchone()["parent_id"] is None
    conn.execute("delete from content.categories where id = %s", (b["id"],))
    assert conn.execute("select category_id from content.nodes where id = %s", (post["id"],)).fetchone()["category_id"] is None


def test_tag_slug_unique_per_tenant(conn, t1, t2):
    rows = conn.execute("insert into content.tags (tenant_id, name) values (%s, 'C++'), (%s, 'C#'), (%s, 'C++') returning slug",
                        (t1["id"], t1["id"], t2["id"])).fetchall()
    assert [r["slug"] for r in rows] == ["c", "c-2", "c"]
    assert_fails(conn, "insert into content.tags (tenant_id, name, slug) values (%s, 'again', 'c-2')", (t1["id"],),
                 sqlstate="23505", field="content.tags.slug")


def test_attach_tags_set_based_and_validated(conn, t1, t2):
    posts = [published_post(conn, t1["id"], f"P{i}") for i in range(3)]
    tags = [r["id"] for r in conn.execute(
        "insert into content.tags (tenant_id, name) select %s, 'tag ' || g from generate_series(1, 4) g returning id",
        (t1["id"],)).fetchall()]
    attached = conn.execute("select * from content.attach_tags(%s, 'node', %s)", (tags, [p["id"] for p in posts])).fetchall()
    assert len(attached) == 12
    again = conn.execute("select * from content.attach_tags(%s, 'node', %s)", (tags, [p["id"] for p in posts])).fetchall()
    assert again == []
    foreign = published_post(conn, t2["id"])
    assert_fails(conn, "select content.attach_tags(%s, 'node', %s)", (tags[:1], [posts[0]["id"], foreign["id"]]),
                 sqlstate="23503", field="content.taggables.target_id")
    assert_fails(conn, "insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'node', core.new_id())",
                 (t1["id"], tags[0]), sqlstate="23503", field="content.taggables.target_id")
    assert_fails(conn, "select content.attach_tags(array[core.new_id()], 'node', %s)", ([posts[0]["id"]],),
                 sqlstate="P0002", field="content.taggables.tag_id")
    assert_fails(conn, "select content.attach_tags(%s, 'order', %s)", (tags, [posts[0]["id"]]),
                 sqlstate="22023", field="content.taggables.target_type")
    foreign_tag = conn.execute("insert into content.tags (tenant_id, name) values (%s, 'F') returning id", (t2["id"],)).fetchone()
    assert_fails(conn, "insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'node', %s)",
                 (t1["id"], foreign_tag["id"], posts[0]["id"]), sqlstate="23503", field="taggables_tag_fkey")
    # product targets must exist too (tests/glue covers the refusal)
    conn.execute("select content.attach_tags(%s, 'product', array[%s]::uuid[])", (tags[:2], make_product(conn, t1["id"])))
    removed = conn.execute("select * from content.detach_tags(%s, 'node', %s)", (tags[:2], [posts[0]["id"]])).fetchall()
    assert len(removed) == 2
    # deleting a node removes its taggables and meta (no foreign key for polymorphic rows)
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 'm')",
                 (t1["id"], posts[1]["id"]))
    conn.execute("delete from content.nodes where id = %s", (posts[1]["id"],))
    left = conn.execute("select (select count(*) from content.taggables where target_id = %s) + "
                        "(select count(*) from content.meta where target_id = %s) as n", (posts[1]["id"], posts[1]["id"])).fetchone()
    assert left["n"] == 0


@pytest.mark.parametrize("column,value,constraint", [
    ("canonical_url", "ftp://x.io/a", "meta_canonical_url_check"),
    ("robots", "noindex nofollow", "meta_robots_check"),
    ("title", "x" * 256, "meta_title_check"),
    ("image_url", "not a url", "meta_image_url_check"),
])
def test_meta_checks(conn, t1, column, value, constraint):
    post = published_post(conn, t1["id"])
    assert_fails(conn, f"insert into content.meta (tenant_id, target_type, target_id, {column}) values (%s, 'node', %s, %s)",
                 (t1["id"], post["id"], value), sqlstate="23514", field=constraint)


def test_meta_node_target_must_exist_in_tenant(conn, t1, t2):
    foreign = published_post(conn, t2["id"])
    assert_fails(conn, "insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 't')",
                 (t1["id"], foreign["id"]), sqlstate="23503", field="content.meta.target_id")
    post = published_post(conn, t1["id"])
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title, robots, canonical_url) "
                 "values (%s, 'node', %s, 'SEO', 'noindex, nofollow', 'https://example.com/p')", (t1["id"], post["id"]))
    assert_fails(conn, "insert into content.meta (tenant_id, target_type, target_id) values (%s, 'node', %s)",
                 (t1["id"], post["id"]), sqlstate="23505", field="meta_pkey")


def test_meta_of_categories_checked_and_removed_with_them(conn, t1, t2):
    """catalog_category and content_category targets: in the same tenant (23503), gone with the category."""
    def commerce_cat(tenant_id, handle):
        return conn.execute("insert into commerce.categories (tenant_id, name, handle) values (%s, %s, %s) returning id",
                            (tenant_id, handle, handle)).fetchone()["id"]
    for target_type, mine, foreign, table in (
            ("catalog_category", commerce_cat(t1["id"], "mine"), commerce_cat(t2["id"], "theirs"), "commerce.categories"),
            ("content_category", cat(conn, t1["id"], "Mine")["id"], cat(conn, t2["id"], "Theirs")["id"], "content.categories")):
        assert_fails(conn, "insert into content.meta (tenant_id, target_type, target_id, title) values (%s, %s, %s, 't')",
                     (t1["id"], target_type, foreign), sqlstate="23503", field="content.meta.target_id")
        conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, %s, %s, 'SEO')",
                     (t1["id"], target_type, mine))
        # the same id under another target type is another target (and must exist as that type)
        assert_fails(conn, "insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 't')",
                     (t1["id"], mine), sqlstate="23503", field="content.meta.target_id")
        conn.execute(f"delete from {table} where id = %s", (mine,))
        assert conn.execute("select count(*) as n from content.meta where target_id = %s", (mine,)).fetchone()["n"] == 0
    assert_fails(conn, "insert into content.meta (tenant_id, target_type, target_id) values (%s, 'category', %s)",
                 (t1["id"], t1["id"]), sqlstate="23514", field="meta_target_type_check")


@pytest.mark.parametrize("cols,vals,constraint", [
    ("mime_type", "'image/png'", "media_location_check"),
    ("url, mime_type", "'https://x.io/a', 'Image PNG'", "media_mime_type_check"),
    ("url, mime_type, size", "'https://x.io/a', 'image/png', -1", "media_size_check"),
    ("url, mime_type, width", "'https://x.io/a', 'image/png', 0", "media_width_check"),
])
def test_media_checks(conn, t1, cols, vals, constraint):
    assert_fails(conn, f"insert into content.media (tenant_id, {cols}) values (%s, {vals})", (t1["id"],),
                 sqlstate="23514", field=constraint)


def test_media_storage_key_unique_per_tenant(conn, t1, t2):
    sql = "insert into content.media (tenant_id, storage_key, mime_type, size, width, height, alt_text) " \
          "values (%s, 'img/a.webp', 'image/webp', 1024, 640, 480, 'A cat')"
    conn.execute(sql, (t1["id"],))
    conn.execute(sql, (t2["id"],))
    assert_fails(conn, sql, (t1["id"],), sqlstate="23505", field="media_storage_key_key")

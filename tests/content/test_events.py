"""Domain events written by raw SQL into outbox.events (one per affected aggregate, none for no-ops or rollbacks)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from content_helpers import comment, make_tenant, make_user, node, published_post


def mark(conn):
    """The events that exist now; `since` lists the ones written after (ULIDs of one millisecond do not sort)."""
    return conn.execute("select coalesce(array_agg(id), '{}') as ids from outbox.events").fetchone()["ids"]


def since(conn, m):
    return conn.execute(
        "select event_type, aggregate_type, aggregate_id, payload from outbox.events "
        "where not (id = any (%s)) order by event_type, aggregate_id", (m,)).fetchall()


def kinds(rows):
    return sorted((r["event_type"], r["aggregate_type"]) for r in rows)


def test_node_created_and_published_on_insert(conn, t1):
    m = mark(conn)
    draft = node(conn, t1["id"], "page", "Draft")
    post = published_post(conn, t1["id"])
    got = since(conn, m)
    assert {(r["event_type"], r["aggregate_id"]) for r in got} == {
        ("NodeCreated", draft["id"]), ("NodeCreated", post["id"]), ("NodePublished", post["id"])}
    created = next(r for r in got if r["aggregate_id"] == draft["id"])
    assert created["payload"] == {"kind": "page", "status": "draft"}


def test_bulk_update_one_event_per_node_and_publish_rule(conn, t1):
    conn.execute("insert into content.nodes (tenant_id, kind, title) select %s, 'post', 'Bulk ' || g "
                 "from generate_series(1, 40) g", (t1["id"],))
    m = mark(conn)
    conn.execute("update content.nodes set excerpt = 'new' where tenant_id = %s", (t1["id"],))
    got = since(conn, m)
    assert len(got) == 40 and {r["event_type"] for r in got} == {"NodeUpdated"}
    assert len({r["aggregate_id"] for r in got}) == 40
    m = mark(conn)
    conn.execute("update content.nodes set status = 'published' where tenant_id = %s and title like 'Bulk 1%%'", (t1["id"],))
    got = since(conn, m)
    assert kinds(got) == [("NodePublished", "node")] * 11 + [("NodeUpdated", "node")] * 11
    assert all(r["payload"] == {"kind": "post", "status": "published", "old_status": "draft"} for r in got)


def test_noop_update_emits_nothing(conn, t1):
    post = published_post(conn, t1["id"])
    conn.execute("insert into content.bodies (tenant_id, node_id, body) values (%s, %s, 'b')", (t1["id"], post["id"]))
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 'm')",
                 (t1["id"], post["id"]))
    cat = conn.execute("insert into content.categories (tenant_id, name) values (%s, 'C') returning id", (t1["id"],)).fetchone()
    m = mark(conn)
    conn.execute("update content.nodes set title = title, status = status where tenant_id = %s", (t1["id"],))
    conn.execute("update content.bodies set body = body where tenant_id = %s", (t1["id"],))
    conn.execute("update content.meta set title = title where tenant_id = %s", (t1["id"],))
    conn.execute("update content.categories set name = name where id = %s", (cat["id"],))
    conn.execute("update core.users set display_name = display_name where tenant_id = %s", (t1["id"],))
    conn.execute("select content.publish_nodes(%s)", ([post["id"]],))
    assert since(conn, m) == []


def test_node_deleted_including_cascaded_children(conn, t1):
    post = published_post(conn, t1["id"])
    c = comment(conn, post)
    m = mark(conn)
    conn.execute("delete from content.nodes where id = %s", (post["id"],))
    got = since(conn, m)
    assert {(r["event_type"], r["aggregate_id"]) for r in got} == {("NodeDeleted", post["id"]), ("NodeDeleted", c["id"])}


def test_comment_changes_parent_reply_count_event(conn, t1):
    post = published_post(conn, t1["id"])
    m = mark(conn)
    c = comment(conn, post, status="pending")
    got = since(conn, m)
    # the comment's NodeCreated and a NodeUpdated for its body; the post is untouched (pending)
    assert {(r["event_type"], r["aggregate_id"]) for r in got} == {("NodeCreated", c["id"]), ("NodeUpdated", c["id"])}
    m = mark(conn)
    conn.execute("select content.moderate_comments(%s, 'approved')", ([c["id"]],))
    got = since(conn, m)
    assert {(r["event_type"], r["aggregate_id"]) for r in got} == {("NodeUpdated", c["id"]), ("NodeUpdated", post["id"])}


def test_child_rows_emit_node_updated(conn, t1):
    post = published_post(conn, t1["id"])
    m = mark(conn)
    conn.execute("insert into content.bodies (tenant_id, node_id, body) values (%s, %s, 'v1')", (t1["id"], post["id"]))
    conn.execute("update content.bodies set body = 'v2' where node_id = %s", (post["id"],))
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 'seo')",
                 (t1["id"], post["id"]))
    conn.execute("update content.meta set description = 'd' where target_id = %s", (post["id"],))
    conn.execute("delete from content.meta where target_id = %s", (post["id"],))
    conn.execute("delete from content.bodies where node_id = %s", (post["id"],))
    got = since(conn, m)
    assert [r["event_type"] for r in got] == ["NodeUpdated"] * 6
    assert sorted(r["payload"]["reason"] for r in got) == ["body"] * 3 + ["meta"] * 3
    assert {r["aggregate_id"] for r in got} == {post["id"]}
    rev = conn.execute("select id from content.revisions where node_id = %s order by created_at limit 1",
                       (post["id"],)).fetchone()
    m = mark(conn)
    conn.execute("select content.restore_revision(%s)", (rev["id"],))
    got = since(conn, m)
    assert got and {(r["event_type"], r["aggregate_id"]) for r in got} == {("NodeUpdated", post["id"])}


def test_meta_of_a_product_emits_product_updated(conn, t1):
    product_id = conn.execute("select core.new_id() as id").fetchone()["id"]
    m = mark(conn)
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, robots) values (%s, 'product', %s, 'noindex')",
                 (t1["id"], product_id))
    got = since(conn, m)
    assert [(r["event_type"], r["aggregate_type"], r["aggregate_id"]) for r in got] == [
        ("ProductUpdated", "product", product_id)]


def test_tag_attached_and_detached(conn, t1):
    posts = [published_post(conn, t1["id"], f"P{i}") for i in range(3)]
    product_id = conn.execute("select core.new_id() as id").fetchone()["id"]
    tags = conn.execute("insert into content.tags (tenant_id, name) values (%s, 'Red'), (%s, 'Blue') returning id",
                        (t1["id"], t1["id"])).fetchall()
    tag_ids = [t["id"] for t in tags]
    m = mark(conn)
    conn.execute("select content.attach_tags(%s, 'node', %s)", (tag_ids, [p["id"] for p in posts]))
    conn.execute("select content.attach_tags(%s, 'product', %s)", (tag_ids[:1], [product_id]))
    got = since(conn, m)
    attached = [r for r in got if r["event_type"] == "TagAttached"]
    assert len(attached) == 7
    assert {(r["aggregate_type"], r["aggregate_id"], r["payload"]["tag_id"]) for r in attached} == (
        {("node", p["id"], str(t)) for p in posts for t in tag_ids} | {("product", product_id, str(tag_ids[0]))})
    assert sorted(r["aggregate_id"] for r in got if r["event_type"] == "NodeUpdated") == sorted(p["id"] for p in posts)
    m = mark(conn)
    conn.execute("select content.detach_tags(%s, 'node', %s)", (tag_ids[1:], [posts[0]["id"]]))
    got = since(conn, m)
    assert kinds(got) == [("NodeUpdated", "node"), ("TagDetached", "node")]
    detached = next(r for r in got if r["event_type"] == "TagDetached")
    assert (detached["aggregate_id"], detached["payload"]) == (posts[0]["id"], {"tag_id": str(tag_ids[1])})
    m = mark(conn)
    conn.execute("update content.tags set name = 'Crimson' where id = %s", (tag_ids[0],))
    got = since(conn, m)
    assert kinds(got) == [("NodeUpdated", "node")] * 3 + [("ProductUpdated", "product")]


def test_category_rename_and_move_emit_for_its_nodes(conn, t1):
    cats = conn.execute("insert into content.categories (tenant_id, name) values (%s, 'News'), (%s, 'Other') returning id",
                        (t1["id"], t1["id"])).fetchall()
    inside = [node(conn, t1["id"], "post", f"N{i}", category_id=cats[0]["id"]) for i in range(3)]
    node(conn, t1["id"], "post", "Elsewhere", category_id=cats[1]["id"])
    m = mark(conn)
    conn.execute("update content.categories set name = 'Breaking news' where id = %s", (cats[0]["id"],))
    got = since(conn, m)
    assert sorted(r["aggregate_id"] for r in got) == sorted(n["id"] for n in inside)
    assert all(r["event_type"] == "NodeUpdated" and r["payload"]["reason"] == "category_changed" for r in got)
    m = mark(conn)
    conn.execute("update content.categories set parent_id = %s where id = %s", (cats[1]["id"], cats[0]["id"]))
    assert len(since(conn, m)) == 3


def test_author_display_name_change(conn, t1):
    ann = make_user(conn, t1["id"], display_name="Ann")
    bob = make_user(conn, t1["id"], display_name="Bob")
    mine = [node(conn, t1["id"], "post", f"A{i}", author_id=ann["id"]) for i in range(2)]
    node(conn, t1["id"], "post", "B", author_id=bob["id"])
    m = mark(conn)
    conn.execute("update core.users set last_login_at = now() where tenant_id = %s", (t1["id"],))
    assert since(conn, m) == []
    conn.execute("update core.users set display_name = 'Ann B.' where id = %s", (ann["id"],))
    got = since(conn, m)
    assert sorted(r["aggregate_id"] for r in got) == sorted(n["id"] for n in mine)
    assert all(r["payload"] == {"kind": "post", "status": "draft", "reason": "author_changed"} for r in got)


def test_rolled_back_writes_emit_nothing(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row) as db:
        tenant = make_tenant(db)
        db.commit()
        with db.transaction():
            post = published_post(db, tenant["id"])
        committed = db.execute("select count(*) as n from outbox.events").fetchone()["n"]
        assert committed == 2
        try:
            with db.transaction():
                db.execute("update content.nodes set title = 'changed' where id = %s", (post["id"],))
                db.execute("insert into content.tags (tenant_id, name) values (%s, 'T')", (tenant["id"],))
                db.execute("select content.attach_tags(array(select id from content.tags), 'node', %s)", ([post["id"]],))
                assert db.execute("select count(*) as n from outbox.events").fetchone()["n"] > committed
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        db.commit()
    with psycopg.connect(fresh_db, row_factory=dict_row) as other:
        assert other.execute("select count(*) as n from outbox.events").fetchone()["n"] == committed

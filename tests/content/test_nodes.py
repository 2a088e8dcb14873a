"""content.nodes invariants: slugs, tree, tenancy, lifecycle, revisions, module toggles."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.content.content_helpers import (
    assert_fails, comment, get_node, make_product, make_tenant, make_user, node, published_post, set_module,
)


# ------------------------------------------------------------------ slugs

def test_slug_generated_unicode_aware(conn, t1):
    row = node(conn, t1["id"], "post", "Привет, Мир! Ünïcode Café — 2024")
    assert row["slug"] == "привет-мир-unicode-cafe-2024"
    assert node(conn, t1["id"], "post", "Ελληνικά κείμενα")["slug"] == "ελληνικα-κειμενα"  # accents removed, letters kept
    assert conn.execute("select content.slugify('  --Hello,   World!!  ') as s").fetchone()["s"] == "hello-world"


def test_slug_collision_gets_numeric_suffix(conn, t1, t2):
    slugs = [node(conn, t1["id"], "post", "Hello World")["slug"] for _ in range(3)]
    assert slugs == ["hello-world", "hello-world-2", "hello-world-3"]
    # unique per tenant and kind: a page and another tenant may reuse it
    assert node(conn, t1["id"], "page", "Hello World")["slug"] == "hello-world"
    assert node(conn, t2["id"], "post", "Hello World")["slug"] == "hello-world"
    # a multi-row statement resolves collisions among its own rows too
    rows = conn.execute(
        "insert into content.nodes (tenant_id, kind, title) select %s, 'post', 'Bulk' from generate_series(1, 3) "
        "returning slug", (t1["id"],)).fetchall()
    assert sorted(r["slug"] for r in rows) == ["bulk", "bulk-2", "bulk-3"]


def test_duplicate_explicit_slug_refused(conn, t1):
    node(conn, t1["id"], "post", "One", slug="same")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, slug) values (%s, 'post', 'Two', 'same')",
                 (t1["id"],), sqlstate="23505", field="content.nodes.slug")
    other = node(conn, t1["id"], "post", "Other")
    assert_fails(conn, "update content.nodes set slug = 'same' where id = %s", (other["id"],),
                 sqlstate="23505", field="content.nodes.slug")


@pytest.mark.parametrize("bad", ["Has Space", "UPPER", "-lead", "trail-", "double--dash", "under_score", "x" * 256, ""])
def test_malformed_slug_refused(conn, t1, bad):
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, slug) values (%s, 'page', 'T', %s)",
                 (t1["id"], bad), sqlstate="23514", field="content.nodes.slug")


def test_slug_needs_a_title_with_letters(conn, t1):
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title) values (%s, 'post', '!!!')",
                 (t1["id"],), sqlstate="23514", field="content.nodes.slug")


def test_slug_regenerated_when_set_to_null_and_kept_on_title_change(conn, t1):
    row = node(conn, t1["id"], "post", "First title")
    conn.execute("update content.nodes set title = 'Second title' where id = %s", (row["id"],))
    assert get_node(conn, row["id"])["slug"] == "first-title"       # permalinks are stable
    conn.execute("update content.nodes set slug = null where id = %s", (row["id"],))
    assert get_node(conn, row["id"])["slug"] == "second-title"


# ------------------------------------------------------------------ tree and tenancy

def test_parent_from_another_tenant_refused(conn, t1, t2):
    foreign = node(conn, t2["id"], "page", "Foreign")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, parent_id) values (%s, 'page', 'Child', %s)",
                 (t1["id"], foreign["id"]), sqlstate="23503", field="content.nodes.parent_id")
    mine = node(conn, t1["id"], "page", "Mine")
    assert_fails(conn, "update content.nodes set parent_id = %s where id = %s", (foreign["id"], mine["id"]),
                 sqlstate="23503", field="content.nodes.parent_id")


def test_author_and_category_from_another_tenant_refused(conn, t1, t2):
    stranger = make_user(conn, t2["id"])
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, author_id) values (%s, 'post', 'T', %s)",
                 (t1["id"], stranger["id"]), sqlstate="23503", field="author")
    cat = conn.execute("insert into content.categories (tenant_id, name) values (%s, 'News') returning id",
                       (t2["id"],)).fetchone()
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, category_id) values (%s, 'post', 'T', %s)",
                 (t1["id"], cat["id"]), sqlstate="23503", field="category")


def test_parent_cycle_refused(conn, t1):
    a = node(conn, t1["id"], "page", "A")
    b = node(conn, t1["id"], "page", "B", parent_id=a["id"])
    c = node(conn, t1["id"], "page", "C", parent_id=b["id"])
    assert (a["depth"], b["depth"], c["depth"]) == (0, 1, 2)
    assert_fails(conn, "update content.nodes set parent_id = %s where id = %s", (c["id"], a["id"]),
                 sqlstate="23514", field="content.nodes.parent_id")
    assert_fails(conn, "update content.nodes set parent_id = %s where id = %s", (a["id"], a["id"]),
                 sqlstate="23514", field="content.nodes.parent_id")


def test_moving_a_page_recomputes_subtree_depth(conn, t1):
    root = node(conn, t1["id"], "page", "Root")
    x = node(conn, t1["id"], "page", "X")
    y = node(conn, t1["id"], "page", "Y", parent_id=x["id"])
    z = node(conn, t1["id"], "page", "Z", parent_id=y["id"])
    conn.execute("update content.nodes set parent_id = %s where id = %s", (root["id"], x["id"]))
    assert [get_node(conn, n["id"])["depth"] for n in (x, y, z)] == [1, 2, 3]
    conn.execute("update content.nodes set parent_id = null where id = %s", (x["id"],))
    assert [get_node(conn, n["id"])["depth"] for n in (x, y, z)] == [0, 1, 2]


def test_two_moves_in_one_chain_in_one_statement_keep_depths_exact(conn, t1):
    root = node(conn, t1["id"], "page", "Root2")
    a = node(conn, t1["id"], "page", "A2", parent_id=root["id"])
    b = node(conn, t1["id"], "page", "B2", parent_id=a["id"])
    c = node(conn, t1["id"], "page", "C2", parent_id=b["id"])
    d = node(conn, t1["id"], "page", "D2")
    # In one UPDATE: A moves up to the top (its subtree gets shallower) and D goes under C, inside that
    # subtree. D's depth seen row by row (C still at 3) would be stale.
    conn.execute("update content.nodes set parent_id = case id when %s then null else %s end where id in (%s, %s)",
                 (a["id"], c["id"], a["id"], d["id"]))
    assert [get_node(conn, n["id"])["depth"] for n in (a, b, c, d)] == [0, 1, 2, 3]


@pytest.mark.parametrize("kind,parent_kind,field", [
    ("post", "post", "content.nodes.parent_id"),      # posts are roots
    ("page", "post", "content.nodes.parent_id"),      # a page's parent is a page
])
def test_parent_kind_rules(conn, t1, kind, parent_kind, field):
    parent = published_post(conn, t1["id"]) if parent_kind == "post" else node(conn, t1["id"], "page", "P")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, parent_id) values (%s, %s, 'T', %s)",
                 (t1["id"], kind, parent["id"]), sqlstate="23514", field=field)


def test_computed_and_fixed_columns_are_read_only(conn, t1):
    post = published_post(conn, t1["id"])
    assert_fails(conn, "update content.nodes set reply_count = 5 where id = %s", (post["id"],),
                 sqlstate="23514", field="content.nodes.reply_count")
    assert_fails(conn, "update content.nodes set depth = 3 where id = %s", (post["id"],),
                 sqlstate="23514", field="content.nodes.depth")
    assert_fails(conn, "update content.nodes set kind = 'page' where id = %s", (post["id"],),
                 sqlstate="23514", field="content.nodes.kind")
    # values given on insert are ignored: computed
    row = node(conn, t1["id"], "page", "P", depth=7, reply_count=9)
    assert (row["depth"], row["reply_count"]) == (0, 0)


def test_nodes_are_hash_partitioned_by_tenant(conn, t1, t2):
    node(conn, t1["id"], "page", "P")
    node(conn, t2["id"], "page", "P")
    parts = conn.execute(
        "select count(*) as n from pg_inherits where inhparent = 'content.nodes'::regclass").fetchone()["n"]
    assert parts == 8
    strategy = conn.execute("select partstrat from pg_partitioned_table where partrelid = 'content.nodes'::regclass"
                            ).fetchone()["partstrat"]
    assert strategy == "h"
    rows = conn.execute("select tableoid::regclass::text as part, tenant_id from content.nodes where tenant_id in (%s, %s)",
                        (t1["id"], t2["id"])).fetchall()
    assert all(r["part"].startswith("content.nodes_p") for r in rows)


# ------------------------------------------------------------------ lifecycle

def test_publish_archive_restore_cycle(conn, t1):
    post = node(conn, t1["id"], "post", "Life")
    assert (post["status"], post["published_at"]) == ("draft", None)
    published = conn.execute("select * from content.publish_nodes(%s)", ([post["id"]],)).fetchone()
    assert published["status"] == "published" and published["published_at"] is not None
    assert conn.execute("select count(*) as n from content.publish_nodes(%s)", ([post["id"]],)).fetchone()["n"] == 0
    archived = conn.execute("select * from content.archive_nodes(%s)", ([post["id"]],)).fetchone()
    assert archived["status"] == "archived" and archived["published_at"] == published["published_at"]
    conn.execute("update content.nodes set status = 'draft' where id = %s", (post["id"],))
    assert get_node(conn, post["id"])["published_at"] is None


@pytest.mark.parametrize("start,target", [
    ("published", "draft"), ("published", "scheduled"), ("archived", "published"), ("archived", "scheduled"),
])
def test_invalid_status_transition_refused(conn, t1, start, target):
    post = published_post(conn, t1["id"])
    if start == "archived":
        conn.execute("update content.nodes set status = 'archived' where id = %s", (post["id"],))
    err = assert_fails(conn, "update content.nodes set status = %s, published_at = now() + interval '1 day' where id = %s",
                       (target, post["id"]), sqlstate="55000", field="content.nodes.status")
    assert f"from {start} to {target}" in err.diag.message_primary
    assert get_node(conn, post["id"])["status"] == start


def test_unknown_status_refused(conn, t1):
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, status) values (%s, 'post', 'T', 'approved')",
                 (t1["id"],), sqlstate="23514", field="content.nodes.status")


def test_scheduling_rules(conn, t1):
    post = node(conn, t1["id"], "post", "Later")
    assert_fails(conn, "select content.schedule_nodes(%s, now() - interval '1 minute')", ([post["id"]],),
                 sqlstate="22023", field="at:")
    assert_fails(conn, "update content.nodes set status = 'scheduled' where id = %s", (post["id"],),
                 sqlstate="23514", field="content.nodes.published_at")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, status, published_at) "
                       "values (%s, 'post', 'F', 'published', now() + interval '1 day')",
                 (t1["id"],), sqlstate="23514", field="content.nodes.published_at")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title, published_at) values (%s, 'post', 'D', now())",
                 (t1["id"],), sqlstate="23514", field="content.nodes.published_at")
    row = conn.execute("select * from content.schedule_nodes(%s, now() + interval '1 day')", ([post["id"]],)).fetchone()
    assert row["status"] == "scheduled"
    # publishing a scheduled node early publishes it now
    early = conn.execute("select *, now() as now from content.publish_nodes(%s)", ([post["id"]],)).fetchone()
    assert early["published_at"] == early["now"]


def test_unknown_ids_refused_by_functions(conn, t1):
    page = node(conn, t1["id"], "page", "P")
    missing = conn.execute("select core.new_id() as id").fetchone()["id"]
    err = assert_fails(conn, "select content.publish_nodes(%s)", ([page["id"], missing],),
                       sqlstate="P0002", field="ids:")
    assert str(missing) in err.diag.message_primary
    assert get_node(conn, page["id"])["status"] == "draft"


def test_publish_due_publishes_only_what_is_due(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as db:
        t = make_tenant(db)
        ids = [db.execute("insert into content.nodes (tenant_id, kind, title, status, published_at) "
                          "values (%s, 'post', %s, 'scheduled', clock_timestamp() + %s::interval) returning id",
                          (t["id"], title, delay)).fetchone()[0]
               for title, delay in (("Soon", "300 ms"), ("Later", "1 day"))]
        time.sleep(0.5)
        done = db.execute("select id, published_at from content.publish_due()").fetchall()
        assert [r[0] for r in done] == [ids[0]]
        rows = dict(db.execute("select id, status from content.nodes where tenant_id = %s", (t["id"],)).fetchall())
        assert rows == {ids[0]: "published", ids[1]: "scheduled"}
        published = db.execute("select count(*) from outbox.events where event_type = 'NodePublished' and aggregate_id = %s",
                               (ids[0],)).fetchone()[0]
        assert published == 1


# ------------------------------------------------------------------ revisions

def test_revisions_keep_previous_values_and_restore(conn, t1, author):
    post = node(conn, t1["id"], "post", "Title v1", excerpt="Ex v1", author_id=author["id"])
    conn.execute("insert into content.bodies (tenant_id, node_id, body) values (%s, %s, 'Body v1')", (t1["id"], post["id"]))
    conn.execute("select set_config('rustok.user_id', %s, true)", (str(author["id"]),))
    conn.execute("update content.nodes set title = 'Title v2', excerpt = 'Ex v2' where id = %s", (post["id"],))
    conn.execute("update content.bodies set body = 'Body v2' where node_id = %s", (post["id"],))
    conn.execute("update content.nodes set position = 3 where id = %s", (post["id"],))   # not a revisioned field
    revs = conn.execute("select * from content.revisions where node_id = %s order by created_at", (post["id"],)).fetchall()
    assert [(r["title"], r["excerpt"], r["body"]) for r in revs] == [
        ("Title v1", "Ex v1", "Body v1"),       # before the title/excerpt change
        ("Title v2", "Ex v2", "Body v1"),       # before the body change
    ]
    assert all(r["edited_by"] == author["id"] for r in revs)
    restored = conn.execute("select * from content.restore_revision(%s)", (revs[0]["id"],)).fetchone()
    assert (restored["title"], restored["excerpt"]) == ("Title v1", "Ex v1")
    assert conn.execute("select body from content.bodies where node_id = %s", (post["id"],)).fetchone()["body"] == "Body v1"
    # the restore is itself undoable: the replaced state became revisions
    last = conn.execute("select title, body from content.revisions where node_id = %s order by created_at desc limit 2",
                        (post["id"],)).fetchall()
    assert {(r["title"], r["body"]) for r in last} == {("Title v2", "Body v2"), ("Title v1", "Body v2")}


def test_restore_unknown_revision(conn, t1):
    assert_fails(conn, "select content.restore_revision(core.new_id())", sqlstate="P0002", field="content.revisions.id")


# ------------------------------------------------------------------ module toggles

def test_disabled_content_module_refuses_pages_and_content_tables(conn, t1):
    product_id = make_product(conn, t1["id"])
    set_module(conn, t1["id"], "content", False)
    for sql in [
        "insert into content.nodes (tenant_id, kind, title) values (%s, 'page', 'P')",
        "insert into content.categories (tenant_id, name) values (%s, 'C')",
        "insert into content.tags (tenant_id, name) values (%s, 'T')",
        "insert into content.media (tenant_id, url, mime_type) values (%s, 'https://x.io/a.png', 'image/png')",
        f"insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'product', '{product_id}', 'M')",
    ]:
        err = assert_fails(conn, sql, (t1["id"],), sqlstate="55000", field='module "content" is disabled')
        assert err.diag.message_primary.startswith("content.")
    # the blog still works: posts belong to module blog
    published_post(conn, t1["id"])


def test_disabled_blog_module_refuses_posts_comments_and_bodies(conn, t1):
    post = published_post(conn, t1["id"])
    c = comment(conn, post)
    set_module(conn, t1["id"], "blog", False)
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, title) values (%s, 'post', 'P')", (t1["id"],),
                 sqlstate="55000", field="content.nodes: module \"blog\" is disabled")
    assert_fails(conn, "select content.add_comment(%s, null, 'hi')", (post["id"],),
                 sqlstate="55000", field='module "blog" is disabled')
    assert_fails(conn, "update content.nodes set title = 'x' where id = %s", (post["id"],),
                 sqlstate="55000", field='module "blog" is disabled')
    assert_fails(conn, "update content.bodies set body = 'x' where node_id = %s", (c["id"],),
                 sqlstate="55000", field='content.bodies: module "blog" is disabled')
    node(conn, t1["id"], "page", "Pages still work")
    # deleting stays possible (tenant clean-up, cascades)
    conn.execute("delete from content.nodes where id = %s", (post["id"],))
    set_module(conn, t1["id"], "blog", True)
    published_post(conn, t1["id"])

"""Blog: threaded comments, depth limit, moderation and an exact reply_count (also under concurrency)."""

from __future__ import annotations

import random
import threading

import psycopg
import pytest

from tests.content.content_helpers import assert_fails, comment, get_node, make_tenant, node, published_post, set_module


def test_comment_depth_is_computed_and_limited_to_10_by_default(conn, t1):
    post = published_post(conn, t1["id"])
    parent = post
    for depth in range(1, 11):
        parent = comment(conn, parent)
        assert parent["depth"] == depth
    err = assert_fails(conn, "select content.add_comment(%s, null, 'too deep', 'plain', 'approved')", (parent["id"],),
                       sqlstate="23514", field="content.nodes.depth")
    assert "depth 11, the maximum is 10" in err.diag.message_primary


def test_max_comment_depth_is_a_per_tenant_blog_setting(conn, t1, t2):
    set_module(conn, t1["id"], "blog", True, {"max_comment_depth": 2})
    post = published_post(conn, t1["id"])
    reply = comment(conn, comment(conn, post))
    assert reply["depth"] == 2
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, parent_id, status) values (%s, 'comment', %s, 'approved')",
                 (t1["id"], reply["id"]), sqlstate="23514", field="content.nodes.depth")
    # another tenant keeps the default
    other = published_post(conn, t2["id"])
    deep = other
    for _ in range(3):
        deep = comment(conn, deep)
    assert deep["depth"] == 3
    set_module(conn, t1["id"], "blog", True, {"max_comment_depth": "lots"})
    assert_fails(conn, "select content.add_comment(%s, null, 'x')", (post["id"],),
                 sqlstate="22023", field="max_comment_depth")


def test_comment_needs_a_visible_parent_and_no_slug(conn, t1, t2):
    draft = node(conn, t1["id"], "post", "Draft")
    assert_fails(conn, "select content.add_comment(%s, null, 'x')", (draft["id"],),
                 sqlstate="55000", field="content.nodes.parent_id")
    post = published_post(conn, t1["id"])
    pending = comment(conn, post, status="pending")
    assert_fails(conn, "select content.add_comment(%s, null, 'x')", (pending["id"],),
                 sqlstate="55000", field="content.nodes.parent_id")
    page = node(conn, t1["id"], "page", "Page", status="published")
    assert_fails(conn, "select content.add_comment(%s, null, 'x')", (page["id"],),
                 sqlstate="23514", field="content.nodes.parent_id")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, status) values (%s, 'comment', 'approved')",
                 (t1["id"],), sqlstate="23514", field="content.nodes.parent_id")
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, parent_id, slug) values (%s, 'comment', %s, 'c')",
                 (t1["id"], post["id"]), sqlstate="23514", field="content.nodes.slug")
    assert_fails(conn, "select content.add_comment(%s, null, '   ')", (post["id"],),
                 sqlstate="22023", field="content.bodies.body")
    foreign = published_post(conn, t2["id"])
    assert_fails(conn, "insert into content.nodes (tenant_id, kind, parent_id) values (%s, 'comment', %s)",
                 (t1["id"], foreign["id"]), sqlstate="23503", field="content.nodes.parent_id")
    other_post = published_post(conn, t1["id"], "Other")
    c = comment(conn, post)
    assert_fails(conn, "update content.nodes set parent_id = %s where id = %s", (other_post["id"], c["id"]),
                 sqlstate="23514", field="content.nodes.parent_id")


def test_reply_count_counts_direct_approved_replies(conn, t1):
    post = published_post(conn, t1["id"])
    a = comment(conn, post)                       # approved
    b = comment(conn, post, status="pending")
    comment(conn, post, status="spam")
    a1 = comment(conn, a)
    comment(conn, a1)                             # grandchild: counted on a1 only
    assert get_node(conn, post["id"])["reply_count"] == 1
    assert get_node(conn, a["id"])["reply_count"] == 1
    assert get_node(conn, a1["id"])["reply_count"] == 1
    moderated = conn.execute("select * from content.moderate_comments(%s, 'approved')", ([b["id"]],)).fetchall()
    assert [r["id"] for r in moderated] == [b["id"]]
    assert get_node(conn, post["id"])["reply_count"] == 2
    conn.execute("select content.moderate_comments(%s, 'spam')", ([a["id"], b["id"]],))
    assert get_node(conn, post["id"])["reply_count"] == 0
    conn.execute("select content.moderate_comments(%s, 'approved')", ([a["id"]],))
    assert get_node(conn, post["id"])["reply_count"] == 1
    # deleting a comment removes its subtree (cascade) and its count
    conn.execute("delete from content.nodes where id = %s", (a["id"],))
    assert get_node(conn, post["id"])["reply_count"] == 0
    # bulk: one statement inserting many approved comments
    conn.execute("insert into content.nodes (tenant_id, kind, parent_id, status) "
                 "select %s, 'comment', %s, 'approved' from generate_series(1, 25)", (t1["id"], post["id"]))
    assert get_node(conn, post["id"])["reply_count"] == 25
    conn.execute("update content.nodes set status = 'pending' where parent_id = %s and kind = 'comment' "
                 "and id in (select id from content.nodes where parent_id = %s and status = 'approved' order by id limit 10)", (post["id"], post["id"]))
    assert get_node(conn, post["id"])["reply_count"] == 15
    assert conn.execute("select content.recount_replies(%s) as n", (t1["id"],)).fetchone()["n"] == 0


def test_moderation_arguments(conn, t1):
    post = published_post(conn, t1["id"])
    c = comment(conn, post, status="pending")
    assert_fails(conn, "select content.moderate_comments(%s, 'published')", ([c["id"]],),
                 sqlstate="22023", field="status:")
    assert_fails(conn, "select content.moderate_comments(%s, 'approved')", ([post["id"]],),
                 sqlstate="P0002", field="ids:")
    approved = get_node(conn, (conn.execute("select (content.moderate_comments(%s, 'approved')).id", ([c["id"]],))
                               .fetchone()["id"]))
    assert approved["published_at"] is not None


@pytest.mark.slow
def test_reply_count_exact_under_concurrent_inserts_and_deletes(fresh_db):
    """Several real connections add, approve and delete comments on one post at once, committing."""
    with psycopg.connect(fresh_db, autocommit=True) as setup:
        tenant = make_tenant(setup)
        post_id = setup.execute("insert into content.nodes (tenant_id, kind, title, status) "
                                "values (%s, 'post', 'Hot', 'published') returning id", (tenant["id"],)).fetchone()[0]
        first = setup.execute("select id from content.add_comment(%s, null, 'top', 'plain', 'approved')",
                              (post_id,)).fetchone()[0]

    errors: list[BaseException] = []
    barrier = threading.Barrier(5)

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            with psycopg.connect(fresh_db) as db:
                barrier.wait()
                mine: list = []
                for _ in range(30):
                    parent = rnd.choice([post_id, first])
                    op = rnd.random()
                    with db.transaction():
                        if op < 0.6 or not mine:
                            status = rnd.choice(["approved", "approved", "pending"])
                            mine.append(db.execute("select id from content.add_comment(%s, null, 'c', 'plain', %s)",
                                                   (parent, status)).fetchone()[0])
                        elif op < 0.8:
                            db.execute("select content.moderate_comments(%s, %s)",
                                       ([rnd.choice(mine)], rnd.choice(["approved", "spam", "pending"])))
                        else:
                            db.execute("delete from content.nodes where id = %s", (mine.pop(rnd.randrange(len(mine))),))
        except BaseException as exc:   # reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    with psycopg.connect(fresh_db) as check:
        rows = check.execute(
            "select p.id, p.reply_count, (select count(*) from content.nodes c where c.tenant_id = p.tenant_id "
            "and c.parent_id = p.id and c.kind = 'comment' and c.status = 'approved') as truth "
            "from content.nodes p where p.tenant_id = %s and p.id in (%s, %s)", (tenant["id"], post_id, first)).fetchall()
        assert len(rows) == 2
        for _, stored, truth in rows:
            assert stored == truth
        assert sum(r[2] for r in rows) > 0
        assert check.execute("select content.recount_replies(%s)", (tenant["id"],)).fetchone()[0] == 0

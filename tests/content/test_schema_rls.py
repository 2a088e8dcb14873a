"""Catalog documentation and row-level security of the content and community schemas."""

from __future__ import annotations

import psycopg
import pytest

from tests.content.content_helpers import act_as_app, comment, make_user, node, published_post


def test_content_and_community_tables_and_node_partitions_exist(conn):
    # comments on them: tests/catalog/test_conventions.py (one comment-coverage test for every schema)
    counted = conn.execute("""
        select count(*) filter (where c.relkind in ('r', 'p')) as tables from pg_class c
        join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('content', 'community')
    """).fetchone()
    assert counted["tables"] >= 20   # 8 content tables + 8 node partitions + 4 community tables


def test_security_definer_functions_pin_search_path(conn):
    loose = conn.execute("""
        select p.oid::regprocedure::text as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('content', 'community') and p.prosecdef
          and not coalesce(p.proconfig @> array['search_path=pg_catalog, pg_temp'], false)
    """).fetchall()
    assert loose == []


def _seed(conn, tenant_id):
    user = make_user(conn, tenant_id)
    post = published_post(conn, tenant_id, author_id=user["id"])
    conn.execute("insert into content.bodies (tenant_id, node_id, body) values (%s, %s, 'b')", (tenant_id, post["id"]))
    c = comment(conn, post, author_id=user["id"])
    cat = conn.execute("insert into content.categories (tenant_id, name) values (%s, 'C') returning id", (tenant_id,)).fetchone()
    tag = conn.execute("insert into content.tags (tenant_id, name) values (%s, 'T') returning id", (tenant_id,)).fetchone()
    conn.execute("select content.attach_tags(%s, 'node', %s)", ([tag["id"]], [post["id"]]))
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'node', %s, 'm')",
                 (tenant_id, post["id"]))
    conn.execute("insert into content.media (tenant_id, url, mime_type) values (%s, 'https://x.io/a.png', 'image/png')",
                 (tenant_id,))
    conn.execute("update content.nodes set title = 'v2' where id = %s", (post["id"],))
    other = make_user(conn, tenant_id)
    conn.execute("insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                 (tenant_id, post["id"], other["id"]))
    conn.execute("insert into community.follows (tenant_id, follower_id, category_id) values (%s, %s, %s)",
                 (tenant_id, other["id"], cat["id"]))
    return post, c, user


TABLES = ["content.nodes", "content.bodies", "content.categories", "content.tags", "content.taggables", "content.meta",
          "content.media", "content.revisions", "community.reactions", "community.follows", "community.reputation"]


def test_app_role_sees_only_its_tenant(conn, t1, t2):
    _seed(conn, t1["id"])
    _seed(conn, t2["id"])
    act_as_app(conn, t1["id"])
    for table in TABLES:
        tenants = {r["tenant_id"] for r in conn.execute(f"select distinct tenant_id from {table}").fetchall()}
        assert tenants == {t1["id"]}, table


def test_app_role_cannot_write_into_another_tenant(conn, t1, t2):
    foreign_post, _, _ = _seed(conn, t2["id"])
    act_as_app(conn, t1["id"])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("insert into content.nodes (tenant_id, kind, title) values (%s, 'page', 'X')", (t2["id"],))
    assert conn.execute("update content.nodes set title = 'hacked' where id = %s", (foreign_post["id"],)).rowcount == 0
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute("select content.publish_nodes(%s)", ([foreign_post["id"]],))
    assert info.value.sqlstate == "P0002"


def test_app_role_cannot_forge_computed_tables(conn, t1):
    post, _, user = _seed(conn, t1["id"])
    act_as_app(conn, t1["id"])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("insert into content.revisions (tenant_id, node_id, title) values (%s, %s, 'fake')",
                         (t1["id"], post["id"]))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("update community.reputation set score = 1000")


def test_api_functions_work_as_app_role(conn, t1, t2):
    post, c, user = _seed(conn, t1["id"])
    _seed(conn, t2["id"])
    later = node(conn, t1["id"], "post", "Later")
    # moderating, publishing and tagging need an editor's or admin's permissions (core.role_permissions)
    conn.execute("update core.users set role = 'admin' where id = %s", (user["id"],))
    act_as_app(conn, t1["id"])
    conn.execute("select set_config('rustok.user_id', %s, true)", (str(user["id"]),))
    reply = conn.execute("select * from content.add_comment(%s, %s, 'reply', 'markdown', 'pending')",
                         (c["id"], user["id"])).fetchone()
    assert reply["depth"] == 2 and reply["tenant_id"] == t1["id"]
    assert conn.execute("select count(*) as n from content.moderate_comments(%s, 'approved')", ([reply["id"]],)).fetchone()["n"] == 1
    assert conn.execute("select reply_count from content.nodes where id = %s", (c["id"],)).fetchone()["reply_count"] == 1
    assert conn.execute("select status from content.schedule_nodes(%s, now() + interval '1 hour')",
                        ([later["id"]],)).fetchone()["status"] == "scheduled"
    assert conn.execute("select status from content.publish_nodes(%s)", ([later["id"]],)).fetchone()["status"] == "published"
    assert conn.execute("select status from content.archive_nodes(%s)", ([later["id"]],)).fetchone()["status"] == "archived"
    rev = conn.execute("select id, edited_by from content.revisions where node_id = %s", (post["id"],)).fetchone()
    assert conn.execute("select title from content.restore_revision(%s)", (rev["id"],)).fetchone()["title"] == "Post"
    new_rev = conn.execute("select edited_by from content.revisions where node_id = %s order by created_at desc limit 1",
                           (post["id"],)).fetchone()
    assert new_rev["edited_by"] == user["id"]
    tag = conn.execute("insert into content.tags (tenant_id, name) values (%s, 'App tag') returning id", (t1["id"],)).fetchone()
    assert len(conn.execute("select * from content.attach_tags(%s, 'node', %s)", ([tag["id"]], [post["id"], later["id"]])).fetchall()) == 2
    assert len(conn.execute("select * from content.detach_tags(%s, 'node', %s)", ([tag["id"]], [later["id"]])).fetchall()) == 1
    assert conn.execute("select count(*) as n from content.publish_due()").fetchone()["n"] == 0
    events = conn.execute("select distinct tenant_id from outbox.events").fetchall()
    assert [e["tenant_id"] for e in events] == [t1["id"]]

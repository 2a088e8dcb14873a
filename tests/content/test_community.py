"""Community: reactions (one per user, node and kind), follows, reputation kept exact by triggers."""

from __future__ import annotations

import threading

import psycopg

from content_helpers import assert_fails, make_tenant, make_user, published_post, set_module


def react(conn, tenant_id, node_id, user_id, kind="like"):
    conn.execute("insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, %s)",
                 (tenant_id, node_id, user_id, kind))


def rep(conn, tenant_id, user_id):
    row = conn.execute("select score, reactions_received from community.reputation where tenant_id = %s and user_id = %s",
                       (tenant_id, user_id)).fetchone()
    return (row["score"], row["reactions_received"]) if row else (0, 0)


def test_reactions_feed_author_reputation(conn, t1):
    author = make_user(conn, t1["id"])
    fans = [make_user(conn, t1["id"]) for _ in range(3)]
    post = published_post(conn, t1["id"], author_id=author["id"])
    react(conn, t1["id"], post["id"], fans[0]["id"], "like")        # +1
    react(conn, t1["id"], post["id"], fans[0]["id"], "love")        # +2 (another kind by the same user is fine)
    react(conn, t1["id"], post["id"], fans[1]["id"], "downvote")    # -1
    react(conn, t1["id"], post["id"], author["id"], "love")         # own reaction: no reputation
    assert rep(conn, t1["id"], author["id"]) == (2, 3)
    assert_fails(conn, "insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                 (t1["id"], post["id"], fans[0]["id"]), sqlstate="23505", field="reactions_pkey")
    assert_fails(conn, "insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'meh')",
                 (t1["id"], post["id"], fans[2]["id"]), sqlstate="23503", field="reactions_kind_fkey")
    conn.execute("delete from community.reactions where user_id = %s and kind = 'love'", (fans[0]["id"],))
    assert rep(conn, t1["id"], author["id"]) == (0, 2)
    conn.execute("update community.reactions set kind = 'insightful' where user_id = %s", (fans[1]["id"],))
    assert rep(conn, t1["id"], author["id"]) == (3, 2)
    assert_fails(conn, "update community.reactions set recipient_id = %s where user_id = %s", (fans[2]["id"], fans[1]["id"]),
                 sqlstate="23514", field="community.reactions.recipient_id")
    # the reputation follows a change of the node's author
    conn.execute("update content.nodes set author_id = %s where id = %s", (fans[2]["id"], post["id"]))
    assert rep(conn, t1["id"], author["id"]) == (0, 0)
    assert rep(conn, t1["id"], fans[2]["id"]) == (5, 3)     # like 1 + insightful 2 + the former author's love 2
    # deleting the node takes its reactions and their reputation
    conn.execute("delete from content.nodes where id = %s", (post["id"],))
    assert rep(conn, t1["id"], fans[2]["id"]) == (0, 0)
    assert conn.execute("select community.recompute_reputation(%s) as n", (t1["id"],)).fetchone()["n"] == 0


def test_recompute_detects_drift(conn, t1):
    author = make_user(conn, t1["id"])
    fan = make_user(conn, t1["id"])
    post = published_post(conn, t1["id"], author_id=author["id"])
    react(conn, t1["id"], post["id"], fan["id"])
    conn.execute("update community.reputation set score = 99 where user_id = %s", (author["id"],))   # owner tampering
    assert conn.execute("select community.recompute_reputation(%s) as n", (t1["id"],)).fetchone()["n"] == 1
    assert rep(conn, t1["id"], author["id"]) == (1, 1)


def test_reaction_node_and_user_must_share_the_tenant(conn, t1, t2):
    post = published_post(conn, t1["id"])
    stranger = make_user(conn, t2["id"])
    foreign_post = published_post(conn, t2["id"])
    me = make_user(conn, t1["id"])
    assert_fails(conn, "insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                 (t1["id"], post["id"], stranger["id"]), sqlstate="23503", field="reactions_user_fkey")
    assert_fails(conn, "insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                 (t1["id"], foreign_post["id"], me["id"]), sqlstate="23503", field="community.reactions.node_id")


def test_follows(conn, t1, t2):
    a, b = make_user(conn, t1["id"]), make_user(conn, t1["id"])
    post = published_post(conn, t1["id"])
    cat = conn.execute("insert into content.categories (tenant_id, name) values (%s, 'C') returning id", (t1["id"],)).fetchone()
    rows = conn.execute(
        "insert into community.follows (tenant_id, follower_id, followed_user_id, node_id, category_id) values "
        "(%s, %s, %s, null, null), (%s, %s, null, %s, null), (%s, %s, null, null, %s) returning target_type, target_id",
        (t1["id"], a["id"], b["id"], t1["id"], a["id"], post["id"], t1["id"], a["id"], cat["id"])).fetchall()
    assert [(r["target_type"], r["target_id"]) for r in rows] == [("user", b["id"]), ("node", post["id"]), ("category", cat["id"])]
    assert_fails(conn, "insert into community.follows (tenant_id, follower_id, followed_user_id) values (%s, %s, %s)",
                 (t1["id"], a["id"], b["id"]), sqlstate="23505", field="follows_key")
    assert_fails(conn, "insert into community.follows (tenant_id, follower_id, followed_user_id) values (%s, %s, %s)",
                 (t1["id"], a["id"], a["id"]), sqlstate="23514", field="follows_not_self")
    assert_fails(conn, "insert into community.follows (tenant_id, follower_id, node_id, category_id) values (%s, %s, %s, %s)",
                 (t1["id"], b["id"], post["id"], cat["id"]), sqlstate="23514", field="follows_one_target")
    stranger = make_user(conn, t2["id"])
    assert_fails(conn, "insert into community.follows (tenant_id, follower_id, followed_user_id) values (%s, %s, %s)",
                 (t1["id"], a["id"], stranger["id"]), sqlstate="23503", field="follows_followed_user_fkey")
    conn.execute("delete from content.nodes where id = %s", (post["id"],))
    assert conn.execute("select count(*) as n from community.follows where follower_id = %s", (a["id"],)).fetchone()["n"] == 2


def test_disabled_community_module_refuses_writes(conn, t1):
    author, fan = make_user(conn, t1["id"]), make_user(conn, t1["id"])
    post = published_post(conn, t1["id"], author_id=author["id"])
    set_module(conn, t1["id"], "community", False)
    assert_fails(conn, "insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                 (t1["id"], post["id"], fan["id"]), sqlstate="55000", field='community.reactions: module "community" is disabled')
    assert_fails(conn, "insert into community.follows (tenant_id, follower_id, node_id) values (%s, %s, %s)",
                 (t1["id"], fan["id"], post["id"]), sqlstate="55000", field='community.follows: module "community" is disabled')


def test_reputation_exact_under_concurrent_reactions(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as setup:
        tenant = make_tenant(setup)
        author = make_user(setup, tenant["id"])
        fans = [make_user(setup, tenant["id"]) for _ in range(4)]
        posts = [setup.execute("insert into content.nodes (tenant_id, kind, title, status, author_id) "
                               "values (%s, 'post', %s, 'published', %s) returning id",
                               (tenant["id"], f"P{i}", author["id"])).fetchone()[0] for i in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(fans))

    def worker(fan) -> None:
        try:
            with psycopg.connect(fresh_db, autocommit=True) as db:
                barrier.wait()
                for round_ in range(3):
                    for post_id in posts:
                        for kind in ("like", "love", "downvote"):
                            db.execute("insert into community.reactions (tenant_id, node_id, user_id, kind) "
                                       "values (%s, %s, %s, %s) on conflict do nothing", (tenant["id"], post_id, fan["id"], kind))
                    if round_ < 2:
                        db.execute("delete from community.reactions where user_id = %s and kind = 'love'", (fan["id"],))
        except BaseException as exc:   # reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f,)) for f in fans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with psycopg.connect(fresh_db) as check:
        score, received = check.execute("select score, reactions_received from community.reputation where user_id = %s",
                                        (author["id"],)).fetchone()
        assert (score, received) == (len(fans) * len(posts) * (1 + 2 - 1), len(fans) * len(posts) * 3)
        assert check.execute("select community.recompute_reputation(%s)", (tenant["id"],)).fetchone()[0] == 0

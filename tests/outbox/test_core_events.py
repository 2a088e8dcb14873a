"""Core domain events (UserRegistered, UserLoggedIn, ReindexRequested) come from the writes themselves."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from conftest import act_as_app, make_tenant, make_user


def events(conn, event_type=None):
    return conn.execute(
        "select event_type, aggregate_type, aggregate_id, tenant_id, payload from outbox.events"
        " where %(t)s::text is null or event_type = %(t)s order by aggregate_id",
        {"t": event_type},
    ).fetchall()


def test_user_registered_single_insert(conn):
    tenant = make_tenant(conn)
    user = make_user(conn, tenant["id"], email="Ann@example.com")
    [ev] = events(conn, "UserRegistered")
    assert ev["aggregate_type"] == "user" and ev["aggregate_id"] == user["id"]
    assert ev["tenant_id"] == tenant["id"]
    assert ev["payload"] == {"user_id": str(user["id"]), "email": "Ann@example.com"}


def test_user_registered_bulk_raw_sql_as_app_role(conn):
    tenant = make_tenant(conn)
    act_as_app(conn, tenant["id"])
    ids = [r["id"] for r in conn.execute(
        "insert into core.users (tenant_id, email, password_hash)"
        " select %s, 'bulk' || g || '@example.com', 'x' from generate_series(1, 25) g returning id",
        (tenant["id"],)).fetchall()]
    got = events(conn, "UserRegistered")
    assert sorted(e["aggregate_id"] for e in got) == sorted(ids)
    assert len(got) == 25


def test_no_event_when_insert_fails(conn):
    tenant = make_tenant(conn)
    make_user(conn, tenant["id"], email="a@example.com")
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.UniqueViolation):
        make_user(conn, tenant["id"], email="A@example.com")
    conn.execute("rollback to savepoint s")
    assert len(events(conn, "UserRegistered")) == 1


def test_user_logged_in_from_sessions_one_per_user(conn):
    tenant = make_tenant(conn)
    u1 = make_user(conn, tenant["id"])
    u2 = make_user(conn, tenant["id"])
    conn.execute(
        "insert into core.sessions (tenant_id, user_id, token_hash, expires_at)"
        " select %s, u, md5(random()::text) || md5(random()::text), now() + interval '1 day'"
        " from unnest(%s::uuid[]) u",
        (tenant["id"], [u1["id"], u1["id"], u2["id"]]),
    )
    got = events(conn, "UserLoggedIn")
    assert sorted(e["aggregate_id"] for e in got) == sorted([u1["id"], u2["id"]])
    assert all(e["aggregate_type"] == "user" and e["payload"] == {"user_id": str(e["aggregate_id"])} for e in got)


def test_user_logged_in_from_last_login_at_bulk_update(conn):
    tenant = make_tenant(conn)
    users = [make_user(conn, tenant["id"]) for _ in range(3)]
    conn.execute("update core.users set last_login_at = now() where tenant_id = %s", (tenant["id"],))
    got = events(conn, "UserLoggedIn")
    assert sorted(e["aggregate_id"] for e in got) == sorted(u["id"] for u in users)


def test_update_without_login_change_emits_nothing(conn):
    tenant = make_tenant(conn)
    make_user(conn, tenant["id"])
    conn.execute("update core.users set display_name = 'New name' where tenant_id = %s", (tenant["id"],))
    conn.execute("update core.users set last_login_at = null where tenant_id = %s", (tenant["id"],))
    assert events(conn, "UserLoggedIn") == []


def test_login_with_session_and_last_login_at_emits_once(conn):
    tenant = make_tenant(conn)
    user = make_user(conn, tenant["id"])
    act_as_app(conn, tenant["id"])
    conn.execute(
        "insert into core.sessions (tenant_id, user_id, token_hash, expires_at)"
        " values (%s, %s, repeat('a', 64), now() + interval '1 day')", (tenant["id"], user["id"]))
    conn.execute("update core.users set last_login_at = now() where id = %s", (user["id"],))
    assert [e["aggregate_id"] for e in events(conn, "UserLoggedIn")] == [user["id"]]


def test_request_reindex_by_ids_dedupes(conn):
    tenant = make_tenant(conn)
    a, b = uuid.uuid4(), uuid.uuid4()
    n = conn.execute("select ops.request_reindex(%s, 'product', %s)", (tenant["id"], [a, b, a])).fetchone()
    assert list(n.values()) == [2]
    got = events(conn, "ReindexRequested")
    assert sorted(e["aggregate_id"] for e in got) == sorted([a, b])
    assert all(e["aggregate_type"] == "product" and e["payload"]["scope"] == "aggregate"
               and e["payload"]["target_id"] == str(e["aggregate_id"]) for e in got)


def test_request_reindex_whole_type(conn):
    tenant = make_tenant(conn)
    conn.execute("select ops.request_reindex(%s, 'node')", (tenant["id"],))
    [ev] = events(conn, "ReindexRequested")
    assert ev["aggregate_id"] == tenant["id"] and ev["aggregate_type"] == "node"
    assert ev["payload"] == {"target_type": "node", "target_id": None, "scope": "tenant"}


@pytest.mark.parametrize(
    "args, sqlstate, field",
    [
        (("TENANT", "Product", None), "22023", "p_aggregate_type"),
        (("TENANT", None, None), "22023", "p_aggregate_type"),
        (("TENANT", "product", [uuid.uuid4(), None]), "22023", "p_aggregate_ids"),
        ((uuid.uuid4(), "product", None), "P0002", "p_tenant_id"),
    ],
)
def test_request_reindex_bad_input(conn, args, sqlstate, field):
    tenant = make_tenant(conn)
    args = tuple(tenant["id"] if a == "TENANT" else a for a in args)
    conn.execute("savepoint s")
    with pytest.raises(psycopg.Error) as err:
        conn.execute("select ops.request_reindex(%s, %s, %s::uuid[])", args)
    conn.execute("rollback to savepoint s")
    assert err.value.sqlstate == sqlstate
    assert field in str(err.value)
    assert events(conn, "ReindexRequested") == []

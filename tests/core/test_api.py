"""The account and session API functions (sql/code/core/api.sql) called as the application role: the tenant
comes from core.current_tenant_id(), and another tenant's users and sessions cannot be touched."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import psycopg
import pytest

from tests.conftest import act_as_app, make_tenant, make_user

LIFETIME = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fails(conn, sql, params, sqlstate, contains):
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute(sql, params)
    assert info.value.sqlstate == sqlstate, (info.value.sqlstate, str(info.value))
    assert contains in str(info.value)


def test_register_then_sign_in_then_sign_out(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    uid = conn.execute("select core.register_user('Ann@Example.com', 'scrypt$hash', 'Ann') as id").fetchone()["id"]
    user = conn.execute("select tenant_id, email, role, status, display_name from core.users where id = %s",
                        (uid,)).fetchone()
    assert user == {"tenant_id": t["id"], "email": "Ann@Example.com", "role": "customer", "status": "active",
                    "display_name": "Ann"}
    # the login lookup ignores case and returns the hash for the application to check
    assert conn.execute("select * from core.user_for_login('ann@EXAMPLE.com')").fetchall() == [
        {"user_id": uid, "password_hash": "scrypt$hash", "status": "active"}]
    assert conn.execute("select * from core.user_for_login('bob@example.com')").fetchall() == []

    session = conn.execute("select *, now() as now, now() + %s as expected from core.start_session(%s, %s, 'pytest', %s)",
                           (LIFETIME, uid, _hash("tok-1"), LIFETIME)).fetchone()
    assert session["expires_at"] == session["expected"]
    assert (session["id"], session["email"], session["display_name"], session["role"], session["status"]) == (
        uid, "Ann@Example.com", "Ann", "customer", "active")
    assert session["last_login_at"] == session["now"] and session["created_at"] is not None
    resolved = conn.execute("select * from core.resolve_request(%s, %s)", (t["slug"], _hash("tok-1"))).fetchone()
    assert resolved == {"tenant_id": t["id"], "user_id": uid, "user_role": "customer"}

    assert conn.execute("select core.end_session(%s) as r", (_hash("tok-1"),)).fetchone()["r"] is True
    assert conn.execute("select core.end_session(%s) as r", (_hash("tok-1"),)).fetchone()["r"] is False
    assert conn.execute("select * from core.resolve_request(%s, %s)", (t["slug"], _hash("tok-1"))).fetchone()[
        "user_id"] is None


def test_register_refuses_duplicates_bad_input_and_a_missing_tenant(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    conn.execute("select core.register_user('bo@example.com', 'h')")
    _fails(conn, "select core.register_user('BO@example.com', 'h')", (), "23505", "users_tenant_email_key")
    _fails(conn, "select core.register_user('not-an-email', 'h')", (), "23514", "users_email_format")
    conn.execute("select core.set_tenant(null)")
    _fails(conn, "select core.register_user('cy@example.com', 'h')", (), "22023", "no tenant")


def test_inactive_user_cannot_start_a_session(conn):
    t = make_tenant(conn)
    banned = make_user(conn, t["id"])
    conn.execute("update core.users set status = 'banned' where id = %s", (banned["id"],))
    act_as_app(conn, t["id"])
    _fails(conn, "select * from core.start_session(%s, %s, null, %s)", (banned["id"], _hash("b"), LIFETIME),
           "P0002", "no active user")
    assert conn.execute("select count(*) as n from core.sessions").fetchone()["n"] == 0


def test_another_tenants_users_and_sessions_are_out_of_reach(conn):
    mine, theirs = make_tenant(conn), make_tenant(conn)
    stranger = make_user(conn, theirs["id"], "eve@example.com")
    # a live session of the other tenant, made the way its own request would
    act_as_app(conn, theirs["id"])
    conn.execute("select * from core.start_session(%s, %s, null, %s)", (stranger["id"], _hash("theirs"), LIFETIME))

    act_as_app(conn, mine["id"])
    assert conn.execute("select * from core.user_for_login('eve@example.com')").fetchall() == []
    _fails(conn, "select * from core.start_session(%s, %s, null, %s)", (stranger["id"], _hash("mine"), LIFETIME),
           "P0002", "no active user")
    assert conn.execute("select core.end_session(%s) as r", (_hash("theirs"),)).fetchone()["r"] is False
    # the same email may register here: emails are unique per tenant
    conn.execute("select core.register_user('eve@example.com', 'h')")

    conn.execute("reset role")
    assert conn.execute("select revoked_at from core.sessions where token_hash = %s",
                        (_hash("theirs"),)).fetchone() == {"revoked_at": None}
    assert conn.execute("select count(*) as n from core.sessions where token_hash = %s",
                        (_hash("mine"),)).fetchone()["n"] == 0


def test_account_functions_are_for_the_app_only(conn):
    rows = conn.execute("""
        select p.proname, p.prosecdef, has_function_privilege('rustok_app', p.oid, 'execute') as app,
               has_function_privilege('rustok_analyst', p.oid, 'execute') as analyst
        from pg_proc p where p.pronamespace = 'core'::regnamespace
          and p.proname in ('register_user', 'user_for_login', 'start_session', 'end_session')""").fetchall()
    assert sorted(r["proname"] for r in rows) == ["end_session", "register_user", "start_session", "user_for_login"]
    assert all(not r["prosecdef"] and r["app"] and not r["analyst"] for r in rows), rows

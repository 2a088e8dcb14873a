"""Tenant isolation with the application role: raw SQL cannot cross tenants."""

import psycopg
import pytest

from tests.conftest import act_as_app, make_tenant, make_user


@pytest.fixture
def two_tenants(conn):
    a = make_tenant(conn, "tenant-a")
    b = make_tenant(conn, "tenant-b")
    ua = make_user(conn, a["id"], "alice@a.example")
    ub = make_user(conn, b["id"], "bob@b.example")
    conn.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) values (%s, 'blog', false)", (b["id"],))
    return a, b, ua, ub


def test_app_role_reads_only_its_tenant(conn, two_tenants):
    a, b, ua, ub = two_tenants
    act_as_app(conn, a["id"])
    emails = [r["email"] for r in conn.execute("select email from core.users").fetchall()]
    assert emails == ["alice@a.example"]
    assert [r["slug"] for r in conn.execute("select slug from core.tenants").fetchall()] == ["tenant-a"]
    assert conn.execute("select count(*) as n from core.tenant_modules").fetchone()["n"] == 0
    # Even naming the other tenant's row explicitly finds nothing.
    assert conn.execute("select * from core.users where id = %s", (ub["id"],)).fetchall() == []


def test_app_role_cannot_update_or_delete_other_tenant(conn, two_tenants):
    a, b, ua, ub = two_tenants
    act_as_app(conn, a["id"])
    assert conn.execute("update core.users set display_name = 'pwned' where tenant_id = %s", (b["id"],)).rowcount == 0
    assert conn.execute("delete from core.users where id = %s", (ub["id"],)).rowcount == 0
    assert conn.execute("delete from core.tenants where id = %s", (b["id"],)).rowcount == 0
    conn.execute("reset role")
    still = conn.execute("select display_name from core.users where id = %s", (ub["id"],)).fetchone()
    assert still["display_name"] == "bob"


def test_app_role_cannot_insert_into_or_move_rows_to_other_tenant(conn, two_tenants):
    a, b, ua, ub = two_tenants
    act_as_app(conn, a["id"])
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("insert into core.users (tenant_id, email, password_hash) values (%s, 'x@b.example', 'h')", (b["id"],))
    conn.execute("rollback to savepoint s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("update core.users set tenant_id = %s where id = %s", (b["id"], ua["id"]))


def test_no_tenant_context_sees_nothing(conn, two_tenants):
    conn.execute("set local role rustok_app")
    assert conn.execute("select count(*) as n from core.users").fetchone()["n"] == 0
    assert conn.execute("select count(*) as n from core.tenants").fetchone()["n"] == 0


def test_app_role_cannot_bypass_rls_or_run_ddl(conn, two_tenants):
    a, *_ = two_tenants
    act_as_app(conn, a["id"])
    conn.execute("savepoint s")
    conn.execute("set local row_security = off")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("select * from core.users")
    conn.execute("rollback to savepoint s")
    for ddl in ("create table core.evil (id int)", "create table public.evil (id int)",
                "alter table core.users disable row level security", "drop table core.sessions"):
        conn.execute("savepoint s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(ddl)
        conn.execute("rollback to savepoint s")


def test_role_attributes(conn):
    rows = conn.execute(
        "select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles "
        "where rolname in ('rustok_app', 'rustok_analyst') order by rolname").fetchall()
    assert [r["rolname"] for r in rows] == ["rustok_analyst", "rustok_app"]
    for r in rows:
        assert not (r["rolsuper"] or r["rolbypassrls"] or r["rolcreaterole"] or r["rolcreatedb"])


def test_analyst_reads_all_tenants_but_cannot_write_or_see_password_hashes(conn, two_tenants):
    conn.execute("set local role rustok_analyst")
    n = conn.execute("select count(*) as n from core.tenants where slug in ('tenant-a', 'tenant-b')").fetchone()["n"]
    assert n == 2
    emails = {r["email"] for r in conn.execute("select email from core.users").fetchall()}
    assert {"alice@a.example", "bob@b.example"} <= emails
    for sql in ("select password_hash from core.users", "update core.tenants set name = 'x'",
                "insert into core.tenants (name, slug) values ('x', 'x')"):
        conn.execute("savepoint s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
        conn.execute("rollback to savepoint s")


def test_every_tenant_table_has_row_level_security(conn):
    """Any table (or partitioned parent) with a tenant_id column is under RLS with a policy for the app role."""
    rows = conn.execute("""
        select c.oid::regclass::text as name, c.relrowsecurity as rls,
               exists (select from pg_policy p where p.polrelid = c.oid
                       and 'rustok_app'::regrole = any (p.polroles)) as app_policy
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname in ('core', 'content', 'community', 'commerce', 'outbox', 'index')""").fetchall()
    assert len(rows) > 20
    unprotected = [r["name"] for r in rows if not (r["rls"] and r["app_policy"])]
    assert unprotected == []

"""Analyst logins (issue 14 item 3): ops.create_analyst(login, tenant_slug) makes a login that sees only its tenant's
rows of the index tables and of every analytics view, cannot widen that with any setting or role switch, cannot
write, and cannot read secrets; ops.create_analyst(login) makes a platform-wide one. Real logins, real RLS."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.commerce.commerce_helpers import make_shop, place
from tests.conftest import make_user


def as_login(url: str, login: str) -> psycopg.Connection:
    parts = urlsplit(url)
    netloc = f"{login}@{parts.hostname}:{parts.port}"
    return psycopg.connect(urlunsplit(parts._replace(netloc=netloc)), autocommit=True, row_factory=dict_row)


def owner(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def _tenant_with_data(c, slug):
    shop = make_shop(c)
    t = shop["tenant"]
    c.execute("update core.tenants set slug = %s where id = %s", (slug, t["id"]))
    place(c, t["id"], [{"variant_id": str(shop["variant"]["id"]), "quantity": 2}])
    user = make_user(c, t["id"])
    c.execute("insert into core.sessions (tenant_id, user_id, token_hash, expires_at) "
              "values (%s, %s, %s, now() + interval '1 day')", (t["id"], user["id"], uuid.uuid4().hex * 2))
    c.execute("insert into content.nodes (tenant_id, kind, title, status) values (%s, 'post', 'Hello there', 'published')",
              (t["id"],))
    return t["id"]


@pytest.fixture
def two_tenants(fresh_db):
    suffix = uuid.uuid4().hex[:6]
    with owner(fresh_db) as c:
        a = _tenant_with_data(c, f"a-{suffix}")
        b = _tenant_with_data(c, f"b-{suffix}")
        c.execute("select * from outbox.drain('index')")
        c.execute("select * from index.refresh_words(%s)", (a,))
        c.execute("select * from index.refresh_words(%s)", (b,))
        # reindex fingerprints of each (index.product_fingerprints: written by a full reindex)
        c.execute("select * from index.reindex_tenant(%s, array['product'])", (a,))
        c.execute("select * from index.reindex_tenant(%s, array['product'])", (b,))
        # a stale-words mark of each (index._mark_words_stale; the refresh above cleared them)
        c.execute("insert into index.words_stale (tenant_id, marked_by) values (%s, 1), (%s, 1)", (a, b))
        # a facet cache row of each tenant
        c.execute("insert into index.facet_cache (tenant_id, include_unpublished, currency_code, bounds, total, counts) "
                  "values (%s, false, 'EUR', '{0,100}', 1, '{}'), (%s, false, 'EUR', '{0,100}', 1, '{}')", (a, b))
        # and a cached listing of each
        c.execute("insert into index.search_cache (tenant_id, key, inputs, result, cost_ms) "
                  "values (%s, core.new_id(), '[]', '{}', 1), (%s, core.new_id(), '[]', '{}', 1)", (a, b))
        # and a kept listing tally of each
        c.execute("insert into index.search_tallies (tenant_id, key, inputs, q, filters, bounds, sort, total, categories, "
                  "tags, price_buckets, in_stock, out_of_stock, top_ids, top_ranks, top_created, top_prices, complete, "
                  "cost_ms) select t, core.new_id(), '[]', '', '{}', '{0}', 'newest', 0, '{}', '{}', '{}', 0, 0, '{}', "
                  "'{}', '{}', '{}', true, 1 from unnest(array[%s, %s]::uuid[]) t", (a, b))
    return {"url": fresh_db, "a": a, "b": b, "a_slug": f"a-{suffix}", "b_slug": f"b-{suffix}"}


@pytest.fixture
def tenant_analyst(two_tenants):
    login = f"an_{uuid.uuid4().hex[:10]}"
    with owner(two_tenants["url"]) as c:
        msg = c.execute("select ops.create_analyst(%s, %s) as m", (login, two_tenants["a_slug"])).fetchone()["m"]
        assert f"\\password {login}" in msg and "only" in msg
    yield login
    with owner(two_tenants["url"]) as c:
        c.execute("select ops.drop_analyst(%s)", (login,))


def index_tables(c) -> list[str]:
    return [r["t"] for r in c.execute(
        """select format('%I.%I', n.nspname, k.relname) as t from pg_class k join pg_namespace n on n.oid = k.relnamespace
           where n.nspname = 'index' and k.relkind in ('r', 'p') and not k.relispartition
             and exists (select from pg_attribute a where a.attrelid = k.oid and a.attname = 'tenant_id')
           order by 1""").fetchall()]


def analytics_views(c) -> list[str]:
    return [r["t"] for r in c.execute(
        """select format('%I.%I', n.nspname, k.relname) as t from pg_class k join pg_namespace n on n.oid = k.relnamespace
           where n.nspname = 'analytics' and k.relkind in ('v', 'm') order by 1""").fetchall()]


def tenant_counts(c, rel) -> dict:
    return {r["tenant_id"]: r["n"] for r in c.execute(f"select tenant_id, count(*) as n from {rel} group by 1").fetchall()}


def test_sees_only_its_tenant_in_every_index_table_and_analytics_view(two_tenants, tenant_analyst):
    a, b = two_tenants["a"], two_tenants["b"]
    with owner(two_tenants["url"]) as c:
        tables, views = index_tables(c), analytics_views(c)
        assert {"index.products", "index.product_prices", "index.content", "index.orders", "index.words",
                "index.facet_cache", "index.search_cache", "index.search_tallies"} <= set(tables)
        assert len(views) >= 5
        everything = {rel: tenant_counts(c, rel) for rel in tables + views}
    for rel, counts in everything.items():
        assert counts.get(a) and counts.get(b), f"{rel}: the test needs rows of both tenants ({counts})"
    with as_login(two_tenants["url"], tenant_analyst) as an:
        for rel in tables + views:
            assert tenant_counts(an, rel) == {a: everything[rel][a]}, rel
        # the same rows, not only the same counts
        assert an.execute("select * from analytics.sales_daily order by day, currency_code").fetchall() == \
            owner(two_tenants["url"]).execute("select * from analytics.sales_daily where tenant_id = %s "
                                              "order by day, currency_code", (a,)).fetchall()


def test_cannot_widen_its_tenant(two_tenants, tenant_analyst):
    a, b = two_tenants["a"], two_tenants["b"]
    with as_login(two_tenants["url"], tenant_analyst) as an:
        def only_a():
            assert set(tenant_counts(an, "index.products")) == {a}
            assert set(tenant_counts(an, "analytics.sales_daily")) == {a}

        an.execute("select set_config('rustok.tenant_id', %s, false)", (str(b),))
        only_a()
        an.execute(f"set rustok.tenant_id = '{b}'")
        only_a()
        an.execute("select core.set_tenant(%s)", (b,))
        only_a()
        for role in ("rustok_tenant_analyst", "rustok_analyst", "rustok_app", "rustok_owner", "postgres"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute(f"set role {role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            an.execute("set session authorization rustok_owner")
        an.execute("reset role")
        an.execute("reset session authorization")
        only_a()
        # the mapping is out of reach
        for sql in ("select * from core.analyst_tenants",
                    f"update core.analyst_tenants set tenant_id = '{b}'",
                    f"insert into core.analyst_tenants (role_name, tenant_id) values ('{tenant_analyst}', '{b}')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute("begin read write")
                try:
                    an.execute(sql)
                finally:
                    an.execute("rollback")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            an.execute("select ops.create_analyst('x_other', %s)", (two_tenants["b_slug"],))
        only_a()


def test_cannot_write(two_tenants, tenant_analyst):
    with as_login(two_tenants["url"], tenant_analyst) as an:
        assert an.execute("show default_transaction_read_only").fetchone()["default_transaction_read_only"] == "on"
        assert an.execute("show statement_timeout").fetchone()["statement_timeout"] == "5min"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            an.execute("delete from index.orders")
        # read-only is only a default: the grants are what stop writes
        an.execute("set default_transaction_read_only = off")
        for sql in ("delete from index.orders", "update index.products set title = 'x'",
                    "insert into index.words (tenant_id, word) select tenant_id, 'zz' from index.words limit 1",
                    "create table index.mine (x int)", "create table public.mine (x int)",
                    "select * from index.reindex_tenant(core.analyst_tenant_id())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute(sql)


def test_cannot_read_secrets_or_write_tables(two_tenants, tenant_analyst):
    with as_login(two_tenants["url"], tenant_analyst) as an:
        for sql in ("select password_hash from core.users", "select email from core.users",
                    "select token_hash from core.sessions", "select * from core.tenants",
                    "select * from commerce.orders", "select * from content.bodies", "select * from outbox.events",
                    "select * from ops.code_tree_state"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute(sql)


def test_a_login_without_mapping_sees_nothing(two_tenants, tenant_analyst):
    with owner(two_tenants["url"]) as c:
        c.execute("delete from core.analyst_tenants where role_name = %s", (tenant_analyst,))
        assert c.execute("select scope from ops.analysts where login = %s", (tenant_analyst,)).fetchone()["scope"] == "platform"
    with as_login(two_tenants["url"], tenant_analyst) as an:
        assert an.execute("select count(*) as n from index.products").fetchone()["n"] == 0


def test_platform_wide_analyst_sees_every_tenant_but_no_secrets(two_tenants):
    login = f"pa_{uuid.uuid4().hex[:10]}"
    with owner(two_tenants["url"]) as c:
        msg = c.execute("select ops.create_analyst(%s, p_password => 'a long enough pass') as m", (login,)).fetchone()["m"]
        assert "every tenant" in msg and "password set" in msg
        row = c.execute("select * from ops.analysts where login = %s", (login,)).fetchone()
        assert row["scope"] == "platform" and "default_transaction_read_only=on" in row["settings"]
    try:
        with as_login(two_tenants["url"], login) as an:
            assert set(tenant_counts(an, "index.products")) == {two_tenants["a"], two_tenants["b"]}
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute("select password_hash from core.users")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                an.execute("set role rustok_analyst")
    finally:
        with owner(two_tenants["url"]) as c:
            c.execute("select ops.drop_analyst(%s)", (login,))


def test_bad_input_is_named(two_tenants, tenant_analyst):
    with owner(two_tenants["url"]) as c:
        cases = [
            (("Bad-Name", None, None), psycopg.errors.InvalidParameterValue, "p_login"),
            (("pg_x", None, None), psycopg.errors.InvalidParameterValue, "p_login"),
            (("rustok_app", None, None), psycopg.errors.InvalidParameterValue, "p_login"),
            ((f"x_{uuid.uuid4().hex[:6]}", "no-such-tenant", None), psycopg.errors.NoDataFound, "p_tenant_slug"),
            ((f"x_{uuid.uuid4().hex[:6]}", None, "short"), psycopg.errors.InvalidParameterValue, "p_password"),
            ((tenant_analyst, None, None), psycopg.errors.DuplicateObject, "p_login"),
            ((tenant_analyst, two_tenants["b_slug"], None), psycopg.errors.DuplicateObject, "p_login"),
        ]
        for args, error, field in cases:
            with pytest.raises(error) as info:
                c.execute("select ops.create_analyst(%s, %s, %s)", args)
            assert info.value.diag.message_primary.startswith(field + ":"), info.value.diag.message_primary
        again = c.execute("select ops.create_analyst(%s, %s) as m", (tenant_analyst, two_tenants["a_slug"])).fetchone()["m"]
        assert "already existed" in again
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_login"):
            c.execute("select ops.drop_analyst('rustok_app')")
        with pytest.raises(psycopg.errors.NoDataFound, match="p_login"):
            c.execute("select ops.drop_analyst('no_such_role_here')")
        for role in ("rustok_app", "rustok_analyst", "rustok_tenant_analyst"):
            for fn in ("ops.create_analyst(text,text,text)", "ops.drop_analyst(text)"):
                assert c.execute("select has_function_privilege(%s, %s, 'execute') as x", (role, fn)).fetchone()["x"] is False


def test_every_index_table_and_analytics_view_is_covered(fresh_db):
    """A new index table or analytics view needs the tenant_analyst_read policy / the grant to rustok_tenant_analyst."""
    with owner(fresh_db) as c:
        for rel in index_tables(c):
            assert c.execute("select count(*) as n from pg_policy where polrelid = %s::regclass and polname = 'tenant_analyst_read'",
                             (rel,)).fetchone()["n"] == 1, rel
            assert c.execute("select has_table_privilege('rustok_tenant_analyst', %s, 'select') as x", (rel,)).fetchone()["x"], rel
        for rel in analytics_views(c):
            opts = c.execute("select reloptions from pg_class where oid = %s::regclass", (rel,)).fetchone()["reloptions"] or []
            assert "security_invoker=true" in opts, f"{rel} must be security_invoker so RLS applies through it"
            assert c.execute("select has_table_privilege('rustok_tenant_analyst', %s, 'select') as x", (rel,)).fetchone()["x"], rel


def test_a_mapping_without_its_login_is_listed(fresh_db):
    with owner(fresh_db) as c:
        t = c.execute("insert into core.tenants (name, slug) values ('X', %s) returning id", (f"x-{uuid.uuid4().hex[:6]}",)).fetchone()["id"]
        c.execute("insert into core.analyst_tenants (role_name, tenant_id) values ('gone_analyst', %s)", (t,))
        row = c.execute("select * from ops.analysts where login = 'gone_analyst'").fetchone()
        assert row["scope"] == "tenant (login missing)" and row["can_login"] is False


def test_the_examples_of_analytics_md_run_as_a_tenant_analyst(two_tenants, tenant_analyst):
    import re

    from rustok.paths import sql_dir

    text = (sql_dir().parent / "docs" / "analytics.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    examples = [s.strip() for b in blocks for s in b.split(";") if s.strip()]
    assert len(examples) >= 10
    with as_login(two_tenants["url"], tenant_analyst) as an:
        for sql in examples:
            an.execute(sql).fetchall()
        assert an.execute("select count(*) as n from analytics.sales_daily where day > current_date - 30").fetchone()["n"] == 1

"""The catalog compare tool (rustok.catalog, `python -m rustok.schema_snapshot --compare`) and the layout of
sql/schema.sql by module and object."""

from __future__ import annotations

import io

import psycopg

from rustok import catalog, schema_snapshot
from rustok.paths import sql_dir

DUMP = """\
--
-- PostgreSQL database dump
--

SET statement_timeout = 0;

--
-- Name: core; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA core;

--
-- Name: f(uuid); Type: FUNCTION; Schema: core; Owner: rustok_owner
--

CREATE FUNCTION core.f(p_id uuid, OUT n integer) RETURNS integer
    LANGUAGE sql STABLE
    AS $$ select 1 $$;

ALTER FUNCTION core.f(p_id uuid, OUT n integer) OWNER TO rustok_owner;

SET default_tablespace = '';

--
-- Name: t; Type: TABLE; Schema: core; Owner: rustok_owner
--

CREATE TABLE core.t (
    id uuid NOT NULL
);

--
-- Name: FUNCTION f(p_id uuid); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION core.f(p_id uuid) IS 'f';

--
-- Name: t t_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.t
    ADD CONSTRAINT t_pkey PRIMARY KEY (id);

--
-- Name: t _100_x; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER _100_x BEFORE INSERT ON core.t FOR EACH ROW EXECUTE FUNCTION core.g();

--
-- Name: FUNCTION f(p_id uuid); Type: ACL; Schema: core; Owner: -
--

GRANT ALL ON FUNCTION core.f(p_id uuid) TO rustok_app;

--
-- PostgreSQL database dump complete
--
"""


def test_parse_keys_blocks_by_header_without_owner():
    dump = catalog.parse(DUMP)
    assert [b.key for b in dump.blocks] == [
        "SCHEMA core", "FUNCTION core.f(uuid)", "TABLE core.t", "COMMENT core.FUNCTION f(p_id uuid)",
        "CONSTRAINT core.t t_pkey", "TRIGGER core.t _100_x", "ACL core.FUNCTION f(p_id uuid)"]
    f = dump.blocks[1]
    assert "OWNER TO" not in f.sql and f.sql.endswith("AS $$ select 1 $$;")
    assert dump.settings == ["SET default_tablespace = '';"]
    assert "dump complete" not in dump.blocks[-1].sql
    # the same dump from a database with another owner compares equal
    assert catalog.diff(DUMP, DUMP.replace("rustok_owner", "someone_else")) == []


def test_diff_lists_added_removed_and_changed_blocks():
    changed = (DUMP.replace("select 1", "select 2")
                   .replace("GRANT ALL ON FUNCTION core.f(p_id uuid) TO rustok_app;", "")
                   .replace("CREATE TRIGGER _100_x", "CREATE TRIGGER _200_x").replace("t _100_x;", "t _200_x;"))
    differences = catalog.diff(DUMP, changed)
    assert [(d.kind, d.key) for d in differences] == [
        ("changed", "ACL core.FUNCTION f(p_id uuid)"),   # the header stays, the grant is gone
        ("changed", "FUNCTION core.f(uuid)"),
        ("removed", "TRIGGER core.t _100_x"),
        ("added", "TRIGGER core.t _200_x"),
    ]
    text = catalog.render_diff(differences, "old", "new")
    assert "-    AS $$ select 1 $$;\n+    AS $$ select 2 $$;" in text
    assert "+CREATE TRIGGER _200_x" in text


def test_by_module_puts_each_object_with_its_table_or_function():
    dump = catalog.parse(DUMP)
    [(title, blocks)] = catalog.by_module(dump)
    assert title == "schema core"
    assert [b.key for b in blocks] == [
        "SCHEMA core", "TABLE core.t", "CONSTRAINT core.t t_pkey", "TRIGGER core.t _100_x",
        "FUNCTION core.f(uuid)", "COMMENT core.FUNCTION f(p_id uuid)", "ACL core.FUNCTION f(p_id uuid)"]
    text = catalog.render_by_module(dump, "-- header\n")
    assert text.startswith("-- header\n\nSET statement_timeout = 0;\n\nSET default_tablespace = '';\n")
    assert catalog.diff(DUMP, text) == []


def test_schema_sql_is_laid_out_by_module_and_holds_every_object(template_db, pg):
    raw = schema_snapshot.dump(pg.url(template_db))
    text = (sql_dir() / "schema.sql").read_text()
    assert catalog.diff(raw, text) == []
    laid_out = catalog.parse(text).blocks
    assert len(laid_out) == len(catalog.parse(raw).blocks)
    keys = [b.key for b in laid_out]
    schemas = [b.name for b in laid_out if b.type == "SCHEMA"]
    assert schemas == list(catalog.SCHEMAS)
    # a table is followed by its own constraints, indexes, triggers, policies, comments and grants
    i = keys.index("TABLE commerce.products")
    j = keys.index("TRIGGER commerce.products _100_timestamps")
    k = keys.index("POLICY commerce.products tenant_isolation")
    m = keys.index("COMMENT commerce.TABLE products")
    n = keys.index("ACL commerce.TABLE products")
    assert i < j < k < m < n
    assert all(b.type != "TABLE" or b.name == "products" for b in laid_out[i + 1:n])
    # partitions follow their parent; a function is followed by its comment and grant
    assert keys.index("TABLE content.nodes") < keys.index("TABLE content.nodes_p0") < keys.index("TABLE content.nodes_p1")
    f = keys.index("FUNCTION core.set_tenant(uuid)")
    assert keys[f + 1:f + 3] == ["COMMENT core.FUNCTION set_tenant(p_tenant_id uuid)",
                                 "ACL core.FUNCTION set_tenant(p_tenant_id uuid)"]
    # modules in order: every core object before every outbox object, and so on
    order = [b.schema if b.schema != "-" else None for b in laid_out]
    seen = [s for i, s in enumerate(order) if s and s not in order[:i]]
    assert seen == ["public", *catalog.SCHEMAS] or seen == list(catalog.SCHEMAS)


def test_compare_finds_changed_function_trigger_policy_grant_index_constraint_and_comment(pg, template_db, fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("""
            create or replace function core.set_tenant(p_tenant_id uuid) returns uuid language sql volatile
            as $$ select nullif(set_config('rustok.tenant_id', coalesce(p_tenant_id::text, ''), false), '')::uuid $$;
            drop trigger _100_timestamps on core.users;
            drop policy analyst_read on core.sessions;
            revoke all on function core.tenant_id_by_slug(text) from rustok_app;
            create index users_display_name_idx on core.users (display_name);
            alter table core.tenants add constraint tenants_name_short check (length(name) < 1000);
            alter table core.tenants add constraint tenants_name_key unique (name);
            comment on column core.users.email is null;
        """)
    out = io.StringIO()
    assert schema_snapshot.compare(pg.url(template_db), fresh_db, out) == 1
    summary = [line for line in out.getvalue().split("\n\n", 1)[0].splitlines()]
    # the function's ACL block changes, or goes when rustok_app held its only grant
    acl = [line for line in summary if line.endswith("ACL core.FUNCTION tenant_id_by_slug(p_slug text)")]
    assert len(acl) == 1 and acl[0].split()[0] in ("changed", "removed"), summary
    summary.remove(acl[0])
    assert sorted(summary) == sorted([
        "removed  COMMENT core.COLUMN users.email",
        "changed  TABLE core.tenants",   # a check constraint is printed inside its table
        "added    CONSTRAINT core.tenants tenants_name_key",
        "changed  FUNCTION core.set_tenant(uuid)",
        "added    INDEX core.users_display_name_idx",
        "removed  POLICY core.sessions analyst_read",
        "removed  TRIGGER core.users _100_timestamps",
    ]), out.getvalue()
    assert "-SELECT NULLIF(set_config" in out.getvalue() or "-    AS $$ select nullif" in out.getvalue()


def test_compare_of_a_file_with_itself_and_with_the_database(pg, template_db, tmp_path):
    out = io.StringIO()
    schema = str(sql_dir() / "schema.sql")
    assert schema_snapshot.compare(schema, pg.url(template_db), out) == 0
    assert out.getvalue() == "catalogs are identical\n"
    broken = tmp_path / "schema.sql"
    broken.write_text((sql_dir() / "schema.sql").read_text().replace(
        "CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON core.users",
        "CREATE TRIGGER _100_timestamps BEFORE UPDATE ON core.users"))
    assert schema_snapshot.main(["--compare", schema, str(broken)]) == 1

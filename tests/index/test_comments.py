"""Every table, view and function of the index and analytics schemas carries a comment."""


def test_every_object_has_a_comment(conn):
    missing = conn.execute(
        """
        select n.nspname || '.' || c.relname as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('index', 'analytics') and c.relkind in ('r', 'v', 'm', 'p')
          and obj_description(c.oid, 'pg_class') is null
        union all
        select p.oid::regprocedure::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('index', 'analytics') and obj_description(p.oid, 'pg_proc') is null
        union all
        select n.nspname from pg_namespace n
        where n.nspname in ('index', 'analytics') and obj_description(n.oid, 'pg_namespace') is null
        """
    ).fetchall()
    assert missing == []


def test_the_schemas_exist_with_their_tables(conn):
    tables = {r["t"] for r in conn.execute(
        "select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'index' and c.relkind = 'r'").fetchall()}
    assert {"products", "product_prices", "content", "orders", "words"} <= tables

"""Every table, view and function of the outbox module carries a comment (psql \\d+ / \\df+ show them)."""


def test_every_object_is_commented(conn):
    missing = conn.execute("""
        select n.nspname || '.' || c.relname as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('outbox', 'ops') and c.relkind in ('r', 'p', 'v', 'm')
          and obj_description(c.oid, 'pg_class') is null
        union all
        select p.oid::regprocedure::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('outbox', 'ops', 'core')
          and obj_description(p.oid, 'pg_proc') is null
        union all
        select nspname from pg_namespace
        where nspname in ('outbox', 'ops') and obj_description(oid, 'pg_namespace') is null
    """).fetchall()
    assert missing == []


def test_handler_contract_is_documented_in_the_database(conn):
    text = conn.execute("select col_description('outbox.consumers'::regclass, 2)").fetchone()
    assert "outbox.events[]" in text["col_description"] and "idempotent" in text["col_description"]

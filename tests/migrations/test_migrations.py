"""Migrations: a fresh apply matches sql/schema.sql; applying again changes nothing."""

from rustok import catalog, migrate
from rustok.paths import migrations_dir, sql_dir
from rustok.schema_snapshot import dump, snapshot


def test_fresh_apply_matches_schema_sql(pg, template_db):
    current = snapshot(pg.url(template_db))
    expected = (sql_dir() / "schema.sql").read_text()
    assert current == expected, (
        "sql/schema.sql is out of date: run `python -m rustok.schema_snapshot <url of a freshly migrated db>`\n"
        + (catalog.render_diff(catalog.diff(expected, current), "sql/schema.sql", "fresh migrate")
           or "(same objects, laid out differently)"))


def test_second_apply_changes_nothing(fresh_db):
    before = dump(fresh_db)
    assert migrate.pending(fresh_db) == []
    assert migrate.apply(fresh_db) == []
    assert dump(fresh_db) == before


def test_migrations_apply_on_an_empty_database(pg):
    name = "rustok_empty_apply"
    pg.drop_database(name)
    url = pg.create_database(name)
    try:
        applied = migrate.apply(url)
        files = sorted(p.stem for p in migrations_dir().glob("*.sql") if not p.stem.endswith(".rollback"))
        assert sorted(applied) == files  # yoyo orders by `-- depends:`, then by name
        assert applied.index("0030_outbox_events") < applied.index("0020_commerce_catalog")
        assert migrate.pending(url) == []
    finally:
        pg.drop_database(name)

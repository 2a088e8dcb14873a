"""The code tree (sql/code): applying it again changes nothing; a file that fails leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from rustok import catalog, migrate, sqlcode
from rustok.schema_snapshot import dump
from tests.migrations.conftest import newer_migrations


def test_applying_the_code_tree_twice_changes_nothing(fresh_db):
    before = dump(fresh_db)
    tree = sqlcode.load()
    for _ in range(2):
        with psycopg.connect(fresh_db) as conn:
            sqlcode.apply(conn, tree)
            conn.commit()
        assert catalog.diff(before, dump(fresh_db)) == []
        assert dump(fresh_db) == before
    with psycopg.connect(fresh_db) as conn:
        assert sqlcode.applied_digest(conn) == tree.digest
    assert migrate.pending(fresh_db) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / sqlcode.ORDER_FILE).write_text("# test tree\n" + "\n".join(files) + "\n")
    return root


# a valid file that changes the catalog (a comment, a function, a grant) followed by one that fails
GOOD_THEN_BROKEN = {
    "ops/ok.sql": """
        comment on schema ops is 'changed by a file that worked';
        create or replace function ops.leftover() returns int language sql immutable as $$ select 1 $$;
        grant usage on schema ops to public;
    """,
    "ops/zz/broken.sql": "create or replace function ops.broken( returns int language sql as $$ select 1 $$;\n",
}


def test_a_failing_file_leaves_an_up_to_date_database_as_it_was(fresh_db, tmp_path):
    before = dump(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        digest = sqlcode.applied_digest(conn)
    root = _tree(tmp_path / "code", GOOD_THEN_BROKEN)
    with pytest.raises(sqlcode.CodeTreeError) as info:
        migrate.apply(fresh_db, code_root=root)
    message = str(info.value)
    assert "ops/zz/broken.sql" in message and "syntax error" in message
    assert "ops/ok.sql" not in message
    assert catalog.diff(before, dump(fresh_db)) == []
    with psycopg.connect(fresh_db) as conn:
        assert sqlcode.applied_digest(conn) == digest


def test_a_failing_file_leaves_a_pending_migration_unapplied(previous_db, tmp_path):
    """An upgrade whose code tree fails keeps the old catalog and marks none of its migrations applied."""
    before = dump(previous_db)
    root = _tree(tmp_path / "code", GOOD_THEN_BROKEN)
    with pytest.raises(sqlcode.CodeTreeError, match="ops/zz/broken.sql"):
        migrate.apply(previous_db, code_root=root)
    assert catalog.diff(before, dump(previous_db)) == []
    assert migrate.pending(previous_db) == [*newer_migrations(), migrate.CODE_TREE_PENDING]
    # the real tree then upgrades it
    assert migrate.apply(previous_db) == newer_migrations()
    assert migrate.pending(previous_db) == []


def test_load_takes_a_root_and_refuses_an_inconsistent_tree(tmp_path):
    root = _tree(tmp_path / "code", {"a/one.sql": "select 1;\n", "b/two.sql": "select 2;\n"})
    tree = sqlcode.load(root)
    assert [p.relative_to(root).as_posix() for p in tree.files] == ["a/one.sql", "b/two.sql"]
    (root / "b" / "three.sql").write_text("select 3;\n")
    with pytest.raises(sqlcode.CodeTreeError, match="does not list: b/three.sql"):
        sqlcode.load(root)
    (root / "b" / "three.sql").unlink()
    (root / "a" / "one.sql").unlink()
    with pytest.raises(sqlcode.CodeTreeError, match="lists files that do not exist: a/one.sql"):
        sqlcode.load(root)
